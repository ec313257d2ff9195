/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_store.c: unit tests of the object store (src/store.c) and the
 * permission model (src/perm.c), called directly with no mount.  Object
 * data is always checked through shmfs_obj_read(), the path the FUSE
 * adapter uses, against a byte-for-byte model.  The namespace
 * has its own program, check_ns.c.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "options.h"
#include "perm.h"
#include "store.h"

#define PAGE ((uint64_t)SHMFS_PAGE_SIZE)
#define MIB (UINT64_C(1) << 20)
#define GIB (MIB << 10)
#define TIB (GIB << 10)

/* Most tests use one store, made by a checked fixture. */
static struct shmfs_store st;

/* A sentinel far in the past, to see which timestamps an operation sets. */
static const struct timespec OLD = { 1, 500 };

static void store_setup(void)
{
	ck_assert_int_eq(shmfs_store_init(&st, 64 * MIB, 64), 0);
}

static void store_teardown(void)
{
	shmfs_store_destroy(&st);
}

static uint64_t pages_for(uint64_t bytes)
{
	return (bytes + PAGE - 1) / PAGE;
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

static void set_old_times(struct shmfs_obj *obj)
{
	obj->atime = obj->mtime = obj->ctime = OLD;
}

static void assert_times_old(const struct shmfs_obj *obj)
{
	ck_assert_int_eq(ts_cmp(&obj->atime, &OLD), 0);
	ck_assert_int_eq(ts_cmp(&obj->mtime, &OLD), 0);
	ck_assert_int_eq(ts_cmp(&obj->ctime, &OLD), 0);
}

/* A size change: mtime and ctime set to one new instant, atime left alone. */
static void assert_times_size_changed(const struct shmfs_obj *obj)
{
	ck_assert_int_eq(ts_cmp(&obj->atime, &OLD), 0);
	ck_assert_int_gt(ts_cmp(&obj->mtime, &OLD), 0);
	ck_assert_int_eq(ts_cmp(&obj->mtime, &obj->ctime), 0);
}

/* Bytes that differ from page to page and from offset to offset. */
static void fill(unsigned char *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 12345u;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16) |
			 1; /* never 0: a hole shows */
	}
}

/* Pages the object's memfd holds. */
static uint64_t held(const struct shmfs_obj *obj)
{
	return shmfs_obj_blocks(obj) / (PAGE / 512);
}

/*
 * Reads [off, off + len) into buf (may be NULL: then into scratch) through
 * shmfs_obj_read(), the path the FUSE adapter uses.  Returns the byte count.
 */
static size_t gather(struct shmfs_obj *obj, uint64_t off, size_t len, void *buf,
		     int *unused)
{
	void *to = buf ? buf : malloc(len ? len : 1);
	ssize_t n;

	(void)unused;
	ck_assert_ptr_nonnull(to);
	n = shmfs_obj_read(obj, to, len, off);
	ck_assert_int_ge(n, 0);
	if (!buf)
		free(to);
	return (size_t)n;
}

/* The whole object must equal model (its size bytes). */
static void assert_contents(struct shmfs_obj *obj, const unsigned char *model,
			    uint64_t size)
{
	unsigned char *buf = malloc(size + 1);

	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(obj->size, size);
	/* Asking for more than the size also checks the clipping. */
	ck_assert_uint_eq(gather(obj, 0, size + PAGE, buf, NULL), size);
	for (uint64_t i = 0; i < size; i++)
		if (buf[i] != model[i])
			ck_abort_msg("byte %llu is %#x, expected %#x",
				     (unsigned long long)i, buf[i], model[i]);
	free(buf);
}

static bool all_zero(const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

/* ---- Object lifetime ---- */

START_TEST(test_obj_new_attributes)
{
	struct shmfs_store s;
	struct shmfs_obj *o[3], *x;
	struct timespec t0, t1;

	ck_assert_int_eq(shmfs_store_init(&s, MIB, 3), 0);
	ck_assert_uint_eq(s.nr_objects, 0);
	clock_gettime(CLOCK_REALTIME, &t0);
	for (int i = 0; i < 3; i++) {
		o[i] = shmfs_obj_new(&s, 0107654 + (mode_t)i, 1000 + (uid_t)i,
				     100 + (gid_t)i);
		ck_assert_ptr_nonnull(o[i]);
		ck_assert_uint_eq(s.nr_objects, (uint64_t)i + 1);
	}
	clock_gettime(CLOCK_REALTIME, &t1);
	for (int i = 0; i < 3; i++) {
		/* 1 is the root directory's inode. */
		ck_assert_uint_ge(o[i]->ino, 2);
		if (i)
			ck_assert_uint_gt(o[i]->ino, o[i - 1]->ino);
		ck_assert_uint_eq(o[i]->mode, (07654 + (mode_t)i) & 0777);
		ck_assert_uint_eq(o[i]->uid, 1000 + (uid_t)i);
		ck_assert_uint_eq(o[i]->gid, 100 + (gid_t)i);
		ck_assert_uint_eq(o[i]->size, 0);
		ck_assert_uint_eq(held(o[i]), 0);
		ck_assert_uint_eq(o[i]->nlookup, 0);
		ck_assert_uint_eq(o[i]->nopen, 0);
		ck_assert_uint_eq(o[i]->nlink, 0);
		ck_assert_int_le(ts_cmp(&t0, &o[i]->mtime), 0);
		ck_assert_int_le(ts_cmp(&o[i]->mtime, &t1), 0);
		ck_assert_int_eq(ts_cmp(&o[i]->atime, &o[i]->mtime), 0);
		ck_assert_int_eq(ts_cmp(&o[i]->ctime, &o[i]->mtime), 0);
	}
	ck_assert_uint_eq(shmfs_obj_blocks(o[0]), 0);

	errno = 0;
	ck_assert_ptr_null(shmfs_obj_new(&s, 0600, 0, 0));
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(s.nr_objects, 3);

	/* Freeing one makes room; inode numbers are not reused. */
	ck_assert(shmfs_obj_release_if_unused(&s, o[2]));
	ck_assert_uint_eq(s.nr_objects, 2);
	x = shmfs_obj_new(&s, 0600, 0, 0);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_gt(x->ino, o[1]->ino + 1);
	ck_assert_uint_eq(s.nr_objects, 3);
	shmfs_store_destroy(&s);
}
END_TEST

/* Each of the four counts alone keeps the object; the release of the last frees it. */
START_TEST(test_holds_free_at_zero)
{
	struct shmfs_store s;
	struct shmfs_obj *a;

	ck_assert_int_eq(shmfs_store_init(&s, 4 * PAGE, 8), 0);
	a = shmfs_obj_new(&s, 0600, 0, 0);
	shmfs_obj_hold_lookup_locked(&s, a, 3);
	shmfs_obj_hold_open_locked(&s, a, true);
	shmfs_obj_hold_open_locked(&s, a, false);
	shmfs_obj_hold_internal_locked(&s, a);
	ck_assert_uint_eq(a->nlookup, 3);
	ck_assert_uint_eq(a->nopen, 2);
	ck_assert_uint_eq(a->nwriters, 1);
	ck_assert_uint_eq(a->nholds, 1);
	ck_assert(!shmfs_obj_forget_locked(&s, a, 2));
	ck_assert(!shmfs_obj_forget(&s, a, 1));
	ck_assert_uint_eq(a->nlookup, 0);
	ck_assert(!shmfs_obj_release_open_locked(&s, a, true));
	ck_assert_uint_eq(a->nwriters, 0);
	ck_assert(!shmfs_obj_release_open_locked(&s, a, false));
	ck_assert_uint_eq(s.nr_objects, 1);
	/* The internal hold alone kept it: its release frees it. */
	ck_assert(shmfs_obj_release_internal(&s, a));
	ck_assert_uint_eq(s.nr_objects, 0);

	/* A name keeps it past every other release. */
	a = shmfs_obj_new(&s, 0600, 0, 0);
	a->nlink = 1;
	shmfs_obj_hold_internal_locked(&s, a);
	ck_assert(!shmfs_obj_release_internal_locked(&s, a));
	a->nlink = 0;
	ck_assert(shmfs_obj_release_if_unused(&s, a));
	shmfs_store_destroy(&s);
}
END_TEST

/* With the store's lock named, _locked functions work while it is held... */
START_TEST(test_holds_with_lock)
{
	struct shmfs_store s;
	struct shmfs_obj *a;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	ck_assert_int_eq(shmfs_store_init(&s, 4 * PAGE, 8), 0);
	shmfs_store_set_lock(&s, &lock);
	pthread_mutex_lock(&lock);
	a = shmfs_obj_new(&s, 0600, 0, 0);
	shmfs_obj_hold_lookup_locked(&s, a, 1);
	shmfs_obj_hold_internal_locked(&s, a);
	ck_assert(!shmfs_obj_forget_locked(&s, a, 1));
	pthread_mutex_unlock(&lock);
	/* ...and the plain twins take it themselves. */
	ck_assert(shmfs_obj_release_internal(&s, a));
	ck_assert_int_eq(pthread_mutex_trylock(&lock), 0); /* and gave it back */
	pthread_mutex_unlock(&lock);
	shmfs_store_destroy(&s);
}
END_TEST

/* ...and abort while it is not. */
START_TEST(test_hold_without_lock_aborts)
{
	struct shmfs_store s;
	struct shmfs_obj *a;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	ck_assert_int_eq(shmfs_store_init(&s, 4 * PAGE, 8), 0);
	a = shmfs_obj_new(&s, 0600, 0, 0);
	shmfs_store_set_lock(&s, &lock);
	shmfs_obj_hold_lookup_locked(&s, a, 1);
}
END_TEST

/* Every count given back below zero aborts, whichever count it is. */
START_TEST(test_release_below_zero_aborts)
{
	struct shmfs_store s;
	struct shmfs_obj *a;

	ck_assert_int_eq(shmfs_store_init(&s, 4 * PAGE, 8), 0);
	a = shmfs_obj_new(&s, 0600, 0, 0);
	a->nlink = 1; /* so that no release frees it on the way */
	switch (_i) {
	case 0: /* more forgotten than looked up */
		shmfs_obj_hold_lookup_locked(&s, a, 1);
		shmfs_obj_forget_locked(&s, a, 2);
		break;
	case 1: /* a handle never opened */
		shmfs_obj_release_open_locked(&s, a, false);
		break;
	case 2: /* a writer where only a reader is open */
		shmfs_obj_hold_open_locked(&s, a, false);
		shmfs_obj_release_open_locked(&s, a, true);
		break;
	case 3: /* a reader where only a writer is open */
		shmfs_obj_hold_open_locked(&s, a, true);
		shmfs_obj_release_open_locked(&s, a, false);
		break;
	case 4: /* an internal hold never taken */
		shmfs_obj_release_internal_locked(&s, a);
		break;
	}
}
END_TEST

START_TEST(test_release_if_unused)
{
	struct shmfs_store s;
	struct shmfs_obj *a, *b;
	unsigned char data[4 * SHMFS_PAGE_SIZE];

	/* Exactly 4 pages: the accounts have no spare page to hide a leak. */
	ck_assert_int_eq(shmfs_store_init(&s, 4 * PAGE, 8), 0);
	a = shmfs_obj_new(&s, 0600, 0, 0);
	fill(data, sizeof(data), 1);
	ck_assert_int_eq(shmfs_obj_write(&s, a, data, sizeof(data), 0, true),
			 (ssize_t)sizeof(data));
	ck_assert_uint_eq(s.promised_pages, 4);
	ck_assert_uint_eq(s.nr_objects, 1);

	/* Any number of names holds it, as long as one is left. */
	a->nlink = 2;
	ck_assert(!shmfs_obj_release_if_unused(&s, a));
	a->nlink = 1;
	ck_assert(!shmfs_obj_release_if_unused(&s, a));
	a->nlink = 0;
	a->nlookup = 1;
	ck_assert(!shmfs_obj_release_if_unused(&s, a));
	a->nlookup = 0;
	a->nopen = 1;
	ck_assert(!shmfs_obj_release_if_unused(&s, a));
	a->nopen = 0;
	ck_assert_uint_eq(s.nr_objects, 1);
	ck_assert_uint_eq(s.promised_pages, 4);
	ck_assert_ptr_eq(s.all, a);

	ck_assert(shmfs_obj_release_if_unused(&s, a));
	ck_assert_uint_eq(s.nr_objects, 0);
	ck_assert_uint_eq(s.promised_pages, 0);
	ck_assert_ptr_null(s.all);

	/* All four pages were given back: a new object can fill them. */
	b = shmfs_obj_new(&s, 0600, 0, 0);
	ck_assert_int_eq(shmfs_obj_write(&s, b, data, sizeof(data), 0, true),
			 (ssize_t)sizeof(data));
	ck_assert_uint_eq(held(b), 4);
	shmfs_store_destroy(&s);
}
END_TEST

START_TEST(test_store_destroy_frees_leftovers)
{
	struct shmfs_store s;
	struct shmfs_obj *o;
	unsigned char data[3 * SHMFS_PAGE_SIZE];

	ck_assert_int_eq(shmfs_store_init(&s, 64 * MIB, 16), 0);
	fill(data, sizeof(data), 3);
	for (int i = 0; i < 10; i++) {
		o = shmfs_obj_new(&s, 0600, 0, 0);
		ck_assert_ptr_nonnull(o);
		/* Every kind of holder (the names themselves are ns.c's). */
		o->nlink = i % 4 == 0 ? (uint32_t)(1 + i % 3) : 0;
		o->nlookup = (uint64_t)(i % 4 == 1);
		o->nopen = i % 4 == 2;
		ck_assert_int_eq(shmfs_obj_write(&s, o, data, sizeof(data),
						 (uint64_t)i * 100 * PAGE,
						 true),
				 (ssize_t)sizeof(data));
	}
	ck_assert_uint_eq(s.nr_objects, 10);
	shmfs_store_destroy(&s);
	/* valgrind --leak-check=full sees whether the memory went too. */
	ck_assert_ptr_null(s.all);
	ck_assert_uint_eq(s.nr_objects, 0);
	ck_assert_uint_eq(s.promised_pages, 0);
}
END_TEST

START_TEST(test_store_init_limits)
{
	struct shmfs_store s;

	/* size= is rounded up to whole pages. */
	ck_assert_int_eq(shmfs_store_init(&s, 5000, 1), 0);
	ck_assert_uint_eq(s.limit_pages, 2);
	ck_assert_uint_eq(s.limit_objects, 1);
	shmfs_store_destroy(&s);
	ck_assert_int_eq(shmfs_store_init(&s, 0, 0), 0);
	errno = 0;
	ck_assert_ptr_null(shmfs_obj_new(&s, 0600, 0, 0));
	ck_assert_int_eq(errno, ENOSPC);
	shmfs_store_destroy(&s);
}
END_TEST

/*
 * The option parser accepts size= up to SHMFS_SIZE_MAX, so the store must
 * take it too, or the largest valid size= starts a daemon that cannot set
 * up its store.
 */
START_TEST(test_store_init_largest_size_option)
{
	struct shmfs_store s;
	struct shmfs_obj *o;

	ck_assert_int_eq(shmfs_store_init(&s, SHMFS_SIZE_MAX, 4), 0);
	o = shmfs_obj_new(&s, 0600, 0, 0);
	ck_assert_int_eq(shmfs_obj_resize(&s, o, SHMFS_SIZE_MAX), 0);
	ck_assert_int_eq(
		shmfs_obj_write(&s, o, "z", 1, SHMFS_SIZE_MAX - 1, false), 1);
	ck_assert_uint_eq(held(o), 1);
	ck_assert_int_eq(shmfs_obj_seek(o, 0, true),
			 (int64_t)(SHMFS_SIZE_MAX - PAGE));
	ck_assert_int_eq(shmfs_obj_resize(&s, o, SHMFS_SIZE_MAX + 1), ENOSPC);
	shmfs_store_destroy(&s);
}
END_TEST

/* ---- Data: writes and reads ---- */

START_TEST(test_roundtrip_unaligned)
{
	enum {
		OFF = 3000,
		LEN = 10000,
		SIZE = OFF + LEN
	};
	static unsigned char model[SIZE], buf[SIZE + PAGE];
	/* Offsets and lengths on, around and across the page boundaries. */
	static const uint64_t offs[] = {
		0,    1,    2999, 3000,	 4095,	4096,
		4097, 8191, 8192, 12287, 12288, 12999,
	};
	static const size_t lens[] = {
		1, 2, 100, 4095, 4096, 4097, 8192, 9000, 20000,
	};
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);

	fill(model + OFF, LEN, 11);
	ck_assert_int_eq(shmfs_obj_write(&st, o, model + OFF, LEN, OFF, true),
			 LEN);
	ck_assert_uint_eq(o->size, SIZE);
	ck_assert_uint_eq(held(o), 4); /* [3000, 13000) touches pages 0-3 */
	ck_assert_uint_eq(shmfs_obj_blocks(o), 4 * 8);
	assert_contents(o, model, SIZE);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			size_t want = offs[i] + lens[j] > SIZE ?
					      SIZE - offs[i] :
					      lens[j];

			ck_assert_uint_eq(
				gather(o, offs[i], lens[j], buf, NULL), want);
			ck_assert_mem_eq(buf, model + offs[i], want);
		}
	}
	/* Overwrite across a page boundary, in the middle. */
	fill(model + 4000, 200, 12);
	ck_assert_int_eq(
		shmfs_obj_write(&st, o, model + 4000, 200, 4000, false), 200);
	ck_assert_uint_eq(o->size, SIZE);
	ck_assert_uint_eq(held(o), 4);
	assert_contents(o, model, SIZE);
}
END_TEST

START_TEST(test_large_write)
{
	const size_t len = 8 * MIB + 123;
	const uint64_t off = 777;
	unsigned char *model = calloc(1, off + len), *buf = malloc(off + len);
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);

	ck_assert_ptr_nonnull(model);
	ck_assert_ptr_nonnull(buf);
	fill(model + off, len, 13);
	ck_assert_int_eq(shmfs_obj_write(&st, o, model + off, len, off, true),
			 (ssize_t)len);
	ck_assert_uint_eq(o->size, off + len);
	ck_assert_uint_eq(held(o), pages_for(off + len));
	ck_assert_uint_eq(st.promised_pages, pages_for(off + len));
	ck_assert_uint_eq(gather(o, 0, off + len, buf, NULL), off + len);
	ck_assert(memcmp(buf, model, off + len) == 0);
	/* A read from the middle, crossing many pages. */
	ck_assert_uint_eq(gather(o, 3 * MIB + 5, 2 * MIB, buf, NULL), 2 * MIB);
	ck_assert(memcmp(buf, model + 3 * MIB + 5, 2 * MIB) == 0);
	free(model);
	free(buf);
}
END_TEST

START_TEST(test_holes_read_zeros)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);
	static unsigned char buf[64 * SHMFS_PAGE_SIZE];

	ck_assert_int_eq(shmfs_obj_resize(&st, o, 40 * PAGE + 10), 0);
	ck_assert_uint_eq(held(o), 0);
	memset(buf, 0xff, sizeof(buf));
	ck_assert_uint_eq(gather(o, 0, sizeof(buf), buf, NULL), 40 * PAGE + 10);
	ck_assert(all_zero(buf, 40 * PAGE + 10));
	memset(buf, 0xff, sizeof(buf));
	ck_assert_uint_eq(gather(o, 100, 32 * PAGE, buf, NULL), 32 * PAGE);
	ck_assert(all_zero(buf, 32 * PAGE));
	/* Reading allocated nothing. */
	ck_assert_uint_eq(held(o), 0);
	ck_assert_uint_eq(st.promised_pages, 41);
}
END_TEST

START_TEST(test_read_clipped_at_size)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);
	static unsigned char model[10000], buf[20000];

	fill(model, sizeof(model), 5);
	ck_assert_int_eq(shmfs_obj_write(&st, o, model, sizeof(model), 0, true),
			 10000);
	ck_assert_uint_eq(gather(o, 9000, 5000, buf, NULL), 1000);
	ck_assert_mem_eq(buf, model + 9000, 1000);
	ck_assert_uint_eq(gather(o, 9999, 1, buf, NULL), 1);
	ck_assert_uint_eq(buf[0], model[9999]);
	ck_assert_int_eq(shmfs_obj_read(o, buf, 10, 10000), 0);
	ck_assert_int_eq(shmfs_obj_read(o, buf, 10, 20000), 0);
	ck_assert_int_eq(shmfs_obj_read(o, buf, 10, UINT64_MAX), 0);
	ck_assert_int_eq(shmfs_obj_read(o, buf, 0, 5), 0);
	/* More than is left, from the middle. */
	ck_assert_uint_eq(gather(o, 5000, sizeof(buf), buf, NULL), 5000);
	ck_assert_mem_eq(buf, model + 5000, 5000);
}
END_TEST

/* ---- Growing and non-growing writes ---- */

START_TEST(test_grow_write_sets_times)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);
	unsigned char model[300] = { 0 };

	set_old_times(o);
	fill(model + 100, 50, 1);
	ck_assert_int_eq(shmfs_obj_write(&st, o, model + 100, 50, 100, true),
			 50);
	ck_assert_uint_eq(o->size, 150);
	ck_assert_uint_eq(st.promised_pages, 1);
	assert_times_size_changed(o);
	assert_contents(o, model, 150);

	/* Within the size: no timestamp moves, even with grow. */
	set_old_times(o);
	fill(model, 150, 2);
	ck_assert_int_eq(shmfs_obj_write(&st, o, model, 150, 0, true), 150);
	assert_times_old(o);
	ck_assert_int_eq(shmfs_obj_write(&st, o, model + 10, 20, 10, false),
			 20);
	assert_times_old(o);
	assert_contents(o, model, 150);

	/* Crossing the end grows it again. */
	fill(model + 140, 160, 3);
	ck_assert_int_eq(shmfs_obj_write(&st, o, model + 140, 160, 140, true),
			 160);
	ck_assert_uint_eq(o->size, 300);
	assert_times_size_changed(o);
	assert_contents(o, model, 300);

	/* A zero-length write is nothing, wherever it is. */
	set_old_times(o);
	ck_assert_int_eq(shmfs_obj_write(&st, o, model, 0, 5000, true), 0);
	ck_assert_int_eq(shmfs_obj_write(&st, o, model, 0, 5000, false), 0);
	ck_assert_uint_eq(o->size, 300);
	assert_times_old(o);
}
END_TEST

START_TEST(test_nogrow_write_cut_short)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);
	static unsigned char model[10000], data[5000];

	ck_assert_int_eq(shmfs_obj_write(&st, o, "x", 1, 0, false), -EFBIG);
	ck_assert_uint_eq(o->size, 0);
	ck_assert_uint_eq(held(o), 0);

	ck_assert_int_eq(shmfs_obj_resize(&st, o, sizeof(model)), 0);
	set_old_times(o);
	fill(data, sizeof(data), 4);
	ck_assert_int_eq(
		shmfs_obj_write(&st, o, data, sizeof(data), 9000, false), 1000);
	memcpy(model + 9000, data, 1000);
	ck_assert_uint_eq(o->size, 10000);
	ck_assert_uint_eq(held(o), 1); /* page 2 only */
	ck_assert_uint_eq(st.promised_pages, 3);
	assert_times_old(o);
	assert_contents(o, model, sizeof(model));

	/* At or past the end: EFBIG and nothing changes. */
	for (uint64_t off = 10000; off < 30000; off += 4999) {
		ck_assert_int_eq(shmfs_obj_write(&st, o, data, 10, off, false),
				 -EFBIG);
		ck_assert_uint_eq(o->size, 10000);
		ck_assert_uint_eq(held(o), 1);
		ck_assert_uint_eq(st.promised_pages, 3);
		assert_times_old(o);
	}
	ck_assert_int_eq(shmfs_obj_write(&st, o, data, 10, UINT64_MAX - 5,
					 false),
			 -EFBIG);
	assert_contents(o, model, sizeof(model));
}
END_TEST

START_TEST(test_write_offset_limits)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);

	/* Past what off_t can express: EFBIG, never a wrapped size. */
	ck_assert_int_eq(shmfs_obj_write(&st, o, "ab", 2, (uint64_t)INT64_MAX,
					 true),
			 -EFBIG);
	ck_assert_int_eq(shmfs_obj_write(&st, o, "ab", 2, UINT64_MAX - 1, true),
			 -EFBIG);
	ck_assert_uint_eq(o->size, 0);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, (uint64_t)INT64_MAX + 1),
			 EFBIG);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, UINT64_MAX), EFBIG);
	ck_assert_uint_eq(o->size, 0);
	/* Representable but over size=: ENOSPC. */
	ck_assert_int_eq(shmfs_obj_write(&st, o, "ab", 2,
					 (uint64_t)INT64_MAX - 2, true),
			 -ENOSPC);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, (uint64_t)INT64_MAX), ENOSPC);
	ck_assert_uint_eq(o->size, 0);
	ck_assert_uint_eq(st.promised_pages, 0);
}
END_TEST

/* ---- Capacity ---- */

START_TEST(test_capacity)
{
	struct shmfs_obj *a, *b;
	static unsigned char model[16 * SHMFS_PAGE_SIZE],
		buf[16 * SHMFS_PAGE_SIZE];

	/* A store of 16 pages instead of the fixture's (freed by teardown). */
	store_teardown();
	ck_assert_int_eq(shmfs_store_init(&st, 16 * PAGE, 8), 0);
	a = shmfs_obj_new(&st, 0600, 0, 0);
	b = shmfs_obj_new(&st, 0600, 0, 0);

	/* Promised pages are the size rounded up. */
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 5000), 0);
	ck_assert_uint_eq(st.promised_pages, 2);
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 4096), 0);
	ck_assert_uint_eq(st.promised_pages, 1);
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 1), 0);
	ck_assert_uint_eq(st.promised_pages, 1);
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 0), 0);
	ck_assert_uint_eq(st.promised_pages, 0);
	/* Exactly the limit, then one byte more. */
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 16 * PAGE), 0);
	ck_assert_uint_eq(st.promised_pages, 16);
	set_old_times(a);
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 16 * PAGE + 1), ENOSPC);
	ck_assert_uint_eq(a->size, 16 * PAGE);
	ck_assert_uint_eq(st.promised_pages, 16);
	assert_times_old(a);
	ck_assert_int_eq(shmfs_obj_resize(&st, b, 1), ENOSPC);
	ck_assert_uint_eq(b->size, 0);
	ck_assert_int_eq(shmfs_obj_write(&st, b, "x", 1, 0, true), -ENOSPC);
	ck_assert_uint_eq(b->size, 0);
	ck_assert_uint_eq(held(b), 0);

	/* a holds 10 written pages; b may have the other 6 and no more. */
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 0), 0);
	fill(model, 10 * PAGE, 9);
	ck_assert_int_eq(shmfs_obj_write(&st, a, model, 10 * PAGE, 0, true),
			 (ssize_t)(10 * PAGE));
	ck_assert_uint_eq(st.promised_pages, 10);
	ck_assert_int_eq(shmfs_obj_resize(&st, b, 6 * PAGE + 1), ENOSPC);
	ck_assert_uint_eq(b->size, 0);
	ck_assert_uint_eq(st.promised_pages, 10);
	ck_assert_int_eq(shmfs_obj_resize(&st, b, 6 * PAGE), 0);
	ck_assert_uint_eq(st.promised_pages, 16);
	set_old_times(a);
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 10 * PAGE + 1), ENOSPC);
	ck_assert_int_eq(shmfs_obj_write(&st, a, model, 1, 10 * PAGE, true),
			 -ENOSPC);
	/* A growing write that does not fit fails whole: nothing written. */
	ck_assert_int_eq(shmfs_obj_write(&st, a, model, 2 * PAGE, 9 * PAGE,
					 true),
			 -ENOSPC);
	ck_assert_uint_eq(a->size, 10 * PAGE);
	ck_assert_uint_eq(held(a), 10);
	assert_times_old(a);
	assert_contents(a, model, 10 * PAGE);

	/* Shrinking a frees its pages for b. */
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 3 * PAGE), 0);
	ck_assert_uint_eq(held(a), 3);
	ck_assert_uint_eq(st.promised_pages, 9);
	ck_assert_int_eq(shmfs_obj_resize(&st, b, 13 * PAGE), 0);
	ck_assert_uint_eq(st.promised_pages, 16);
	/* b really can fill all 13. */
	fill(buf, 13 * PAGE, 10);
	ck_assert_int_eq(shmfs_obj_write(&st, b, buf, 13 * PAGE, 0, false),
			 (ssize_t)(13 * PAGE));
	ck_assert_uint_eq(held(b), 13);
	assert_contents(b, buf, 13 * PAGE);
	assert_contents(a, model, 3 * PAGE);
	ck_assert_int_eq(shmfs_obj_write(&st, b, buf, 1, 13 * PAGE, true),
			 -ENOSPC);
	ck_assert_uint_eq(b->size, 13 * PAGE);
	ck_assert_uint_eq(held(b), 13);
	/* Growth within the last promised page costs nothing more. */
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 3 * PAGE - 100), 0);
	ck_assert_int_eq(
		shmfs_obj_write(&st, a, buf, 100, 3 * PAGE - 100, true), 100);
	ck_assert_uint_eq(st.promised_pages, 16);
}
END_TEST

/* ---- Resize ---- */

START_TEST(test_resize_times)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);

	/* The same size changes nothing, not even ctime. */
	set_old_times(o);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 0), 0);
	assert_times_old(o);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 12345), 0);
	ck_assert_uint_eq(o->size, 12345);
	assert_times_size_changed(o);
	set_old_times(o);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 12345), 0);
	assert_times_old(o);
	/* Shrinking is a change too, even within the same page. */
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 12344), 0);
	assert_times_size_changed(o);
	set_old_times(o);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 0), 0);
	assert_times_size_changed(o);
	ck_assert_uint_eq(o->size, 0);
	ck_assert_uint_eq(st.promised_pages, 0);
}
END_TEST

/* Shrinking and growing again must not bring stale bytes back. */
START_TEST(test_resize_shrink_then_regrow_reads_zeros)
{
	static const uint64_t cuts[] = { 5000, 4097, 4096, 8191, 1, 0, 12287 };
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);
	static unsigned char model[3 * SHMFS_PAGE_SIZE];

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		uint64_t cut = cuts[i];

		ck_assert_int_eq(shmfs_obj_resize(&st, o, 0), 0);
		fill(model, sizeof(model), (uint32_t)i + 40);
		ck_assert_int_eq(shmfs_obj_write(&st, o, model, sizeof(model),
						 0, true),
				 (ssize_t)sizeof(model));
		ck_assert_uint_eq(held(o), 3);
		ck_assert_int_eq(shmfs_obj_resize(&st, o, cut), 0);
		ck_assert_uint_eq(held(o), pages_for(cut));
		ck_assert_uint_eq(st.promised_pages, pages_for(cut));
		assert_contents(o, model, cut);
		/* Regrow by resize: everything past the cut is zero. */
		ck_assert_int_eq(shmfs_obj_resize(&st, o, sizeof(model)), 0);
		memset(model + cut, 0, sizeof(model) - cut);
		assert_contents(o, model, sizeof(model));
		ck_assert_uint_eq(held(o), pages_for(cut));

		/* Regrow by a growing write past a hole. */
		ck_assert_int_eq(shmfs_obj_resize(&st, o, cut), 0);
		ck_assert_int_eq(shmfs_obj_write(&st, o, "E", 1,
						 sizeof(model) - 1, true),
				 1);
		model[sizeof(model) - 1] = 'E';
		assert_contents(o, model, sizeof(model));
	}
}
END_TEST

/* ---- Hole punching ---- */

enum {
	PUNCH_SIZE = 4 * SHMFS_PAGE_SIZE + 100
};
static unsigned char punch_model[PUNCH_SIZE];

/* An object of 5 pages (the last partial), all written. */
static struct shmfs_obj *punch_obj(void)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);

	fill(punch_model, PUNCH_SIZE, 77);
	ck_assert_int_eq(shmfs_obj_write(&st, o, punch_model, PUNCH_SIZE, 0,
					 true),
			 PUNCH_SIZE);
	ck_assert_uint_eq(held(o), 5);
	return o;
}

static void punch(struct shmfs_obj *o, uint64_t off, uint64_t len)
{
	uint64_t end = off + len > PUNCH_SIZE ? PUNCH_SIZE : off + len;

	ck_assert_int_eq(shmfs_obj_punch(o, off, len), 0);
	if (off < end)
		memset(punch_model + off, 0, end - off);
	ck_assert_uint_eq(o->size, PUNCH_SIZE);
	ck_assert_uint_eq(st.promised_pages, 5);
	assert_contents(o, punch_model, PUNCH_SIZE);
}

START_TEST(test_punch_within_page)
{
	struct shmfs_obj *o = punch_obj();

	punch(o, 100, 200);
	ck_assert_uint_eq(held(o), 5);
	punch(o, 4096 + 4000, 96); /* up to a page boundary */
	ck_assert_uint_eq(held(o), 5);
	punch(o, 2 * 4096, 1); /* from one */
	ck_assert_uint_eq(held(o), 5);
	punch(o, 4 * 4096 + 50, 50); /* up to the size */
	ck_assert_uint_eq(held(o), 5);
}
END_TEST

START_TEST(test_punch_across_pages)
{
	struct shmfs_obj *o = punch_obj();
	unsigned char buf[SHMFS_PAGE_SIZE], buf2[2 * SHMFS_PAGE_SIZE];

	/* [4000, 12292): page 0 tail, pages 1 and 2 whole, page 3 head. */
	punch(o, 4000, 8292);
	ck_assert_uint_eq(held(o), 3);
	ck_assert_uint_eq(shmfs_obj_blocks(o), 3 * 8);
	/* The freed pages are holes again. */
	ck_assert_uint_eq(gather(o, 4096, 2 * PAGE, buf2, NULL), 2 * PAGE);
	ck_assert(all_zero(buf2, 2 * PAGE));
	/* Writing there allocates again. */
	fill(punch_model + 5000, 10, 1);
	ck_assert_int_eq(shmfs_obj_write(&st, o, punch_model + 5000, 10, 5000,
					 false),
			 10);
	ck_assert_uint_eq(held(o), 4);
	ck_assert_uint_eq(gather(o, 5000, 10, buf, NULL), 10);
	ck_assert_mem_eq(buf, punch_model + 5000, 10);
}
END_TEST

START_TEST(test_punch_aligned_and_whole)
{
	struct shmfs_obj *o = punch_obj();

	punch(o, 4096, 4096);
	ck_assert_uint_eq(held(o), 4);
	punch(o, 0, 4096);
	ck_assert_uint_eq(held(o), 3);
	/* Everything: pages 2 and 3 go; the partial last page is zeroed. */
	punch(o, 0, UINT64_MAX);
	ck_assert_uint_le(held(o), 1);
}
END_TEST

START_TEST(test_punch_beyond_size)
{
	struct shmfs_obj *o = punch_obj();

	set_old_times(o);
	punch(o, PUNCH_SIZE, 100);
	punch(o, PUNCH_SIZE + 10000, 1);
	punch(o, UINT64_MAX - 10, 10);
	punch(o, 100, 0);
	ck_assert_uint_eq(held(o), 5);
	/*
	 * Straddling the end: only the part within the size.  Page 3 keeps
	 * its first 5 bytes; the last, partial page may stay as zeros.
	 */
	punch(o, 3 * 4096 + 5, 100000);
	ck_assert_uint_ge(held(o), 4);
	ck_assert_uint_le(held(o), 5);
	assert_times_old(o);
}
END_TEST

/* ---- SEEK_DATA / SEEK_HOLE ---- */

START_TEST(test_seek_no_pages)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);

	ck_assert_int_eq(shmfs_obj_seek(o, 0, true), -ENXIO);
	ck_assert_int_eq(shmfs_obj_seek(o, 0, false), -ENXIO);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 10 * PAGE + 3), 0);
	ck_assert_int_eq(shmfs_obj_seek(o, 0, true), -ENXIO);
	ck_assert_int_eq(shmfs_obj_seek(o, 0, false), 0);
	ck_assert_int_eq(shmfs_obj_seek(o, 5000, false), 5000);
	ck_assert_int_eq(shmfs_obj_seek(o, 10 * PAGE + 2, false),
			 10 * PAGE + 2);
	ck_assert_int_eq(shmfs_obj_seek(o, 10 * PAGE + 3, false), -ENXIO);
	ck_assert_int_eq(shmfs_obj_seek(o, 10 * PAGE + 3, true), -ENXIO);
	ck_assert_int_eq(shmfs_obj_seek(o, UINT64_MAX, false), -ENXIO);
}
END_TEST

START_TEST(test_seek_sparse)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);
	const int64_t size = 1000 * (int64_t)PAGE + 100;

	ck_assert_int_eq(shmfs_obj_resize(&st, o, (uint64_t)size), 0);
	ck_assert_int_eq(shmfs_obj_write(&st, o, "a", 1, 0, false), 1);
	ck_assert_int_eq(shmfs_obj_write(&st, o, "b", 1, 5 * PAGE + 9, false),
			 1);
	ck_assert_int_eq(
		shmfs_obj_write(&st, o, "c", 1, 1000 * PAGE + 99, false), 1);
	ck_assert_uint_eq(held(o), 3);

	ck_assert_int_eq(shmfs_obj_seek(o, 0, true), 0);
	ck_assert_int_eq(shmfs_obj_seek(o, 1, true), 1);
	ck_assert_int_eq(shmfs_obj_seek(o, 4095, true), 4095);
	ck_assert_int_eq(shmfs_obj_seek(o, 4096, true), 5 * PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 5 * PAGE + 7, true), 5 * PAGE + 7);
	ck_assert_int_eq(shmfs_obj_seek(o, 6 * PAGE, true), 1000 * PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 999 * PAGE + 1, true), 1000 * PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 1000 * PAGE + 50, true),
			 1000 * PAGE + 50);
	ck_assert_int_eq(shmfs_obj_seek(o, (uint64_t)size - 1, true), size - 1);
	ck_assert_int_eq(shmfs_obj_seek(o, (uint64_t)size, true), -ENXIO);

	ck_assert_int_eq(shmfs_obj_seek(o, 0, false), PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 4096, false), 4096);
	ck_assert_int_eq(shmfs_obj_seek(o, 4097, false), 4097);
	ck_assert_int_eq(shmfs_obj_seek(o, 5 * PAGE, false), 6 * PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 999 * PAGE + 1, false),
			 999 * PAGE + 1);
	/* Page 1000 holds data up to the size: the hole is the end. */
	ck_assert_int_eq(shmfs_obj_seek(o, 1000 * PAGE, false), size);
	ck_assert_int_eq(shmfs_obj_seek(o, (uint64_t)size - 1, false), size);
	ck_assert_int_eq(shmfs_obj_seek(o, (uint64_t)size, false), -ENXIO);

	/* No data after the last page. */
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 2000 * PAGE), 0);
	ck_assert_int_eq(shmfs_obj_seek(o, 1001 * PAGE, true), -ENXIO);
	ck_assert_int_eq(shmfs_obj_seek(o, 1000 * PAGE, false), 1001 * PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 1500 * PAGE, false), 1500 * PAGE);
}
END_TEST

/* Full leaves and nodes: the first hole is where the tree ends. */
START_TEST(test_seek_full_tree)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);
	static unsigned char data[128 * SHMFS_PAGE_SIZE];

	memset(data, 1, sizeof(data));
	ck_assert_int_eq(shmfs_obj_write(&st, o, data, 64 * PAGE, 0, true),
			 (ssize_t)(64 * PAGE));
	ck_assert_int_eq(shmfs_obj_seek(o, 0, false), 64 * PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 63 * PAGE, true), 63 * PAGE);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 65 * PAGE), 0);
	ck_assert_int_eq(shmfs_obj_seek(o, 0, false), 64 * PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 64 * PAGE, true), -ENXIO);
	ck_assert_int_eq(shmfs_obj_seek(o, 64 * PAGE + 5, false),
			 64 * PAGE + 5);
	ck_assert_int_eq(shmfs_obj_write(&st, o, data, 64 * PAGE, 64 * PAGE,
					 true),
			 (ssize_t)(64 * PAGE));
	ck_assert_int_eq(shmfs_obj_seek(o, 0, false), 128 * PAGE);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 300 * PAGE), 0);
	ck_assert_int_eq(shmfs_obj_seek(o, 0, false), 128 * PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 100 * PAGE, false), 128 * PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 128 * PAGE, true), -ENXIO);
	ck_assert_int_eq(shmfs_obj_seek(o, 127 * PAGE + 1, true),
			 127 * PAGE + 1);
	/* Data past the tree's first 4096 pages. */
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 10000 * PAGE), 0);
	ck_assert_int_eq(shmfs_obj_write(&st, o, data, 1, 9000 * PAGE, false),
			 1);
	ck_assert_int_eq(shmfs_obj_seek(o, 128 * PAGE, true), 9000 * PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 9000 * PAGE, false), 9001 * PAGE);
}
END_TEST

/* ---- A sparse 1 TiB object ---- */

START_TEST(test_sparse_terabyte)
{
	struct shmfs_obj *o, *p, *q;
	unsigned char buf[2];

	store_teardown();
	ck_assert_int_eq(shmfs_store_init(&st, 2 * TIB, 4), 0);
	o = shmfs_obj_new(&st, 0600, 0, 0);
	ck_assert_int_eq(shmfs_obj_resize(&st, o, TIB), 0);
	ck_assert_uint_eq(held(o), 0);
	ck_assert_uint_eq(st.promised_pages, TIB / PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, 0, true), -ENXIO);
	ck_assert_int_eq(shmfs_obj_seek(o, 0, false), 0);

	ck_assert_int_eq(shmfs_obj_write(&st, o, "Z", 1, TIB - 1, false), 1);
	ck_assert_uint_eq(held(o), 1);
	ck_assert_uint_eq(shmfs_obj_blocks(o), 8);
	ck_assert_uint_eq(gather(o, TIB - 2, 100, buf, NULL), 2);
	ck_assert_uint_eq(buf[0], 0);
	ck_assert_uint_eq(buf[1], 'Z');
	ck_assert_int_eq(shmfs_obj_seek(o, 0, true), (int64_t)(TIB - PAGE));
	ck_assert_int_eq(shmfs_obj_seek(o, 0, false), 0);
	ck_assert_int_eq(shmfs_obj_seek(o, TIB - PAGE, false), (int64_t)TIB);
	ck_assert_int_eq(shmfs_obj_seek(o, TIB - 1, true), (int64_t)(TIB - 1));
	ck_assert_int_eq(shmfs_obj_write(&st, o, "A", 1, 0, false), 1);
	ck_assert_uint_eq(held(o), 2);
	ck_assert_int_eq(shmfs_obj_seek(o, 1, true), 1);
	ck_assert_int_eq(shmfs_obj_seek(o, PAGE, true), (int64_t)(TIB - PAGE));
	ck_assert_int_eq(shmfs_obj_seek(o, 0, false), (int64_t)PAGE);
	ck_assert_int_eq(shmfs_obj_seek(o, TIB / 2, false), (int64_t)(TIB / 2));

	/* A hole in the middle reads as zeros and allocates nothing. */
	ck_assert_uint_eq(gather(o, TIB / 2, 4 * MIB, NULL, NULL), 4 * MIB);
	ck_assert_uint_eq(held(o), 2);

	/* A second terabyte fills size= exactly. */
	p = shmfs_obj_new(&st, 0600, 0, 0);
	ck_assert_int_eq(shmfs_obj_resize(&st, p, TIB), 0);
	ck_assert_uint_eq(st.promised_pages, 2 * TIB / PAGE);
	q = shmfs_obj_new(&st, 0600, 0, 0);
	ck_assert_int_eq(shmfs_obj_resize(&st, q, 1), ENOSPC);

	/* Shrinking to 0 frees the far page. */
	ck_assert_int_eq(shmfs_obj_resize(&st, o, 0), 0);
	ck_assert_uint_eq(held(o), 0);
	ck_assert_uint_eq(st.promised_pages, TIB / PAGE);
	ck_assert_int_eq(shmfs_obj_resize(&st, q, 1), 0);
}
END_TEST

/* ---- Random operations against a model ---- */

enum {
	RND_LIMIT = 48,
	RND_SPAN = 70
};
static unsigned char rnd_model[(RND_SPAN + 4) * SHMFS_PAGE_SIZE];
static bool rnd_held[RND_SPAN + 4];
static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return n ? rnd_state % n : 0;
}

/* What SEEK_DATA / SEEK_HOLE must say, from the model of held pages. */
static int64_t model_seek(uint64_t size, uint64_t off, bool data)
{
	if (off >= size)
		return -ENXIO;
	for (uint64_t p = off / PAGE; p < pages_for(size); p++) {
		if (rnd_held[p] == data) {
			uint64_t at = p * PAGE > off ? p * PAGE : off;

			return (int64_t)at;
		}
	}
	return data ? -ENXIO : (int64_t)size;
}

START_TEST(test_random_ops_match_model)
{
	struct shmfs_obj *o;
	uint64_t size = 0;

	store_teardown();
	ck_assert_int_eq(shmfs_store_init(&st, RND_LIMIT * PAGE, 4), 0);
	o = shmfs_obj_new(&st, 0600, 0, 0);
	memset(rnd_model, 0, sizeof(rnd_model));
	memset(rnd_held, 0, sizeof(rnd_held));
	for (int step = 0; step < 3000; step++) {
		unsigned op = (unsigned)rnd(10);
		uint64_t off = rnd(RND_SPAN * PAGE);
		uint64_t len = rnd(4) ? rnd(PAGE + 10) : rnd(3 * PAGE);
		unsigned npages = 0;

		if (op < 5) {
			static unsigned char data[3 * SHMFS_PAGE_SIZE + 10];
			bool grow = rnd(2);
			ssize_t want, got;

			fill(data, len, (uint32_t)step);
			if (len == 0)
				want = 0;
			else if (off + len > size && grow)
				want = pages_for(off + len) > RND_LIMIT ?
					       -ENOSPC :
					       (ssize_t)len;
			else if (off >= size)
				want = -EFBIG;
			else
				want = (ssize_t)(off + len > size ? size - off :
								    len);
			got = shmfs_obj_write(&st, o, data, len, off, grow);
			ck_assert_msg(got == want,
				      "step %d: write(%llu, %llu, %d) = %zd, "
				      "expected %zd",
				      step, (unsigned long long)off,
				      (unsigned long long)len, grow, got, want);
			if (want > 0) {
				memcpy(rnd_model + off, data, (size_t)want);
				for (uint64_t p = off / PAGE;
				     p <= (off + (uint64_t)want - 1) / PAGE;
				     p++)
					rnd_held[p] = true;
				if (off + (uint64_t)want > size)
					size = off + (uint64_t)want;
			}
		} else if (op < 8) {
			uint64_t to = rnd(4) ? off : rnd(3) * PAGE;
			int want = pages_for(to) > pages_for(size) &&
						   pages_for(to) > RND_LIMIT ?
					   ENOSPC :
					   0;

			ck_assert_int_eq(shmfs_obj_resize(&st, o, to), want);
			if (!want) {
				if (to < size)
					memset(rnd_model + to, 0, size - to);
				for (uint64_t p = pages_for(to);
				     p < RND_SPAN + 4; p++)
					rnd_held[p] = false;
				size = to;
			}
		} else {
			uint64_t end = off + len > size ? size : off + len;

			ck_assert_int_eq(shmfs_obj_punch(o, off, len), 0);
			if (off < end) {
				/* A punch reaching the size frees its last page too. */
				uint64_t end_page = end == size ? pages_for(end) : end / PAGE;

				memset(rnd_model + off, 0, end - off);
				for (uint64_t p = pages_for(off); p < end_page; p++)
					rnd_held[p] = false;
			}
		}
		for (unsigned p = 0; p < RND_SPAN + 4; p++)
			npages += rnd_held[p];
		ck_assert_msg(o->size == size,
			      "step %d: size %llu, expected %llu", step,
			      (unsigned long long)o->size,
			      (unsigned long long)size);
		ck_assert_uint_eq(held(o), npages);
		ck_assert_uint_eq(st.promised_pages, pages_for(size));
		assert_contents(o, rnd_model, size);
		for (int i = 0; i < 4; i++) {
			uint64_t at = rnd(size + 2);
			bool data = i & 1;

			ck_assert_msg(shmfs_obj_seek(o, at, data) ==
					      model_seek(size, at, data),
				      "step %d: seek(%llu, %s) = %lld, "
				      "expected %lld",
				      step, (unsigned long long)at,
				      data ? "data" : "hole",
				      (long long)shmfs_obj_seek(o, at, data),
				      (long long)model_seek(size, at, data));
		}
	}
}
END_TEST

/* ---- Permissions ---- */

/* A fetch_groups callback that counts its calls. */
struct groups {
	int n;
	gid_t list[80];
	int calls;
	int err; /* returned as -err when set */
};

static int fetch_groups(void *ctx, int size, gid_t *list)
{
	struct groups *g = ctx;

	g->calls++;
	if (g->err)
		return -g->err;
	for (int i = 0; i < g->n && i < size; i++)
		list[i] = g->list[i];
	return g->n;
}

enum {
	R = SHMFS_MAY_READ,
	W = SHMFS_MAY_WRITE,
	X = SHMFS_MAY_EXEC
};

START_TEST(test_perm_owner_class_decides)
{
	struct groups g = { .n = 1, .list = { 100 } };
	struct shmfs_cred c;

	shmfs_cred_init(&c, 1000, 100, fetch_groups, &g);
	/* The owner gets the owner bits only, even if others may do more. */
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0077, R), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0077, W), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0077, X), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0400, R), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0400, W), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0400, R | W), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0600, R | W), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0200, W), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0700, X), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0600, X), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 555, 0066, R), EACCES);
	ck_assert_int_eq(g.calls, 0);
}
END_TEST

START_TEST(test_perm_group_class)
{
	struct groups g = { .n = 2, .list = { 300, 100 } };
	struct shmfs_cred c;

	/* The primary group: no fetch. */
	shmfs_cred_init(&c, 1001, 100, fetch_groups, &g);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0040, R), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0040, W), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0704, R),
			 EACCES); /* group decides */
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0060, R | W), 0);
	ck_assert_int_eq(g.calls, 0);

	/* A supplementary group: fetched once, then remembered. */
	shmfs_cred_init(&c, 1001, 200, fetch_groups, &g);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0040, R), 0);
	ck_assert_int_eq(g.calls, 1);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0604, R), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 300, 0020, W), 0);
	ck_assert(shmfs_cred_in_group(&c, 300));
	ck_assert(shmfs_cred_in_group(&c, 200));
	ck_assert(!shmfs_cred_in_group(&c, 400));
	ck_assert_int_eq(g.calls, 1);

	/* Not a member: other bits. */
	g.calls = 0;
	shmfs_cred_init(&c, 1001, 200, fetch_groups, &g);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 400, 0004, R), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 400, 0040, R), EACCES);
	ck_assert_int_eq(g.calls, 1);

	/* The 64th supplementary group still counts. */
	g.calls = 0;
	g.n = 64;
	for (int i = 0; i < 64; i++)
		g.list[i] = 5000 + (gid_t)i;
	shmfs_cred_init(&c, 1001, 200, fetch_groups, &g);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 5063, 0040, R), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 5000, 0040, R), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 5064, 0040, R), EACCES);
	ck_assert_int_eq(g.calls, 1);
}
END_TEST

START_TEST(test_perm_group_fetch_avoided)
{
	struct groups g = { .n = 1, .list = { 100 } };
	struct shmfs_cred c;

	/* Group and other agree and the primary group differs: no fetch. */
	shmfs_cred_init(&c, 1001, 200, fetch_groups, &g);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0644, R), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0644, W), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0600, R), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0666, R | W), 0);
	ck_assert_int_eq(g.calls, 0);
	/* They differ: now the groups matter. */
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0640, R), 0);
	ck_assert_int_eq(g.calls, 1);

	/* A failing fetch means no supplementary groups, asked once. */
	g.calls = 0;
	g.err = EIO;
	shmfs_cred_init(&c, 1001, 200, fetch_groups, &g);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0640, R), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0604, R), 0);
	ck_assert_int_eq(g.calls, 1);

	/* No callback at all: the primary group only. */
	shmfs_cred_init(&c, 1001, 200, NULL, NULL);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0040, R), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 200, 0040, R), 0);
	ck_assert(!shmfs_cred_in_group(&c, 100));
}
END_TEST

START_TEST(test_perm_root)
{
	struct groups g = { 0 };
	struct shmfs_cred c;

	shmfs_cred_init(&c, 0, 0, fetch_groups, &g);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0000, R | W), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0000, X), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0666, X), EACCES);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0001, X), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0010, X), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 1000, 100, 0100, R | W | X), 0);
	ck_assert_int_eq(shmfs_perm_check(&c, 0, 0, 0000, R | W), 0);
	ck_assert_int_eq(g.calls, 0);
}
END_TEST

START_TEST(test_perm_owner_only_ops)
{
	struct shmfs_cred c;

	shmfs_cred_init(&c, 1000, 100, NULL, NULL);
	ck_assert_int_eq(shmfs_perm_owner(&c, 1000), 0);
	ck_assert_int_eq(shmfs_perm_owner(&c, 1001), EPERM);
	ck_assert_int_eq(shmfs_perm_owner(&c, 0), EPERM);
	shmfs_cred_init(&c, 0, 0, NULL, NULL);
	ck_assert_int_eq(shmfs_perm_owner(&c, 1000), 0);
}
END_TEST

START_TEST(test_perm_chown)
{
	struct groups g = { .n = 2, .list = { 300, 301 } };
	struct shmfs_cred c;
	const uid_t keep_u = (uid_t)-1;
	const gid_t keep_g = (gid_t)-1;

	/* Root: anything. */
	shmfs_cred_init(&c, 0, 0, fetch_groups, &g);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, 5, 6), 0);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, keep_u, 6), 0);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, 5, keep_g), 0);

	/* The owner: the group to one of its own, the owner to itself. */
	shmfs_cred_init(&c, 1000, 200, fetch_groups, &g);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, keep_u, 300), 0);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, keep_u, 301), 0);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, keep_u, 200), 0);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, keep_u, 100),
			 0); /* unchanged */
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, keep_u, 400), EPERM);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, 1000, keep_g), 0);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, 1000, 300), 0);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, 1001, keep_g), EPERM);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, 0, keep_g), EPERM);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, 1001, 300), EPERM);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, keep_u, keep_g), 0);

	/* Anyone else: EPERM even for values that change nothing. */
	shmfs_cred_init(&c, 1001, 100, fetch_groups, &g);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, 1000, 100), EPERM);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, keep_u, 100), EPERM);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, 1000, keep_g), EPERM);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, keep_u, 300), EPERM);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 300, keep_u, 300), EPERM);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, 1001, keep_g), EPERM);
	ck_assert_int_eq(shmfs_perm_chown(&c, 1000, 100, keep_u, keep_g), 0);
}
END_TEST

/*
 * The descriptor budget: the soft limit is raised to the hard one (root may
 * go further, to fs.nr_open), and the reserve is kept out.
 */
START_TEST(test_fd_budget)
{
	struct rlimit saved, rl;
	uint64_t budget;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	rl = saved;
	if (rl.rlim_max > 512) {
		rl.rlim_cur = 512;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	budget = shmfs_store_fd_budget(256);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_uint_ge(rl.rlim_cur, saved.rlim_max);
	ck_assert_uint_eq(rl.rlim_cur, rl.rlim_max);
	ck_assert_uint_eq(budget, rl.rlim_cur - 256);
	ck_assert_uint_eq(shmfs_store_fd_budget((unsigned)rl.rlim_cur + 1), 0);
	setrlimit(RLIMIT_NOFILE, &saved);
}
END_TEST

/*
 * An object gets its memfd at its first size; with no descriptor left that
 * is ENOSPC, as a full mount, and nothing changes.  Empty objects need none.
 */
START_TEST(test_out_of_descriptors)
{
	struct rlimit saved, rl;
	struct shmfs_obj *o[8];
	int probe, n = 0;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	probe = dup(0);
	ck_assert_int_ge(probe, 0);
	close(probe);
	/* Room for exactly two more descriptors. */
	rl = saved;
	rl.rlim_cur = (rlim_t)probe + 2;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	for (int i = 0; i < 8; i++) {
		o[i] = shmfs_obj_new(&st, 0600, 0, 0);
		ck_assert_ptr_nonnull(o[i]);
	}
	for (int i = 0; i < 8; i++)
		n += shmfs_obj_resize(&st, o[i], PAGE) == 0;
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(shmfs_obj_resize(&st, o[7], PAGE), ENOSPC);
	ck_assert_uint_eq(o[7]->size, 0);
	ck_assert_int_eq(shmfs_obj_write(&st, o[7], "x", 1, 0, true), -ENOSPC);
	ck_assert_uint_eq(st.promised_pages, 2);
	setrlimit(RLIMIT_NOFILE, &saved);
	ck_assert_int_eq(shmfs_obj_resize(&st, o[7], PAGE), 0);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc;

	tc = tcase_create("lifetime");
	tcase_add_test(tc, test_obj_new_attributes);
	tcase_add_test(tc, test_release_if_unused);
	tcase_add_test(tc, test_holds_free_at_zero);
	tcase_add_test(tc, test_holds_with_lock);
	tcase_add_test_raise_signal(tc, test_hold_without_lock_aborts, SIGABRT);
	tcase_add_loop_test_raise_signal(tc, test_release_below_zero_aborts, SIGABRT, 0, 5);
	tcase_add_test(tc, test_store_destroy_frees_leftovers);
	tcase_add_test(tc, test_store_init_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("read_write");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, test_roundtrip_unaligned);
	tcase_add_test(tc, test_large_write);
	tcase_add_test(tc, test_holes_read_zeros);
	tcase_add_test(tc, test_read_clipped_at_size);
	tcase_add_test(tc, test_fd_budget);
	tcase_add_test(tc, test_out_of_descriptors);
	tcase_add_test(tc, test_grow_write_sets_times);
	tcase_add_test(tc, test_nogrow_write_cut_short);
	tcase_add_test(tc, test_write_offset_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("capacity_resize");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, test_capacity);
	tcase_add_test(tc, test_resize_times);
	tcase_add_test(tc, test_resize_shrink_then_regrow_reads_zeros);
	suite_add_tcase(s, tc);

	tc = tcase_create("punch");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, test_punch_within_page);
	tcase_add_test(tc, test_punch_across_pages);
	tcase_add_test(tc, test_punch_aligned_and_whole);
	tcase_add_test(tc, test_punch_beyond_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("seek");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, test_seek_no_pages);
	tcase_add_test(tc, test_seek_sparse);
	tcase_add_test(tc, test_seek_full_tree);
	suite_add_tcase(s, tc);

	/*
	 * Terabyte stores reserve that much address space, which valgrind
	 * cannot give: run valgrind with CK_EXCLUDE_TAGS=huge.
	 */
	tc = tcase_create("huge");
	tcase_set_tags(tc, "huge");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, test_sparse_terabyte);
	tcase_add_test(tc, test_store_init_largest_size_option);
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, test_random_ops_match_model);
	suite_add_tcase(s, tc);

	tc = tcase_create("perm");
	tcase_add_test(tc, test_perm_owner_class_decides);
	tcase_add_test(tc, test_perm_group_class);
	tcase_add_test(tc, test_perm_group_fetch_avoided);
	tcase_add_test(tc, test_perm_root);
	tcase_add_test(tc, test_perm_owner_only_ops);
	tcase_add_test(tc, test_perm_chown);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(store_suite, NULL);
}
