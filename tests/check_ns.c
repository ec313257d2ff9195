/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_ns.c: unit tests of the namespace dictionary (src/ns.c): insert,
 * lookup and remove, duplicates, growth of the table, names of arbitrary
 * bytes, the three forms of rename (move onto a free name, onto a taken one,
 * exchange), several names of one object (hard links), iteration in
 * insertion order and directory cursors.  After every operation the
 * objects' name counts are checked against what the dictionary finds.  The
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
	/* The names first; the store then frees the objects. */
	shmfs_ns_destroy(&ns);
	shmfs_store_destroy(&st);
}

static struct shmfs_obj *new_obj(void)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);

	ck_assert_ptr_nonnull(o);
	return o;
}

struct count_names {
	const struct shmfs_obj *obj;
	uint32_t n;
};

static int count_fn(const char *name, struct shmfs_obj *obj, void *ctx)
{
	struct count_names *c = ctx;

	c->n += obj == c->obj;
	return 0;
}

/* The names the dictionary has for obj, which must be its nlink. */
static uint32_t names_of(const struct shmfs_obj *obj)
{
	struct count_names c = { obj, 0 };

	shmfs_ns_foreach(&ns, count_fn, &c);
	ck_assert_uint_eq(c.n, obj->nlink);
	return c.n;
}

/* obj has name (among its names, as many as nlink says). */
static void assert_named(struct shmfs_obj *obj, const char *name)
{
	ck_assert_uint_ge(obj->nlink, 1);
	ck_assert_ptr_eq(shmfs_ns_lookup(&ns, name), obj);
}

/* assert_named, and it is obj's only name. */
static void assert_only_name(struct shmfs_obj *obj, const char *name)
{
	assert_named(obj, name);
	ck_assert_uint_eq(names_of(obj), 1);
}

static void assert_unnamed(struct shmfs_obj *obj)
{
	ck_assert_uint_eq(obj->nlink, 0);
	ck_assert_uint_eq(names_of(obj), 0);
}

/* Counts the calls for each object; stops after `stop_after` when set. */
struct visit {
	size_t calls;
	size_t stop_after;
	unsigned char *seen; /* indexed by ino - base */
	uint64_t base;
	size_t nseen;
};

static int visit_fn(const char *name, struct shmfs_obj *obj, void *ctx)
{
	struct visit *v = ctx;

	v->calls++;
	ck_assert_uint_ge(obj->nlink, 1);
	ck_assert_ptr_eq(shmfs_ns_lookup(&ns, name), obj);
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
	assert_only_name(a, "foo");
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

	ck_assert_ptr_eq(shmfs_ns_remove(&ns, "foo"), a);
	assert_unnamed(a);
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "foo"));
	ck_assert_ptr_null(shmfs_ns_remove(&ns, "foo"));
	assert_named(b, "bar");
	ck_assert_uint_eq(ns.count, 1);

	/* The name is free again, for a and for anyone. */
	ck_assert_int_eq(shmfs_ns_insert(&ns, "foo", a), 0);
	assert_named(a, "foo");
	shmfs_ns_remove(&ns, "foo");
	ck_assert_int_eq(shmfs_ns_insert(&ns, "baz", a), 0);
	assert_named(a, "baz");
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "foo"));
	ck_assert_uint_eq(ns.count, 2);

	/* An unlinked object is released; a linked one is not. */
	ck_assert_ptr_eq(shmfs_ns_remove(&ns, "bar"), b);
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
		ck_assert_ptr_eq(shmfs_ns_remove(&ns, names[i]), o[i]);
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
		ck_assert_uint_eq(o[i]->nlink, 1);
	}
	snprintf(name, sizeof(name), "psm_%d", N);
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, name));

	/* Remove the odd ones, check, then the rest in reverse. */
	for (int i = 1; i < N; i += 2) {
		snprintf(name, sizeof(name), "psm_%d", i);
		ck_assert_ptr_eq(shmfs_ns_remove(&ns, name), o[i]);
	}
	ck_assert_uint_eq(ns.count, N / 2);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "psm_%d", i);
		ck_assert_ptr_eq(shmfs_ns_lookup(&ns, name),
				 i % 2 ? NULL : o[i]);
		ck_assert_uint_eq(o[i]->nlink, !(i % 2));
	}
	for (int i = N - 2; i >= 0; i -= 2) {
		snprintf(name, sizeof(name), "psm_%d", i);
		ck_assert_ptr_eq(shmfs_ns_remove(&ns, name), o[i]);
	}
	ck_assert_uint_eq(ns.count, 0);
	ck_assert_ptr_null(ns.head);
	for (int i = 0; i < N; i++) {
		ck_assert_uint_eq(o[i]->nlink, 0);
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
	ck_assert_int_eq(shmfs_ns_move(&ns, "x", "y", &r), 0);
	ck_assert_ptr_null(r);
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "x"));
	assert_only_name(a, "y");
	assert_named(b, "other");
	ck_assert_uint_eq(ns.count, 2);
	/* And back: the old name is free. */
	ck_assert_int_eq(shmfs_ns_move(&ns, "y", "x", &r), 0);
	ck_assert_ptr_null(r);
	assert_only_name(a, "x");
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
	ck_assert_int_eq(shmfs_ns_move(&ns, "x", "y", &r), 0);
	ck_assert_ptr_eq(r, b);
	assert_unnamed(b);
	assert_only_name(a, "y");
	assert_named(c, "z");
	ck_assert_ptr_null(shmfs_ns_lookup(&ns, "x"));
	ck_assert_uint_eq(ns.count, 2);
	/* The replaced object is the caller's to release. */
	ck_assert(shmfs_obj_release_if_unused(&st, b));

	ck_assert_int_eq(shmfs_ns_move(&ns, "z", "y", &r), 0);
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
	ck_assert_int_eq(shmfs_ns_move(&ns, "x", "x", &r), 0);
	ck_assert_ptr_null(r);
	assert_only_name(a, "x");
	assert_only_name(b, "y");
	ck_assert_uint_eq(ns.count, 2);
	/* Two names of one object: nothing changes, both stay (POSIX). */
	ck_assert_int_eq(shmfs_ns_insert(&ns, "x2", a), 0);
	r = (void *)1;
	ck_assert_int_eq(shmfs_ns_move(&ns, "x", "x2", &r), 0);
	ck_assert_ptr_null(r);
	assert_named(a, "x");
	assert_named(a, "x2");
	ck_assert_uint_eq(names_of(a), 2);
	ck_assert_uint_eq(ns.count, 3);
}
END_TEST

START_TEST(test_exchange)
{
	struct shmfs_obj *a = new_obj(), *b = new_obj(), *c = new_obj();

	ck_assert_int_eq(shmfs_ns_insert(&ns, "x", a), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "y", b), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "z", c), 0);
	shmfs_ns_exchange(&ns, "x", "y");
	assert_only_name(a, "y");
	assert_only_name(b, "x");
	assert_only_name(c, "z");
	ck_assert_uint_eq(ns.count, 3);
	shmfs_ns_exchange(&ns, "x", "y");
	assert_only_name(a, "x");
	assert_only_name(b, "y");
	shmfs_ns_exchange(&ns, "z", "x");
	assert_only_name(a, "z");
	assert_only_name(c, "x");
	assert_only_name(b, "y");
	ck_assert_uint_eq(ns.count, 3);
	/* The names stay removable under their new owners. */
	ck_assert_ptr_eq(shmfs_ns_remove(&ns, "z"), a);
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
			char from[32];

			chain_name(from, sizeof(from), at[i]);
			ck_assert_int_eq(shmfs_ns_move(&ns, from, name, &r), 0);
			ck_assert_ptr_eq(r, o[j]);
			ck_assert_uint_eq(o[j]->nlink, 0);
			/* Its old name is free now. */
			chain_name(name, sizeof(name), at[i]);
			ck_assert_ptr_null(shmfs_ns_lookup(&ns, name));
			at[i] = at[j];
			at[j] = N + step;
			chain_name(name, sizeof(name), at[j]);
			ck_assert_int_eq(shmfs_ns_insert(&ns, name, o[j]), 0);
		} else {
			char a[32], b[32];

			chain_name(a, sizeof(a), at[i]);
			chain_name(b, sizeof(b), at[j]);
			shmfs_ns_exchange(&ns, a, b);
			t = at[i];
			at[i] = at[j];
			at[j] = t;
		}
	}
	ck_assert_uint_eq(ns.count, N);
	for (int i = 0; i < N; i++) {
		chain_name(name, sizeof(name), at[i]);
		assert_named(o[i], name);
		ck_assert_uint_eq(o[i]->nlink, 1);
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
	ck_assert_ptr_eq(shmfs_ns_remove(&ns, "obj10"), o[10]);
	memset(seen, 0, sizeof(seen));
	v = (struct visit){ .seen = seen, .base = o[0]->ino, .nseen = N };
	shmfs_ns_foreach(&ns, visit_fn, &v);
	ck_assert_uint_eq(v.calls, N - 1);
	for (int i = 0; i < N; i++)
		ck_assert_uint_eq(seen[i], i == 10 ? 0 : 1);
	ck_assert_uint_eq(loose->nlink, 0);

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

START_TEST(test_links)
{
	struct shmfs_obj *a = new_obj(), *b = new_obj(), *r;

	ck_assert_int_eq(shmfs_ns_insert(&ns, "a", a), 0);
	/* A second and a third name for a; a taken name stays EEXIST. */
	ck_assert_int_eq(shmfs_ns_insert(&ns, "a2", a), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "a3", a), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "a", a), EEXIST);
	ck_assert_uint_eq(a->nlink, 3);
	ck_assert_uint_eq(names_of(a), 3);
	ck_assert_uint_eq(ns.count, 3);

	/* Each remove takes one name; the object is held until the last. */
	ck_assert_ptr_eq(shmfs_ns_remove(&ns, "a"), a);
	ck_assert_uint_eq(a->nlink, 2);
	ck_assert(!shmfs_obj_release_if_unused(&st, a));
	assert_named(a, "a2");

	/* Renaming one name moves that name only. */
	ck_assert_int_eq(shmfs_ns_move(&ns, "a2", "b", &r), 0);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(names_of(a), 2);
	assert_named(a, "b");
	assert_named(a, "a3");

	/* Onto another object's name: that one loses it, a keeps its count. */
	ck_assert_int_eq(shmfs_ns_insert(&ns, "bb", b), 0);
	ck_assert_int_eq(shmfs_ns_move(&ns, "b", "bb", &r), 0);
	ck_assert_ptr_eq(r, b);
	assert_unnamed(b);
	ck_assert_uint_eq(names_of(a), 2);
	ck_assert(shmfs_obj_release_if_unused(&st, b));

	/* An exchange of two names of one object changes nothing. */
	shmfs_ns_exchange(&ns, "bb", "a3");
	ck_assert_uint_eq(names_of(a), 2);

	/* Exchange of one of several names with another object's name. */
	b = new_obj();
	ck_assert_int_eq(shmfs_ns_insert(&ns, "c", b), 0);
	shmfs_ns_exchange(&ns, "a3", "c");
	ck_assert_ptr_eq(shmfs_ns_lookup(&ns, "a3"), b);
	ck_assert_ptr_eq(shmfs_ns_lookup(&ns, "c"), a);
	ck_assert_ptr_eq(shmfs_ns_lookup(&ns, "bb"), a);
	ck_assert_uint_eq(names_of(a), 2);
	ck_assert_uint_eq(names_of(b), 1);

	ck_assert_ptr_eq(shmfs_ns_remove(&ns, "bb"), a);
	ck_assert_ptr_eq(shmfs_ns_remove(&ns, "c"), a);
	assert_unnamed(a);
	ck_assert(shmfs_obj_release_if_unused(&st, a));
	ck_assert_uint_eq(ns.count, 1);
}
END_TEST

struct order {
	char names[64][16];
	size_t n;
};

static int order_fn(const char *name, struct shmfs_obj *obj, void *ctx)
{
	struct order *o = ctx;

	ck_assert_uint_lt(o->n, 64);
	snprintf(o->names[o->n++], sizeof(o->names[0]), "%s", name);
	return 0;
}

START_TEST(test_foreach_order)
{
	struct shmfs_obj *a = new_obj(), *b = new_obj(), *r;
	struct order o = { .n = 0 };
	struct shmfs_name *cur = shmfs_ns_cursor_new();

	ck_assert_int_eq(shmfs_ns_insert(&ns, "3", a), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "1", b), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "2", a), 0);
	/* A cursor on the list is never visited. */
	ck_assert_ptr_nonnull(shmfs_ns_cursor_seek(&ns, cur, 0));
	/* A rename to a free name keeps the place; onto a name, that name's. */
	ck_assert_int_eq(shmfs_ns_move(&ns, "1", "x", &r), 0);
	ck_assert_int_eq(shmfs_ns_insert(&ns, "4", b), 0);
	ck_assert_int_eq(shmfs_ns_move(&ns, "4", "3", &r), 0);
	ck_assert_ptr_eq(r, a);
	shmfs_ns_foreach(&ns, order_fn, &o);
	ck_assert_uint_eq(o.n, 3);
	ck_assert_str_eq(o.names[0], "3");
	ck_assert_str_eq(o.names[1], "x");
	ck_assert_str_eq(o.names[2], "2");
	ck_assert_ptr_eq(shmfs_ns_lookup(&ns, "3"), b);
	shmfs_ns_cursor_free(&ns, cur);
}
END_TEST

/* Lists the namespace through cur from offset off, `max` names at most. */
static size_t cursor_list(struct shmfs_name *cur, uint64_t off, size_t max,
			  uint64_t *offs, const char **names)
{
	size_t k = 0;

	for (struct shmfs_name *n = shmfs_ns_cursor_seek(&ns, cur, off);
	     n && k < max; n = shmfs_ns_cursor_advance(&ns, cur, n)) {
		ck_assert_ptr_nonnull(n->obj);
		if (k)
			ck_assert_uint_gt(n->off,
					  offs[k - 1]); /* offsets grow */
		ck_assert_uint_gt(n->off, off);
		offs[k] = n->off;
		names[k++] = n->name;
	}
	return k;
}

START_TEST(test_cursors)
{
	enum {
		N = 100
	};
	struct shmfs_obj *o[N];
	struct shmfs_name *c1 = shmfs_ns_cursor_new(),
			  *c2 = shmfs_ns_cursor_new();
	uint64_t offs[N + 1];
	const char *names[N + 1];
	char name[16];
	size_t k;

	ck_assert_ptr_nonnull(c1);
	ck_assert_ptr_nonnull(c2);
	/* Empty: nothing, and placing a cursor changes no count. */
	ck_assert_uint_eq(cursor_list(c1, 0, N, offs, names), 0);
	ck_assert_uint_eq(ns.count, 0);
	for (int i = 0; i < N; i++) {
		o[i] = new_obj();
		snprintf(name, sizeof(name), "n%d", i);
		ck_assert_int_eq(shmfs_ns_insert(&ns, name, o[i]), 0);
	}
	/* Offsets start after the dots and follow insertion. */
	k = cursor_list(c1, 0, N + 1, offs, names);
	ck_assert_uint_eq(k, N);
	ck_assert_uint_eq(offs[0], SHMFS_NS_FIRST_OFF);
	ck_assert_str_eq(names[0], "n0");
	ck_assert_str_eq(names[N - 1], "n99");
	/* At the end, a new name shows up after the cursor. */
	o[0]->nopen = 1; /* kept */
	ck_assert_int_eq(shmfs_ns_insert(&ns, "late", o[0]), 0);
	k = cursor_list(c1, offs[N - 1], 10, offs, names);
	ck_assert_uint_eq(k, 1);
	ck_assert_str_eq(names[0], "late");
	ck_assert_ptr_eq(shmfs_ns_remove(&ns, "late"), o[0]);

	/* Two streams in steps of 7 and 13, one removing names as it goes. */
	uint64_t p1 = 0, p2 = 0;
	size_t seen1 = 0, seen2 = 0;
	int removed = 0;

	for (;;) {
		size_t k1 = cursor_list(c1, p1, 7, offs, names);

		if (k1)
			p1 = offs[k1 - 1];
		seen1 += k1;
		size_t k2 = cursor_list(c2, p2, 13, offs, names);

		if (k2)
			p2 = offs[k2 - 1];
		seen2 += k2;
		/* Remove a name c1 has passed and one neither has reached. */
		for (int i = 0; i < N && removed < 2 * (int)(seen1 / 7 + 1);
		     i++) {
			snprintf(name, sizeof(name), "n%d", i);
			if (shmfs_ns_lookup(&ns, name) && (i % 5 == 0)) {
				shmfs_ns_remove(&ns, name);
				removed++;
			}
		}
		if (!k1 && !k2)
			break;
	}
	ck_assert_uint_le(seen1, N);
	ck_assert_uint_le(seen2, N);
	/* Every name not a multiple of 5 was never removed: both saw it. */
	ck_assert_uint_ge(seen1, N - N / 5);
	ck_assert_uint_ge(seen2, N - N / 5);

	/* Seeking back over part of a reply, and a rewind. */
	k = cursor_list(c1, 0, N, offs, names);
	ck_assert_uint_eq(k, ns.count);
	uint64_t mid = offs[k / 2];
	const char *after_mid = names[k / 2 + 1];

	(void)cursor_list(c1, offs[k - 1], N, offs, names); /* c1 at the end */
	k = cursor_list(c1, mid, 1, offs, names);
	ck_assert_uint_eq(k, 1);
	ck_assert_str_eq(names[0], after_mid);
	/* A seek forward past names skips them. */
	k = cursor_list(c2, 0, 1, offs, names);
	ck_assert_uint_eq(k, 1);
	k = cursor_list(c2, mid, 1, offs, names);
	ck_assert_str_eq(names[0], after_mid);

	/* Removing every name leaves the cursors valid, alone on the list. */
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		shmfs_ns_remove(&ns, name);
	}
	ck_assert_uint_eq(ns.count, 0);
	ck_assert_uint_eq(cursor_list(c1, mid, N, offs, names), 0);
	ck_assert_uint_eq(cursor_list(c2, 0, N, offs, names), 0);
	shmfs_ns_cursor_free(&ns, c1);
	ck_assert_ptr_eq(ns.head, c2);
	shmfs_ns_cursor_free(&ns, c2);
	ck_assert_ptr_null(ns.head);
	ck_assert_ptr_null(ns.tail);
	/* A cursor never placed frees too. */
	shmfs_ns_cursor_free(&ns, shmfs_ns_cursor_new());
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
	tcase_add_test(tc, test_foreach_order);
	tcase_add_test(tc, test_cursors);
	suite_add_tcase(s, tc);

	tc = tcase_create("links");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_links);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(ns_suite, NULL);
}
