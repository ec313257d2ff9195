/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_quota.c: unit tests of the per-user accounts (src/quota.c), alone
 * and hooked into a store: object and page limits per uid give ENOSPC and
 * change nothing, root is counted but not limited, chown moves charges,
 * freeing uncharges, and users owning nothing leave the table.  No mount.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "quota.h"
#include "store.h"

#define PAGE SHMFS_PAGE_SIZE

static void usage(const struct shmfs_quota *q, uid_t uid, uint64_t pages,
		  uint64_t objects)
{
	uint64_t p, o;

	shmfs_quota_usage(q, uid, &p, &o);
	ck_assert_uint_eq(p, pages);
	ck_assert_uint_eq(o, objects);
}

START_TEST(test_objects_limit)
{
	struct shmfs_quota q;

	ck_assert_int_eq(shmfs_quota_init(&q, UINT64_MAX, 2), 0);
	ck_assert_int_eq(shmfs_quota_new_object(&q, 1000), 0);
	ck_assert_int_eq(shmfs_quota_new_object(&q, 1000), 0);
	ck_assert_int_eq(shmfs_quota_new_object(&q, 1000), ENOSPC);
	usage(&q, 1000, 0, 2);
	/* Each user its own. */
	ck_assert_int_eq(shmfs_quota_new_object(&q, 1001), 0);
	for (int i = 0; i < 5; i++)
		/* Root: no limit. */
		ck_assert_int_eq(shmfs_quota_new_object(&q, 0), 0);
	usage(&q, 0, 0, 5);
	shmfs_quota_free_object(&q, 1000, 0);
	ck_assert_int_eq(shmfs_quota_new_object(&q, 1000), 0);
	ck_assert_uint_eq(q.nusers, 3);
	shmfs_quota_free_object(&q, 1001, 0);
	ck_assert_uint_eq(q.nusers, 2); /* owns nothing: gone */
	usage(&q, 1001, 0, 0);
	shmfs_quota_destroy(&q);
}
END_TEST

START_TEST(test_pages_limit)
{
	struct shmfs_quota q;

	ck_assert_int_eq(shmfs_quota_init(&q, 10, UINT64_MAX), 0);
	ck_assert_int_eq(shmfs_quota_new_object(&q, 1000), 0);
	ck_assert_int_eq(shmfs_quota_new_object(&q, 1000), 0);
	ck_assert_int_eq(shmfs_quota_resize(&q, 1000, 0, 6), 0);
	/* 11 > 10. */
	ck_assert_int_eq(shmfs_quota_resize(&q, 1000, 0, 5), ENOSPC);
	usage(&q, 1000, 6, 2);
	/* Exactly 10. */
	ck_assert_int_eq(shmfs_quota_resize(&q, 1000, 0, 4), 0);
	ck_assert_int_eq(shmfs_quota_resize(&q, 1000, 4, 5), ENOSPC);
	/* Shrinking always works. */
	ck_assert_int_eq(shmfs_quota_resize(&q, 1000, 6, 1), 0);
	usage(&q, 1000, 5, 2);
	/* No wrap. */
	ck_assert_int_eq(shmfs_quota_resize(&q, 1000, 0, UINT64_MAX), ENOSPC);
	shmfs_quota_free_object(&q, 1000, 1);
	shmfs_quota_free_object(&q, 1000, 4);
	usage(&q, 1000, 0, 0);
	ck_assert_uint_eq(q.nusers, 0);
	/* Root grows past the limit. */
	ck_assert_int_eq(shmfs_quota_new_object(&q, 0), 0);
	ck_assert_int_eq(shmfs_quota_resize(&q, 0, 0, 100), 0);
	usage(&q, 0, 100, 1);
	shmfs_quota_destroy(&q);
}
END_TEST

START_TEST(test_chown)
{
	struct shmfs_quota q;

	ck_assert_int_eq(shmfs_quota_init(&q, 10, 1), 0);
	ck_assert_int_eq(shmfs_quota_new_object(&q, 0), 0);
	ck_assert_int_eq(shmfs_quota_resize(&q, 0, 0, 30), 0);
	/* Root gives it away: moved unchecked, so 1000 is over both limits. */
	ck_assert_int_eq(shmfs_quota_chown(&q, 0, 1000, 30), 0);
	usage(&q, 0, 0, 0);
	usage(&q, 1000, 30, 1);
	ck_assert_int_eq(shmfs_quota_new_object(&q, 1000), ENOSPC);
	ck_assert_int_eq(shmfs_quota_resize(&q, 1000, 30, 31), ENOSPC);
	ck_assert_int_eq(shmfs_quota_resize(&q, 1000, 30, 20), 0);
	ck_assert_int_eq(shmfs_quota_chown(&q, 1000, 1000, 20), 0);
	usage(&q, 1000, 20, 1);
	shmfs_quota_free_object(&q, 1000, 20);
	ck_assert_uint_eq(q.nusers, 0);
	shmfs_quota_destroy(&q);
}
END_TEST

/* Many users: the table grows and keeps every account apart. */
START_TEST(test_many_users)
{
	struct shmfs_quota q;

	ck_assert_int_eq(shmfs_quota_init(&q, UINT64_MAX, UINT64_MAX), 0);
	for (uid_t u = 1; u <= 1000; u++) {
		ck_assert_int_eq(shmfs_quota_new_object(&q, u * 7919), 0);
		ck_assert_int_eq(shmfs_quota_resize(&q, u * 7919, 0, u), 0);
	}
	ck_assert_uint_eq(q.nusers, 1000);
	for (uid_t u = 1; u <= 1000; u++)
		usage(&q, u * 7919, u, 1);
	for (uid_t u = 1; u <= 1000; u += 2)
		shmfs_quota_free_object(&q, u * 7919, u);
	ck_assert_uint_eq(q.nusers, 500);
	usage(&q, 2 * 7919, 2, 1);
	shmfs_quota_destroy(&q);
}
END_TEST

/* NULL: no per-user accounts, every call a no-op. */
START_TEST(test_null)
{
	ck_assert_int_eq(shmfs_quota_new_object(NULL, 1000), 0);
	ck_assert_int_eq(shmfs_quota_resize(NULL, 1000, 0, UINT64_MAX), 0);
	ck_assert_int_eq(shmfs_quota_chown(NULL, 1000, 1001, 5), 0);
	shmfs_quota_free_object(NULL, 1000, 5);
	usage(NULL, 1000, 0, 0);
	shmfs_quota_destroy(NULL);
}
END_TEST

/* Through the store's hooks: creation, growth, shrinking, freeing. */
START_TEST(test_store_hooks)
{
	struct shmfs_store st;
	struct shmfs_quota q;
	struct shmfs_obj *a, *b, *r;

	ck_assert_int_eq(shmfs_store_init(&st, 1024 * PAGE, 100), 0);
	ck_assert_int_eq(shmfs_quota_init(&q, 8, 2), 0);
	st.quota = &q;
	a = shmfs_obj_new(&st, 0600, 1000, 1000);
	b = shmfs_obj_new(&st, 0600, 1000, 1000);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	errno = 0;
	ck_assert_ptr_null(shmfs_obj_new(&st, 0600, 1000, 1000));
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(st.nr_objects, 2);

	ck_assert_int_eq(shmfs_obj_resize(&st, a, 5 * PAGE), 0);
	/* 4 pages. */
	ck_assert_int_eq(shmfs_obj_resize(&st, b, 3 * PAGE + 1), ENOSPC);
	ck_assert_uint_eq(b->size, 0);
	ck_assert_uint_eq(st.promised_pages, 5);
	ck_assert_int_eq(shmfs_obj_resize(&st, b, 3 * PAGE), 0);
	ck_assert_int_eq(shmfs_obj_write(&st, b, "x", 1, 3 * PAGE, true),
			 -ENOSPC);
	usage(&q, 1000, 8, 2);
	ck_assert_int_eq(shmfs_obj_resize(&st, a, 1), 0);
	usage(&q, 1000, 4, 2);

	r = shmfs_obj_new(&st, 0600, 0, 0); /* root: counted, not limited */
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(shmfs_obj_resize(&st, r, 100 * PAGE), 0);
	usage(&q, 0, 100, 1);

	shmfs_obj_free(&st, a);
	usage(&q, 1000, 3, 1);
	shmfs_store_destroy(&st);
	usage(&q, 1000, 0, 0);
	usage(&q, 0, 0, 0);
	ck_assert_uint_eq(q.nusers, 0);
	shmfs_quota_destroy(&q);
}
END_TEST

static Suite *quota_suite(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("quota");

	tcase_add_test(tc, test_objects_limit);
	tcase_add_test(tc, test_pages_limit);
	tcase_add_test(tc, test_chown);
	tcase_add_test(tc, test_many_users);
	tcase_add_test(tc, test_null);
	tcase_add_test(tc, test_store_hooks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(quota_suite, NULL);
}
