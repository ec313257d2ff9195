/*
 * codec.h: the reversible mapping between shm names and file names on the
 * mount, shared by the daemon and the shim (one implementation).
 *
 * A shm name is "/" followed by any bytes but NUL.  Its file name is the rest
 * after the slash, with '/' written "%2F" and '%' written "%25"; the rests
 * that are not valid file names get escapes of their own: "" (the name "/")
 * is "%00", "." is "%2E" and ".." is "%2E%2E".  Ordinary names therefore map
 * to themselves ("/foo" is "foo").  Only the canonical encoding of a name is
 * a valid object file name, so no two file names alias one shm name.
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
 * name's length, -EINVAL if file is not the canonical encoding of any shm
 * name, or -ENAMETOOLONG if out is too small.
 */
int shmfs_name_decode(const char *file, char *out, size_t outsz);

/* True if file is the canonical encoding of some shm name. */
bool shmfs_file_name_valid(const char *file);

#endif
