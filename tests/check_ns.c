/*
 * check_ns.c: unit tests of the namespace dictionary (src/ns.c): insert,
 * lookup and remove, duplicates, growth of the table, names of arbitrary
 * bytes, the three forms of rename (move onto a free name, onto a taken one,
 * exchange) and iteration.  After every operation the objects' `linked`
 * flags and names are checked against what the dictionary finds.  The
 * objects come from a real store (src/store.c); no mount.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ns.h"
#include "store.h"

static struct shmfs_store st;
static struct shmfs_ns ns;

static void setup(void)
{
	/* Names cost no pages: a tiny size=, many objects. */
	ck_assert_int_eq(shmfs_store_init(&st, 4096, 200000), 0);
	ck_assert_int_eq(shmfs_ns_init(&ns), 0);
	ck_assert_uint_eq(ns.count, 0);
}

static void teardown(void)
{
	/* The table first; the store then frees the objects and their names. */
	shmfs_ns_destroy(&ns);
	shmfs_store_destroy(&st);
}

static struct shmfs_obj *new_obj(void)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);

	ck_assert_ptr_nonnull(o);
	return o;
}

/* obj is linked under name, and the dictionary agrees. */
static void assert_named(struct shmfs_obj *obj, const char *name)
{
	ck_assert(obj->linked);
	ck_assert_ptr_nonnull(obj->name);
	ck_assert_str_eq(obj->name, name);
	ck_assert_ptr_ne(obj->name,
			 name); /* the dictionary keeps its own copy */
	ck_assert_ptr_eq(shmfs_ns_lookup(&ns, name), obj);
}

static void assert_unnamed(struct shmfs_obj *obj)
{
	ck_assert(!obj->linked);
	ck_assert_ptr_null(obj->name);
}

/* Counts the calls for each object; stops after `stop_after` when set. */
struct visit {
	size_t calls;
	size_t stop_after;
	unsigned char *seen; /* indexed by ino - base */
	uint64_t base;
	size_t nseen;
};

static int visit_fn(struct shmfs_obj *obj, void *ctx)
{
	struct visit *v = ctx;

	v->calls++;
	ck_assert(obj->linked);
	ck_assert_ptr_eq(shmfs_ns_lookup(&ns, obj->name), obj);
	if (v->seen) {
		ck_assert_uint_ge(obj->ino, v->base);
		ck_assert_uint_lt(obj->ino - v->base, v->nseen);
		v->seen[obj->ino - v->base]++;
	}
	return v->stop_after && v->calls == v->stop_after;
}

START_TEST(test_insert_lookup_remove)
{
	struct shmfs_obj *a = new_obj(), *b = new_obj();
	char name[] = "foo";

	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "foo"));
	ck_assert_int_eq(shmfs_ns_insert(&ns, name, a), 0);
	ck_assert_uint_eq(ns.count, 1);
	/* Changing the caller's buffer changes nothing. */
	name[0] = 'g';
	assert_named(a, "foo");
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "goo"));
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "fo"));
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "fooo"));
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "Foo"));
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, ""));

	/* A taken name: EEXIST, and b is left alone. */
	ck_assert_int_eq(shmfs_ns_insert(&ns, "foo", b), EEXIST);
	assert_unnamed(b);
	assert_named(a, "foo");
	ck_assert_uint_eq(ns.count, 1);

	ck_assert_int_eq(shmfs_ns_insert(&ns, "bar", b), 0);
	assert_named(b, "bar");
	ck_assert_uint_eq(ns.count, 2);

	shmfs_ns_remove(&ns, a);
	assert_unnamed(a);
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "foo"));
	assert_named(b, "bar");
	ck_assert_uint_eq(ns.count, 1);

	/* The name is free again, for a and for anyone. */
	ck_assert_int_eq(shmfs_ns_insert(&ns, "foo", a), 0);
	assert_named(a, "foo");
	shmfs_ns_remove(&ns, a);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "baz", a), 0);
	assert_named(a, "baz");
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "foo"));
	ck_assert_uint_eq(ns.count, 2);

	/* An unlinked object is released; a linked one is not. */
	shmfs_ns_remove(&ns, b);
	ck_assert_uint_eq(ns.count, 1);
	ck_assert(shmfs_obj_release_if_unused(&st, b));
	ck_assert(!shmfs_obj_release_if_unused(&st, a));
	assert_named(a, "baz");
}
END_TEST

START_TEST(test_arbitrary_bytes)
{
	enum {
		N = 300
	};
	static char names[N][260];
	struct shmfs_obj *o[N];
	int k = 0;

	/* Every byte but NUL, alone and between others. */
	for (int c = 1; c < 256; c++, k++)
		snprintf(names[k], sizeof(names[k]), "%c", c);
	for (int c = 1; c < 20; c++, k++)
		snprintf(names[k], sizeof(names[k]), "a%cb", 0x80 + c);
	strcpy(names[k++], "%2F");
	strcpy(names[k++], "%25");
	strcpy(names[k++], "%00");
	strcpy(names[k++], "%2E%2E");
	strcpy(names[k++], "a%2Fb");
	strcpy(names[k++], "\xc3\xa9t\xc3\xa9");
	strcpy(names[k++], " spaces\tand\nnewlines ");
	strcpy(names[k++], "");
	/* 255 bytes, and the same but for the last byte. */
	memset(names[k], 'x', 255);
	names[k++][255] = 0;
	memset(names[k], 'x', 255);
	names[k][254] = 'y';
	names[k++][255] = 0;
	ck_assert_int_le(k, N);
	for (int i = 0; i < k; i++) {
		o[i] = new_obj();
		ck_assert_int_eq(shmfs_ns_insert(&ns, names[i], o[i]), 0);
	}
	ck_assert_uint_eq(ns.count, (size_t)k);
	for (int i = 0; i < k; i++) {
		assert_named(o[i], names[i]);
		ck_assert_int_eq(shmfs_ns_insert(&ns, names[i], o[0]), EEXIST);
	}
	/* Names that differ by a byte are different. */
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "%2f"));
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "a\x81"));
	for (int i = 0; i < k; i += 2)
		shmfs_ns_remove(&ns, o[i]);
	for (int i = 0; i < k; i++) {
		if (i % 2)
			assert_named(o[i], names[i]);
		else
			ck_assert_ptr_null(shmfs_ns_lookup(&ns, names[i]));
	}
	ck_assert_uint_eq(ns.count, (size_t)k / 2);
}
END_TEST

START_TEST(test_growth_many_names)
{
	enum {
		N = 100000
	};
	struct shmfs_obj **o = calloc(N, sizeof(*o));
	char name[32];

	ck_assert_ptr_nonnull(o);
	for (int i = 0; i < N; i++) {
		o[i] = new_obj();
		snprintf(name, sizeof(name), "psm_%d", i);
		ck_assert_int_eq(shmfs_ns_insert(&ns, name, o[i]), 0);
	}
	ck_assert_uint_eq(ns.count, N);
	/* The table grew (load factor at most 1) and stayed a power of two. */
	ck_assert_uint_ge(ns.nbuckets, N);
	ck_assert_uint_eq(ns.nbuckets & (ns.nbuckets - 1), 0);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "psm_%d", i);
		ck_assert_ptr_eq(shmfs_ns_lookup(&ns, name), o[i]);
		ck_assert_str_eq(o[i]->name, name);
		ck_assert(o[i]->linked);
	}
	snprintf(name, sizeof(name), "psm_%d", N);
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, name));

	/* Remove the odd ones, check, then the rest in reverse. */
	for (int i = 1; i < N; i += 2)
		shmfs_ns_remove(&ns, o[i]);
	ck_assert_uint_eq(ns.count, N / 2);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "psm_%d", i);
		ck_assert_ptr_eq(shmfs_ns_lookup(&ns, name),
				 i % 2 ? NULL : o[i]);
		ck_assert(o[i]->linked == !(i % 2));
	}
	for (int i = N - 2; i >= 0; i -= 2)
		shmfs_ns_remove(&ns, o[i]);
	ck_assert_uint_eq(ns.count, 0);
	for (int i = 0; i < N; i++) {
		assert_unnamed(o[i]);
		snprintf(name, sizeof(name), "psm_%d", i);
		ck_assert_ptr_null(shmfs_ns_lookup(&ns, name));
		ck_assert(shmfs_obj_release_if_unused(&st, o[i]));
	}
	ck_assert_uint_eq(st.nr_objects, 0);
	free(o);
}
END_TEST

START_TEST(test_move_to_free_name)
{
	struct shmfs_obj *a = new_obj(), *b = new_obj(), *r = (void *)1;

	ck_assert_int_eq(shmfs_ns_insert(&ns, "x", a), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "other", b), 0);
	ck_assert_int_eq(shmfs_ns_move(&ns, a, "y", &r), 0);
	ck_assert_ptr_null(r);
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "x"));
	assert_named(a, "y");
	assert_named(b, "other");
	ck_assert_uint_eq(ns.count, 2);
	/* And back: the old name is free. */
	ck_assert_int_eq(shmfs_ns_move(&ns, a, "x", &r), 0);
	ck_assert_ptr_null(r);
	assert_named(a, "x");
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "y"));
	ck_assert_uint_eq(ns.count, 2);
}
END_TEST

START_TEST(test_move_onto_existing)
{
	struct shmfs_obj *a = new_obj(), *b = new_obj(), *c = new_obj(),
			 *r = NULL;

	ck_assert_int_eq(shmfs_ns_insert(&ns, "x", a), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "y", b), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "z", c), 0);
	ck_assert_int_eq(shmfs_ns_move(&ns, a, "y", &r), 0);
	ck_assert_ptr_eq(r, b);
	assert_unnamed(b);
	assert_named(a, "y");
	assert_named(c, "z");
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "x"));
	ck_assert_uint_eq(ns.count, 2);
	/* The replaced object is the caller's to release. */
	ck_assert(shmfs_obj_release_if_unused(&st, b));

	/* `to` may be the target's own name string, freed on the way. */
	ck_assert_int_eq(shmfs_ns_move(&ns, c, a->name, &r), 0);
	ck_assert_ptr_eq(r, a);
	assert_unnamed(a);
	assert_named(c, "y");
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "z"));
	ck_assert_uint_eq(ns.count, 1);
	/* Held otherwise, the replaced object lives on. */
	a->nopen = 1;
	ck_assert(!shmfs_obj_release_if_unused(&st, a));
	ck_assert_int_eq(shmfs_ns_insert(&ns, "x", a), 0);
	assert_named(a, "x");
}
END_TEST

START_TEST(test_move_onto_itself)
{
	struct shmfs_obj *a = new_obj(), *b = new_obj(), *r = (void *)1;

	ck_assert_int_eq(shmfs_ns_insert(&ns, "x", a), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "y", b), 0);
	ck_assert_int_eq(shmfs_ns_move(&ns, a, "x", &r), 0);
	ck_assert_ptr_null(r);
	assert_named(a, "x");
	assert_named(b, "y");
	ck_assert_uint_eq(ns.count, 2);
	/* Its own name string as `to`. */
	ck_assert_int_eq(shmfs_ns_move(&ns, a, a->name, &r), 0);
	ck_assert_ptr_null(r);
	assert_named(a, "x");
	ck_assert_uint_eq(ns.count, 2);
}
END_TEST

START_TEST(test_exchange)
{
	struct shmfs_obj *a = new_obj(), *b = new_obj(), *c = new_obj();

	ck_assert_int_eq(shmfs_ns_insert(&ns, "x", a), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "y", b), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "z", c), 0);
	shmfs_ns_exchange(&ns, a, b);
	assert_named(a, "y");
	assert_named(b, "x");
	assert_named(c, "z");
	ck_assert_uint_eq(ns.count, 3);
	shmfs_ns_exchange(&ns, b, a);
	assert_named(a, "x");
	assert_named(b, "y");
	shmfs_ns_exchange(&ns, c, a);
	assert_named(a, "z");
	assert_named(c, "x");
	assert_named(b, "y");
	ck_assert_uint_eq(ns.count, 3);
	/* The names stay removable under their new owners. */
	shmfs_ns_remove(&ns, a);
	assert_unnamed(a);
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "z"));
	assert_named(c, "x");
	ck_assert_uint_eq(ns.count, 2);
}
END_TEST

enum {
	CHAIN_N = 2000
};

/* Name number k: the first CHAIN_N are "n<k>", later ones "m<k>". */
static void chain_name(char *buf, size_t size, int k)
{
	if (k < CHAIN_N)
		snprintf(buf, size, "n%d", k);
	else
		snprintf(buf, size, "m%d", k - CHAIN_N);
}

/* Renames among many names, so that chains hold several objects. */
START_TEST(test_renames_with_long_chains)
{
	enum {
		N = CHAIN_N
	};
	static struct shmfs_obj *o[N];
	static int at[N]; /* o[i] has name number at[i] */
	char name[32];
	struct shmfs_obj *r;

	for (int i = 0; i < N; i++) {
		o[i] = new_obj();
		chain_name(name, sizeof(name), i);
		ck_assert_int_eq(shmfs_ns_insert(&ns, name, o[i]), 0);
		at[i] = i;
	}
	for (int step = 0; step < 20000; step++) {
		int i = (step * 7919) % N, j = (step * 104729 + 13) % N, t;

		if (i == j)
			continue;
		if (step % 3 == 0) {
			/* o[i] takes o[j]'s name; o[j] gets a fresh one. */
			chain_name(name, sizeof(name), at[j]);
			ck_assert_int_eq(shmfs_ns_move(&ns, o[i], name, &r), 0);
			ck_assert_ptr_eq(r, o[j]);
			assert_unnamed(o[j]);
			/* Its old name is free now. */
			chain_name(name, sizeof(name), at[i]);
			ck_assert_ptr_null(shmfs_ns_lookup(&ns, name));
			at[i] = at[j];
			at[j] = N + step;
			chain_name(name, sizeof(name), at[j]);
			ck_assert_int_eq(shmfs_ns_insert(&ns, name, o[j]), 0);
		} else {
			shmfs_ns_exchange(&ns, o[i], o[j]);
			t = at[i];
			at[i] = at[j];
			at[j] = t;
		}
	}
	ck_assert_uint_eq(ns.count, N);
	for (int i = 0; i < N; i++) {
		chain_name(name, sizeof(name), at[i]);
		assert_named(o[i], name);
	}
}
END_TEST

START_TEST(test_foreach)
{
	enum {
		N = 1000
	};
	struct shmfs_obj *o[N], *loose = new_obj();
	unsigned char seen[N];
	struct visit v = { 0 };
	char name[32];

	/* Nothing to visit. */
	shmfs_ns_foreach(&ns, visit_fn, &v);
	ck_assert_uint_eq(v.calls, 0);

	for (int i = 0; i < N; i++) {
		o[i] = new_obj();
		snprintf(name, sizeof(name), "obj%d", i);
		ck_assert_int_eq(shmfs_ns_insert(&ns, name, o[i]), 0);
	}
	/* Unlinked objects are not visited. */
	shmfs_ns_remove(&ns, o[10]);
	memset(seen, 0, sizeof(seen));
	v = (struct visit){ .seen = seen, .base = o[0]->ino, .nseen = N };
	shmfs_ns_foreach(&ns, visit_fn, &v);
	ck_assert_uint_eq(v.calls, N - 1);
	for (int i = 0; i < N; i++)
		ck_assert_uint_eq(seen[i], i == 10 ? 0 : 1);
	ck_assert(!loose->linked);

	/* Stopping early. */
	v = (struct visit){ .stop_after = 10 };
	shmfs_ns_foreach(&ns, visit_fn, &v);
	ck_assert_uint_eq(v.calls, 10);
	v = (struct visit){ .stop_after = 1 };
	shmfs_ns_foreach(&ns, visit_fn, &v);
	ck_assert_uint_eq(v.calls, 1);
	v = (struct visit){ .stop_after = N - 1 };
	shmfs_ns_foreach(&ns, visit_fn, &v);
	ck_assert_uint_eq(v.calls, N - 1);
}
END_TEST

static Suite *ns_suite(void)
{
	Suite *s = suite_create("ns");
	TCase *tc;

	tc = tcase_create("dictionary");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_insert_lookup_remove);
	tcase_add_test(tc, test_arbitrary_bytes);
	tcase_add_test(tc, test_growth_many_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("rename");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_move_to_free_name);
	tcase_add_test(tc, test_move_onto_existing);
	tcase_add_test(tc, test_move_onto_itself);
	tcase_add_test(tc, test_exchange);
	tcase_add_test(tc, test_renames_with_long_chains);
	suite_add_tcase(s, tc);

	tc = tcase_create("foreach");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_foreach);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(ns_suite, NULL);
}
