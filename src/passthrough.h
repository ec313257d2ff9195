/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * passthrough.h: FUSE passthrough, the kernel reading and mapping objects'
 * memfds itself: deciding it at INIT, and one backing id per open object.
 */
#ifndef SHMFS_PASSTHROUGH_H
#define SHMFS_PASSTHROUGH_H

#include "fs.h"
#include "handles.h"

/* Why passthrough cannot be had before the kernel is asked, or NULL. */
const char *shmfs_passthrough_unavailable(void);
/* Decides the data path once the kernel said what it offers, and says which. */
void shmfs_passthrough_init(struct shmfs_fs *fs, struct fuse_conn_info *conn);
/* Registers obj's memfd at its first open.  Caller holds the lock; 0 or an errno. */
int shmfs_passthrough_attach_locked(struct shmfs_fs *fs, fuse_req_t req, struct shmfs_obj *obj);
/* Closes the backing id; the caller says it is the last handle.  Caller holds the lock. */
void shmfs_passthrough_detach_locked(struct shmfs_fs *fs, struct shmfs_obj *obj);
/* The open reply's flags for handle h of obj. */
void shmfs_passthrough_open_flags(struct fuse_file_info *fi, const struct shmfs_obj *obj,
				  const struct shmfs_handle *h);

#endif
