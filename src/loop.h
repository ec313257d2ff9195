/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loop.h: the daemon's session loop.  See loop.c for why it is not
 * libfuse's.
 */
#ifndef SHMFS_LOOP_H
#define SHMFS_LOOP_H

#include <fuse_lowlevel.h>

/*
 * Serves se until it exits or is unmounted, with one worker per CPU the
 * process may use (at most max_workers), each kept on its CPU.  With
 * max_workers 1 the worker is not pinned.  Returns 0 or -errno.
 */
int shmfs_session_loop(struct fuse_session *se, unsigned max_workers);

#endif
