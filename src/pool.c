/*
 * pool.c: the page pool (see pool.h).  Allocation takes the lowest free
 * page, so an object written in order gets consecutive pages and reads can
 * be answered with few iovecs.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "pool.h"

static void *pool_reserve(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int shmfs_pool_init(struct shmfs_pool *pool, uint32_t pages)
{
	size_t words;

	memset(pool, 0, sizeof(*pool));
	if (pages == UINT32_MAX)
		return EINVAL;
	pool->npages = pages + 1; /* page 0 is never handed out */
	words = (pool->npages + 63) / 64;
	pool->base = pool_reserve((size_t)pool->npages << SHMFS_PAGE_SHIFT);
	pool->used = pool_reserve(words * sizeof(uint64_t));
	if (!pool->base || !pool->used) {
		shmfs_pool_destroy(pool);
		return ENOMEM;
	}
	pool->used[0] = 1;
	pool->hint = 1;
	return 0;
}

void shmfs_pool_destroy(struct shmfs_pool *pool)
{
	if (pool->base)
		munmap(pool->base, (size_t)pool->npages << SHMFS_PAGE_SHIFT);
	if (pool->used)
		munmap(pool->used, (pool->npages + 63) / 64 * sizeof(uint64_t));
	memset(pool, 0, sizeof(*pool));
}

uint32_t shmfs_pool_alloc(struct shmfs_pool *pool)
{
	size_t words = (pool->npages + 63) / 64;

	shmfs_pool_flush(pool);
	for (size_t w = pool->hint / 64; w < words; w++) {
		uint64_t free_bits = ~pool->used[w];
		uint32_t page;

		if (!free_bits)
			continue;
		page = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(free_bits));
		if (page >= pool->npages)
			break;
		pool->used[w] |= UINT64_C(1) << (page % 64);
		pool->hint = page + 1;
		return page;
	}
	pool->hint = pool->npages;
	return 0;
}

void shmfs_pool_flush(struct shmfs_pool *pool)
{
	if (!pool->run_len)
		return;
	/* Zero-fills the pages for their next owner and frees the memory. */
	madvise(shmfs_pool_page(pool, pool->run_start),
		(size_t)pool->run_len << SHMFS_PAGE_SHIFT, MADV_DONTNEED);
	for (uint32_t p = pool->run_start; p < pool->run_start + pool->run_len; p++)
		pool->used[p / 64] &= ~(UINT64_C(1) << (p % 64));
	if (pool->run_start < pool->hint)
		pool->hint = pool->run_start;
	pool->run_len = 0;
}

void shmfs_pool_free(struct shmfs_pool *pool, uint32_t page)
{
	if (pool->run_len && page == pool->run_start + pool->run_len) {
		pool->run_len++;
		return;
	}
	shmfs_pool_flush(pool);
	pool->run_start = page;
	pool->run_len = 1;
}
