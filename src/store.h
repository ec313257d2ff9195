/*
 * store.h: the object store.  An object is attributes plus a sparse page
 * table mapping page index -> pool page; pages appear on first write, holes
 * read as zeros and cost nothing, shrinking frees pages.  The store also
 * keeps the mount-wide accounts: promised bytes against size= and objects
 * against nr_objects=.
 *
 * An object is held by its names (nlink), by the kernel's lookup count and
 * by open handles; shmfs_obj_release_if_unused() frees it once all three are
 * gone.  Nothing here knows about FUSE or names; nothing here is
 * thread-safe: ops.c serialises every call with one lock.
 */
#ifndef SHMFS_STORE_H
#define SHMFS_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "pool.h"

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

	/* Data */
	uint64_t npages; /* pages held */
	void *pt_root;	 /* page table: radix tree of 64-way nodes */
	unsigned pt_height; /* 0: empty; h: covers 64^h pages */
};

struct shmfs_store {
	struct shmfs_pool pool;
	uint64_t limit_pages;	 /* size= in pages */
	uint64_t promised_pages; /* sum over objects of their size in pages */
	uint64_t limit_objects;
	uint64_t nr_objects;
	uint64_t next_ino;
	struct shmfs_obj *all; /* list of every object */
};

/* Returns 0 or an errno. */
int shmfs_store_init(struct shmfs_store *st, uint64_t size_bytes, uint64_t nr_objects);
/* Frees every object that is left, then the pool. */
void shmfs_store_destroy(struct shmfs_store *st);

/* A new empty object; NULL with errno ENOSPC (object limit) or ENOMEM. */
struct shmfs_obj *shmfs_obj_new(struct shmfs_store *st, mode_t mode, uid_t uid, gid_t gid);

/* Frees the object if it has no name left, no lookup and no open handle; returns true if freed. */
bool shmfs_obj_release_if_unused(struct shmfs_store *st, struct shmfs_obj *obj);

/* Frees an object unconditionally (unmount). */
void shmfs_obj_free(struct shmfs_store *st, struct shmfs_obj *obj);

/*
 * Sets the size.  Growth is promised against size= (ENOSPC, nothing
 * changed); shrinking frees whole pages beyond and zeroes the tail of the
 * last page.  A real change sets mtime and ctime.  Returns 0 or an errno.
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
 * Describes the bytes [off, off + len) clipped to the size as at most
 * max_iov iovecs pointing into the pool, or into `zeros` (a zero-filled
 * buffer of zeros_len >= SHMFS_PAGE_SIZE bytes) for holes: nothing is
 * allocated or copied.
 * Returns the number of iovecs and stores the byte count in *bytes.
 */
int shmfs_obj_read_iov(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t off,
		       size_t len, const void *zeros, size_t zeros_len, struct iovec *iov,
		       int max_iov, size_t *bytes);

/* Zeroes [off, off + len) within the size and frees the whole pages in it. */
void shmfs_obj_punch(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t off,
		     uint64_t len);

/*
 * SEEK_DATA / SEEK_HOLE: the first offset >= off that is in a written page
 * (data) or in a hole (the size counts as a hole).  -ENXIO if off is at or
 * past the end, or there is no data after off.
 */
int64_t shmfs_obj_seek(const struct shmfs_obj *obj, uint64_t off, bool data);

/* Pages the object holds, in 512-byte blocks (st_blocks). */
static inline uint64_t shmfs_obj_blocks(const struct shmfs_obj *obj)
{
	return obj->npages * (SHMFS_PAGE_SIZE / 512);
}

/* Sets ts to the current time. */
void shmfs_now(struct timespec *ts);

#endif
