/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ops.h: the FUSE ops adapter: the filesystem state shared by all request
 * handlers, and the libfuse low-level operations table.
 */
#ifndef SHMFS_OPS_H
#define SHMFS_OPS_H

#include <pthread.h>
#include <fuse_lowlevel.h>

#include "ns.h"
#include "options.h"
#include "store.h"

struct shmfs_handle;
struct shmfs_notice;

struct shmfs_fs {
	pthread_mutex_t lock; /* serialises every handler's use of ns and store */
	struct shmfs_store store;
	struct shmfs_ns ns;
	struct shmfs_quota quota; /* per-user accounts, store.quota points here */
	mode_t root_mode;
	uid_t root_uid;
	gid_t root_gid;
	struct timespec root_time; /* last namespace change: mtime and ctime */
	struct shmfs_handle *handles; /* every open file */
	/*
	 * Notifications to the kernel (dentries of anonymous objects to drop,
	 * pages of refused writes to drop), sent by a thread of their own,
	 * since a handler must not wait on the kernel.
	 */
	struct fuse_session *se;
	pthread_t notify_thread;
	pthread_cond_t notify_cond;
	struct shmfs_notice *notify_queue;
	bool notify_running, notify_stop;
	/* F_SEAL_WRITE requests being answered by their own threads (ops.c). */
	unsigned sealers;
	pthread_cond_t sealers_cond;
	dev_t dev; /* the mount's device, for finding mappings; 0: unknown */
	enum shmfs_passthrough passthrough_want; /* passthrough= */
	bool passthrough; /* opens hand memfds to the kernel (decided at INIT) */
	bool failed;	  /* INIT could not give what the options demand */
};

extern const struct fuse_lowlevel_ops shmfs_ll_ops;

/* Returns 0 or an errno. */
int shmfs_fs_init(struct shmfs_fs *fs, const struct shmfs_options *opts);
/* Starts and stops the background work that needs the session; 0 or an errno. */
int shmfs_fs_start(struct shmfs_fs *fs, struct fuse_session *se);
void shmfs_fs_stop(struct shmfs_fs *fs);
void shmfs_fs_destroy(struct shmfs_fs *fs);

#endif
