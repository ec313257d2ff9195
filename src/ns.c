/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ns.c: the flat name -> object dictionary and its ordered list of names
 * and directory cursors (see ns.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ns.h"

#define NS_MIN_BUCKETS 64

static uint32_t ns_hash(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

int shmfs_ns_init(struct shmfs_ns *ns)
{
	memset(ns, 0, sizeof(*ns));
	ns->next_off = SHMFS_NS_FIRST_OFF;
	ns->nbuckets = NS_MIN_BUCKETS;
	ns->buckets = calloc(ns->nbuckets, sizeof(*ns->buckets));
	return ns->buckets ? 0 : ENOMEM;
}

void shmfs_ns_destroy(struct shmfs_ns *ns)
{
	for (struct shmfs_name *n = ns->head, *next; n; n = next) {
		next = n->next;
		free(n);
	}
	free(ns->buckets);
	memset(ns, 0, sizeof(*ns));
}

/* ---- The hash table ---- */

static struct shmfs_name **ns_bucket(const struct shmfs_ns *ns, uint32_t hash)
{
	return &ns->buckets[hash & (ns->nbuckets - 1)];
}

static struct shmfs_name *ns_find(const struct shmfs_ns *ns, const char *name)
{
	uint32_t hash = ns_hash(name);

	for (struct shmfs_name *n = *ns_bucket(ns, hash); n; n = n->hash_next)
		if (n->hash == hash && strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

struct shmfs_obj *shmfs_ns_lookup(const struct shmfs_ns *ns, const char *name)
{
	struct shmfs_name *n = ns_find(ns, name);

	return n ? n->obj : NULL;
}

/* Doubles the table at load factor 1; failure only keeps chains longer. */
static void ns_grow(struct shmfs_ns *ns)
{
	size_t nb = ns->nbuckets * 2;
	struct shmfs_name **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < ns->nbuckets; i++) {
		for (struct shmfs_name *n = ns->buckets[i], *next; n;
		     n = next) {
			next = n->hash_next;
			n->hash_next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(ns->buckets);
	ns->buckets = b;
	ns->nbuckets = nb;
}

static void ns_hash_add(struct shmfs_ns *ns, struct shmfs_name *n)
{
	struct shmfs_name **b = ns_bucket(ns, n->hash);

	n->hash_next = *b;
	*b = n;
}

static void ns_hash_del(struct shmfs_ns *ns, struct shmfs_name *n)
{
	struct shmfs_name **pp = ns_bucket(ns, n->hash);

	while (*pp != n)
		pp = &(*pp)->hash_next;
	*pp = n->hash_next;
	n->hash_next = NULL;
}

/* ---- The ordered list ---- */

/* Puts n on the list before `before` (NULL: at the tail). */
static void ns_list_add(struct shmfs_ns *ns, struct shmfs_name *n,
			struct shmfs_name *before)
{
	n->next = before;
	n->prev = before ? before->prev : ns->tail;
	if (n->prev)
		n->prev->next = n;
	else
		ns->head = n;
	if (before)
		before->prev = n;
	else
		ns->tail = n;
}

static void ns_list_del(struct shmfs_ns *ns, struct shmfs_name *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		ns->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		ns->tail = n->prev;
	n->prev = n->next = NULL;
}

static struct shmfs_name *ns_name_new(const char *name)
{
	size_t len = strlen(name);
	struct shmfs_name *n = malloc(sizeof(*n) + len + 1);

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	memcpy(n->name, name, len + 1);
	n->hash = ns_hash(n->name);
	return n;
}

/* Takes n (a name) out of both the table and the list, and frees it. */
static void ns_name_free(struct shmfs_ns *ns, struct shmfs_name *n)
{
	ns_hash_del(ns, n);
	ns_list_del(ns, n);
	ns->count--;
	free(n);
}

/* ---- Names ---- */

int shmfs_ns_insert(struct shmfs_ns *ns, const char *name,
		    struct shmfs_obj *obj)
{
	struct shmfs_name *n;

	if (ns_find(ns, name))
		return EEXIST;
	n = ns_name_new(name);
	if (!n)
		return ENOMEM;
	if (ns->count >= ns->nbuckets)
		ns_grow(ns);
	n->obj = obj;
	n->off = ns->next_off++;
	ns_hash_add(ns, n);
	ns_list_add(ns, n, NULL);
	ns->count++;
	obj->nlink++;
	return 0;
}

struct shmfs_obj *shmfs_ns_remove(struct shmfs_ns *ns, const char *name)
{
	struct shmfs_name *n = ns_find(ns, name);
	struct shmfs_obj *obj;

	if (!n)
		return NULL;
	obj = n->obj;
	ns_name_free(ns, n);
	obj->nlink--;
	return obj;
}

int shmfs_ns_move(struct shmfs_ns *ns, const char *from, const char *to,
		  struct shmfs_obj **replaced)
{
	struct shmfs_name *nf = ns_find(ns, from), *nt = ns_find(ns, to);
	struct shmfs_obj *obj = nf->obj;

	*replaced = NULL;
	if (nt && nt->obj == obj)
		return 0; /* the same object (or the same name): POSIX says do nothing */
	if (nt) {
		/*
		 * The name `to` existed all along: it keeps its place in the list,
		 * so a listing under way shows it exactly once; the object there
		 * loses this name, and `from` goes.
		 */
		*replaced = nt->obj;
		(*replaced)->nlink--;
		nt->obj = obj;
	} else {
		/* A new name takes the old one's place and offset. */
		nt = ns_name_new(to);
		if (!nt)
			return ENOMEM;
		nt->obj = obj;
		nt->off = nf->off;
		ns_hash_add(ns, nt);
		ns_list_add(ns, nt, nf);
		ns->count++;
	}
	ns_name_free(ns, nf);
	return 0;
}

void shmfs_ns_exchange(struct shmfs_ns *ns, const char *a, const char *b)
{
	struct shmfs_name *na = ns_find(ns, a), *nb = ns_find(ns, b);
	struct shmfs_obj *o = na->obj;

	/* Each object keeps its count of names. */
	na->obj = nb->obj;
	nb->obj = o;
}

void shmfs_ns_foreach(const struct shmfs_ns *ns,
		      int (*fn)(const char *name, struct shmfs_obj *obj,
				void *ctx),
		      void *ctx)
{
	for (struct shmfs_name *n = ns->head; n; n = n->next)
		if (n->obj && fn(n->name, n->obj, ctx))
			return;
}

/* ---- Directory cursors ---- */

struct shmfs_name *shmfs_ns_cursor_new(void)
{
	return calloc(1, sizeof(struct shmfs_name));
}

static bool ns_cursor_placed(const struct shmfs_ns *ns,
			     const struct shmfs_name *cur)
{
	return cur->prev || ns->head == cur;
}

void shmfs_ns_cursor_free(struct shmfs_ns *ns, struct shmfs_name *cur)
{
	if (cur && ns_cursor_placed(ns, cur))
		ns_list_del(ns, cur);
	free(cur);
}

/* The first name after cur, skipping other cursors. */
static struct shmfs_name *ns_name_after(struct shmfs_name *cur)
{
	struct shmfs_name *n = cur->next;

	while (n && !n->obj)
		n = n->next;
	return n;
}

struct shmfs_name *shmfs_ns_cursor_seek(struct shmfs_ns *ns,
					struct shmfs_name *cur, uint64_t off)
{
	struct shmfs_name *before; /* cur goes before this one (NULL: the tail) */

	if (ns_cursor_placed(ns, cur) && off >= cur->off) {
		before = cur->next;
		ns_list_del(ns, cur);
		while (before && before->off <= off)
			before = before->next;
	} else if (ns_cursor_placed(ns, cur) && off >= SHMFS_NS_FIRST_OFF) {
		/* Back over part of a reply the caller could not take in. */
		struct shmfs_name *p = cur->prev;

		ns_list_del(ns, cur);
		while (p && p->off > off)
			p = p->prev;
		before = p ? p->next : ns->head;
	} else {
		/*
		 * XXX a rewind costs nothing, but a far seek on a stream that has no
		 * place yet (the kernel answered its start from its cached listing)
		 * walks from the head, which is O(names) under the caller's lock.
		 */
		if (ns_cursor_placed(ns, cur))
			ns_list_del(ns, cur);
		before = ns->head;
		while (before && before->off <= off)
			before = before->next;
	}
	cur->off = off;
	ns_list_add(ns, cur, before);
	return ns_name_after(cur);
}

struct shmfs_name *shmfs_ns_cursor_advance(struct shmfs_ns *ns,
					   struct shmfs_name *cur,
					   struct shmfs_name *n)
{
	ns_list_del(ns, cur);
	cur->off = n->off;
	ns_list_add(ns, cur, n->next);
	return ns_name_after(cur);
}
