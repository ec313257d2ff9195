/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * perm.c: permission checks from request credentials (see perm.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "perm.h"

void shmfs_cred_init(struct shmfs_cred *cred, uid_t uid, gid_t gid,
		     int (*fetch_groups)(void *ctx, int size, gid_t *list), void *ctx)
{
	cred->uid = uid;
	cred->gid = gid;
	cred->fetch_groups = fetch_groups;
	cred->ctx = ctx;
	cred->ngroups = fetch_groups ? -1 : 0;
}

/* True if gid is in list[0..n). */
static bool in_list(const gid_t *list, int n, gid_t gid)
{
	for (int i = 0; i < n; i++)
		if (list[i] == gid)
			return true;
	return false;
}

/*
 * A caller with more groups than the inline array holds (rare: NGROUPS_MAX
 * is 65536) has them fetched into a heap buffer for each question, so that
 * a credential owns no memory and needs no destructor.  The count may grow
 * between the fetches: retry until the list fits.
 */
static bool in_many_groups(struct shmfs_cred *cred, gid_t gid)
{
	int size = cred->ngroups;
	bool found = false;

	for (;;) {
		gid_t *list = malloc((size_t)size * sizeof(*list));
		int n;

		if (!list)
			return false; /* as a failed fetch: no supplementary groups */
		n = cred->fetch_groups(cred->ctx, size, list);
		if (n >= 0 && n <= size)
			found = in_list(list, n, gid);
		free(list);
		if (n <= size)
			return found;
		size = n;
	}
}

bool shmfs_cred_in_group(struct shmfs_cred *cred, gid_t gid)
{
	if (cred->gid == gid)
		return true;
	if (cred->ngroups < 0) {
		int n = cred->fetch_groups(cred->ctx, SHMFS_CRED_INLINE_GROUPS,
					   cred->groups);

		/* More than fit: n is the true count, and the array only the first few. */
		cred->ngroups = n < 0 ? 0 : n;
	}
	if (cred->ngroups > SHMFS_CRED_INLINE_GROUPS)
		return in_many_groups(cred, gid);
	return in_list(cred->groups, cred->ngroups, gid);
}

int shmfs_perm_check(struct shmfs_cred *cred, uid_t uid, gid_t gid, mode_t mode,
		     int want)
{
	mode_t bits;

	if (cred->uid == 0) {
		/* Root may execute only what someone may execute. */
		if ((want & SHMFS_MAY_EXEC) && !(mode & 0111))
			return EACCES;
		return 0;
	}
	if (cred->uid == uid)
		bits = (mode >> 6) & 7;
	else if (((mode >> 3) & 7) == (mode & 7) && cred->gid != gid)
		bits = mode & 7; /* group and other agree: skip the group lookup */
	else if (shmfs_cred_in_group(cred, gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	return ((mode_t)want & ~bits) ? EACCES : 0;
}

int shmfs_perm_owner(const struct shmfs_cred *cred, uid_t uid)
{
	return cred->uid == 0 || cred->uid == uid ? 0 : EPERM;
}

int shmfs_perm_chown(struct shmfs_cred *cred, uid_t uid, gid_t gid, uid_t new_uid,
		     gid_t new_gid)
{
	if (cred->uid == 0)
		return 0;
	if (new_uid != (uid_t)-1 && new_uid != uid)
		return EPERM;
	if (new_gid != (gid_t)-1 && new_gid != gid &&
	    (cred->uid != uid || !shmfs_cred_in_group(cred, new_gid)))
		return EPERM;
	/* Linux lets the owner "change" to the same owner and group. */
	if ((new_uid != (uid_t)-1 || new_gid != (gid_t)-1) && cred->uid != uid)
		return EPERM;
	return 0;
}
