/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.c: the notify thread and its queue (see notify.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "notify.h"

/*
 * Work for the notify thread, which may wait on the kernel where a handler
 * must not: drop the dentry of name (fuse_lowlevel_notify_inval_entry), or
 * drop obj's cached pages in [off, off + len) (notify_inval_inode; obj held
 * by an internal hold until then).
 */
enum shmfs_notice_kind {
	NOTICE_FORGET_NAME,
	NOTICE_DROP_PAGES
};

struct shmfs_notice {
	struct shmfs_notice *next;
	enum shmfs_notice_kind kind;
	struct shmfs_obj *obj;
	off_t off, len;
	size_t name_len;
	char name[];
};


/* Queues n for the notify thread.  Called with the lock held. */
static void queue_notice_locked(struct shmfs_fs *fs, struct shmfs_notice *n)
{
	n->next = fs->notify_queue;
	fs->notify_queue = n;
	pthread_cond_signal(&fs->notify_cond);
}

/*
 * The kernel keeps the dentry CREATE made for an anonymous object, and with
 * it the object, until memory runs short.  Asking it to drop the dentry
 * lets the object go at its last close.  (The request waits for the
 * creating open to finish.)
 */
void shmfs_notify_forget_name(struct shmfs_fs *fs, const char *name)
{
	size_t len = strlen(name);
	struct shmfs_notice *n = calloc(1, sizeof(*n) + len + 1);

	if (!n)
		return; /* XXX then the object lives until the kernel prunes dentries */
	n->kind = NOTICE_FORGET_NAME;
	n->name_len = len;
	memcpy(n->name, name, len + 1);
	pthread_mutex_lock(&fs->lock);
	queue_notice_locked(fs, n);
	pthread_mutex_unlock(&fs->lock);
}

/*
 * A WRITE the daemon refuses has already been copied into the kernel's
 * page cache, where other processes' mappings see it until the pages are
 * read again.  Dropping the pages makes those mappings fault the true bytes
 * back in, so a refused write (to a sealed object, say) shows for moments
 * only.  (The drop waits for page locks held by requests in flight.)
 * Called with the lock held.
 */
void shmfs_notify_drop_pages_locked(struct shmfs_fs *fs, struct shmfs_obj *obj, off_t off, size_t len)
{
	struct shmfs_notice *n;

	if ((uint64_t)off >= obj->size || fs->passthrough)
		return; /* pages past the end are never mapped; passthrough has no page cache */
	n = calloc(1, sizeof(*n));
	if (!n)
		return; /* XXX then mappings show the refused bytes until re-read */
	n->kind = NOTICE_DROP_PAGES;
	n->obj = obj;
	n->off = off;
	n->len = (off_t)len;
	shmfs_obj_hold_internal_locked(&fs->store, obj); /* until the notice is sent */
	queue_notice_locked(fs, n);
}

static void *notify_main(void *arg)
{
	struct shmfs_fs *fs = arg;

	pthread_mutex_lock(&fs->lock);
	for (;;) {
		struct shmfs_notice *n = fs->notify_queue;
		bool stopping = fs->notify_stop;

		if (!n) {
			if (stopping)
				break;
			pthread_cond_wait(&fs->notify_cond, &fs->lock);
			continue;
		}
		fs->notify_queue = n->next;
		pthread_mutex_unlock(&fs->lock);
		/* ENOENT (already dropped) and ENOTCONN (unmounted) are fine. */
		switch (n->kind) {
		case NOTICE_FORGET_NAME:
			if (!stopping)
				fuse_lowlevel_notify_inval_entry(fs->se, FUSE_ROOT_ID, n->name,
								 n->name_len);
			break;
		case NOTICE_DROP_PAGES:
			if (!stopping)
				fuse_lowlevel_notify_inval_inode(fs->se, (fuse_ino_t)(uintptr_t)n->obj,
								 n->off, n->len);
			shmfs_obj_release_internal(&fs->store, n->obj);
			break;
		}
		free(n);
		pthread_mutex_lock(&fs->lock);
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

int shmfs_notify_start(struct shmfs_fs *fs)
{
	int err = pthread_create(&fs->notify_thread, NULL, notify_main, fs);

	fs->notify_running = err == 0;
	return err;
}

void shmfs_notify_stop(struct shmfs_fs *fs)
{
	if (!fs->notify_running)
		return;
	pthread_mutex_lock(&fs->lock);
	fs->notify_stop = true;
	pthread_cond_signal(&fs->notify_cond);
	pthread_mutex_unlock(&fs->lock);
	pthread_join(fs->notify_thread, NULL);
	fs->notify_running = false;
}
