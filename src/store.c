/*
 * store.c: objects, their page tables and the mount-wide accounts (see
 * store.h).
 *
 * The page table is a radix tree of 64-way nodes whose height grows with
 * the highest page written: interior nodes hold child pointers, leaves hold
 * 64 pool page numbers (256 bytes for 256 KiB of data).  Empty subtrees are
 * NULL, so a sparse 1 TiB object costs nothing until written.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "store.h"

#define PT_BITS 6
#define PT_FANOUT (1u << PT_BITS)
#define PT_MASK (PT_FANOUT - 1)
#define PT_MAX_HEIGHT 6 /* 64^6 pages: more than the pool can name */

struct pt_node {
	void *slot[PT_FANOUT];
};

struct pt_leaf {
	uint32_t page[PT_FANOUT];
};

static inline uint64_t pages_for(uint64_t bytes)
{
	return (bytes + SHMFS_PAGE_SIZE - 1) >> SHMFS_PAGE_SHIFT;
}

/* Pages covered by a subtree whose root is at `level` (leaves are level 1). */
static inline uint64_t pt_span(unsigned level)
{
	return UINT64_C(1) << (PT_BITS * level);
}

void shmfs_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

static void obj_touch_size(struct shmfs_obj *obj)
{
	shmfs_now(&obj->mtime);
	obj->ctime = obj->mtime;
}

/* ---- Page table ---- */

static uint32_t pt_lookup(const struct shmfs_obj *obj, uint64_t idx)
{
	const void *node = obj->pt_root;

	if (!obj->pt_height || idx >= pt_span(obj->pt_height))
		return 0;
	for (unsigned level = obj->pt_height; node; level--) {
		unsigned i = (unsigned)(idx >> (PT_BITS * (level - 1))) & PT_MASK;

		if (level == 1)
			return ((const struct pt_leaf *)node)->page[i];
		node = ((const struct pt_node *)node)->slot[i];
	}
	return 0;
}

/* The slot for page idx, creating the path to it; NULL if out of memory. */
static uint32_t *pt_slot(struct shmfs_obj *obj, uint64_t idx)
{
	void **slotp;

	while (!obj->pt_height || idx >= pt_span(obj->pt_height)) {
		if (obj->pt_root) {
			struct pt_node *up = calloc(1, sizeof(*up));

			if (!up)
				return NULL;
			up->slot[0] = obj->pt_root;
			obj->pt_root = up;
		}
		obj->pt_height++;
	}
	slotp = &obj->pt_root;
	for (unsigned level = obj->pt_height;; level--) {
		unsigned i = (unsigned)(idx >> (PT_BITS * (level - 1))) & PT_MASK;

		if (!*slotp) {
			*slotp = calloc(1, level == 1 ? sizeof(struct pt_leaf)
						      : sizeof(struct pt_node));
			if (!*slotp)
				return NULL;
		}
		if (level == 1)
			return &((struct pt_leaf *)*slotp)->page[i];
		slotp = &((struct pt_node *)*slotp)->slot[i];
	}
}

static bool pt_node_empty(const void *node, unsigned level)
{
	for (unsigned i = 0; i < PT_FANOUT; i++) {
		if (level == 1 ? ((const struct pt_leaf *)node)->page[i] != 0
			       : ((const struct pt_node *)node)->slot[i] != NULL)
			return false;
	}
	return true;
}

/* Frees the pages with index in [first, last] below *slotp, pruning empty nodes. */
static void pt_free_range(struct shmfs_store *st, struct shmfs_obj *obj, void **slotp,
			  unsigned level, uint64_t base, uint64_t first, uint64_t last)
{
	uint64_t child_span = pt_span(level - 1);

	if (!*slotp)
		return;
	for (unsigned i = 0; i < PT_FANOUT; i++) {
		uint64_t lo = base + i * child_span, hi = lo + child_span - 1;

		if (hi < first || lo > last)
			continue;
		if (level == 1) {
			uint32_t *page = &((struct pt_leaf *)*slotp)->page[i];

			if (*page) {
				shmfs_pool_free(&st->pool, *page);
				*page = 0;
				obj->npages--;
			}
		} else {
			pt_free_range(st, obj, &((struct pt_node *)*slotp)->slot[i], level - 1,
				      lo, first, last);
		}
	}
	if (pt_node_empty(*slotp, level)) {
		free(*slotp);
		*slotp = NULL;
	}
}

static void obj_free_pages(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t first,
			   uint64_t last)
{
	if (!obj->pt_height || first > last)
		return;
	pt_free_range(st, obj, &obj->pt_root, obj->pt_height, 0, first, last);
	if (!obj->pt_root)
		obj->pt_height = 0;
	shmfs_pool_flush(&st->pool);
}

/*
 * The first page index >= idx that holds data (want_data) or is a hole,
 * below *limit; returns false if there is none.
 */
static bool pt_find(const void *node, unsigned level, uint64_t base, uint64_t idx,
		    bool want_data, uint64_t *found)
{
	uint64_t child_span = pt_span(level - 1);

	if (!node) {
		if (want_data)
			return false;
		*found = idx > base ? idx : base;
		return true;
	}
	for (unsigned i = 0; i < PT_FANOUT; i++) {
		uint64_t lo = base + i * child_span;

		if (lo + child_span - 1 < idx)
			continue;
		if (level == 1) {
			bool has = ((const struct pt_leaf *)node)->page[i] != 0;

			if (has == want_data) {
				*found = lo;
				return true;
			}
		} else if (pt_find(((const struct pt_node *)node)->slot[i], level - 1, lo, idx,
				   want_data, found)) {
			return true;
		}
	}
	return false;
}

/* ---- Store and object lifetime ---- */

int shmfs_store_init(struct shmfs_store *st, uint64_t size_bytes, uint64_t nr_objects)
{
	memset(st, 0, sizeof(*st));
	st->limit_pages = pages_for(size_bytes);
	st->limit_objects = nr_objects;
	st->next_ino = 2; /* 1 is the root directory */
	if (st->limit_pages >= UINT32_MAX)
		return EINVAL;
	return shmfs_pool_init(&st->pool, (uint32_t)st->limit_pages);
}

void shmfs_store_destroy(struct shmfs_store *st)
{
	while (st->all)
		shmfs_obj_free(st, st->all);
	shmfs_pool_destroy(&st->pool);
}

struct shmfs_obj *shmfs_obj_new(struct shmfs_store *st, mode_t mode, uid_t uid, gid_t gid)
{
	struct shmfs_obj *obj;

	if (st->nr_objects >= st->limit_objects) {
		errno = ENOSPC;
		return NULL;
	}
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return NULL;
	obj->ino = st->next_ino++;
	obj->mode = mode & 0777;
	obj->uid = uid;
	obj->gid = gid;
	obj->seals = F_SEAL_SEAL;
	shmfs_now(&obj->mtime);
	obj->atime = obj->ctime = obj->mtime;
	obj->all_next = st->all;
	if (st->all)
		st->all->all_prev = obj;
	st->all = obj;
	st->nr_objects++;
	return obj;
}

void shmfs_obj_free(struct shmfs_store *st, struct shmfs_obj *obj)
{
	obj_free_pages(st, obj, 0, UINT64_MAX);
	st->promised_pages -= pages_for(obj->size);
	st->nr_objects--;
	if (obj->all_prev)
		obj->all_prev->all_next = obj->all_next;
	else
		st->all = obj->all_next;
	if (obj->all_next)
		obj->all_next->all_prev = obj->all_prev;
	free(obj);
}

bool shmfs_obj_release_if_unused(struct shmfs_store *st, struct shmfs_obj *obj)
{
	if (obj->nlink || obj->nlookup || obj->nopen)
		return false;
	shmfs_obj_free(st, obj);
	return true;
}

/* ---- Data ---- */

/* Zeroes bytes [from, to) of page idx if it is held. */
static void obj_zero_in_page(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t idx,
			     size_t from, size_t to)
{
	uint32_t page = pt_lookup(obj, idx);

	if (page && from < to)
		memset((char *)shmfs_pool_page(&st->pool, page) + from, 0, to - from);
}

int shmfs_obj_resize(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t size)
{
	uint64_t old_pages = pages_for(obj->size), new_pages = pages_for(size);

	if (size == obj->size)
		return 0;
	if (size > (uint64_t)INT64_MAX)
		return EFBIG;
	if (new_pages > old_pages &&
	    new_pages - old_pages > st->limit_pages - st->promised_pages)
		return ENOSPC;
	if (size < obj->size) {
		obj_free_pages(st, obj, new_pages, UINT64_MAX);
		/* The tail of the last page must read as zeros if the object regrows. */
		if (size % SHMFS_PAGE_SIZE)
			obj_zero_in_page(st, obj, size >> SHMFS_PAGE_SHIFT,
					 size % SHMFS_PAGE_SIZE, SHMFS_PAGE_SIZE);
	}
	st->promised_pages = st->promised_pages - old_pages + new_pages;
	obj->size = size;
	obj_touch_size(obj);
	return 0;
}

/* Makes the kernel back pool pages [first, first + count) in one call. */
static void pool_populate(struct shmfs_store *st, uint32_t first, uint32_t count)
{
#ifdef MADV_POPULATE_WRITE
	if (count > 1)
		madvise(shmfs_pool_page(&st->pool, first), (size_t)count << SHMFS_PAGE_SHIFT,
			MADV_POPULATE_WRITE);
#endif
}

/*
 * Gives every page of [off, off + len) a pool page.  New pages are
 * populated a run at a time before anything is copied: one call instead of
 * a page fault per page, which was most of the daemon's time in large
 * writes.  The size must cover the range (so the pages were promised);
 * returns 0 or an errno.
 */
static int obj_alloc_range(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t off,
			   size_t len)
{
	uint64_t last = (off + len - 1) >> SHMFS_PAGE_SHIFT;
	uint32_t run_first = 0, run_len = 0;

	for (uint64_t idx = off >> SHMFS_PAGE_SHIFT; idx <= last; idx++) {
		uint32_t *slot = pt_slot(obj, idx);

		if (!slot)
			return ENOMEM;
		if (*slot)
			continue;
		/* XXX cannot fail: the pool has room for every promised page. */
		*slot = shmfs_pool_alloc(&st->pool);
		if (!*slot)
			return ENOSPC;
		obj->npages++;
		if (run_len && *slot == run_first + run_len) {
			run_len++;
			continue;
		}
		pool_populate(st, run_first, run_len);
		run_first = *slot;
		run_len = 1;
	}
	pool_populate(st, run_first, run_len);
	return 0;
}

ssize_t shmfs_obj_write(struct shmfs_store *st, struct shmfs_obj *obj, const void *buf,
			size_t len, uint64_t off, bool grow)
{
	const char *src = buf;
	size_t done = 0;
	int err;

	if (len == 0)
		return 0;
	if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off)
		return -EFBIG;
	if (off + len > obj->size) {
		if (grow) {
			err = shmfs_obj_resize(st, obj, off + len);

			if (err)
				return -err;
		} else if (off >= obj->size) {
			return -EFBIG;
		} else {
			len = obj->size - off;
		}
	}
	err = obj_alloc_range(st, obj, off, len);
	if (err)
		return -err;
	while (done < len) {
		uint64_t pos = off + done;
		size_t in_page = pos % SHMFS_PAGE_SIZE;
		size_t chunk = SHMFS_PAGE_SIZE - in_page;
		uint32_t page = pt_lookup(obj, pos >> SHMFS_PAGE_SHIFT);

		if (chunk > len - done)
			chunk = len - done;
		memcpy((char *)shmfs_pool_page(&st->pool, page) + in_page, src + done, chunk);
		done += chunk;
	}
	return (ssize_t)done;
}

int shmfs_obj_read_iov(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t off,
		       size_t len, const void *zeros, size_t zeros_len, struct iovec *iov,
		       int max_iov, size_t *bytes)
{
	int n = 0;
	size_t done = 0;
	bool last_zero = false;

	if (off >= obj->size)
		len = 0;
	else if (len > obj->size - off)
		len = obj->size - off;
	while (done < len) {
		uint64_t pos = off + done;
		size_t in_page = pos % SHMFS_PAGE_SIZE;
		size_t chunk = SHMFS_PAGE_SIZE - in_page;
		uint32_t page = pt_lookup(obj, pos >> SHMFS_PAGE_SHIFT);
		char *p = page ? (char *)shmfs_pool_page(&st->pool, page) + in_page : NULL;

		if (chunk > len - done)
			chunk = len - done;
		if (n && !p && last_zero && iov[n - 1].iov_len + chunk <= zeros_len) {
			iov[n - 1].iov_len += chunk;
		} else if (n && p && !last_zero &&
			   (char *)iov[n - 1].iov_base + iov[n - 1].iov_len == p) {
			iov[n - 1].iov_len += chunk;
		} else {
			if (n == max_iov)
				break;
			iov[n].iov_base = p ? p : (void *)zeros;
			iov[n].iov_len = chunk;
			last_zero = !p;
			n++;
		}
		done += chunk;
	}
	*bytes = done;
	return n;
}

void shmfs_obj_punch(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t off,
		     uint64_t len)
{
	uint64_t end, first_whole, end_whole;

	if (off >= obj->size || len == 0)
		return;
	end = len > obj->size - off ? obj->size : off + len;
	first_whole = pages_for(off);
	/* Past the size a page reads as zeros anyway: a range to the end frees its last page. */
	end_whole = end == obj->size ? pages_for(end) : end >> SHMFS_PAGE_SHIFT;
	if (first_whole > end_whole) {
		/* Within one page. */
		obj_zero_in_page(st, obj, off >> SHMFS_PAGE_SHIFT, off % SHMFS_PAGE_SIZE,
				 end - (off & ~(uint64_t)(SHMFS_PAGE_SIZE - 1)));
		return;
	}
	if (off % SHMFS_PAGE_SIZE)
		obj_zero_in_page(st, obj, off >> SHMFS_PAGE_SHIFT, off % SHMFS_PAGE_SIZE,
				 SHMFS_PAGE_SIZE);
	if (end % SHMFS_PAGE_SIZE && end != obj->size)
		obj_zero_in_page(st, obj, end_whole, 0, end % SHMFS_PAGE_SIZE);
	if (end_whole > first_whole)
		obj_free_pages(st, obj, first_whole, end_whole - 1);
}

int64_t shmfs_obj_seek(const struct shmfs_obj *obj, uint64_t off, bool data)
{
	uint64_t idx, found;

	if (off >= obj->size)
		return -ENXIO;
	idx = off >> SHMFS_PAGE_SHIFT;
	if (!obj->pt_height || idx >= pt_span(obj->pt_height)) {
		found = idx;
		if (data)
			return -ENXIO;
	} else if (!pt_find(obj->pt_root, obj->pt_height, 0, idx, data, &found)) {
		if (data)
			return -ENXIO;
		found = pt_span(obj->pt_height); /* a hole begins past the tree */
	}
	if (found == idx)
		return (int64_t)off;
	found <<= SHMFS_PAGE_SHIFT;
	if (found >= obj->size)
		return data ? -ENXIO : (int64_t)obj->size;
	return (int64_t)found;
}
