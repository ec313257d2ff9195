/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sealer.c: F_ADD_SEALS and its sealer threads (see sealer.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "mappings.h"
#include "proto.h"
#include "sealer.h"
#include "seals.h"

/* An F_ADD_SEALS that needs the /proc walk: answered by a thread of its own. */
struct shmfs_sealer {
	struct shmfs_fs *fs;
	fuse_req_t req;
	struct shmfs_obj *obj; /* held by req's open file until the answer */
	uint32_t seals;
};

/* How long an F_SEAL_WRITE waits for the /proc walk before answering EBUSY. */
#define SEAL_WALK_TIMEOUT_MS 2000

/*
 * The second half of adding F_SEAL_WRITE (shmfs_add_seals): it needs every
 * writable shared mapping gone, and only /proc knows them.  Reading a
 * process's maps can wait for that process without end (it may be waiting
 * for this daemon, or for another FUSE daemon that never answers), so the
 * walk is bounded: if it has not ruled mappings out in time, EBUSY.  Runs
 * without the lock.
 */
static void finish_write_seal(struct shmfs_fs *fs, fuse_req_t req, struct shmfs_obj *obj,
			      uint32_t seals)
{
	/* Without the device, or without an answer, mappings cannot be ruled out: refuse. */
	int busy = fs->dev ? shmfs_find_writable_mapping_timed(
				     "/proc", fs->dev, obj->ino,
				     SEAL_WALK_TIMEOUT_MS) :
			     1;
	int err;

	pthread_mutex_lock(&fs->lock);
	err = shmfs_seals_finish_write(obj, seals, busy);
	pthread_mutex_unlock(&fs->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_ioctl(req, 0, NULL, 0);
}

/*
 * One thread per sealer, so that walks run side by side and nothing else
 * waits for one.  shmfs_fs_stop() waits for these (each ends within the
 * bound), never for the walker threads they abandon.
 */
static void *sealer_main(void *arg)
{
	struct shmfs_sealer *sl = arg;
	struct shmfs_fs *fs = sl->fs;

	finish_write_seal(fs, sl->req, sl->obj, sl->seals);
	free(sl);
	pthread_mutex_lock(&fs->lock);
	if (--fs->sealers == 0)
		pthread_cond_broadcast(&fs->sealers_cond);
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

/*
 * F_ADD_SEALS: answers req.  Adding F_SEAL_WRITE is finished by a sealer
 * thread (finish_write_seal); meanwhile the object is marked, so that the
 * shim refuses new writable mappings.
 */
void shmfs_add_seals(fuse_req_t req, struct shmfs_fs *fs, struct shmfs_obj *obj, uint32_t seals)
{
	struct shmfs_sealer *sl = NULL;
	pthread_attr_t attr;
	pthread_t thread;
	int err = 0;

	bool walk;

	pthread_mutex_lock(&fs->lock);
	err = shmfs_seals_add(obj, &seals, fs->passthrough, &walk);
	if (!err && walk) {
		sl = calloc(1, sizeof(*sl));
		if (!sl) {
			err = ENOMEM;
		} else {
			*sl = (struct shmfs_sealer){ fs, req, obj, seals };
			shmfs_seals_write_pending(obj);
			fs->sealers++;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	if (err) {
		fuse_reply_err(req, err);
	} else if (!sl) {
		fuse_reply_ioctl(req, 0, NULL, 0);
	} else {
		err = pthread_attr_init(&attr);
		if (!err) {
			pthread_attr_setdetachstate(&attr,
						    PTHREAD_CREATE_DETACHED);
			err = pthread_create(&thread, &attr, sealer_main, sl);
			pthread_attr_destroy(&attr);
		}
		if (err) /* no thread: walk here, the wait is bounded anyway */
			sealer_main(sl);
	}
}

void shmfs_sealers_wait(struct shmfs_fs *fs)
{
	pthread_mutex_lock(&fs->lock);
	while (fs->sealers)
		pthread_cond_wait(&fs->sealers_cond, &fs->lock);
	pthread_mutex_unlock(&fs->lock);
}
