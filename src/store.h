/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.h: the object store.  An object is attributes plus its bytes in a
 * memfd of its own (shmem, the pages tmpfs uses), created the first time
 * the object has a size: holes read as zeros and cost nothing, shrinking
 * and hole punching free pages, SEEK_DATA and st_blocks come from the
 * kernel.  The store also keeps the mount-wide accounts: promised bytes
 * against size= and objects against nr_objects=.
 *
 * An object is held by its names (nlink), by the kernel's lookup count and
 * by open handles; shmfs_obj_release_if_unused() frees it once all three are
 * gone.  Nothing here knows about FUSE or names; nothing here locks: ops.c
 * serialises every call that changes an object with one lock.
 */
#ifndef SHMFS_STORE_H
#define SHMFS_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* The unit of accounting: capacity is promised in whole pages. */
#define SHMFS_PAGE_SHIFT 12
#define SHMFS_PAGE_SIZE (1u << SHMFS_PAGE_SHIFT)

#include "quota.h"

struct shmfs_obj {
	/* Every object of the store, so unmount can free the unnamed ones. */
	struct shmfs_obj *all_prev, *all_next;

	/* Namespace (ns.c) */
	uint32_t nlink; /* names: the namespace holds one reference per name */

	/* Attributes */
	uint64_t ino;
	uint64_t size;
	struct timespec atime, mtime, ctime;
	uid_t uid;
	gid_t gid;
	mode_t mode; /* permission bits only */
	uint32_t seals; /* F_SEAL_* bits; new objects get F_SEAL_SEAL */
	uint32_t write_seals_pending; /* F_SEAL_WRITE additions under way (ops.c) */

	/* References */
	uint64_t nlookup; /* the kernel's lookup count */
	uint32_t nopen;	  /* open handles */
	uint32_t nwriters; /* open handles that may write (ops.c) */
	int backing_id;	  /* passthrough backing file while open (ops.c), 0: none */

	/* Data: a memfd whose size is always the object's, or -1 while it has
	 * never had a size. */
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

/* Frees the object if it has no name left, no lookup and no open handle; returns true if freed. */
bool shmfs_obj_release_if_unused(struct shmfs_store *st, struct shmfs_obj *obj);

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
