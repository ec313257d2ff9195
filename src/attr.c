/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * attr.c: node attributes as the kernel sees them (see attr.h).
 */
#include "config.h"

#include <string.h>

#include "attr.h"
#include "proto.h"

#define BLKSIZE (1u << 20) /* st_blksize: as large as one WRITE */

void shmfs_obj_stat(const struct shmfs_obj *obj, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = obj->ino;
	st->st_mode = S_IFREG | obj->mode;
	st->st_nlink = obj->nlink;
	st->st_uid = obj->uid;
	st->st_gid = obj->gid;
	st->st_size = (off_t)obj->size;
	st->st_blocks = (blkcnt_t)shmfs_obj_blocks(obj);
	st->st_blksize = BLKSIZE;
	st->st_atim = obj->atime;
	st->st_mtim = obj->mtime;
	st->st_ctim = obj->ctime;
}

void shmfs_root_stat(const struct shmfs_fs *fs, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = FUSE_ROOT_ID;
	st->st_mode = S_IFDIR | fs->root_mode;
	st->st_nlink = 2;
	st->st_uid = fs->root_uid;
	st->st_gid = fs->root_gid;
	st->st_blksize = BLKSIZE;
	st->st_atim = st->st_mtim = st->st_ctim = fs->root_time;
}

void shmfs_probe_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = SHMFS_PROBE_INO;
	st->st_mode = S_IFREG;
	st->st_nlink = 1;
	st->st_size = SHMFS_PROTO_VERSION;
	st->st_blksize = BLKSIZE;
}

/* Fills st for any node id.  Caller holds the lock. */
void shmfs_node_stat(struct shmfs_fs *fs, fuse_ino_t ino, struct stat *st)
{
	if (ino == FUSE_ROOT_ID)
		shmfs_root_stat(fs, st);
	else if (ino == SHMFS_PROBE_NODEID)
		shmfs_probe_stat(st);
	else
		shmfs_obj_stat(shmfs_obj_of(ino), st);
}

void shmfs_entry_of(struct shmfs_obj *obj, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = (fuse_ino_t)(uintptr_t)obj;
	e->attr_timeout = e->entry_timeout = SHMFS_CACHE_TIMEOUT;
	shmfs_obj_stat(obj, &e->attr);
}

void shmfs_root_changed(struct shmfs_fs *fs)
{
	shmfs_now(&fs->root_time);
}
