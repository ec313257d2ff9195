/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ops.c: the FUSE ops adapter.  Thin handlers: take the caller's
 * credentials, call the namespace and the store under the filesystem lock,
 * and reply exactly once.  Helpers return 0 or a positive errno and never
 * reply.
 * The rest of the daemon lives in modules of its own: fs.c (life cycle),
 * attr.c, handles.c (the open-file table), passthrough.c, notify.c (the
 * notify thread), seals.c (seal policy), sealer.c (F_ADD_SEALS), dir.c
 * (directory streams).  Node ids are explained in fs.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>

#include "attr.h"
#include "codec.h"
#include "dir.h"
#include "handles.h"
#include "notify.h"
#include "ops.h"
#include "passthrough.h"
#include "perm.h"
#include "proto.h"
#include "sealer.h"
#include "seals.h"

#define SHMFS_READAHEAD (1u << 20) /* one READ of the largest size */

/*
 * Closes an open handle, at RELEASE or for an open whose reply could not
 * be sent; the object goes if nothing else holds it.  Takes the lock.
 */
static void close_handle(struct shmfs_fs *fs, struct shmfs_handle *h)
{
	pthread_mutex_lock(&fs->lock);
	if (shmfs_handle_is_last(h))
		shmfs_passthrough_detach_locked(fs, h->obj);
	shmfs_handle_close_locked(&fs->store, &fs->handles, h);
	pthread_mutex_unlock(&fs->lock);
}


static void shmfs_init(void *userdata, struct fuse_conn_info *conn)
{
	/*
	 * Keep the page cache: attributes change only through this mount, and
	 * dropping the cache on an mtime change would zap every mapping.
	 */
	conn->want &= ~(FUSE_CAP_AUTO_INVAL_DATA | FUSE_CAP_WRITEBACK_CACHE |
			FUSE_CAP_DONT_MASK | FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
			FUSE_CAP_SPLICE_MOVE);
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	conn->time_gran = 1;
	/* The kernel keeps the smaller of this and the device's readahead. */
	conn->max_readahead = SHMFS_READAHEAD;
	shmfs_passthrough_init(userdata, conn);
}

/* ---- Namespace ---- */

static bool has_prefix(const char *name, const char *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

/* Is name an anonymous create (proto.h), and of which kind? */
static bool is_anon_name(const char *name, bool *nogrow, bool *sealable)
{
	*nogrow = has_prefix(name, SHMFS_ANON_PREFIX);
	*sealable = has_prefix(name, SHMFS_SEALABLE_PREFIX);
	return *nogrow || *sealable || has_prefix(name, SHMFS_MEMFD_PREFIX);
}

/*
 * Checks a name that is to become an object's name: 0, ENAMETOOLONG, or
 * EPERM for a name reserved for the daemon (codec.h: '%' and a lowercase
 * letter).  Every other name the kernel sends is some shm name's.
 */
static int check_new_name(const char *name)
{
	if (strlen(name) > SHMFS_FILE_NAME_MAX)
		return ENAMETOOLONG;
	return -shmfs_file_name_check(name);
}

static void shmfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct fuse_entry_param e;
	struct shmfs_obj *obj = NULL;

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (strlen(name) > SHMFS_FILE_NAME_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	if (strcmp(name, SHMFS_PROBE_NAME) == 0) {
		memset(&e, 0, sizeof(e));
		e.ino = SHMFS_PROBE_NODEID;
		e.attr_timeout = e.entry_timeout = SHMFS_CACHE_TIMEOUT;
		shmfs_probe_stat(&e.attr);
		fuse_reply_entry(req, &e);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	obj = shmfs_ns_lookup(&fs->ns, name);
	if (obj) {
		shmfs_obj_hold_lookup_locked(&fs->store, obj, 1);
		shmfs_entry_of(obj, &e);
	} else {
		/* A cached miss: the kernel will not ask again until a create. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = SHMFS_CACHE_TIMEOUT;
	}
	pthread_mutex_unlock(&fs->lock);
	if (fuse_reply_entry(req, &e) != 0 && obj)
		shmfs_obj_forget(&fs->store, obj, 1); /* the kernel never saw it */
}

/* Caller holds the lock. */
static void forget_one_locked(struct shmfs_fs *fs, fuse_ino_t ino, uint64_t nlookup)
{
	struct shmfs_obj *obj;

	if (ino == FUSE_ROOT_ID || ino == SHMFS_PROBE_NODEID)
		return;
	obj = shmfs_obj_of(ino);
	/* Aborts if the kernel and the daemon disagree: never go on. */
	shmfs_obj_forget_locked(&fs->store, obj, nlookup);
}

static void shmfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);

	pthread_mutex_lock(&fs->lock);
	forget_one_locked(fs, ino, nlookup);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(req);
}

static void shmfs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);

	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < count; i++)
		forget_one_locked(fs, forgets[i].ino, forgets[i].nlookup);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(req);
}

/*
 * Opens obj for the access mode in flags; O_TRUNC truncates (and, as on
 * Linux, needs write permission even with O_RDONLY).  The creator of a new
 * object passes check = false: it gets its descriptor whatever the mode.
 */
static int open_obj(struct shmfs_fs *fs, fuse_req_t req, struct shmfs_cred *cred,
		    struct shmfs_obj *obj, int flags, bool check, bool nogrow,
		    struct shmfs_handle **hp)
{
	struct shmfs_handle *h;
	int err;

	if (check) {
		err = shmfs_perm_check(cred, obj->uid, obj->gid, obj->mode,
				       shmfs_open_want(flags));
		if (err)
			return err;
	}
	h = malloc(sizeof(*h));
	if (!h)
		return ENOMEM;
	err = shmfs_passthrough_attach_locked(fs, req, obj);
	if (err) {
		free(h);
		return err;
	}
	if (flags & O_TRUNC) {
		err = shmfs_seals_allow_resize(obj, 0);
		if (!err)
			err = shmfs_obj_resize(&fs->store, obj, 0);
		if (err) {
			if (!shmfs_obj_nopen(obj))
				shmfs_passthrough_detach_locked(fs, obj);
			free(h);
			return err;
		}
	}
	shmfs_handle_add_locked(&fs->store, &fs->handles, h, obj,
				nogrow || (flags & SHMFS_OPEN_NOGROW),
				(flags & O_ACCMODE) != O_RDONLY);
	*hp = h;
	return 0;
}

static void set_open_flags(struct shmfs_fs *fs, struct fuse_file_info *fi,
			   struct shmfs_handle *h)
{
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->keep_cache = 1; /* never drop other processes' mapped pages */
	fi->noflush = 1;    /* close needs no FLUSH round trip */
	if (fs->passthrough)
		shmfs_passthrough_open_flags(fi, h->obj, h);
}
static void shmfs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			 struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_obj *obj = NULL;
	struct shmfs_handle *h = NULL;
	struct fuse_entry_param e;
	bool nogrow, sealable, anon = is_anon_name(name, &nogrow, &sealable), named = false;
	int err = anon ? 0 : check_new_name(name);

	if (err)
		goto out;
	shmfs_cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	obj = anon ? NULL : shmfs_ns_lookup(&fs->ns, name);
	if (obj) {
		/* Created by someone else since the kernel's lookup. */
		err = (fi->flags & O_EXCL) ? EEXIST
					   : open_obj(fs, req, &cred, obj, fi->flags, true, false, &h);
	} else {
		obj = shmfs_obj_new(&fs->store, mode, cred.uid, cred.gid);
		err = obj ? 0 : errno;
		if (obj && sealable) {
			shmfs_seals_make_sealable(obj);
			obj->ino |= SHMFS_INO_SEALABLE;
		}
		if (!err && !anon) {
			err = shmfs_ns_insert(&fs->ns, name, obj);
			named = !err;
			if (named)
				shmfs_root_changed(fs);
		}
		if (!err)
			err = open_obj(fs, req, &cred, obj, fi->flags & ~O_TRUNC, false, nogrow,
				       &h);
		if (err && obj) {
			if (named)
				shmfs_ns_remove(&fs->ns, name);
			shmfs_obj_release_if_unused(&fs->store, obj);
		}
	}
	if (!err) {
		shmfs_obj_hold_lookup_locked(&fs->store, obj, 1);
		shmfs_entry_of(obj, &e);
		if (anon)
			e.entry_timeout = 0; /* the name never resolves again */
	}
	pthread_mutex_unlock(&fs->lock);
out:
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	set_open_flags(fs, fi, h);
	if (fuse_reply_create(req, &e, fi) != 0) {
		/* The kernel never saw the entry nor the open file. */
		close_handle(fs, h);
		shmfs_obj_forget(&fs->store, obj, 1);
	} else if (anon)
		shmfs_notify_forget_name(fs, name);
}

static void shmfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_obj *obj;
	int err;

	if (strcmp(name, SHMFS_PROBE_NAME) == 0) {
		fuse_reply_err(req, EPERM);
		return;
	}
	shmfs_cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	obj = shmfs_ns_lookup(&fs->ns, name);
	err = obj ? shmfs_perm_check(&cred, obj->uid, obj->gid, obj->mode, SHMFS_MAY_WRITE)
		  : ENOENT;
	if (!err) {
		/* One name goes; the object's other names keep it. */
		shmfs_ns_remove(&fs->ns, name);
		shmfs_root_changed(fs);
		shmfs_obj_release_if_unused(&fs->store, obj);
	}
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_err(req, err);
}

/* Checks and performs a rename under the lock; returns 0 or an errno. */
static int rename_locked(struct shmfs_fs *fs, struct shmfs_cred *cred, const char *name,
			 const char *newname, unsigned int flags)
{
	struct shmfs_obj *from = shmfs_ns_lookup(&fs->ns, name);
	struct shmfs_obj *to = shmfs_ns_lookup(&fs->ns, newname), *replaced;
	int err;

	if (!from)
		return ENOENT;
	/*
	 * The kernel's own order: RENAME_NOREPLACE fails on any existing
	 * target, then two names of one object (or one name) are a successful
	 * no-op (POSIX).  The VFS answers both before asking; this is for a
	 * kernel whose dentries disagree.
	 */
	if ((flags & RENAME_NOREPLACE) && to)
		return EEXIST;
	if (from == to)
		return 0;
	if ((flags & RENAME_EXCHANGE) && !to)
		return ENOENT;
	err = shmfs_perm_check(cred, from->uid, from->gid, from->mode, SHMFS_MAY_WRITE);
	if (!err && to)
		err = shmfs_perm_check(cred, to->uid, to->gid, to->mode, SHMFS_MAY_WRITE);
	if (err)
		return err;
	if (flags & RENAME_EXCHANGE) {
		shmfs_ns_exchange(&fs->ns, name, newname);
	} else {
		err = shmfs_ns_move(&fs->ns, name, newname, &replaced);
		/* The replaced object lives on while open, mapped or looked up. */
		if (!err && replaced)
			shmfs_obj_release_if_unused(&fs->store, replaced);
	}
	if (!err)
		shmfs_root_changed(fs);
	return err;
}

static void shmfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			 fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_cred cred;
	int err = 0;

	if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) ||
	    (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE))
		err = EINVAL;
	else if (strcmp(name, SHMFS_PROBE_NAME) == 0 || strcmp(newname, SHMFS_PROBE_NAME) == 0)
		err = EPERM;
	else
		err = check_new_name(newname);
	if (!err) {
		shmfs_cred_of(req, &cred);
		pthread_mutex_lock(&fs->lock);
		err = rename_locked(fs, &cred, name, newname, flags);
		pthread_mutex_unlock(&fs->lock);
	}
	fuse_reply_err(req, err);
}

/*
 * A hard link: a second name for obj.  The rule is Linux's
 * fs.protected_hardlinks, for every caller: the owner, or whoever may read
 * and write the object (root may), else EPERM.  An object with no name left
 * cannot get one back (ENOENT, as Linux for any file but O_TMPFILE's).
 * Caller holds the lock.
 */
static int link_locked(struct shmfs_fs *fs, struct shmfs_cred *cred, struct shmfs_obj *obj,
		       const char *newname)
{
	int err;

	if (!obj->nlink)
		return ENOENT;
	if (shmfs_perm_owner(cred, obj->uid) != 0 &&
	    shmfs_perm_check(cred, obj->uid, obj->gid, obj->mode,
			     SHMFS_MAY_READ | SHMFS_MAY_WRITE) != 0)
		return EPERM;
	err = shmfs_ns_insert(&fs->ns, newname, obj);
	if (!err)
		shmfs_root_changed(fs);
	return err;
}

static void shmfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		       const char *newname)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_obj *obj = shmfs_obj_of(ino);
	struct fuse_entry_param e;
	int err;

	if (ino == SHMFS_PROBE_NODEID || ino == FUSE_ROOT_ID)
		err = EPERM;
	else if (strcmp(newname, SHMFS_PROBE_NAME) == 0)
		err = EEXIST;
	else
		err = check_new_name(newname); /* also refuses the anonymous prefixes */
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	shmfs_cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	err = link_locked(fs, &cred, obj, newname);
	if (!err) {
		/* The new dentry is a lookup of its own. */
		shmfs_obj_hold_lookup_locked(&fs->store, obj, 1);
		shmfs_entry_of(obj, &e);
	}
	pthread_mutex_unlock(&fs->lock);
	if (err)
		fuse_reply_err(req, err);
	else if (fuse_reply_entry(req, &e) != 0)
		shmfs_obj_forget(&fs->store, obj, 1);
}

/* Directories, symbolic links and device nodes have no place in a flat shm namespace. */
static void shmfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			dev_t rdev)
{
	fuse_reply_err(req, EPERM);
}

static void shmfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	fuse_reply_err(req, EPERM);
}

static void shmfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
			  const char *name)
{
	fuse_reply_err(req, EPERM);
}

static void shmfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, ENOTDIR);
}

/* ---- Attributes ---- */

static void shmfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct stat st;

	pthread_mutex_lock(&fs->lock);
	shmfs_node_stat(fs, ino, &st);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_attr(req, &st, SHMFS_CACHE_TIMEOUT);
}

/*
 * Checks a SETATTR against the caller's rights before anything changes.
 * A size change carries times the kernel made up: they are ignored, and the
 * store sets mtime and ctime only if the size really changes.
 */
static int setattr_check(struct shmfs_cred *cred, uid_t uid, gid_t gid, mode_t mode,
			 const struct stat *attr, int to_set, bool have_fh)
{
	int err = 0;

	if (to_set & FUSE_SET_ATTR_MODE)
		err = shmfs_perm_owner(cred, uid);
	if (!err && (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
		err = shmfs_perm_chown(cred, uid, gid,
				       to_set & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1,
				       to_set & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1);
	if (!err && (to_set & FUSE_SET_ATTR_SIZE) && !have_fh)
		err = shmfs_perm_check(cred, uid, gid, mode, SHMFS_MAY_WRITE);
	if (!err && !(to_set & FUSE_SET_ATTR_SIZE) &&
	    (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))) {
		bool explicit_time =
			((to_set & FUSE_SET_ATTR_ATIME) && !(to_set & FUSE_SET_ATTR_ATIME_NOW)) ||
			((to_set & FUSE_SET_ATTR_MTIME) && !(to_set & FUSE_SET_ATTR_MTIME_NOW));

		err = shmfs_perm_owner(cred, uid);
		/* "Now" is also allowed to anyone who may write (utimes(NULL)). */
		if (err && !explicit_time)
			err = shmfs_perm_check(cred, uid, gid, mode, SHMFS_MAY_WRITE);
	}
	return err;
}

static void set_time(struct timespec *dst, const struct timespec *src, bool now)
{
	if (now)
		shmfs_now(dst);
	else
		*dst = *src;
}

static void shmfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			  struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_obj *obj = shmfs_obj_of(ino);
	struct stat st;
	int err;

	if (ino == SHMFS_PROBE_NODEID || (ino == FUSE_ROOT_ID && (to_set & FUSE_SET_ATTR_SIZE))) {
		fuse_reply_err(req, ino == SHMFS_PROBE_NODEID ? EPERM : EISDIR);
		return;
	}
	shmfs_cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	if (ino == FUSE_ROOT_ID) {
		err = setattr_check(&cred, fs->root_uid, fs->root_gid, fs->root_mode, attr,
				    to_set, false);
		if (!err && (to_set & FUSE_SET_ATTR_MODE))
			fs->root_mode = attr->st_mode & 0777;
		if (!err && (to_set & FUSE_SET_ATTR_UID))
			fs->root_uid = attr->st_uid;
		if (!err && (to_set & FUSE_SET_ATTR_GID))
			fs->root_gid = attr->st_gid;
		goto out;
	}
	err = setattr_check(&cred, obj->uid, obj->gid, obj->mode, attr, to_set, fi != NULL);
	/* F_SEAL_EXEC: the exec bits stay as they are (Linux's rule). */
	if (!err && (to_set & FUSE_SET_ATTR_MODE))
		err = shmfs_seals_allow_chmod(obj, attr->st_mode);
	if (!err && (to_set & FUSE_SET_ATTR_SIZE))
		err = shmfs_seals_allow_resize(obj, (uint64_t)attr->st_size);
	if (!err && (to_set & FUSE_SET_ATTR_SIZE))
		err = shmfs_obj_resize(&fs->store, obj, (uint64_t)attr->st_size);
	/* The owner's per-user charges follow the object. */
	if (!err && (to_set & FUSE_SET_ATTR_UID))
		err = shmfs_quota_chown(fs->store.quota, obj->uid, attr->st_uid,
					(obj->size + SHMFS_PAGE_SIZE - 1) /
						SHMFS_PAGE_SIZE);
	if (err)
		goto out;
	if (to_set & FUSE_SET_ATTR_MODE)
		obj->mode = attr->st_mode & 0777;
	if (to_set & FUSE_SET_ATTR_UID)
		obj->uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		obj->gid = attr->st_gid;
	if (!(to_set & FUSE_SET_ATTR_SIZE)) {
		if (to_set & FUSE_SET_ATTR_ATIME)
			set_time(&obj->atime, &attr->st_atim, to_set & FUSE_SET_ATTR_ATIME_NOW);
		if (to_set & FUSE_SET_ATTR_MTIME)
			set_time(&obj->mtime, &attr->st_mtim, to_set & FUSE_SET_ATTR_MTIME_NOW);
	}
out:
	if (!err)
		shmfs_node_stat(fs, ino, &st);
	pthread_mutex_unlock(&fs->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, SHMFS_CACHE_TIMEOUT);
}

static void shmfs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_cred cred;
	int err = 0;

	if (mask == F_OK) {
		fuse_reply_err(req, 0);
		return;
	}
	shmfs_cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	if (ino == FUSE_ROOT_ID)
		err = shmfs_perm_check(&cred, fs->root_uid, fs->root_gid, fs->root_mode,
				       mask);
	else if (ino == SHMFS_PROBE_NODEID)
		err = EACCES;
	else
		err = shmfs_perm_check(&cred, shmfs_obj_of(ino)->uid, shmfs_obj_of(ino)->gid,
				       shmfs_obj_of(ino)->mode, mask);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_err(req, err);
}

/* ---- Data ---- */

static void shmfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_handle *h = NULL;
	int err;

	if (ino == SHMFS_PROBE_NODEID || ino == FUSE_ROOT_ID) {
		fuse_reply_err(req, ino == SHMFS_PROBE_NODEID ? EACCES : EISDIR);
		return;
	}
	shmfs_cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	err = open_obj(fs, req, &cred, shmfs_obj_of(ino), fi->flags, true, false, &h);
	pthread_mutex_unlock(&fs->lock);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	set_open_flags(fs, fi, h);
	if (fuse_reply_open(req, fi) != 0)
		close_handle(fs, h);
}

static void shmfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);

	close_handle(fs, (struct shmfs_handle *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void shmfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
	int fd = __atomic_load_n(&shmfs_obj_of(ino)->memfd, __ATOMIC_ACQUIRE);

	/*
	 * No lock: the open file holds the object, and its memfd, whose end is
	 * the object's, is the truth.  libfuse reads the bytes from it (holes
	 * cost the kernel's zero page only) and stops at its end.
	 */
	if (fd < 0) {
		fuse_reply_buf(req, NULL, 0); /* never had a size */
		return;
	}
	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK | FUSE_BUF_FD_RETRY;
	bv.buf[0].fd = fd;
	bv.buf[0].pos = off;
	/* Never SPLICE_MOVE: the kernel could steal the memfd's own pages. */
	fuse_reply_data(req, &bv, 0);
}

static void shmfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
			off_t off, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_handle *h = (struct shmfs_handle *)(uintptr_t)fi->fh;
	struct shmfs_obj *obj = shmfs_obj_of(ino);
	ssize_t n;

	pthread_mutex_lock(&fs->lock);
	if (fi->writepage) {
		/*
		 * Writeback of mapped pages: the kernel never writes past the size
		 * it knows, which is ours, and the space was promised when the
		 * object grew, so this cannot fail.  Seals do not apply: these
		 * pages were dirtied before any F_SEAL_WRITE, which needs every
		 * writable mapping gone.
		 */
		n = shmfs_obj_write(&fs->store, obj, buf, size, (uint64_t)off, false);
		if (n == -EFBIG)
			n = 0;
		if (n >= 0)
			n = (ssize_t)size;
	} else {
		if (shmfs_seals_allow_write(obj, (uint64_t)off, size, !h->nogrow))
			n = -EPERM;
		else
			n = shmfs_obj_write(&fs->store, obj, buf, size, (uint64_t)off, !h->nogrow);
		if (n < 0)
			shmfs_notify_drop_pages_locked(fs, obj, off, size);
	}
	pthread_mutex_unlock(&fs->lock);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void shmfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static void shmfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0); /* the store is memory: written is durable */
}

static void shmfs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off,
			    off_t len, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_obj *obj = shmfs_obj_of(ino);
	int err = 0;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (off < 0 || len <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (len > INT64_MAX - off) {
		fuse_reply_err(req, EFBIG);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		err = shmfs_seals_allow_punch(obj);
		if (!err)
			err = shmfs_obj_punch(obj, (uint64_t)off, (uint64_t)len);
	} else if ((uint64_t)(off + len) > obj->size) {
		/* As Linux's memfds: F_SEAL_GROW refuses even with KEEP_SIZE. */
		err = shmfs_seals_allow_allocate(obj, (uint64_t)(off + len));
		if (!err && !(mode & FALLOC_FL_KEEP_SIZE))
			err = shmfs_obj_resize(&fs->store, obj, (uint64_t)(off + len));
	}
	/* Space within the size is promised already: nothing else to reserve. */
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_err(req, err);
}

static void shmfs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
			struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_obj *obj;
	int64_t res;

	if (whence != SEEK_DATA && whence != SEEK_HOLE) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (off < 0) {
		fuse_reply_err(req, ENXIO);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	obj = shmfs_obj_of(ino);
	if (!fs->passthrough && shmfs_obj_nwriters(obj) && (uint64_t)off < obj->size)
		/*
		 * The kernel does not write dirty mapped pages back before asking,
		 * and a writer may have some: call everything data, which is always
		 * correct, rather than let a copy skip them.
		 */
		res = whence == SEEK_DATA ? off : (int64_t)obj->size;
	else
		res = shmfs_obj_seek(obj, (uint64_t)off, whence == SEEK_DATA);
	pthread_mutex_unlock(&fs->lock);
	if (res < 0)
		fuse_reply_err(req, (int)-res);
	else
		fuse_reply_lseek(req, (off_t)res);
}

/* SHMFS_IOC_NOPEN (proto.h): an object's open count, for shmfsctl ls. */
static void ioctl_nopen(fuse_req_t req, const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_ioc_nopen q;
	struct shmfs_obj *obj;

	if (in_bufsz != sizeof(q) || out_bufsz != sizeof(q)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(&q, in_buf, sizeof(q));
	if (!memchr(q.name, '\0', sizeof(q.name))) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	obj = shmfs_ns_lookup(&fs->ns, q.name);
	if (obj)
		q.nopen = shmfs_obj_nopen(obj);
	pthread_mutex_unlock(&fs->lock);
	if (obj)
		fuse_reply_ioctl(req, 0, &q, sizeof(q));
	else
		fuse_reply_err(req, ENOENT);
}

/* SHMFS_IOC_USAGE (proto.h): a user's objects and bytes, for shmfsctl usage. */
static void ioctl_usage(fuse_req_t req, const void *in_buf, size_t in_bufsz,
			size_t out_bufsz)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct shmfs_ioc_usage q;
	uint64_t pages;

	if (in_bufsz != sizeof(q) || out_bufsz != sizeof(q)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(&q, in_buf, sizeof(q));
	if (ctx->uid != 0 && ctx->uid != q.uid) {
		fuse_reply_err(req, EPERM);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	shmfs_quota_usage(&fs->quota, q.uid, &pages, &q.objects);
	q.bytes = pages * SHMFS_PAGE_SIZE;
	q.limit_bytes = fs->quota.limit_pages == UINT64_MAX ?
				UINT64_MAX :
				fs->quota.limit_pages * SHMFS_PAGE_SIZE;
	q.limit_objects = fs->quota.limit_objects;
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_ioctl(req, 0, &q, sizeof(q));
}

static void shmfs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
			struct fuse_file_info *fi, unsigned flags, const void *in_buf,
			size_t in_bufsz, size_t out_bufsz)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_obj *obj = shmfs_obj_of(ino);
	uint32_t seals;

	if ((flags & FUSE_IOCTL_DIR) && ino == FUSE_ROOT_ID && cmd == SHMFS_IOC_NOPEN) {
		ioctl_nopen(req, in_buf, in_bufsz, out_bufsz);
		return;
	}
	if ((flags & FUSE_IOCTL_DIR) && ino == FUSE_ROOT_ID && cmd == SHMFS_IOC_INFO) {
		struct shmfs_ioc_info info = { .flags = fs->passthrough ? SHMFS_INFO_PASSTHROUGH : 0 };

		fuse_reply_ioctl(req, 0, &info, sizeof(info));
		return;
	}
	if ((flags & FUSE_IOCTL_DIR) && ino == FUSE_ROOT_ID &&
	    cmd == SHMFS_IOC_USAGE) {
		ioctl_usage(req, in_buf, in_bufsz, out_bufsz);
		return;
	}
	if ((flags & FUSE_IOCTL_DIR) || ino == SHMFS_PROBE_NODEID) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	switch (cmd) {
	case SHMFS_IOC_NOGROW:
		pthread_mutex_lock(&fs->lock);
		((struct shmfs_handle *)(uintptr_t)fi->fh)->nogrow = true;
		pthread_mutex_unlock(&fs->lock);
		fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	case SHMFS_IOC_GET_SEALS:
		pthread_mutex_lock(&fs->lock);
		seals = shmfs_seals_get(obj);
		pthread_mutex_unlock(&fs->lock);
		fuse_reply_ioctl(req, 0, &seals, sizeof(seals));
		return;
	case SHMFS_IOC_ADD_SEALS:
		if (in_bufsz != sizeof(seals)) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		memcpy(&seals, in_buf, sizeof(seals));
		shmfs_add_seals(req, fs, obj, seals);
		return;
	default:
		fuse_reply_err(req, ENOTTY);
	}
}

/* ---- Directory ---- */

static void shmfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct statvfs sv;

	memset(&sv, 0, sizeof(sv));
	pthread_mutex_lock(&fs->lock);
	sv.f_bsize = sv.f_frsize = SHMFS_PAGE_SIZE;
	sv.f_blocks = fs->store.limit_pages;
	sv.f_bfree = sv.f_bavail = fs->store.limit_pages - fs->store.promised_pages;
	sv.f_files = fs->store.limit_objects;
	sv.f_ffree = sv.f_favail = fs->store.limit_objects - fs->store.nr_objects;
	sv.f_namemax = SHMFS_FILE_NAME_MAX;
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_statfs(req, &sv);
}

const struct fuse_lowlevel_ops shmfs_ll_ops = {
	/* lifecycle */
	.init = shmfs_init,
	/* namespace */
	.lookup = shmfs_lookup,
	.forget = shmfs_forget,
	.forget_multi = shmfs_forget_multi,
	.create = shmfs_create,
	.unlink = shmfs_unlink,
	.rename = shmfs_rename,
	.mknod = shmfs_mknod,
	.mkdir = shmfs_mkdir,
	.symlink = shmfs_symlink,
	.link = shmfs_link,
	.rmdir = shmfs_rmdir,
	/* attributes */
	.getattr = shmfs_getattr,
	.setattr = shmfs_setattr,
	.access = shmfs_access,
	.statfs = shmfs_statfs,
	/* directory */
	.opendir = shmfs_opendir,
	.readdir = shmfs_readdir,
	.readdirplus = shmfs_readdirplus,
	.releasedir = shmfs_releasedir,
	/* data */
	.open = shmfs_open,
	.release = shmfs_release,
	.read = shmfs_read,
	.write = shmfs_write,
	.flush = shmfs_flush,
	.fsync = shmfs_fsync,
	.fallocate = shmfs_fallocate,
	.lseek = shmfs_lseek,
	.ioctl = shmfs_ioctl,
};

