/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.c: objects, their memfds and the mount-wide accounts (see store.h).
 *
 * The memfd's size always equals the object's: every change of size goes
 * through shmfs_obj_resize(), which promises growth before it asks the
 * kernel.  So reads and SEEK_DATA can trust the memfd's own end, and the
 * kernel's pages are the only copy the daemon holds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

static inline uint64_t pages_for(uint64_t bytes)
{
	return (bytes + SHMFS_PAGE_SIZE - 1) >> SHMFS_PAGE_SHIFT;
}

void shmfs_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

static void obj_touch_size(struct shmfs_obj *obj)
{
	shmfs_now(&obj->mtime);
	obj->ctime = obj->mtime;
}

/* ---- Store and object lifetime ---- */

int shmfs_store_init(struct shmfs_store *st, uint64_t size_bytes, uint64_t nr_objects)
{
	memset(st, 0, sizeof(*st));
	st->limit_pages = pages_for(size_bytes);
	st->limit_objects = nr_objects;
	st->next_ino = 2; /* 1 is the root directory */
	return 0;
}

void shmfs_store_destroy(struct shmfs_store *st)
{
	while (st->all)
		shmfs_obj_free(st, st->all);
}

uint64_t shmfs_store_fd_budget(unsigned reserve)
{
	struct rlimit rl;
	FILE *f;
	unsigned long nr_open = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	/* Root may raise the hard limit up to the kernel's fs.nr_open. */
	f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	if (nr_open > rl.rlim_max) {
		struct rlimit up = { nr_open, nr_open };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return rl.rlim_cur > reserve ? rl.rlim_cur - reserve : 0;
}

struct shmfs_obj *shmfs_obj_new(struct shmfs_store *st, mode_t mode, uid_t uid, gid_t gid)
{
	struct shmfs_obj *obj;
	int err;

	if (st->nr_objects >= st->limit_objects) {
		errno = ENOSPC;
		return NULL;
	}
	if ((err = shmfs_quota_new_object(st->quota, uid)) != 0)
		return errno = err, NULL;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return shmfs_quota_free_object(st->quota, uid, 0), NULL;
	obj->ino = st->next_ino++;
	obj->mode = mode & 0777;
	obj->uid = uid;
	obj->gid = gid;
	obj->seals = F_SEAL_SEAL;
	obj->memfd = -1;
	shmfs_now(&obj->mtime);
	obj->atime = obj->ctime = obj->mtime;
	obj->all_next = st->all;
	if (st->all)
		st->all->all_prev = obj;
	st->all = obj;
	st->nr_objects++;
	return obj;
}

void shmfs_obj_free(struct shmfs_store *st, struct shmfs_obj *obj)
{
	if (obj->memfd >= 0)
		close(obj->memfd);
	st->promised_pages -= pages_for(obj->size);
	st->nr_objects--;
	shmfs_quota_free_object(st->quota, obj->uid, pages_for(obj->size));
	if (obj->all_prev)
		obj->all_prev->all_next = obj->all_next;
	else
		st->all = obj->all_next;
	if (obj->all_next)
		obj->all_next->all_prev = obj->all_prev;
	free(obj);
}

void shmfs_store_set_lock(struct shmfs_store *st, pthread_mutex_t *lock)
{
	st->lock = lock;
}

/* The daemon's books are wrong: say where, and never go on. */
#define BOOKS_WRONG(what)                                                              \
	do {                                                                           \
		fprintf(stderr, "shmfs: %s: %s\n", __func__, what);                   \
		abort();                                                               \
	} while (0)

void shmfs_store_assert_locked(const struct shmfs_store *st)
{
	/* A held mutex cannot be taken; one that can was not held. */
	if (st->lock && pthread_mutex_trylock(st->lock) == 0) {
		pthread_mutex_unlock(st->lock);
		BOOKS_WRONG("called without the filesystem lock");
	}
}

bool shmfs_obj_release_if_unused(struct shmfs_store *st, struct shmfs_obj *obj)
{
	shmfs_store_assert_locked(st);
	if (obj->nlink || obj->nlookup || obj->nopen || obj->nholds)
		return false;
	shmfs_obj_free(st, obj);
	return true;
}

void shmfs_obj_hold_lookup_locked(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t n)
{
	shmfs_store_assert_locked(st);
	if (obj->nlookup > UINT64_MAX - n)
		BOOKS_WRONG("lookup count overflows");
	obj->nlookup += n;
}

bool shmfs_obj_forget_locked(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t n)
{
	shmfs_store_assert_locked(st);
	if (obj->nlookup < n)
		BOOKS_WRONG("the kernel forgets more lookups than it was given");
	obj->nlookup -= n;
	return shmfs_obj_release_if_unused(st, obj);
}

void shmfs_obj_hold_open_locked(struct shmfs_store *st, struct shmfs_obj *obj, bool writable)
{
	shmfs_store_assert_locked(st);
	if (obj->nopen == UINT32_MAX)
		BOOKS_WRONG("open count overflows");
	obj->nopen++;
	obj->nwriters += writable;
}

bool shmfs_obj_release_open_locked(struct shmfs_store *st, struct shmfs_obj *obj,
				   bool writable)
{
	shmfs_store_assert_locked(st);
	if (!obj->nopen || (writable && !obj->nwriters) ||
	    (!writable && obj->nwriters >= obj->nopen))
		BOOKS_WRONG("releases an open handle it does not have");
	obj->nopen--;
	obj->nwriters -= writable;
	return shmfs_obj_release_if_unused(st, obj);
}

void shmfs_obj_hold_internal_locked(struct shmfs_store *st, struct shmfs_obj *obj)
{
	shmfs_store_assert_locked(st);
	if (obj->nholds == UINT32_MAX)
		BOOKS_WRONG("internal hold count overflows");
	obj->nholds++;
}

bool shmfs_obj_release_internal_locked(struct shmfs_store *st, struct shmfs_obj *obj)
{
	shmfs_store_assert_locked(st);
	if (!obj->nholds)
		BOOKS_WRONG("releases an internal hold it does not have");
	obj->nholds--;
	return shmfs_obj_release_if_unused(st, obj);
}

/* The plain twins: take the lock (if the store has one) around the _locked one. */
static void store_lock(struct shmfs_store *st)
{
	if (st->lock)
		pthread_mutex_lock(st->lock);
}

static void store_unlock(struct shmfs_store *st)
{
	if (st->lock)
		pthread_mutex_unlock(st->lock);
}

bool shmfs_obj_forget(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t n)
{
	bool freed;

	store_lock(st);
	freed = shmfs_obj_forget_locked(st, obj, n);
	store_unlock(st);
	return freed;
}

bool shmfs_obj_release_internal(struct shmfs_store *st, struct shmfs_obj *obj)
{
	bool freed;

	store_lock(st);
	freed = shmfs_obj_release_internal_locked(st, obj);
	store_unlock(st);
	return freed;
}

/* ---- Data ---- */

/*
 * The object's memfd, made on first need.  Sealable, so that the kernel's
 * own seals can be added to it.  Running out of descriptors is the mount's
 * object capacity running out: ENOSPC, as nr_objects= gives.
 */
int shmfs_obj_memfd(struct shmfs_obj *obj)
{
	int fd;

	if (obj->memfd >= 0)
		return 0;
	fd = memfd_create("shmfs", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return errno == EMFILE || errno == ENFILE ? ENOSPC : errno;
	/*
	 * A memfd is born 0777, and the kernel makes F_SEAL_EXEC on an
	 * executable memfd seal its contents too: the object's own mode (and
	 * the daemon's check of it) decides that, so the memfd has no x bits.
	 */
	fchmod(fd, 0600);
	/* Readers load it without the lock (shmfs_obj_read). */
	__atomic_store_n(&obj->memfd, fd, __ATOMIC_RELEASE);
	return 0;
}

int shmfs_obj_resize(struct shmfs_store *st, struct shmfs_obj *obj, uint64_t size)
{
	uint64_t old_pages = pages_for(obj->size), new_pages = pages_for(size);
	int err;

	if (size == obj->size)
		return 0;
	if (size > (uint64_t)INT64_MAX)
		return EFBIG;
	if (new_pages > old_pages &&
	    new_pages - old_pages > st->limit_pages - st->promised_pages)
		return ENOSPC;
	if (shmfs_quota_resize(st->quota, obj->uid, old_pages, new_pages) != 0)
		return ENOSPC;
	err = shmfs_obj_memfd(obj);
	/* Shrinking frees the pages beyond and zeroes the rest of the last one. */
	if (!err && ftruncate(obj->memfd, (off_t)size) != 0)
		err = errno;
	if (err) {
		shmfs_quota_resize(st->quota, obj->uid, new_pages, old_pages);
		return err;
	}
	st->promised_pages = st->promised_pages - old_pages + new_pages;
	obj->size = size;
	obj_touch_size(obj);
	return 0;
}

int shmfs_obj_add_kernel_seals(struct shmfs_obj *obj, uint32_t seals)
{
	int err = shmfs_obj_memfd(obj);

	if (!err && fcntl(obj->memfd, F_ADD_SEALS, (int)seals) != 0)
		err = errno;
	return err;
}

ssize_t shmfs_obj_write(struct shmfs_store *st, struct shmfs_obj *obj, const void *buf,
			size_t len, uint64_t off, bool grow)
{
	size_t done = 0;
	int err;

	if (len == 0)
		return 0;
	if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off)
		return -EFBIG;
	if (off + len > obj->size) {
		if (grow) {
			err = shmfs_obj_resize(st, obj, off + len);

			if (err)
				return -err;
		} else if (off >= obj->size) {
			return -EFBIG;
		} else {
			len = obj->size - off;
		}
	}
	/* Within the size, so the memfd never grows here. */
	while (done < len) {
		ssize_t n = pwrite(obj->memfd, (const char *)buf + done, len - done,
				   (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return done ? (ssize_t)done : n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t shmfs_obj_read(const struct shmfs_obj *obj, void *buf, size_t len, uint64_t off)
{
	int fd = __atomic_load_n(&obj->memfd, __ATOMIC_ACQUIRE);
	size_t done = 0;

	if (fd < 0 || off >= (uint64_t)INT64_MAX)
		return 0; /* never had a size: empty; or past any size */
	if (len > (uint64_t)INT64_MAX - off)
		len = (size_t)((uint64_t)INT64_MAX - off); /* the kernel refuses a range past 2^63 */
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done ? (ssize_t)done : -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int shmfs_obj_punch(struct shmfs_obj *obj, uint64_t off, uint64_t len)
{
	uint64_t end;

	if (off >= obj->size || len == 0 || obj->memfd < 0)
		return 0;
	/* A range to the end takes the last page whole: past the size is zeros anyway. */
	end = len >= obj->size - off ? pages_for(obj->size) << SHMFS_PAGE_SHIFT : off + len;
	if (fallocate(obj->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
		      (off_t)(end - off)) != 0)
		return errno;
	return 0;
}

int64_t shmfs_obj_seek(const struct shmfs_obj *obj, uint64_t off, bool data)
{
	off_t res;

	if (off >= obj->size || obj->memfd < 0)
		return -ENXIO;
	res = lseek(obj->memfd, (off_t)off, data ? SEEK_DATA : SEEK_HOLE);
	return res < 0 ? -errno : (int64_t)res;
}

uint64_t shmfs_obj_blocks(const struct shmfs_obj *obj)
{
	struct stat sb;

	if (obj->memfd < 0 || fstat(obj->memfd, &sb) != 0)
		return 0;
	return (uint64_t)sb.st_blocks;
}
