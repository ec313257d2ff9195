/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fs.h: the state of one mounted filesystem, shared by every part of the
 * daemon (see "Lifetime and locking" in store.h for what its lock guards),
 * its life cycle, and the helpers every request handler starts with.
 */
#ifndef SHMFS_FS_H
#define SHMFS_FS_H

#include <pthread.h>
#include <fuse_lowlevel.h>

#include "ns.h"
#include "options.h"
#include "perm.h"
#include "store.h"

/*
 * Node ids: 1 is the root directory, 2 the probe entry (proto.h), any other
 * is the address of a struct shmfs_obj, valid while the kernel holds a
 * lookup count on it.
 */
#define SHMFS_PROBE_NODEID 2

struct shmfs_handle;
struct shmfs_notice;

struct shmfs_fs {
	/* Everything below except se and the threads' own state; see store.h. */
	pthread_mutex_t lock;
	struct shmfs_store store;
	struct shmfs_ns ns;
	struct shmfs_quota quota; /* per-user accounts, store.quota points here */
	mode_t root_mode;
	uid_t root_uid;
	gid_t root_gid;
	struct timespec root_time; /* last namespace change: mtime and ctime */
	struct shmfs_handle *handles; /* every open file (handles.c) */
	/*
	 * Notifications to the kernel (dentries of anonymous objects to drop,
	 * pages of refused writes to drop), sent by a thread of their own,
	 * since a handler must not wait on the kernel (notify.c).
	 */
	struct fuse_session *se;
	pthread_t notify_thread;
	pthread_cond_t notify_cond;
	struct shmfs_notice *notify_queue;
	bool notify_running, notify_stop;
	/* F_SEAL_WRITE requests being answered by their own threads (sealer.c). */
	unsigned sealers;
	pthread_cond_t sealers_cond;
	dev_t dev; /* the mount's device, for finding mappings; 0: unknown */
	/* The data path (passthrough.c). */
	enum shmfs_passthrough passthrough_want; /* passthrough= */
	bool passthrough; /* opens hand memfds to the kernel (decided at INIT) */
	bool failed;	  /* INIT could not give what the options demand */
};

/* Returns 0 or an errno. */
int shmfs_fs_init(struct shmfs_fs *fs, const struct shmfs_options *opts);
/* Starts and stops the background work that needs the session; 0 or an errno. */
int shmfs_fs_start(struct shmfs_fs *fs, struct fuse_session *se);
void shmfs_fs_stop(struct shmfs_fs *fs);
void shmfs_fs_destroy(struct shmfs_fs *fs);

static inline struct shmfs_fs *shmfs_fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static inline struct shmfs_obj *shmfs_obj_of(fuse_ino_t ino)
{
	return (struct shmfs_obj *)(uintptr_t)ino;
}

static inline int shmfs_fetch_groups(void *ctx, int size, gid_t *list)
{
	return fuse_req_getgroups(ctx, size, list);
}

/* The credentials of the request's caller. */
static inline void shmfs_cred_of(fuse_req_t req, struct shmfs_cred *cred)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	shmfs_cred_init(cred, ctx->uid, ctx->gid, shmfs_fetch_groups, req);
}

#endif
