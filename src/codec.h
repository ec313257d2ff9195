/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * codec.h: the reversible mapping between shm names and file names on the
 * mount, shared by the daemon and the shim (one implementation).
 *
 * A shm name is "/" followed by a rest of any bytes but NUL.  Its file name
 * is the rest itself, except for what a file name cannot hold; every file
 * name is the encoding of exactly one shm name, or reserved:
 *  - '/' is "%2F".  In general a maximal run of k '%' followed by "2F" in a
 *    file name stands for (k-1)/2 '%' and a '/' if k is odd, and for k/2 '%'
 *    and a literal "2F" if k is even ("%%2F" is the name "/%2F").
 *  - The rests "", "." and ".." are "%00", "%2E" and "%2E%2E".
 *  - File names starting with '%' and a lowercase ASCII letter ("%shmfs",
 *    "%anon...") belong to the daemon (proto.h) and are no shm name's.
 *  - A rest that looks like the last two, a run of '%' followed by exactly
 *    "00", "2E" or "2E%2E", or by a lowercase letter, gets one more '%' in
 *    front: "/%00" is "%%00", "/%anon" is "%%anon".
 * So "50%", "%", "%25" and "a%2E" are file names of themselves.
 */
#ifndef SHMFS_CODEC_H
#define SHMFS_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#define SHMFS_NAME_MAX 1023	 /* bytes of a shm name, FreeBSD's limit */
#define SHMFS_FILE_NAME_MAX 255 /* bytes of a file name on the mount */

/*
 * Encodes the shm name (len bytes, name[0] == '/') into out, NUL-terminated.
 * Returns the file name's length, or -ENAMETOOLONG if it would exceed
 * SHMFS_FILE_NAME_MAX or outsz - 1.
 */
int shmfs_name_encode(const char *name, size_t len, char *out, size_t outsz);

/*
 * Decodes a file name into its shm name, NUL-terminated.  Returns the shm
 * name's length (at most SHMFS_FILE_NAME_MAX + 1), -EINVAL if file is no
 * file name at all ("", ".", "..", a '/' in it, longer than
 * SHMFS_FILE_NAME_MAX), -EPERM if it is reserved for the daemon, or
 * -ENAMETOOLONG if out is too small.
 */
int shmfs_name_decode(const char *file, char *out, size_t outsz);

/* 0 if file is some shm name's file name, else -EINVAL or -EPERM as above. */
int shmfs_file_name_check(const char *file);

/* True if file is some shm name's file name. */
bool shmfs_file_name_valid(const char *file);

#endif
