/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * perm.h: the permission model of shmfs(7), Permissions: owner, then group
 * (supplementary groups included), then other; the first class that matches
 * decides; root may do anything.  Supplementary groups cost a read of
 * /proc, so they are fetched only when they could change the answer; all
 * of them count, as in the kernel, however many there are.
 */
#ifndef SHMFS_PERM_H
#define SHMFS_PERM_H

#include <stdbool.h>
#include <sys/types.h>

#define SHMFS_MAY_EXEC 1
#define SHMFS_MAY_WRITE 2
#define SHMFS_MAY_READ 4

/* Groups held in the credential itself; more are fetched when asked about. */
#define SHMFS_CRED_INLINE_GROUPS 64

struct shmfs_cred {
	uid_t uid;
	gid_t gid;
	/*
	 * Fills list with up to size groups; returns the caller's total count
	 * (more than size if the list was too short) or -errno.
	 */
	int (*fetch_groups)(void *ctx, int size, gid_t *list);
	void *ctx;
	int ngroups; /* -1 until fetched; above the inline count: not held */
	gid_t groups[SHMFS_CRED_INLINE_GROUPS];
};

/* Initialises a credential; fetch_groups may be NULL (no supplementary groups). */
void shmfs_cred_init(struct shmfs_cred *cred, uid_t uid, gid_t gid,
		     int (*fetch_groups)(void *ctx, int size, gid_t *list), void *ctx);

/* True if gid is the caller's primary or one of its supplementary groups. */
bool shmfs_cred_in_group(struct shmfs_cred *cred, gid_t gid);

/*
 * Checks `want` (SHMFS_MAY_* bits) against an object's owner, group and
 * mode.  Returns 0 or EACCES.
 */
int shmfs_perm_check(struct shmfs_cred *cred, uid_t uid, gid_t gid, mode_t mode,
		     int want);

/* chmod and explicit times: owner or root, else EPERM. */
int shmfs_perm_owner(const struct shmfs_cred *cred, uid_t uid);

/*
 * chown with Linux rules: only root changes the owner; the owner may set
 * the group to one of its own groups.  (uid_t)-1 / (gid_t)-1 mean "keep".
 * Returns 0 or EPERM.
 */
int shmfs_perm_chown(struct shmfs_cred *cred, uid_t uid, gid_t gid, uid_t new_uid,
		     gid_t new_gid);

#endif
