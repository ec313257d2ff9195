/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stallfs.h: a FUSE filesystem for the tests that never answers a READ, so
 * that a page fault on its one file waits until the test lets it go.
 */
#ifndef SHMFS_STALLFS_H
#define SHMFS_STALLFS_H

#include <limits.h>
#include <sys/types.h>

#define STALLFS_FILE_SIZE (1 << 20)

struct stallfs {
	char mnt[PATH_MAX];  /* the mountpoint, made by stallfs_mount */
	char file[PATH_MAX]; /* mnt/f, a STALLFS_FILE_SIZE-byte file */
	pid_t server;	     /* the process serving it */
};

/*
 * Mounts it at a new directory mnt (which must not exist), served by a
 * child process that dies with the caller.  Needs root, in the caller's
 * mount namespace.  Returns 0, or -1 with a message on stderr.
 */
int stallfs_mount(struct stallfs *s, const char *mnt);

/*
 * Kills the server, which aborts the connection: every request waiting on
 * it fails, so whatever was stuck goes on.  Then unmounts lazily and
 * removes the directory.  Idempotent.
 */
void stallfs_release(struct stallfs *s);

#endif
