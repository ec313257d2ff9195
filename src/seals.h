/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * seals.h: the seal policy: what an object's F_SEAL_* bits refuse, and how
 * seals are added.  An object's seals and write_seals_pending belong here:
 * other modules read and change them only through these functions.
 * Nothing here knows about FUSE; callers hold the filesystem lock.  Every
 * check returns 0 or EPERM.
 */
#ifndef SHMFS_SEALS_H
#define SHMFS_SEALS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

/* F_SEAL_GROW and F_SEAL_SHRINK against a change of size to size. */
int shmfs_seals_allow_resize(const struct shmfs_obj *obj, uint64_t size);
/*
 * A write of len bytes at off (not the writeback of mapped pages, which
 * seals never refuse): F_SEAL_WRITE, F_SEAL_FUTURE_WRITE, and F_SEAL_GROW
 * for a write that would grow the object (grow: not a no-grow descriptor).
 */
int shmfs_seals_allow_write(const struct shmfs_obj *obj, uint64_t off, uint64_t len, bool grow);
/* Punching a hole: F_SEAL_WRITE and F_SEAL_FUTURE_WRITE. */
int shmfs_seals_allow_punch(const struct shmfs_obj *obj);
/* Allocating up to end: F_SEAL_GROW past the size, even with KEEP_SIZE (as Linux). */
int shmfs_seals_allow_allocate(const struct shmfs_obj *obj, uint64_t end);
/* A chmod to mode: F_SEAL_EXEC keeps the exec bits. */
int shmfs_seals_allow_chmod(const struct shmfs_obj *obj, mode_t mode);

/* The seals as F_GET_SEALS tells the shim, with SHMFS_SEAL_WRITE_PENDING (proto.h). */
uint32_t shmfs_seals_get(const struct shmfs_obj *obj);
/* A new object created sealable: no seal at all (else it has F_SEAL_SEAL). */
void shmfs_seals_make_sealable(struct shmfs_obj *obj);

/*
 * F_ADD_SEALS, first half.  EINVAL for unknown bits, EPERM if sealed;
 * *seals grows by what F_SEAL_EXEC implies.  With kernel (passthrough), the
 * memfd gets them too (EBUSY while writable mappings exist).  Returns 0
 * with *walk false if the seals are added, or with *walk true if adding
 * F_SEAL_WRITE first needs every writable mapping ruled out: then the
 * caller marks it with shmfs_seals_write_pending() and, after the walk,
 * calls shmfs_seals_finish_write().
 */
int shmfs_seals_add(struct shmfs_obj *obj, uint32_t *seals, bool kernel, bool *walk);
void shmfs_seals_write_pending(struct shmfs_obj *obj);
/* F_ADD_SEALS, second half: busy (a writable mapping may exist): EBUSY; else 0 or EPERM. */
int shmfs_seals_finish_write(struct shmfs_obj *obj, uint32_t seals, bool busy);

#endif
