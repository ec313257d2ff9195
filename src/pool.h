/*
 * pool.h: the page pool.  All object data lives in one reserved, lazily
 * backed region of virtual memory sized to the mount's capacity, split into
 * 4 KiB pages named by 32-bit numbers (0 means "no page").  A page costs
 * memory only once written; a freed page is handed back to the kernel at
 * once, so the daemon's resident size follows what objects hold.
 *
 * Not thread-safe: the caller serialises (ops.c holds the filesystem lock).
 */
#ifndef SHMFS_POOL_H
#define SHMFS_POOL_H

#include <stddef.h>
#include <stdint.h>

#define SHMFS_PAGE_SHIFT 12
#define SHMFS_PAGE_SIZE (1u << SHMFS_PAGE_SHIFT)

struct shmfs_pool {
	char *base;	   /* page n is at base + n * SHMFS_PAGE_SIZE */
	uint64_t *used;	   /* bitmap of pages in use, bit 0 always set */
	uint32_t npages;   /* pages in the region, page 0 included */
	uint32_t hint;	   /* no free page below this one */
	uint32_t run_start; /* pages freed but not yet returned to the kernel: */
	uint32_t run_len;   /* a run [run_start, run_start + run_len) */
};

/* Reserves room for `pages` pages.  Returns 0 or an errno. */
int shmfs_pool_init(struct shmfs_pool *pool, uint32_t pages);
void shmfs_pool_destroy(struct shmfs_pool *pool);

/* Takes a zero-filled page; returns its number, or 0 if the pool is full. */
uint32_t shmfs_pool_alloc(struct shmfs_pool *pool);

/*
 * Gives a page back.  Consecutive pages are returned to the kernel in one
 * call; shmfs_pool_flush() returns what is still pending and must be called
 * before the pool hands out pages again (shmfs_pool_alloc does so).
 */
void shmfs_pool_free(struct shmfs_pool *pool, uint32_t page);
void shmfs_pool_flush(struct shmfs_pool *pool);

static inline void *shmfs_pool_page(const struct shmfs_pool *pool, uint32_t page)
{
	return pool->base + ((size_t)page << SHMFS_PAGE_SHIFT);
}

#endif
