/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * attr.h: the attributes and entries the kernel is given for each node
 * (the root directory, the probe entry, objects).  Callers hold the lock.
 */
#ifndef SHMFS_ATTR_H
#define SHMFS_ATTR_H

#include <sys/stat.h>

#include "fs.h"

/*
 * Every change reaches this filesystem through its one kernel mount, so the
 * kernel's caches can never go stale: cache entries, misses and attributes
 * for a long time.
 */
#define SHMFS_CACHE_TIMEOUT 86400.0

void shmfs_obj_stat(const struct shmfs_obj *obj, struct stat *st);
void shmfs_root_stat(const struct shmfs_fs *fs, struct stat *st);
void shmfs_probe_stat(struct stat *st);
/* Fills st for any node id. */
void shmfs_node_stat(struct shmfs_fs *fs, fuse_ino_t ino, struct stat *st);
/* The entry of obj, for LOOKUP-like replies (the caller takes the lookup count). */
void shmfs_entry_of(struct shmfs_obj *obj, struct fuse_entry_param *e);
/* The namespace changed: the root's mtime and ctime. */
void shmfs_root_changed(struct shmfs_fs *fs);

#endif
