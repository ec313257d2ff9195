/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.h: the object store.  An object is attributes plus its bytes in a
 * memfd of its own (shmem, the pages tmpfs uses), created the first time
 * the object has a size: holes read as zeros and cost nothing, shrinking
 * and hole punching free pages, SEEK_DATA and st_blocks come from the
 * kernel.  The store also keeps the mount-wide accounts: promised bytes
 * against size= and objects against nr_objects=.
 *
 * Nothing here knows about FUSE or names.
 *
 * Lifetime and locking
 * --------------------
 * An object is held by four counts, and by nothing else:
 *   nlink   - one per name in the namespace (ns.c raises and lowers it);
 *   nlookup - the kernel's lookup count: one per entry replied (LOOKUP,
 *             CREATE, LINK, READDIRPLUS), given back by FORGET;
 *   nopen   - one per open handle (handles.c), nwriters of them writable;
 *   nholds  - the daemon's own holds while work is pending on it (a notice
 *             queued for the notify thread); never the kernel's count.
 * It is freed when all four are zero: every release below frees it then,
 * and so does shmfs_obj_release_if_unused() after a name went.  A count
 * given back below zero aborts: the daemon's books are wrong, never go on.
 * The node id the kernel knows is the object's address, valid while
 * nlookup > 0.
 *
 * One mutex, the filesystem's (struct shmfs_fs.lock, made known here by
 * shmfs_store_set_lock()), protects the store, the namespace, every
 * object's fields (except the bytes in its memfd, which the kernel guards,
 * and memfd itself, read atomically) and the open-file table.  Functions
 * named _locked need the caller to hold it and check that it is held
 * (shmfs_store_assert_locked()); their plain twins take it themselves.
 * Everything else in this header that changes an object needs it too.
 */
#ifndef SHMFS_STORE_H
#define SHMFS_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* The unit of accounting: capacity is promised in whole pages. */
#define SHMFS_PAGE_SHIFT 12
#define SHMFS_PAGE_SIZE (1u << SHMFS_PAGE_SHIFT)

#include "quota.h"

/*
 * An object.  Each group of fields belongs to one module, named in its
 * heading: only that module changes them, the others read them or go
 * through its functions.  All of them are under the filesystem lock.
 */
struct shmfs_obj {
	/* Store (store.c): every object, so unmount can free the unnamed ones. */
	struct shmfs_obj *all_prev, *all_next;

	/* Namespace (ns.c): the namespace holds one reference per name. */
	uint32_t nlink;

	/*
	 * Store (store.c): attributes.  size and the times change through
	 * shmfs_obj_resize()/write(); ops.c sets mode, uid, gid and times at
	 * SETATTR, and ino's SHMFS_INO_SEALABLE bit at creation.
	 */
	uint64_t ino;
	uint64_t size;
	struct timespec atime, mtime, ctime;
	uid_t uid;
	gid_t gid;
	mode_t mode; /* permission bits only */

	/*
	 * Store (store.c): references, changed only through the holds below
	 * (the top of this file says what they mean); read through
	 * shmfs_obj_nopen() and shmfs_obj_nwriters().
	 */
	uint64_t nlookup; /* the kernel's lookup count */
	uint32_t nopen;	  /* open handles (handles.c takes and gives them) */
	uint32_t nwriters; /* open handles that may write */
	uint32_t nholds;   /* the daemon's internal holds (pending notices) */

	/* Seals (seals.c, through seals.h only; store.c sets the first). */
	uint32_t seals; /* F_SEAL_* bits; new objects get F_SEAL_SEAL */
	uint32_t write_seals_pending; /* F_SEAL_WRITE additions under way */

	/* Passthrough (passthrough.c): backing file while open, 0: none. */
	int backing_id;

	/* Store (store.c): a memfd whose size is always the object's, or -1
	 * while it has never had a size.  Read atomically, without the lock. */
	int memfd;
};

struct shmfs_store {
	uint64_t limit_pages;	 /* size= in pages */
	uint64_t promised_pages; /* sum over objects of their size in pages */
	uint64_t limit_objects;
	uint64_t nr_objects;
	uint64_t next_ino;
	struct shmfs_obj *all; /* list of every object */
	struct shmfs_quota *quota; /* per-user accounts (quota.h), or NULL */
	pthread_mutex_t *lock; /* the lock the _locked functions check, or NULL */
};

/* Returns 0 or an errno. */
int shmfs_store_init(struct shmfs_store *st, uint64_t size_bytes, uint64_t nr_objects);
/* Frees every object that is left. */
void shmfs_store_destroy(struct shmfs_store *st);

/*
 * Raises the process's descriptor limit as far as it may go and returns how
 * many objects' memfds it leaves room for, after `reserve` descriptors for
 * everything else.
 */
uint64_t shmfs_store_fd_budget(unsigned reserve);

/* A new empty object; NULL with errno ENOSPC (object limit) or ENOMEM. */
struct shmfs_obj *shmfs_obj_new(struct shmfs_store *st, mode_t mode, uid_t uid, gid_t gid);

/*
 * Names the lock that protects the store (see the top of this file).
 * Without one (unit tests) nothing is checked and the plain functions take
 * no lock.
 */
void shmfs_store_set_lock(struct shmfs_store *st, pthread_mutex_t *lock);
/* Aborts unless the store's lock is held (by some thread: a mutex says no more). */
void shmfs_store_assert_locked(const struct shmfs_store *st);

/* Open handles of obj, and how many of them may write. */
static inline uint32_t shmfs_obj_nopen(const struct shmfs_obj *obj)
{
	return obj->nopen;
}

static inline uint32_t shmfs_obj_nwriters(const struct shmfs_obj *obj)
{
	return obj->nwriters;
}

/* Frees the object if nothing holds it (all four counts zero); returns true if freed. */
bool shmfs_obj_release_if_unused(struct shmfs_store *st, struct shmfs_obj *obj);

/*
 * Holds and releases.  A release returns true if it freed the object; the
 * caller must not touch it then.
 */
/* The kernel got n more entries of obj / forgot n of them (FORGET). */
void shmfs_obj_hold_lookup_locked(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t n);
bool shmfs_obj_forget_locked(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t n);
bool shmfs_obj_forget(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t n);
/* An open handle, counted in nwriters too if writable. */
void shmfs_obj_hold_open_locked(struct shmfs_store *st, struct shmfs_obj *obj, bool writable);
bool shmfs_obj_release_open_locked(struct shmfs_store *st, struct shmfs_obj *obj,
				   bool writable);
/* An internal hold: work the daemon has queued on obj. */
void shmfs_obj_hold_internal_locked(struct shmfs_store *st, struct shmfs_obj *obj);
bool shmfs_obj_release_internal_locked(struct shmfs_store *st, struct shmfs_obj *obj);
bool shmfs_obj_release_internal(struct shmfs_store *st, struct shmfs_obj *obj);

/* Frees an object unconditionally (unmount). */
void shmfs_obj_free(struct shmfs_store *st, struct shmfs_obj *obj);

/*
 * Makes the object's memfd if it has none yet (a passthrough open needs one
 * even for an empty object).  0, ENOSPC (out of descriptors) or an errno.
 */
int shmfs_obj_memfd(struct shmfs_obj *obj);

/*
 * Adds F_SEAL_* bits to the memfd itself, so that the kernel enforces them
 * on the paths that bypass the daemon (passthrough).  0 or the errno of
 * F_ADD_SEALS: EBUSY for F_SEAL_WRITE while a writable shared mapping
 * exists.
 */
int shmfs_obj_add_kernel_seals(struct shmfs_obj *obj, uint32_t seals);

/*
 * Sets the size.  Growth is promised against size= (ENOSPC, nothing
 * changed); shrinking frees the pages beyond and zeroes the tail of the
 * last page.  A real change sets mtime and ctime.  The first size an object
 * gets makes its memfd: if the daemon is out of descriptors, ENOSPC.
 * Returns 0 or an errno; on error nothing changed.
 */
int shmfs_obj_resize(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t size);

/*
 * Writes len bytes at off.  With grow, the object grows to cover them
 * (ENOSPC if that cannot be promised); without, the write is cut at the
 * end and one starting at or past the end fails with EFBIG.  Returns the
 * bytes written or -errno.
 */
ssize_t shmfs_obj_write(struct shmfs_store *st, struct shmfs_obj *obj, const void *buf,
			size_t len, uint64_t off, bool grow);

/*
 * Reads up to len bytes at off, clipped to the size; holes read as zeros
 * without allocating.  Needs no lock against writers: the memfd is the
 * truth.  Returns the bytes read or -errno.
 */
ssize_t shmfs_obj_read(const struct shmfs_obj *obj, void *buf, size_t len, uint64_t off);

/* Zeroes [off, off + len) within the size and frees the whole pages in it. 0 or an errno. */
int shmfs_obj_punch(struct shmfs_obj *obj, uint64_t off, uint64_t len);

/*
 * SEEK_DATA / SEEK_HOLE: the first offset >= off that is in a page holding
 * data, or in a hole (the size counts as a hole).  -ENXIO if off is at or
 * past the end, or there is no data after off.
 */
int64_t shmfs_obj_seek(const struct shmfs_obj *obj, uint64_t off, bool data);

/* Memory the object holds, in 512-byte blocks (st_blocks). */
uint64_t shmfs_obj_blocks(const struct shmfs_obj *obj);

/* Sets ts to the current time. */
void shmfs_now(struct timespec *ts);

#endif
