/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.h: notifications to the kernel, sent by a thread of their own,
 * since a handler must not wait on the kernel.
 */
#ifndef SHMFS_NOTIFY_H
#define SHMFS_NOTIFY_H

#include <sys/types.h>

#include "fs.h"

/* Asks the kernel to drop the dentry of an anonymous object.  Takes the lock. */
void shmfs_notify_forget_name(struct shmfs_fs *fs, const char *name);
/*
 * Asks the kernel to drop obj's cached pages a refused write filled; obj
 * gets an internal hold until then.  Caller holds the lock.
 */
void shmfs_notify_drop_pages_locked(struct shmfs_fs *fs, struct shmfs_obj *obj, off_t off,
				    size_t len);
/* 0 or an errno. */
int shmfs_notify_start(struct shmfs_fs *fs);
/* Sends nothing more, gives back the holds of what is left, and joins the thread. */
void shmfs_notify_stop(struct shmfs_fs *fs);

#endif
