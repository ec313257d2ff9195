/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common.h: what the shim, shmfsctl, the daemon and the test harness would
 * otherwise each write again: finding the mount and proving it is shmfs,
 * turning a user's shm name into its file name, and the size and mode
 * parsers.  Part of libshmfs-common, whose symbols libshmfs.map keeps out
 * of the shim's exports.
 */
#ifndef SHMFS_COMMON_H
#define SHMFS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Where the shim and shmfsctl look unless $SHMFS_MOUNT says otherwise. */
#define SHMFS_DEFAULT_MOUNT "/dev/shmfs"

/*
 * The mount directory: $SHMFS_MOUNT if set and not empty, else
 * SHMFS_DEFAULT_MOUNT.  secure: read it with secure_getenv, as the shim
 * must (a setuid program must not be pointed at another mount).
 */
const char *shmfs_mount_path(bool secure);

/* Results of shmfs_probe(). */
enum shmfs_probe_result {
	SHMFS_PROBE_OK = 0,   /* shmfs, speaking SHMFS_PROTO_VERSION */
	SHMFS_PROBE_NONE,     /* not shmfs; errno says why the lookup failed,
				 or is 0 if it succeeded on something else */
	SHMFS_PROBE_VERSION,  /* shmfs, another protocol version (st_size) */
};

/*
 * Is the directory open at dfd the root of a shmfs mount?  Looks up the
 * probe entry (proto.h) without following a symlink, and checks that it is
 * a regular file with SHMFS_PROBE_INO; its st_size is the protocol version.
 * st, if not NULL, gets the probe's attributes (st_dev is the mount's).
 */
enum shmfs_probe_result shmfs_probe(int dfd, struct stat *st);

/*
 * The file name of the shm name (len bytes, not NUL-terminated necessarily)
 * into file (size bytes), as shm_open(3), ERRORS, orders the checks after
 * the length one: EINVAL without the leading slash, ENAMETOOLONG if the
 * file name would not fit (codec.h).  Returns 0 or an errno.
 */
int shmfs_shm_name_file(const char *name, size_t len, char *file, size_t size);

/*
 * A decimal number with an optional suffix from suffixes (a subset of
 * "kmgt", powers of 1024, either case).  Unlike strtoull alone it refuses
 * leading blanks, signs and an empty string, and reports overflow.
 * Returns 0 or -EINVAL.
 */
int shmfs_parse_number(const char *text, const char *suffixes, uint64_t *out);

/* Octal permission bits, at most 07777, digits only.  0 or -EINVAL. */
int shmfs_parse_mode(const char *text, mode_t *out);

#endif
