/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common.c: the mount probe, the default mount, shm name checking and the
 * number parsers shared by the shim, shmfsctl, the daemon and the tests;
 * see common.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "common.h"
#include "proto.h"

const char *shmfs_mount_path(bool secure)
{
	const char *mnt = secure ? secure_getenv("SHMFS_MOUNT") :
				   getenv("SHMFS_MOUNT");

	return mnt && *mnt ? mnt : SHMFS_DEFAULT_MOUNT;
}

enum shmfs_probe_result shmfs_probe(int dfd, struct stat *st)
{
	struct stat buf;

	if (!st)
		st = &buf;
	errno = 0;
	/* NOFOLLOW: a symlink named like the probe must not pass. */
	if (fstatat(dfd, SHMFS_PROBE_NAME, st, AT_SYMLINK_NOFOLLOW) != 0)
		return SHMFS_PROBE_NONE;
	if (!S_ISREG(st->st_mode) || st->st_ino != SHMFS_PROBE_INO)
		return SHMFS_PROBE_NONE;
	if (st->st_size != SHMFS_PROTO_VERSION)
		return SHMFS_PROBE_VERSION;
	return SHMFS_PROBE_OK;
}

int shmfs_shm_name_file(const char *name, size_t len, char *file, size_t size)
{
	int r;

	if (len == 0 || name[0] != '/')
		return EINVAL;
	r = shmfs_name_encode(name, len, file, size);
	return r < 0 ? -r : 0;
}

int shmfs_parse_number(const char *text, const char *suffixes, uint64_t *out)
{
	static const char units[] = "kmgt";
	unsigned long long n;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0)
		return -EINVAL;
	if (*end != '\0') {
		char c = (char)(*end | 0x20); /* ASCII lower case */
		int shift;

		if (end[1] != '\0' || !strchr(suffixes, c))
			return -EINVAL;
		shift = 10 * (int)(strchr(units, c) - units + 1);
		if (n > ULLONG_MAX >> shift)
			return -EINVAL;
		n <<= shift;
	}
	*out = n;
	return 0;
}

int shmfs_parse_mode(const char *text, mode_t *out)
{
	unsigned long m;
	char *end;

	if (!text || *text < '0' || *text > '7')
		return -EINVAL;
	errno = 0;
	m = strtoul(text, &end, 8);
	if (errno != 0 || *end != '\0' || m > 07777)
		return -EINVAL;
	*out = (mode_t)m;
	return 0;
}
