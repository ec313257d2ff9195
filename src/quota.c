/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * quota.c: per-user accounts (see quota.h): a hash table from uid to the
 * pages and objects charged to it.  A user whose last object goes is
 * dropped, so the table holds only users owning objects.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "quota.h"

struct shmfs_quota_user {
	struct shmfs_quota_user *next;
	uid_t uid;
	uint64_t pages, objects;
};

#define INITIAL_BUCKETS 16

static size_t bucket_of(const struct shmfs_quota *q, uid_t uid)
{
	return (size_t)(((uint64_t)uid * UINT64_C(0x9e3779b97f4a7c15)) >> 32) &
	       (q->nbuckets - 1);
}

static struct shmfs_quota_user *find(const struct shmfs_quota *q, uid_t uid)
{
	struct shmfs_quota_user *u = q->buckets[bucket_of(q, uid)];

	while (u && u->uid != uid)
		u = u->next;
	return u;
}

/* Doubles the table when it is full; failing to is harmless (longer chains). */
static void maybe_grow(struct shmfs_quota *q)
{
	size_t n = q->nbuckets * 2;
	struct shmfs_quota_user **b;

	if (q->nusers < q->nbuckets)
		return;
	b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < q->nbuckets; i++) {
		while (q->buckets[i]) {
			struct shmfs_quota_user *u = q->buckets[i];
			size_t j;

			q->buckets[i] = u->next;
			j = (size_t)(((uint64_t)u->uid *
				      UINT64_C(0x9e3779b97f4a7c15)) >>
				     32) &
			    (n - 1);
			u->next = b[j];
			b[j] = u;
		}
	}
	free(q->buckets);
	q->buckets = b;
	q->nbuckets = n;
}

/* uid's entry, made if missing; NULL if out of memory. */
static struct shmfs_quota_user *get(struct shmfs_quota *q, uid_t uid)
{
	struct shmfs_quota_user *u = find(q, uid);
	size_t b;

	if (u)
		return u;
	maybe_grow(q);
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->uid = uid;
	b = bucket_of(q, uid);
	u->next = q->buckets[b];
	q->buckets[b] = u;
	q->nusers++;
	return u;
}

/* Drops uid's entry once it owns nothing. */
static void put(struct shmfs_quota *q, struct shmfs_quota_user *u)
{
	struct shmfs_quota_user **p;

	if (u->objects || u->pages)
		return;
	for (p = &q->buckets[bucket_of(q, u->uid)]; *p != u; p = &(*p)->next)
		;
	*p = u->next;
	free(u);
	q->nusers--;
}

int shmfs_quota_init(struct shmfs_quota *q, uint64_t limit_pages,
		     uint64_t limit_objects)
{
	q->limit_pages = limit_pages;
	q->limit_objects = limit_objects;
	q->nusers = 0;
	q->nbuckets = INITIAL_BUCKETS;
	q->buckets = calloc(q->nbuckets, sizeof(*q->buckets));
	return q->buckets ? 0 : ENOMEM;
}

void shmfs_quota_destroy(struct shmfs_quota *q)
{
	if (!q || !q->buckets)
		return;
	for (size_t i = 0; i < q->nbuckets; i++) {
		while (q->buckets[i]) {
			struct shmfs_quota_user *u = q->buckets[i];

			q->buckets[i] = u->next;
			free(u);
		}
	}
	free(q->buckets);
	q->buckets = NULL;
	q->nusers = 0;
}

int shmfs_quota_new_object(struct shmfs_quota *q, uid_t uid)
{
	struct shmfs_quota_user *u;

	if (!q)
		return 0;
	u = get(q, uid);
	if (!u)
		return ENOMEM;
	if (uid != 0 && u->objects >= q->limit_objects) {
		put(q, u);
		return ENOSPC;
	}
	u->objects++;
	return 0;
}

void shmfs_quota_free_object(struct shmfs_quota *q, uid_t uid, uint64_t pages)
{
	struct shmfs_quota_user *u = q ? find(q, uid) : NULL;

	if (!u)
		return;
	u->objects -= u->objects ? 1 : 0;
	u->pages -= pages < u->pages ? pages : u->pages;
	put(q, u);
}

int shmfs_quota_resize(struct shmfs_quota *q, uid_t uid, uint64_t old_pages,
		       uint64_t new_pages)
{
	struct shmfs_quota_user *u = q ? find(q, uid) : NULL;

	if (!u || new_pages == old_pages)
		return 0;
	if (new_pages > old_pages) {
		uint64_t more = new_pages - old_pages;

		if (uid != 0 && (u->pages > q->limit_pages ||
				 more > q->limit_pages - u->pages))
			return ENOSPC;
		u->pages += more;
	} else {
		uint64_t less = old_pages - new_pages;

		u->pages -= less < u->pages ? less : u->pages;
	}
	return 0;
}

int shmfs_quota_chown(struct shmfs_quota *q, uid_t old_uid, uid_t new_uid,
		      uint64_t pages)
{
	struct shmfs_quota_user *from, *to;

	if (!q || old_uid == new_uid)
		return 0;
	to = get(q, new_uid);
	if (!to)
		return ENOMEM;
	from = find(q, old_uid);
	to->objects++;
	to->pages += pages;
	if (from) {
		from->objects -= from->objects ? 1 : 0;
		from->pages -= pages < from->pages ? pages : from->pages;
		put(q, from);
	}
	return 0;
}

void shmfs_quota_usage(const struct shmfs_quota *q, uid_t uid, uint64_t *pages,
		       uint64_t *objects)
{
	const struct shmfs_quota_user *u = q ? find(q, uid) : NULL;

	*pages = u ? u->pages : 0;
	*objects = u ? u->objects : 0;
}
