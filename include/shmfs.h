/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shmfs.h: the public interface of libshmfs, FreeBSD's POSIX shared-memory
 * API on Linux.  shm_open() and shm_unlink() keep their <sys/mman.h>
 * prototypes; this header adds what FreeBSD has and Linux lacks:
 * shm_rename() with its flags, and SHM_ANON.  The values are FreeBSD's, so
 * FreeBSD sources compile unchanged.  Link with -lshmfs (pkg-config shmfs).
 * The implementation is src/shim.c; the behaviour is described in
 * shm_open(3), shm_rename(3) and libshmfs(7).
 */
#ifndef SHMFS_H
#define SHMFS_H

#include <sys/mman.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Pass as the name to shm_open() for an anonymous, never-named object. */
#define SHM_ANON ((char *)1)

/* Flags of shm_rename(); at most one of them. */
#define SHM_RENAME_NOREPLACE 1 /* fail with EEXIST if the target exists */
#define SHM_RENAME_EXCHANGE 2  /* swap the two objects atomically */

int shm_rename(const char *from, const char *to, int flags);

/*
 * glibc declares memfd_create() (and defines its flags) only with
 * _GNU_SOURCE; FreeBSD programs expect it next to shm_open().
 */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x1U
#define MFD_ALLOW_SEALING 0x2U
#define MFD_HUGETLB 0x4U
int memfd_create(const char *name, unsigned int flags);
#endif

#ifdef __cplusplus
}
#endif

#endif
