/*
 * ns.c: the flat name -> object dictionary (see ns.h).
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
	ns->count = 0;
	ns->nbuckets = NS_MIN_BUCKETS;
	ns->buckets = calloc(ns->nbuckets, sizeof(*ns->buckets));
	return ns->buckets ? 0 : ENOMEM;
}

void shmfs_ns_destroy(struct shmfs_ns *ns)
{
	free(ns->buckets);
	ns->buckets = NULL;
	ns->nbuckets = ns->count = 0;
}

static struct shmfs_obj **ns_bucket(const struct shmfs_ns *ns, uint32_t hash)
{
	return &ns->buckets[hash & (ns->nbuckets - 1)];
}

struct shmfs_obj *shmfs_ns_lookup(const struct shmfs_ns *ns, const char *name)
{
	uint32_t hash = ns_hash(name);

	for (struct shmfs_obj *o = *ns_bucket(ns, hash); o; o = o->hash_next)
		if (o->name_hash == hash && strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* Doubles the table at load factor 1; failure only keeps chains longer. */
static void ns_grow(struct shmfs_ns *ns)
{
	size_t n = ns->nbuckets * 2;
	struct shmfs_obj **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < ns->nbuckets; i++) {
		struct shmfs_obj *o = ns->buckets[i], *next;

		for (; o; o = next) {
			next = o->hash_next;
			o->hash_next = b[o->name_hash & (n - 1)];
			b[o->name_hash & (n - 1)] = o;
		}
	}
	free(ns->buckets);
	ns->buckets = b;
	ns->nbuckets = n;
}

static void ns_link(struct shmfs_ns *ns, struct shmfs_obj *obj, char *name, uint32_t hash)
{
	struct shmfs_obj **b = ns_bucket(ns, hash);

	obj->name = name;
	obj->name_hash = hash;
	obj->hash_next = *b;
	*b = obj;
	obj->linked = true;
	ns->count++;
}

static void ns_unlink(struct shmfs_ns *ns, struct shmfs_obj *obj)
{
	struct shmfs_obj **pp = ns_bucket(ns, obj->name_hash);

	while (*pp != obj)
		pp = &(*pp)->hash_next;
	*pp = obj->hash_next;
	obj->hash_next = NULL;
	obj->linked = false;
	ns->count--;
}

int shmfs_ns_insert(struct shmfs_ns *ns, const char *name, struct shmfs_obj *obj)
{
	char *copy;

	if (shmfs_ns_lookup(ns, name))
		return EEXIST;
	copy = strdup(name);
	if (!copy)
		return ENOMEM;
	if (ns->count >= ns->nbuckets)
		ns_grow(ns);
	ns_link(ns, obj, copy, ns_hash(copy));
	return 0;
}

void shmfs_ns_remove(struct shmfs_ns *ns, struct shmfs_obj *obj)
{
	ns_unlink(ns, obj);
	free(obj->name);
	obj->name = NULL;
}

int shmfs_ns_move(struct shmfs_ns *ns, struct shmfs_obj *obj, const char *to,
		  struct shmfs_obj **replaced)
{
	char *copy = strdup(to);

	*replaced = NULL;
	if (!copy)
		return ENOMEM;
	/* The target's name goes first, so the dictionary never holds a duplicate. */
	*replaced = shmfs_ns_lookup(ns, to);
	if (*replaced == obj) {
		*replaced = NULL;
		free(copy);
		return 0;
	}
	if (*replaced)
		shmfs_ns_remove(ns, *replaced);
	ns_unlink(ns, obj);
	free(obj->name);
	ns_link(ns, obj, copy, ns_hash(copy));
	return 0;
}

void shmfs_ns_exchange(struct shmfs_ns *ns, struct shmfs_obj *a, struct shmfs_obj *b)
{
	char *name_a = a->name, *name_b = b->name;
	uint32_t hash_a = a->name_hash, hash_b = b->name_hash;

	ns_unlink(ns, a);
	ns_unlink(ns, b);
	ns_link(ns, a, name_b, hash_b);
	ns_link(ns, b, name_a, hash_a);
}

void shmfs_ns_foreach(const struct shmfs_ns *ns, int (*fn)(struct shmfs_obj *obj, void *ctx),
		      void *ctx)
{
	for (size_t i = 0; i < ns->nbuckets; i++)
		for (struct shmfs_obj *o = ns->buckets[i]; o; o = o->hash_next)
			if (fn(o, ctx))
				return;
}
