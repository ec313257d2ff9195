/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ops.c: the FUSE ops adapter.  Thin handlers: take the caller's
 * credentials, call the namespace and the store under the filesystem lock,
 * and reply exactly once.  Helpers return 0 or a positive errno and never
 * reply.
 *
 * Node ids: 1 is the root directory, 2 the probe entry (proto.h), any other
 * is the address of a struct shmfs_obj, valid while the kernel holds a
 * lookup count on it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
#include <linux/fuse.h> /* FUSE_DEV_IOC_BACKING_CLOSE */
#endif

#include "codec.h"
#include "mappings.h"
#include "ops.h"
#include "perm.h"
#include "proto.h"

#define PROBE_NODEID 2
/*
 * Every change reaches this filesystem through its one kernel mount, so the
 * kernel's caches can never go stale: cache entries, misses and attributes
 * for a long time.
 */
#define CACHE_TIMEOUT 86400.0
#define BLKSIZE (1u << 20) /* st_blksize: as large as one WRITE */
/* Descriptors kept for everything but objects' memfds: /dev/fuse, logs, /proc. */
#define FD_RESERVE 256
#define SHMFS_READAHEAD (1u << 20) /* one READ of the largest size */

/*
 * An open file.  Only the flag can change after open, so it lives here.
 * Handles are listed so that unmount, which sends no RELEASE, frees them.
 */
struct shmfs_handle {
	struct shmfs_handle *prev, *next;
	struct shmfs_obj *obj;
	bool nogrow;   /* shm descriptor: writes never extend the object */
	bool writable; /* counted in the object's nwriters */
};

/*
 * Work for the notify thread, which may wait on the kernel where a handler
 * must not: drop the dentry of name (fuse_lowlevel_notify_inval_entry), or
 * drop obj's cached pages in [off, off + len) (notify_inval_inode; obj held
 * by an internal hold until then).
 */
enum shmfs_notice_kind {
	NOTICE_FORGET_NAME,
	NOTICE_DROP_PAGES
};

struct shmfs_notice {
	struct shmfs_notice *next;
	enum shmfs_notice_kind kind;
	struct shmfs_obj *obj;
	off_t off, len;
	size_t name_len;
	char name[];
};

/* An F_ADD_SEALS that needs the /proc walk: answered by a thread of its own. */
struct shmfs_sealer {
	struct shmfs_fs *fs;
	fuse_req_t req;
	struct shmfs_obj *obj; /* held by req's open file until the answer */
	uint32_t seals;
};

static struct shmfs_fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct shmfs_obj *obj_of(fuse_ino_t ino)
{
	return (struct shmfs_obj *)(uintptr_t)ino;
}

static int fetch_groups(void *ctx, int size, gid_t *list)
{
	return fuse_req_getgroups(ctx, size, list);
}

static void cred_of(fuse_req_t req, struct shmfs_cred *cred)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	shmfs_cred_init(cred, ctx->uid, ctx->gid, fetch_groups, req);
}

/* ---- Attributes ---- */

static void obj_stat(const struct shmfs_obj *obj, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = obj->ino;
	st->st_mode = S_IFREG | obj->mode;
	st->st_nlink = obj->nlink;
	st->st_uid = obj->uid;
	st->st_gid = obj->gid;
	st->st_size = (off_t)obj->size;
	st->st_blocks = (blkcnt_t)shmfs_obj_blocks(obj);
	st->st_blksize = BLKSIZE;
	st->st_atim = obj->atime;
	st->st_mtim = obj->mtime;
	st->st_ctim = obj->ctime;
}

static void root_stat(const struct shmfs_fs *fs, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = FUSE_ROOT_ID;
	st->st_mode = S_IFDIR | fs->root_mode;
	st->st_nlink = 2;
	st->st_uid = fs->root_uid;
	st->st_gid = fs->root_gid;
	st->st_blksize = BLKSIZE;
	st->st_atim = st->st_mtim = st->st_ctim = fs->root_time;
}

static void probe_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = SHMFS_PROBE_INO;
	st->st_mode = S_IFREG;
	st->st_nlink = 1;
	st->st_size = SHMFS_PROTO_VERSION;
	st->st_blksize = BLKSIZE;
}

/* Fills st for any node id.  Caller holds the lock. */
static void node_stat(struct shmfs_fs *fs, fuse_ino_t ino, struct stat *st)
{
	if (ino == FUSE_ROOT_ID)
		root_stat(fs, st);
	else if (ino == PROBE_NODEID)
		probe_stat(st);
	else
		obj_stat(obj_of(ino), st);
}

static void entry_of(struct shmfs_obj *obj, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = (fuse_ino_t)(uintptr_t)obj;
	e->attr_timeout = e->entry_timeout = CACHE_TIMEOUT;
	obj_stat(obj, &e->attr);
}

static void root_changed(struct shmfs_fs *fs)
{
	shmfs_now(&fs->root_time);
}

/* ---- Passthrough ---- */

/*
 * With passthrough, every open of an object hands the kernel its memfd (the
 * kernel refuses to mix passthrough and cached opens of one inode), under
 * one backing id per object, registered at its first open and closed at its
 * last release: a second backing file for the same inode would be refused.
 * Called with the lock held; 0 or an errno.
 */
static int passthrough_attach_locked(struct shmfs_fs *fs, fuse_req_t req,
				     struct shmfs_obj *obj)
{
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	int err, id;

	if (!fs->passthrough || obj->backing_id)
		return 0;
	err = shmfs_obj_memfd(obj);
	if (err)
		return err;
	errno = 0;
	id = fuse_passthrough_open(req, obj->memfd);
	if (id <= 0)
		return errno ? errno : EIO;
	obj->backing_id = id;
#endif
	return 0;
}

/*
 * When the last handle goes (or the first open fails): the kernel holds its
 * own reference while it needs the file.  The caller says it is the last.
 */
static void passthrough_detach_locked(struct shmfs_fs *fs, struct shmfs_obj *obj)
{
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	int id = obj->backing_id;

	if (!id)
		return;
	/* Not fuse_passthrough_close(): a request whose reply failed is gone. */
	ioctl(fuse_session_fd(fs->se), FUSE_DEV_IOC_BACKING_CLOSE, &id);
	obj->backing_id = 0;
#endif
}

/*
 * Read-only opens pass through all the way.  Writable ones keep read and
 * write in the daemon (FOPEN_DIRECT_IO; their mappings still go to the
 * memfd): a passthrough write past the end would grow the memfd unseen,
 * past size= and past the no-grow rule of shm descriptors.
 */
static void passthrough_open_flags(struct fuse_file_info *fi, const struct shmfs_obj *obj,
				   const struct shmfs_handle *h)
{
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	fi->backing_id = obj->backing_id;
	fi->keep_cache = 0; /* no page cache to keep, and the kernel refuses the flag */
	fi->direct_io = h->writable;
#endif
}

/*
 * Closes an open handle, at RELEASE or for an open whose reply could not
 * be sent; the object goes if nothing else holds it.  Takes the lock.
 */
static void close_handle(struct shmfs_fs *fs, struct shmfs_handle *h)
{
	struct shmfs_obj *obj = h->obj;

	pthread_mutex_lock(&fs->lock);
	if (obj->nopen == 1)
		passthrough_detach_locked(fs, obj);
	if (h->prev)
		h->prev->next = h->next;
	else
		fs->handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	shmfs_obj_release_open_locked(&fs->store, obj, h->writable);
	pthread_mutex_unlock(&fs->lock);
	free(h);
}

/* ---- Lifecycle ---- */

static struct shmfs_fs *fs_of_userdata(void *userdata)
{
	return userdata;
}

/* Why passthrough cannot be had before the kernel is asked, or NULL. */
static const char *passthrough_unavailable(void)
{
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	/* Registering a backing file needs CAP_SYS_ADMIN (21). */
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	if (f)
		fclose(f);
	return caps & (1ULL << 21) ? NULL : "the daemon lacks CAP_SYS_ADMIN";
#else
	return "this shmfs was built against a libfuse without passthrough (3.17 has it)";
#endif
}

/* Decides the data path once the kernel said what it offers, and says which. */
static void init_passthrough(struct shmfs_fs *fs, struct fuse_conn_info *conn)
{
	const char *why = fs->passthrough_want == SHMFS_PASSTHROUGH_OFF ? "passthrough=off"
									 : passthrough_unavailable();

#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	if (!why && !(conn->capable & FUSE_CAP_PASSTHROUGH))
		why = "the kernel does not offer FUSE passthrough (Linux 6.9 or later, "
		      "CONFIG_FUSE_PASSTHROUGH)";
	if (!why) {
		conn->want |= FUSE_CAP_PASSTHROUGH;
		fs->passthrough = true;
	}
#endif
	if (fs->passthrough)
		fuse_log(FUSE_LOG_NOTICE, "shmfs: data path: passthrough\n");
	else
		fuse_log(FUSE_LOG_NOTICE, "shmfs: data path: the daemon (%s)\n", why);
	if (!fs->passthrough && fs->passthrough_want == SHMFS_PASSTHROUGH_ON) {
		fuse_log(FUSE_LOG_ERR, "shmfs: passthrough=on, but %s\n", why);
		fs->failed = true;
		fuse_session_exit(fs->se);
	}
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
	init_passthrough(fs_of_userdata(userdata), conn);
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
	struct shmfs_fs *fs = fs_of(req);
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
		e.ino = PROBE_NODEID;
		e.attr_timeout = e.entry_timeout = CACHE_TIMEOUT;
		probe_stat(&e.attr);
		fuse_reply_entry(req, &e);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	obj = shmfs_ns_lookup(&fs->ns, name);
	if (obj) {
		shmfs_obj_hold_lookup_locked(&fs->store, obj, 1);
		entry_of(obj, &e);
	} else {
		/* A cached miss: the kernel will not ask again until a create. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = CACHE_TIMEOUT;
	}
	pthread_mutex_unlock(&fs->lock);
	if (fuse_reply_entry(req, &e) != 0 && obj)
		shmfs_obj_forget(&fs->store, obj, 1); /* the kernel never saw it */
}

/* Caller holds the lock. */
static void forget_one_locked(struct shmfs_fs *fs, fuse_ino_t ino, uint64_t nlookup)
{
	struct shmfs_obj *obj;

	if (ino == FUSE_ROOT_ID || ino == PROBE_NODEID)
		return;
	obj = obj_of(ino);
	/* Aborts if the kernel and the daemon disagree: never go on. */
	shmfs_obj_forget_locked(&fs->store, obj, nlookup);
}

static void shmfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct shmfs_fs *fs = fs_of(req);

	pthread_mutex_lock(&fs->lock);
	forget_one_locked(fs, ino, nlookup);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(req);
}

static void shmfs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct shmfs_fs *fs = fs_of(req);

	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < count; i++)
		forget_one_locked(fs, forgets[i].ino, forgets[i].nlookup);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(req);
}

/* F_SEAL_GROW and F_SEAL_SHRINK against a change of size: 0 or EPERM. */
static int seals_allow_resize(const struct shmfs_obj *obj, uint64_t size)
{
	if ((size > obj->size && (obj->seals & F_SEAL_GROW)) ||
	    (size < obj->size && (obj->seals & F_SEAL_SHRINK)))
		return EPERM;
	return 0;
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
	int want, err;

	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		want = SHMFS_MAY_READ;
		break;
	case O_WRONLY:
		want = SHMFS_MAY_WRITE;
		break;
	default:
		want = SHMFS_MAY_READ | SHMFS_MAY_WRITE;
		break;
	}
	if (flags & O_TRUNC)
		want |= SHMFS_MAY_WRITE;
	if (check) {
		err = shmfs_perm_check(cred, obj->uid, obj->gid, obj->mode, want);
		if (err)
			return err;
	}
	h = malloc(sizeof(*h));
	if (!h)
		return ENOMEM;
	err = passthrough_attach_locked(fs, req, obj);
	if (err) {
		free(h);
		return err;
	}
	if (flags & O_TRUNC) {
		err = seals_allow_resize(obj, 0);
		if (!err)
			err = shmfs_obj_resize(&fs->store, obj, 0);
		if (err) {
			if (!obj->nopen)
				passthrough_detach_locked(fs, obj);
			free(h);
			return err;
		}
	}
	h->obj = obj;
	h->nogrow = nogrow || (flags & SHMFS_OPEN_NOGROW);
	h->writable = (flags & O_ACCMODE) != O_RDONLY;
	h->prev = NULL;
	h->next = fs->handles;
	if (fs->handles)
		fs->handles->prev = h;
	fs->handles = h;
	shmfs_obj_hold_open_locked(&fs->store, obj, h->writable);
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
		passthrough_open_flags(fi, h->obj, h);
}

/* Queues n for the notify thread.  Called with the lock held. */
static void queue_notice_locked(struct shmfs_fs *fs, struct shmfs_notice *n)
{
	n->next = fs->notify_queue;
	fs->notify_queue = n;
	pthread_cond_signal(&fs->notify_cond);
}

/*
 * The kernel keeps the dentry CREATE made for an anonymous object, and with
 * it the object, until memory runs short.  Asking it to drop the dentry
 * lets the object go at its last close.  (The request waits for the
 * creating open to finish.)
 */
static void queue_forget_name(struct shmfs_fs *fs, const char *name)
{
	size_t len = strlen(name);
	struct shmfs_notice *n = calloc(1, sizeof(*n) + len + 1);

	if (!n)
		return; /* XXX then the object lives until the kernel prunes dentries */
	n->kind = NOTICE_FORGET_NAME;
	n->name_len = len;
	memcpy(n->name, name, len + 1);
	pthread_mutex_lock(&fs->lock);
	queue_notice_locked(fs, n);
	pthread_mutex_unlock(&fs->lock);
}

/*
 * A WRITE the daemon refuses has already been copied into the kernel's
 * page cache, where other processes' mappings see it until the pages are
 * read again.  Dropping the pages makes those mappings fault the true bytes
 * back in, so a refused write (to a sealed object, say) shows for moments
 * only.  (The drop waits for page locks held by requests in flight.)
 * Called with the lock held.
 */
static void queue_drop_pages(struct shmfs_fs *fs, struct shmfs_obj *obj, off_t off, size_t len)
{
	struct shmfs_notice *n;

	if ((uint64_t)off >= obj->size || fs->passthrough)
		return; /* pages past the end are never mapped; passthrough has no page cache */
	n = calloc(1, sizeof(*n));
	if (!n)
		return; /* XXX then mappings show the refused bytes until re-read */
	n->kind = NOTICE_DROP_PAGES;
	n->obj = obj;
	n->off = off;
	n->len = (off_t)len;
	shmfs_obj_hold_internal_locked(&fs->store, obj); /* until the notice is sent */
	queue_notice_locked(fs, n);
}

/* How long an F_SEAL_WRITE waits for the /proc walk before answering EBUSY. */
#define SEAL_WALK_TIMEOUT_MS 2000

/*
 * The second half of adding F_SEAL_WRITE (add_seals): it needs every
 * writable shared mapping gone, and only /proc knows them.  Reading a
 * process's maps can wait for that process without end (it may be waiting
 * for this daemon, or for another FUSE daemon that never answers), so the
 * walk is bounded: if it has not ruled mappings out in time, EBUSY.  Runs
 * without the lock.
 */
static void finish_write_seal(struct shmfs_fs *fs, fuse_req_t req, struct shmfs_obj *obj,
			      uint32_t seals)
{
	/* Without the device, or without an answer, mappings cannot be ruled out: refuse. */
	int busy = fs->dev ? shmfs_find_writable_mapping_timed(
				     "/proc", fs->dev, obj->ino,
				     SEAL_WALK_TIMEOUT_MS) :
			     1;
	int err = 0;

	pthread_mutex_lock(&fs->lock);
	obj->write_seals_pending--;
	if (busy)
		err = EBUSY;
	else if (obj->seals & F_SEAL_SEAL) /* sealed by another caller meanwhile */
		err = EPERM;
	else
		obj->seals |= seals;
	pthread_mutex_unlock(&fs->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_ioctl(req, 0, NULL, 0);
}

/*
 * One thread per sealer, so that walks run side by side and nothing else
 * waits for one.  shmfs_fs_stop() waits for these (each ends within the
 * bound), never for the walker threads they abandon.
 */
static void *sealer_main(void *arg)
{
	struct shmfs_sealer *sl = arg;
	struct shmfs_fs *fs = sl->fs;

	finish_write_seal(fs, sl->req, sl->obj, sl->seals);
	free(sl);
	pthread_mutex_lock(&fs->lock);
	if (--fs->sealers == 0)
		pthread_cond_broadcast(&fs->sealers_cond);
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

static void *notify_main(void *arg)
{
	struct shmfs_fs *fs = arg;

	pthread_mutex_lock(&fs->lock);
	for (;;) {
		struct shmfs_notice *n = fs->notify_queue;
		bool stopping = fs->notify_stop;

		if (!n) {
			if (stopping)
				break;
			pthread_cond_wait(&fs->notify_cond, &fs->lock);
			continue;
		}
		fs->notify_queue = n->next;
		pthread_mutex_unlock(&fs->lock);
		/* ENOENT (already dropped) and ENOTCONN (unmounted) are fine. */
		switch (n->kind) {
		case NOTICE_FORGET_NAME:
			if (!stopping)
				fuse_lowlevel_notify_inval_entry(fs->se, FUSE_ROOT_ID, n->name,
								 n->name_len);
			break;
		case NOTICE_DROP_PAGES:
			if (!stopping)
				fuse_lowlevel_notify_inval_inode(fs->se, (fuse_ino_t)(uintptr_t)n->obj,
								 n->off, n->len);
			shmfs_obj_release_internal(&fs->store, n->obj);
			break;
		}
		free(n);
		pthread_mutex_lock(&fs->lock);
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

int shmfs_fs_start(struct shmfs_fs *fs, struct fuse_session *se)
{
	int err;

	fs->se = se;
	err = pthread_create(&fs->notify_thread, NULL, notify_main, fs);
	fs->notify_running = err == 0;
	return err;
}

void shmfs_fs_stop(struct shmfs_fs *fs)
{
	pthread_mutex_lock(&fs->lock);
	while (fs->sealers)
		pthread_cond_wait(&fs->sealers_cond, &fs->lock);
	pthread_mutex_unlock(&fs->lock);
	if (!fs->notify_running)
		return;
	pthread_mutex_lock(&fs->lock);
	fs->notify_stop = true;
	pthread_cond_signal(&fs->notify_cond);
	pthread_mutex_unlock(&fs->lock);
	pthread_join(fs->notify_thread, NULL);
	fs->notify_running = false;
}

static void shmfs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			 struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_obj *obj = NULL;
	struct shmfs_handle *h = NULL;
	struct fuse_entry_param e;
	bool nogrow, sealable, anon = is_anon_name(name, &nogrow, &sealable), named = false;
	int err = anon ? 0 : check_new_name(name);

	if (err)
		goto out;
	cred_of(req, &cred);
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
			obj->seals = 0;
			obj->ino |= SHMFS_INO_SEALABLE;
		}
		if (!err && !anon) {
			err = shmfs_ns_insert(&fs->ns, name, obj);
			named = !err;
			if (named)
				root_changed(fs);
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
		entry_of(obj, &e);
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
		queue_forget_name(fs, name);
}

static void shmfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct shmfs_fs *fs = fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_obj *obj;
	int err;

	if (strcmp(name, SHMFS_PROBE_NAME) == 0) {
		fuse_reply_err(req, EPERM);
		return;
	}
	cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	obj = shmfs_ns_lookup(&fs->ns, name);
	err = obj ? shmfs_perm_check(&cred, obj->uid, obj->gid, obj->mode, SHMFS_MAY_WRITE)
		  : ENOENT;
	if (!err) {
		/* One name goes; the object's other names keep it. */
		shmfs_ns_remove(&fs->ns, name);
		root_changed(fs);
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
		root_changed(fs);
	return err;
}

static void shmfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			 fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct shmfs_fs *fs = fs_of(req);
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
		cred_of(req, &cred);
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
		root_changed(fs);
	return err;
}

static void shmfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		       const char *newname)
{
	struct shmfs_fs *fs = fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_obj *obj = obj_of(ino);
	struct fuse_entry_param e;
	int err;

	if (ino == PROBE_NODEID || ino == FUSE_ROOT_ID)
		err = EPERM;
	else if (strcmp(newname, SHMFS_PROBE_NAME) == 0)
		err = EEXIST;
	else
		err = check_new_name(newname); /* also refuses the anonymous prefixes */
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	err = link_locked(fs, &cred, obj, newname);
	if (!err) {
		/* The new dentry is a lookup of its own. */
		shmfs_obj_hold_lookup_locked(&fs->store, obj, 1);
		entry_of(obj, &e);
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
	struct shmfs_fs *fs = fs_of(req);
	struct stat st;

	pthread_mutex_lock(&fs->lock);
	node_stat(fs, ino, &st);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_attr(req, &st, CACHE_TIMEOUT);
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
	struct shmfs_fs *fs = fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_obj *obj = obj_of(ino);
	struct stat st;
	int err;

	if (ino == PROBE_NODEID || (ino == FUSE_ROOT_ID && (to_set & FUSE_SET_ATTR_SIZE))) {
		fuse_reply_err(req, ino == PROBE_NODEID ? EPERM : EISDIR);
		return;
	}
	cred_of(req, &cred);
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
	if (!err && (to_set & FUSE_SET_ATTR_MODE) && (obj->seals & F_SEAL_EXEC) &&
	    ((obj->mode ^ attr->st_mode) & 0111))
		err = EPERM;
	if (!err && (to_set & FUSE_SET_ATTR_SIZE))
		err = seals_allow_resize(obj, (uint64_t)attr->st_size);
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
		node_stat(fs, ino, &st);
	pthread_mutex_unlock(&fs->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, CACHE_TIMEOUT);
}

static void shmfs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct shmfs_fs *fs = fs_of(req);
	struct shmfs_cred cred;
	int err = 0;

	if (mask == F_OK) {
		fuse_reply_err(req, 0);
		return;
	}
	cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	if (ino == FUSE_ROOT_ID)
		err = shmfs_perm_check(&cred, fs->root_uid, fs->root_gid, fs->root_mode,
				       mask);
	else if (ino == PROBE_NODEID)
		err = EACCES;
	else
		err = shmfs_perm_check(&cred, obj_of(ino)->uid, obj_of(ino)->gid,
				       obj_of(ino)->mode, mask);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_err(req, err);
}

/* ---- Data ---- */

static void shmfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_handle *h = NULL;
	int err;

	if (ino == PROBE_NODEID || ino == FUSE_ROOT_ID) {
		fuse_reply_err(req, ino == PROBE_NODEID ? EACCES : EISDIR);
		return;
	}
	cred_of(req, &cred);
	pthread_mutex_lock(&fs->lock);
	err = open_obj(fs, req, &cred, obj_of(ino), fi->flags, true, false, &h);
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
	struct shmfs_fs *fs = fs_of(req);

	close_handle(fs, (struct shmfs_handle *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void shmfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
	int fd = __atomic_load_n(&obj_of(ino)->memfd, __ATOMIC_ACQUIRE);

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
	fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
}

static void shmfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
			off_t off, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = fs_of(req);
	struct shmfs_handle *h = (struct shmfs_handle *)(uintptr_t)fi->fh;
	struct shmfs_obj *obj = obj_of(ino);
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
		if ((obj->seals & F_SEAL_WRITE) ||
		    (obj->seals & F_SEAL_FUTURE_WRITE) ||
		    (!h->nogrow && (obj->seals & F_SEAL_GROW) && (uint64_t)off + size > obj->size))
			n = -EPERM;
		else
			n = shmfs_obj_write(&fs->store, obj, buf, size, (uint64_t)off, !h->nogrow);
		if (n < 0)
			queue_drop_pages(fs, obj, off, size);
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
	struct shmfs_fs *fs = fs_of(req);
	struct shmfs_obj *obj = obj_of(ino);
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
		if (obj->seals & F_SEAL_WRITE)
			err = EPERM;
		else if (obj->seals & F_SEAL_FUTURE_WRITE)
			err = EPERM;
		else
			err = shmfs_obj_punch(obj, (uint64_t)off, (uint64_t)len);
	} else if ((uint64_t)(off + len) > obj->size) {
		/* As Linux's memfds: F_SEAL_GROW refuses even with KEEP_SIZE. */
		if (obj->seals & F_SEAL_GROW)
			err = EPERM;
		else if (!(mode & FALLOC_FL_KEEP_SIZE))
			err = shmfs_obj_resize(&fs->store, obj, (uint64_t)(off + len));
	}
	/* Space within the size is promised already: nothing else to reserve. */
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_err(req, err);
}

static void shmfs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
			struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = fs_of(req);
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
	obj = obj_of(ino);
	if (!fs->passthrough && obj->nwriters && (uint64_t)off < obj->size)
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

/* ---- ioctls: seals and open counts ---- */

#define KNOWN_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/*
 * Linux's newer seals, honoured: F_SEAL_FUTURE_WRITE refuses writes (and
 * the shim new writable shared mappings) but leaves existing mappings
 * alone, so it never waits for them; F_SEAL_EXEC freezes the exec bits.
 */
#define KNOWN_SEALS_LINUX (F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)

/*
 * F_ADD_SEALS: answers req.  Adding F_SEAL_WRITE is finished by a sealer
 * thread (finish_write_seal); meanwhile the object is marked, so that the
 * shim refuses new writable mappings.
 */
static void add_seals(fuse_req_t req, struct shmfs_fs *fs, struct shmfs_obj *obj,
		      uint32_t seals)
{
	struct shmfs_sealer *sl = NULL;
	pthread_attr_t attr;
	pthread_t thread;
	int err = 0;

	if (seals & ~(KNOWN_SEALS | KNOWN_SEALS_LINUX)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	/* As Linux: sealing exec on an executable object seals its contents too. */
	if ((seals & F_SEAL_EXEC) && (obj->mode & 0111))
		seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
	if (obj->seals & F_SEAL_SEAL) {
		err = EPERM;
	} else if (fs->passthrough) {
		/*
		 * Every mapping maps the memfd itself: the kernel's own check for
		 * writable mappings is exact, and it then guards the paths that
		 * bypass the daemon too.
		 */
		err = shmfs_obj_add_kernel_seals(obj, seals);
		if (!err)
			obj->seals |= seals;
	} else if (!(seals & F_SEAL_WRITE) || (obj->seals & F_SEAL_WRITE)) {
		obj->seals |= seals;
	} else {
		sl = calloc(1, sizeof(*sl));
		if (!sl) {
			err = ENOMEM;
		} else {
			*sl = (struct shmfs_sealer){ fs, req, obj, seals };
			obj->write_seals_pending++;
			fs->sealers++;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	if (err) {
		fuse_reply_err(req, err);
	} else if (!sl) {
		fuse_reply_ioctl(req, 0, NULL, 0);
	} else {
		err = pthread_attr_init(&attr);
		if (!err) {
			pthread_attr_setdetachstate(&attr,
						    PTHREAD_CREATE_DETACHED);
			err = pthread_create(&thread, &attr, sealer_main, sl);
			pthread_attr_destroy(&attr);
		}
		if (err) /* no thread: walk here, the wait is bounded anyway */
			sealer_main(sl);
	}
}

/* SHMFS_IOC_NOPEN (proto.h): an object's open count, for shmfsctl ls. */
static void ioctl_nopen(fuse_req_t req, const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct shmfs_fs *fs = fs_of(req);
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
		q.nopen = obj->nopen;
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
	struct shmfs_fs *fs = fs_of(req);
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
	struct shmfs_fs *fs = fs_of(req);
	struct shmfs_obj *obj = obj_of(ino);
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
	if ((flags & FUSE_IOCTL_DIR) || ino == PROBE_NODEID) {
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
		seals = obj->seals | (obj->write_seals_pending ? SHMFS_SEAL_WRITE_PENDING : 0);
		pthread_mutex_unlock(&fs->lock);
		fuse_reply_ioctl(req, 0, &seals, sizeof(seals));
		return;
	case SHMFS_IOC_ADD_SEALS:
		if (in_bufsz != sizeof(seals)) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		memcpy(&seals, in_buf, sizeof(seals));
		add_seals(req, fs, obj, seals);
		return;
	default:
		fuse_reply_err(req, ENOTTY);
	}
}

/* ---- Directory ---- */

static void shmfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = fs_of(req);
	struct shmfs_cred cred;
	struct shmfs_name *cur;
	int err;

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	cred_of(req, &cred);
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

static void shmfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmfs_fs *fs = fs_of(req);

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
	struct shmfs_fs *fs = fs_of(req);
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
		root_stat(fs, &e.attr);
		need = add_entry(req, buf + pos, size - pos, off == 0 ? "." : "..", &e, off + 1,
				 plus);
		if (need > size - pos)
			goto out;
		pos += need;
	}
	for (n = shmfs_ns_cursor_seek(&fs->ns, cur, (uint64_t)off); n;
	     n = shmfs_ns_cursor_advance(&fs->ns, cur, n)) {
		entry_of(n->obj, &e);
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

static void shmfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	readdir_common(req, size, off, fi, false);
}

static void shmfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			      struct fuse_file_info *fi)
{
	readdir_common(req, size, off, fi, true);
}

static void shmfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct shmfs_fs *fs = fs_of(req);
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

int shmfs_fs_init(struct shmfs_fs *fs, const struct shmfs_options *opts)
{
	uint64_t nr_objects, user_pages, user_objects;
	int err;

	memset(fs, 0, sizeof(*fs));
	fs->passthrough_want = opts->passthrough;
	if (opts->passthrough == SHMFS_PASSTHROUGH_ON && passthrough_unavailable()) {
		fprintf(stderr, "shmfs: passthrough=on, but %s\n", passthrough_unavailable());
		return ENOTSUP;
	}
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->notify_cond, NULL);
	pthread_cond_init(&fs->sealers_cond, NULL);
	fs->root_mode = opts->mode & 0777;
	fs->root_uid = opts->uid;
	fs->root_gid = opts->gid;
	root_changed(fs);
	/* Every object with data holds a memfd: nr_objects= cannot promise more. */
	nr_objects = shmfs_store_fd_budget(FD_RESERVE);
	if (nr_objects < opts->nr_objects && opts->nr_objects_given)
		fuse_log(FUSE_LOG_WARNING,
			 "shmfs: nr_objects=%llu lowered to %llu, what the descriptor limit allows\n",
			 (unsigned long long)opts->nr_objects, (unsigned long long)nr_objects);
	if (nr_objects > opts->nr_objects)
		nr_objects = opts->nr_objects;
	err = shmfs_store_init(&fs->store, opts->size, nr_objects);
	/* Per-user limits: 0 (not given) means none. */
	user_pages = (opts->user_size + SHMFS_PAGE_SIZE - 1) / SHMFS_PAGE_SIZE;
	user_objects = opts->user_nr_objects;
	if (!err)
		err = shmfs_quota_init(&fs->quota,
				       user_pages ? user_pages : UINT64_MAX,
				       user_objects ? user_objects : UINT64_MAX);
	if (!err) {
		fs->store.quota = &fs->quota;
		shmfs_store_set_lock(&fs->store, &fs->lock);
	}
	if (!err)
		err = shmfs_ns_init(&fs->ns);
	if (err)
		shmfs_fs_destroy(fs);
	return err;
}

void shmfs_fs_destroy(struct shmfs_fs *fs)
{
	shmfs_fs_stop(fs);
	while (fs->handles) {
		struct shmfs_handle *h = fs->handles;

		fs->handles = h->next;
		free(h);
	}
	shmfs_ns_destroy(&fs->ns);
	shmfs_store_destroy(&fs->store);
	/* After the store, which uncharges its objects. */
	shmfs_quota_destroy(&fs->quota);
	pthread_cond_destroy(&fs->notify_cond);
	pthread_cond_destroy(&fs->sealers_cond);
	pthread_mutex_destroy(&fs->lock);
}
