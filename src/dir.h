/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dir.h: the request handlers of directory streams on the root, the one
 * directory (listing order and cursors are the namespace's, ns.h).
 */
#ifndef SHMFS_DIR_H
#define SHMFS_DIR_H

#include "fs.h"

void shmfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void shmfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void shmfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi);
void shmfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi);

#endif
