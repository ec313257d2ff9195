/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * quota.h: per-user accounts of a mount (user_size=, user_nr_objects=):
 * the pages promised to and the objects owned by each uid, named or
 * anonymous, against per-uid limits.  The store charges an object's owner
 * at its creation, growth, shrinking and freeing; chown moves the charges.
 * Root (uid 0) is counted but never limited.  Every function accepts a
 * NULL quota (no per-user limits) and then does nothing.  Not thread-safe:
 * callers hold the filesystem lock, as for the store.
 */
#ifndef SHMFS_QUOTA_H
#define SHMFS_QUOTA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct shmfs_quota_user;

struct shmfs_quota {
	uint64_t limit_pages;	/* per uid; UINT64_MAX: none */
	uint64_t limit_objects; /* per uid; UINT64_MAX: none */
	struct shmfs_quota_user **buckets;
	size_t nbuckets, nusers;
};

/* Limits in pages and objects, UINT64_MAX for none.  Returns 0 or ENOMEM. */
int shmfs_quota_init(struct shmfs_quota *q, uint64_t limit_pages,
		     uint64_t limit_objects);
void shmfs_quota_destroy(struct shmfs_quota *q);

/* Charges a new object to uid: 0, ENOSPC over uid's object limit, or ENOMEM. */
int shmfs_quota_new_object(struct shmfs_quota *q, uid_t uid);

/* Uncharges a freed object of uid holding pages promised pages. */
void shmfs_quota_free_object(struct shmfs_quota *q, uid_t uid, uint64_t pages);

/*
 * An object of uid goes from old_pages to new_pages promised: 0, or ENOSPC
 * (nothing charged) if growth would pass uid's page limit.
 */
int shmfs_quota_resize(struct shmfs_quota *q, uid_t uid, uint64_t old_pages,
		       uint64_t new_pages);

/*
 * chown: moves an object holding pages pages from old_uid to new_uid,
 * unchecked (only root gives objects away).  0 or ENOMEM (nothing moved).
 */
int shmfs_quota_chown(struct shmfs_quota *q, uid_t old_uid, uid_t new_uid,
		      uint64_t pages);

/* uid's pages and objects (0 and 0 for a user without objects). */
void shmfs_quota_usage(const struct shmfs_quota *q, uid_t uid, uint64_t *pages,
		       uint64_t *objects);

#endif
