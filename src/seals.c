/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * seals.c: the seal policy (see seals.h), Linux's memfd rules.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>

#include "proto.h"
#include "seals.h"

#define KNOWN_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/*
 * Linux's newer seals, honoured: F_SEAL_FUTURE_WRITE refuses writes (and
 * the shim new writable shared mappings) but leaves existing mappings
 * alone, so it never waits for them; F_SEAL_EXEC freezes the exec bits.
 */
#define KNOWN_SEALS_LINUX (F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)

int shmfs_seals_allow_resize(const struct shmfs_obj *obj, uint64_t size)
{
	if ((size > obj->size && (obj->seals & F_SEAL_GROW)) ||
	    (size < obj->size && (obj->seals & F_SEAL_SHRINK)))
		return EPERM;
	return 0;
}

int shmfs_seals_allow_write(const struct shmfs_obj *obj, uint64_t off, uint64_t len, bool grow)
{
	if ((obj->seals & F_SEAL_WRITE) || (obj->seals & F_SEAL_FUTURE_WRITE) ||
	    (grow && (obj->seals & F_SEAL_GROW) && off + len > obj->size))
		return EPERM;
	return 0;
}

int shmfs_seals_allow_punch(const struct shmfs_obj *obj)
{
	return obj->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) ? EPERM : 0;
}

int shmfs_seals_allow_allocate(const struct shmfs_obj *obj, uint64_t end)
{
	return end > obj->size && (obj->seals & F_SEAL_GROW) ? EPERM : 0;
}

int shmfs_seals_allow_chmod(const struct shmfs_obj *obj, mode_t mode)
{
	return (obj->seals & F_SEAL_EXEC) && ((obj->mode ^ mode) & 0111) ? EPERM : 0;
}

uint32_t shmfs_seals_get(const struct shmfs_obj *obj)
{
	return obj->seals | (obj->write_seals_pending ? SHMFS_SEAL_WRITE_PENDING : 0);
}

void shmfs_seals_make_sealable(struct shmfs_obj *obj)
{
	obj->seals = 0;
}

int shmfs_seals_add(struct shmfs_obj *obj, uint32_t *seals, bool kernel, bool *walk)
{
	int err;

	*walk = false;
	if (*seals & ~(KNOWN_SEALS | KNOWN_SEALS_LINUX))
		return EINVAL;
	/* As Linux: sealing exec on an executable object seals its contents too. */
	if ((*seals & F_SEAL_EXEC) && (obj->mode & 0111))
		*seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
	if (obj->seals & F_SEAL_SEAL)
		return EPERM;
	if (kernel) {
		/*
		 * Every mapping maps the memfd itself: the kernel's own check for
		 * writable mappings is exact, and it then guards the paths that
		 * bypass the daemon too.
		 */
		err = shmfs_obj_add_kernel_seals(obj, *seals);
		if (!err)
			obj->seals |= *seals;
		return err;
	}
	if (!(*seals & F_SEAL_WRITE) || (obj->seals & F_SEAL_WRITE))
		obj->seals |= *seals;
	else
		*walk = true;
	return 0;
}

void shmfs_seals_write_pending(struct shmfs_obj *obj)
{
	obj->write_seals_pending++;
}

int shmfs_seals_finish_write(struct shmfs_obj *obj, uint32_t seals, bool busy)
{
	obj->write_seals_pending--;
	if (busy)
		return EBUSY;
	if (obj->seals & F_SEAL_SEAL) /* sealed by another caller meanwhile */
		return EPERM;
	obj->seals |= seals;
	return 0;
}
