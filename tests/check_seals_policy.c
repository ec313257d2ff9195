/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_seals_policy.c: unit tests of the seal policy (src/seals.c) and the
 * open-file table (src/handles.c), called directly with no mount: what each
 * seal refuses, how seals are added, and what handles hold.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "handles.h"
#include "harness.h"
#include "perm.h"
#include "proto.h"
#include "seals.h"
#include "store.h"

static struct shmfs_store st;
static struct shmfs_obj *obj;

static void setup(void)
{
	ck_assert_int_eq(shmfs_store_init(&st, 1 << 20, 16), 0);
	obj = shmfs_obj_new(&st, 0600, 0, 0);
	ck_assert_ptr_nonnull(obj);
	obj->nlink = 1; /* named: no release frees it */
	ck_assert_int_eq(shmfs_obj_resize(&st, obj, 8192), 0);
	shmfs_seals_make_sealable(obj);
}

static void teardown(void)
{
	shmfs_store_destroy(&st);
}

/* Adds seals that need no /proc walk, checking that none was needed. */
static void seal(uint32_t seals)
{
	bool walk = true;

	ck_assert_int_eq(shmfs_seals_add(obj, &seals, false, &walk), 0);
	ck_assert(!walk);
}

START_TEST(test_new_objects_sealed)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);
	uint32_t seals = F_SEAL_GROW;
	bool walk;

	/* Not created sealable: F_SEAL_SEAL from birth, nothing more can be added. */
	ck_assert_uint_eq(shmfs_seals_get(o), F_SEAL_SEAL);
	ck_assert_int_eq(shmfs_seals_add(o, &seals, false, &walk), EPERM);
	ck_assert_uint_eq(shmfs_seals_get(o), F_SEAL_SEAL);
	ck_assert_uint_eq(shmfs_seals_get(obj), 0);
}
END_TEST

START_TEST(test_unsealed_allows_all)
{
	ck_assert_int_eq(shmfs_seals_allow_resize(obj, 0), 0);
	ck_assert_int_eq(shmfs_seals_allow_resize(obj, 1 << 20), 0);
	ck_assert_int_eq(shmfs_seals_allow_write(obj, 8000, 1000, true), 0);
	ck_assert_int_eq(shmfs_seals_allow_punch(obj), 0);
	ck_assert_int_eq(shmfs_seals_allow_allocate(obj, 1 << 20), 0);
	ck_assert_int_eq(shmfs_seals_allow_chmod(obj, 0755), 0);
}
END_TEST

START_TEST(test_grow)
{
	seal(F_SEAL_GROW);
	ck_assert_int_eq(shmfs_seals_allow_resize(obj, 8193), EPERM);
	ck_assert_int_eq(shmfs_seals_allow_resize(obj, 8192), 0);
	ck_assert_int_eq(shmfs_seals_allow_resize(obj, 0), 0);
	/* A write that would extend the object, unless its descriptor never grows. */
	ck_assert_int_eq(shmfs_seals_allow_write(obj, 8000, 193, true), EPERM);
	ck_assert_int_eq(shmfs_seals_allow_write(obj, 8000, 192, true), 0);
	ck_assert_int_eq(shmfs_seals_allow_write(obj, 8000, 193, false), 0);
	/* fallocate past the end, KEEP_SIZE or not; within the size is fine. */
	ck_assert_int_eq(shmfs_seals_allow_allocate(obj, 8193), EPERM);
	ck_assert_int_eq(shmfs_seals_allow_allocate(obj, 8192), 0);
	ck_assert_int_eq(shmfs_seals_allow_punch(obj), 0);
}
END_TEST

START_TEST(test_shrink)
{
	seal(F_SEAL_SHRINK);
	ck_assert_int_eq(shmfs_seals_allow_resize(obj, 8191), EPERM);
	ck_assert_int_eq(shmfs_seals_allow_resize(obj, 0), EPERM); /* O_TRUNC too */
	ck_assert_int_eq(shmfs_seals_allow_resize(obj, 8192), 0);
	ck_assert_int_eq(shmfs_seals_allow_resize(obj, 9000), 0);
	ck_assert_int_eq(shmfs_seals_allow_punch(obj), 0);
}
END_TEST

/* F_SEAL_FUTURE_WRITE (and, after its walk, F_SEAL_WRITE) refuse writes and punches. */
START_TEST(test_write_seals)
{
	uint32_t seals = _i ? F_SEAL_WRITE : F_SEAL_FUTURE_WRITE;
	bool walk;

	ck_assert_int_eq(shmfs_seals_add(obj, &seals, false, &walk), 0);
	ck_assert(walk == (_i == 1)); /* F_SEAL_WRITE needs the walk */
	if (walk) {
		/* Pending: shown to the shim, not yet enforced. */
		shmfs_seals_write_pending(obj);
		ck_assert_uint_eq(shmfs_seals_get(obj), SHMFS_SEAL_WRITE_PENDING);
		ck_assert_int_eq(shmfs_seals_allow_write(obj, 0, 1, true), 0);
		ck_assert_int_eq(shmfs_seals_finish_write(obj, seals, false), 0);
	}
	ck_assert_uint_eq(shmfs_seals_get(obj), seals);
	ck_assert_int_eq(shmfs_seals_allow_write(obj, 0, 1, true), EPERM);
	ck_assert_int_eq(shmfs_seals_allow_write(obj, 0, 1, false), EPERM);
	ck_assert_int_eq(shmfs_seals_allow_punch(obj), EPERM);
	/* Sizes are the other seals' business. */
	ck_assert_int_eq(shmfs_seals_allow_resize(obj, 0), 0);
	ck_assert_int_eq(shmfs_seals_allow_allocate(obj, 1 << 20), 0);
	/* With F_SEAL_WRITE there already, another needs no walk. */
	if (_i)
		seal(F_SEAL_WRITE | F_SEAL_GROW);
}
END_TEST

START_TEST(test_write_seal_busy_or_sealed)
{
	uint32_t seals = F_SEAL_WRITE;
	bool walk;

	ck_assert_int_eq(shmfs_seals_add(obj, &seals, false, &walk), 0);
	ck_assert(walk);
	shmfs_seals_write_pending(obj);
	shmfs_seals_write_pending(obj); /* two callers at once */
	ck_assert_int_eq(shmfs_seals_finish_write(obj, seals, true), EBUSY);
	ck_assert_uint_eq(shmfs_seals_get(obj), SHMFS_SEAL_WRITE_PENDING); /* one left */
	seal(F_SEAL_SEAL); /* another caller sealed meanwhile */
	ck_assert_int_eq(shmfs_seals_finish_write(obj, seals, false), EPERM);
	ck_assert_uint_eq(shmfs_seals_get(obj), F_SEAL_SEAL);
	ck_assert_int_eq(shmfs_seals_allow_write(obj, 0, 1, true), 0);
}
END_TEST

START_TEST(test_add_errors)
{
	uint32_t seals = 0x40; /* no such seal */
	bool walk;

	ck_assert_int_eq(shmfs_seals_add(obj, &seals, false, &walk), EINVAL);
	ck_assert_uint_eq(shmfs_seals_get(obj), 0);
	seal(F_SEAL_SEAL);
	seals = F_SEAL_GROW;
	ck_assert_int_eq(shmfs_seals_add(obj, &seals, false, &walk), EPERM);
	ck_assert_uint_eq(shmfs_seals_get(obj), F_SEAL_SEAL);
}
END_TEST

/* F_SEAL_EXEC freezes the exec bits, and on an executable object seals its contents. */
START_TEST(test_exec)
{
	uint32_t seals = F_SEAL_EXEC;
	bool walk;

	ck_assert_int_eq(shmfs_seals_add(obj, &seals, false, &walk), 0);
	ck_assert(!walk);
	ck_assert_uint_eq(seals, F_SEAL_EXEC); /* mode 0600: nothing implied */
	ck_assert_int_eq(shmfs_seals_allow_chmod(obj, 0700), EPERM);
	ck_assert_int_eq(shmfs_seals_allow_chmod(obj, 0644), 0);

	obj->mode = 0755;
	obj->seals = 0;
	seals = F_SEAL_EXEC;
	ck_assert_int_eq(shmfs_seals_add(obj, &seals, false, &walk), 0);
	ck_assert_uint_eq(seals, F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
					 F_SEAL_FUTURE_WRITE);
	ck_assert(walk); /* the implied F_SEAL_WRITE */
	ck_assert_int_eq(shmfs_seals_allow_chmod(obj, 0644), 0); /* not added yet */
}
END_TEST

/* passthrough: the memfd gets the seals too, and F_SEAL_WRITE needs no walk. */
START_TEST(test_kernel_seals)
{
	uint32_t seals = F_SEAL_WRITE | F_SEAL_GROW;
	bool walk = true;

	ck_assert_int_eq(shmfs_seals_add(obj, &seals, true, &walk), 0);
	ck_assert(!walk);
	ck_assert_uint_eq(shmfs_seals_get(obj), seals);
	ck_assert_int_eq(fcntl(obj->memfd, F_GET_SEALS) & seals, (int)seals);
}
END_TEST

START_TEST(test_open_want)
{
	ck_assert_int_eq(shmfs_open_want(O_RDONLY), SHMFS_MAY_READ);
	ck_assert_int_eq(shmfs_open_want(O_WRONLY), SHMFS_MAY_WRITE);
	ck_assert_int_eq(shmfs_open_want(O_RDWR), SHMFS_MAY_READ | SHMFS_MAY_WRITE);
	ck_assert_int_eq(shmfs_open_want(O_RDONLY | O_TRUNC), SHMFS_MAY_READ | SHMFS_MAY_WRITE);
	ck_assert_int_eq(shmfs_open_want(O_WRONLY | O_CREAT), SHMFS_MAY_WRITE);
}
END_TEST

/* Handles hold their object; closing the last frees it once it has no name. */
START_TEST(test_handles)
{
	struct shmfs_handle *list = NULL, *r = malloc(sizeof(*r)), *w = malloc(sizeof(*w));

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(w);
	shmfs_handle_add_locked(&st, &list, r, obj, false, false);
	shmfs_handle_add_locked(&st, &list, w, obj, true, true);
	ck_assert_ptr_eq(list, w);
	ck_assert_ptr_eq(w->next, r);
	ck_assert_ptr_eq(r->prev, w);
	ck_assert(w->nogrow && w->writable && !r->nogrow && !r->writable);
	ck_assert_uint_eq(obj->nopen, 2);
	ck_assert_uint_eq(obj->nwriters, 1);
	ck_assert(!shmfs_handle_is_last(r));
	obj->nlink = 0; /* unlinked while open */
	ck_assert(!shmfs_handle_close_locked(&st, &list, w));
	ck_assert_ptr_eq(list, r);
	ck_assert_ptr_null(r->prev);
	ck_assert_uint_eq(obj->nwriters, 0);
	ck_assert(shmfs_handle_is_last(r));
	ck_assert_uint_eq(st.nr_objects, 1);
	ck_assert(shmfs_handle_close_locked(&st, &list, r));
	ck_assert_ptr_null(list);
	ck_assert_uint_eq(st.nr_objects, 0);
}
END_TEST

/* Unmount frees the handles left, whatever they hold. */
START_TEST(test_handles_destroy)
{
	struct shmfs_handle *list = NULL;

	for (int i = 0; i < 3; i++) {
		struct shmfs_handle *h = malloc(sizeof(*h));

		ck_assert_ptr_nonnull(h);
		shmfs_handle_add_locked(&st, &list, h, obj, false, i == 1);
	}
	shmfs_handles_destroy(&list);
	ck_assert_ptr_null(list);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("seals_policy");
	TCase *tc = tcase_create("seals");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_new_objects_sealed);
	tcase_add_test(tc, test_unsealed_allows_all);
	tcase_add_test(tc, test_grow);
	tcase_add_test(tc, test_shrink);
	tcase_add_loop_test(tc, test_write_seals, 0, 2);
	tcase_add_test(tc, test_write_seal_busy_or_sealed);
	tcase_add_test(tc, test_add_errors);
	tcase_add_test(tc, test_exec);
	tcase_add_test(tc, test_kernel_seals);
	suite_add_tcase(s, tc);

	tc = tcase_create("handles");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_want);
	tcase_add_test(tc, test_handles);
	tcase_add_test(tc, test_handles_destroy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(policy_suite, NULL);
}
