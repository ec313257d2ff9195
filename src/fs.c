/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fs.c: the life cycle of one mounted filesystem (see fs.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attr.h"
#include "fs.h"
#include "handles.h"
#include "notify.h"
#include "passthrough.h"
#include "sealer.h"

/* Descriptors kept for everything but objects' memfds: /dev/fuse, logs, /proc. */
#define FD_RESERVE 256

int shmfs_fs_start(struct shmfs_fs *fs, struct fuse_session *se)
{
	fs->se = se;
	return shmfs_notify_start(fs);
}

void shmfs_fs_stop(struct shmfs_fs *fs)
{
	shmfs_sealers_wait(fs);
	shmfs_notify_stop(fs);
}

int shmfs_fs_init(struct shmfs_fs *fs, const struct shmfs_options *opts)
{
	uint64_t nr_objects, user_pages, user_objects;
	int err;

	memset(fs, 0, sizeof(*fs));
	fs->passthrough_want = opts->passthrough;
	if (opts->passthrough == SHMFS_PASSTHROUGH_ON && shmfs_passthrough_unavailable()) {
		fprintf(stderr, "shmfs: passthrough=on, but %s\n", shmfs_passthrough_unavailable());
		return ENOTSUP;
	}
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->notify_cond, NULL);
	pthread_cond_init(&fs->sealers_cond, NULL);
	fs->root_mode = opts->mode & 0777;
	fs->root_uid = opts->uid;
	fs->root_gid = opts->gid;
	shmfs_root_changed(fs);
	/* Every object with data holds a memfd: nr_objects= cannot promise more. */
	nr_objects = shmfs_store_fd_budget(FD_RESERVE);
	if (nr_objects < opts->nr_objects && opts->nr_objects_given)
		fuse_log(FUSE_LOG_WARNING,
			 "shmfs: nr_objects=%llu lowered to %llu, what the descriptor limit allows\n",
			 (unsigned long long)opts->nr_objects, (unsigned long long)nr_objects);
	if (nr_objects > opts->nr_objects)
		nr_objects = opts->nr_objects;
	err = shmfs_store_init(&fs->store, opts->size, nr_objects);
	/* Per-user limits: 0 (not given) means none. */
	user_pages = (opts->user_size + SHMFS_PAGE_SIZE - 1) / SHMFS_PAGE_SIZE;
	user_objects = opts->user_nr_objects;
	if (!err)
		err = shmfs_quota_init(&fs->quota,
				       user_pages ? user_pages : UINT64_MAX,
				       user_objects ? user_objects : UINT64_MAX);
	if (!err) {
		fs->store.quota = &fs->quota;
		shmfs_store_set_lock(&fs->store, &fs->lock);
	}
	if (!err)
		err = shmfs_ns_init(&fs->ns);
	if (err)
		shmfs_fs_destroy(fs);
	return err;
}

void shmfs_fs_destroy(struct shmfs_fs *fs)
{
	shmfs_fs_stop(fs);
	shmfs_handles_destroy(&fs->handles);
	shmfs_ns_destroy(&fs->ns);
	shmfs_store_destroy(&fs->store);
	/* After the store, which uncharges its objects. */
	shmfs_quota_destroy(&fs->quota);
	pthread_cond_destroy(&fs->notify_cond);
	pthread_cond_destroy(&fs->sealers_cond);
	pthread_mutex_destroy(&fs->lock);
}

