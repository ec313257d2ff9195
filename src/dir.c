/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dir.c: directory streams (see dir.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "dir.h"

void shmfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_name *cur;
	int err;

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	shmfs_cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	err = shmfs_perm_check(&cred, fs->root_uid, fs->root_gid, fs->root_mode, SHMFS_MAY_READ);
	pthread_mutex_unlock(&fs->lock);
	/* The stream's place in the namespace's list, put there at its first READDIR. */
	cur = err ? NULL : shmfs_ns_cursor_new();
	if (!cur) {
		fuse_reply_err(req, err ? err : ENOMEM);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)cur;
	/*
	 * Let the kernel keep listings: every create, unlink and rename goes
	 * through it, and it drops a kept listing when the directory changes.
	 */
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) != 0)
		free(cur);
}

void shmfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);

	pthread_mutex_lock(&fs->lock);
	shmfs_ns_cursor_free(&fs->ns, (struct shmfs_name *)(uintptr_t)fi->fh);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_err(req, 0);
}

/* Adds one entry to a READDIR(PLUS) reply; returns the bytes it needs. */
static size_t add_entry(fuse_req_t req, char *buf, size_t room, const char *name,
			const struct fuse_entry_param *e, off_t next, bool plus)
{
	if (plus)
		return fuse_add_direntry_plus(req, buf, room, name, e, next);
	return fuse_add_direntry(req, buf, room, name, &e->attr, next);
}

/*
 * A listing is ".", "..", then the names in the namespace's order (ns.h);
 * an entry's offset is that of the name (1 and 2 for the dots), so an
 * offset stays valid whatever else is created or removed.  The stream's
 * cursor walks the list, so a listing costs no copy of the names and holds
 * the lock for one reply's entries only.  With plus, each listed object
 * takes a lookup count, but only if its entry fit in the buffer.
 */
static void readdir_common(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi,
			   bool plus)
{
	struct shmfs_fs *fs = shmfs_fs_of(req);
	struct shmfs_name *cur = (struct shmfs_name *)(uintptr_t)fi->fh, *n;
	char *buf = malloc(size);
	/* READDIRPLUS: the objects given a lookup count, to undo if the reply fails. */
	struct shmfs_obj **counted = NULL;
	size_t pos = 0, ncounted = 0, need;
	struct fuse_entry_param e;
	int err = 0;

	if (!buf || off < 0) {
		free(buf);
		fuse_reply_err(req, buf ? EINVAL : ENOMEM);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	for (; off < 2; off++) {
		memset(&e, 0, sizeof(e));
		shmfs_root_stat(fs, &e.attr);
		need = add_entry(req, buf + pos, size - pos, off == 0 ? "." : "..", &e, off + 1,
				 plus);
		if (need > size - pos)
			goto out;
		pos += need;
	}
	for (n = shmfs_ns_cursor_seek(&fs->ns, cur, (uint64_t)off); n;
	     n = shmfs_ns_cursor_advance(&fs->ns, cur, n)) {
		shmfs_entry_of(n->obj, &e);
		need = add_entry(req, buf + pos, size - pos, n->name, &e, (off_t)n->off, plus);
		if (need > size - pos)
			break;
		if (plus) {
			struct shmfs_obj **more = realloc(counted, (ncounted + 1) * sizeof(*counted));

			if (!more) {
				err = pos ? 0 : ENOMEM; /* send what fits so far */
				break;
			}
			counted = more;
			counted[ncounted++] = n->obj;
			shmfs_obj_hold_lookup_locked(&fs->store, n->obj, 1);
		}
		pos += need;
	}
out:
	pthread_mutex_unlock(&fs->lock);
	if (err)
		fuse_reply_err(req, err);
	else if (fuse_reply_buf(req, buf, pos) != 0)
		/* The kernel never saw these entries: it will not forget them. */
		for (size_t i = 0; i < ncounted; i++)
			shmfs_obj_forget(&fs->store, counted[i], 1);
	free(counted);
	free(buf);
}

void shmfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	readdir_common(req, size, off, fi, false);
}

void shmfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			      struct fuse_file_info *fi)
{
	readdir_common(req, size, off, fi, true);
}
