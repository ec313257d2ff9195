/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * torture.c: model-based random testing of a shmfs mount.  A driver process
 * keeps an exact in-memory model of every object (its bytes, its size, its
 * inode and the names bound to it, hard links included) and sends each operation to one of
 * several worker processes, which hold their own descriptors and mappings of
 * the objects.  Operations therefore really happen in different processes,
 * while the model stays sequential: every result, errno, byte and size is
 * checked against it.  The run is reproducible from its seed, which is
 * printed first; a mismatch prints the seed, the operation's index, the
 * object and the offending offset, and exits 1.
 *
 *   torture [--seed N] [--ops N] [--procs N] [--objects N] [--max-size B]
 *           [--check-every N] [--mount DIR]
 *
 * Without --mount it mounts a daemon itself through the test harness.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PAGE 4096UL
#define MAX_IO (256UL * 1024) /* the largest single read or write */
#define MAX_PROCS 16
#define MAX_NAMES 64

/* ---- The protocol between the driver and a worker ---- */

enum op {
	OP_OPEN,     /* open name (creating it when flags say so) into slot */
	OP_CLOSE,    /* close slot's descriptor and mapping */
	OP_WRITE,    /* pwrite data at off */
	OP_READ,     /* pread len at off */
	OP_TRUNC,    /* ftruncate to size */
	OP_FALLOC,   /* fallocate(flags) off, len */
	OP_MWRITE,   /* copy data into the mapping at off (mapping >= size) */
	OP_MREAD,    /* copy len at off out of the mapping */
	OP_MSYNC,    /* msync the whole mapping */
	OP_FSTAT,    /* fstat slot: size and inode */
	OP_RENAME,   /* renameat2(name, name2, flags) */
	OP_UNLINK,   /* unlink name */
	OP_STATNAME, /* stat name: inode or errno */
	OP_PEEK,     /* open name read-only, fstat, pread len at off, close */
	OP_LINK,     /* linkat(name, name2) */
	OP_QUIT,
};

struct request {
	int32_t op;
	int32_t slot;
	int32_t name, name2;
	int32_t flags;
	uint64_t off, len, size;
};

struct reply {
	int64_t ret; /* the call's result, or -1 */
	int32_t err; /* errno when ret is -1 */
	uint64_t size, ino, nlink;
	uint64_t len; /* bytes of data following the reply */
};

static const char *const op_names[] = {
	"open",	     "close",  "write",	   "read",  "ftruncate",
	"fallocate", "mwrite", "mread",	   "msync", "fstat",
	"rename",    "unlink", "statname", "peek",  "link",
	"quit",
};

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- Workers ---- */

struct held {
	int fd;
	char *map;
	size_t maplen;
};

static int mount_fd = -1;
static int nr_slots;

static void name_of(int name, char *buf, size_t size)
{
	snprintf(buf, size, "t%d", name);
}

static void worker_close(struct held *h)
{
	if (h->map)
		munmap(h->map, h->maplen);
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->map = NULL;
	h->maplen = 0;
}

/* Maps at least need bytes of h's object; size is its current size. */
static int worker_map(struct held *h, uint64_t need, uint64_t size)
{
	size_t len;

	if (h->map && h->maplen >= need)
		return 0;
	if (h->map)
		munmap(h->map, h->maplen);
	h->map = NULL;
	len = (size_t)((size + PAGE - 1) & ~(PAGE - 1));
	h->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
	if (h->map == MAP_FAILED) {
		h->map = NULL;
		return -1;
	}
	h->maplen = len;
	return 0;
}

static void worker_serve(int sock, char *buf)
{
	struct held *held = calloc((size_t)nr_slots, sizeof(*held));
	struct request rq;
	char name[32], name2[32];

	if (!held)
		_exit(3);
	for (int i = 0; i < nr_slots; i++)
		held[i].fd = -1;
	while (read_full(sock, &rq, sizeof(rq)) == 0) {
		struct reply rp = { 0 };
		struct held *h = rq.slot >= 0 ? &held[rq.slot] : NULL;
		struct stat st;
		const char *out = NULL;
		int fd;

		name_of(rq.name, name, sizeof(name));
		name_of(rq.name2, name2, sizeof(name2));
		if ((rq.op == OP_WRITE || rq.op == OP_MWRITE) &&
		    read_full(sock, buf, rq.len) != 0)
			_exit(4);
		errno = 0;
		switch (rq.op) {
		case OP_OPEN:
			h->fd = openat(mount_fd, name,
				       O_RDWR | O_CLOEXEC | rq.flags, 0600);
			rp.ret = h->fd;
			if (h->fd >= 0 && fstat(h->fd, &st) == 0)
				rp.ino = st.st_ino;
			break;
		case OP_CLOSE:
			worker_close(h);
			break;
		case OP_WRITE:
			rp.ret = pwrite(h->fd, buf, rq.len, (off_t)rq.off);
			break;
		case OP_READ:
			rp.ret = pread(h->fd, buf, rq.len, (off_t)rq.off);
			if (rp.ret > 0)
				rp.len = (uint64_t)rp.ret;
			out = buf;
			break;
		case OP_TRUNC:
			rp.ret = ftruncate(h->fd, (off_t)rq.size);
			break;
		case OP_FALLOC:
			rp.ret = fallocate(h->fd, rq.flags, (off_t)rq.off,
					   (off_t)rq.len);
			break;
		case OP_MWRITE:
			rp.ret = worker_map(h, rq.off + rq.len, rq.size);
			if (rp.ret == 0)
				memcpy(h->map + rq.off, buf, rq.len);
			break;
		case OP_MREAD:
			rp.ret = worker_map(h, rq.off + rq.len, rq.size);
			if (rp.ret == 0) {
				out = h->map + rq.off;
				rp.len = rq.len;
			}
			break;
		case OP_MSYNC:
			rp.ret = h->map ? msync(h->map, h->maplen, MS_SYNC) : 0;
			break;
		case OP_FSTAT:
			rp.ret = fstat(h->fd, &st);
			rp.size = (uint64_t)st.st_size;
			rp.ino = st.st_ino;
			rp.nlink = st.st_nlink;
			break;
		case OP_RENAME:
			rp.ret = renameat2(mount_fd, name, mount_fd, name2,
					   (unsigned)rq.flags);
			break;
		case OP_UNLINK:
			rp.ret = unlinkat(mount_fd, name, 0);
			break;
		case OP_STATNAME:
			rp.ret = fstatat(mount_fd, name, &st, 0);
			rp.ino = rp.ret == 0 ? st.st_ino : 0;
			rp.nlink = rp.ret == 0 ? st.st_nlink : 0;
			break;
		case OP_LINK:
			rp.ret = linkat(mount_fd, name, mount_fd, name2, 0);
			break;
		case OP_PEEK:
			fd = openat(mount_fd, name, O_RDONLY | O_CLOEXEC);
			rp.ret = fd;
			if (fd < 0)
				break;
			rp.ret = fstat(fd, &st);
			rp.size = (uint64_t)st.st_size;
			rp.ino = st.st_ino;
			if (rp.ret == 0)
				rp.ret = pread(fd, buf, rq.len, (off_t)rq.off);
			if (rp.ret > 0)
				rp.len = (uint64_t)rp.ret;
			out = buf;
			close(fd);
			break;
		case OP_QUIT:
			for (int i = 0; i < nr_slots; i++)
				worker_close(&held[i]);
			free(held);
			_exit(0);
		}
		rp.err = rp.ret < 0 ? errno : 0;
		if (write_full(sock, &rp, sizeof(rp)) != 0 ||
		    (rp.len && write_full(sock, out, rp.len) != 0))
			_exit(5);
	}
	_exit(6);
}

/* ---- The model ---- */

struct object {
	bool live;
	uint64_t id;  /* creation order, for messages */
	uint64_t ino; /* as the mount reports it */
	uint64_t size;
	uint8_t *data;	  /* max_size bytes; zero beyond size */
	uint32_t nlink;	  /* names bound to it */
	unsigned holders; /* bit i: worker i holds a descriptor */
};

static struct {
	uint64_t seed, ops, check_every;
	int procs, names;
	uint64_t max_size;
	const char *mount;
} cfg = { 0, 50000, 5000, 4, 6, 2UL << 20, NULL };

static struct object *objs;  /* nr_slots of them */
static int bound[MAX_NAMES]; /* name -> slot, or -1 */
static int socks[MAX_PROCS];
static pid_t pids[MAX_PROCS];
static uint64_t next_id, op_index;
static uint64_t rng_state;
static uint8_t *iobuf;
static struct {
	uint64_t ops[OP_QUIT], check_calls, bytes_checked, objects_made,
		full_checks;
} stats;
static bool in_full_check; /* calls then count as checks, not random ops */
static struct shmfs_mount own_mount;
static const char *mnt_dir;

static uint64_t rng(void)
{
	/* xorshift64*: reproducible everywhere, unlike random(). */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rng() % n : 0;
}

static void shutdown_workers(void)
{
	for (int i = 0; i < cfg.procs; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	}
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr,
		"torture: MISMATCH at op %" PRIu64 " (seed %" PRIu64 "): ",
		op_index, cfg.seed);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr,
		"\ntorture: replay with --seed %" PRIu64 " --ops %" PRIu64
		" --procs %d --objects %d --max-size %" PRIu64 "\n",
		cfg.seed, cfg.ops, cfg.procs, cfg.names, cfg.max_size);
	shutdown_workers();
	if (!cfg.mount)
		harness_umount(&own_mount);
	exit(1);
}

/* Sends rq (and data for writes) to worker w and waits for its reply. */
static struct reply call(int w, const struct request *rq, const void *data,
			 void *out)
{
	struct reply rp;

	if (in_full_check)
		stats.check_calls++;
	else
		stats.ops[rq->op]++;
	if (write_full(socks[w], rq, sizeof(*rq)) != 0 ||
	    (data && write_full(socks[w], data, rq->len) != 0) ||
	    read_full(socks[w], &rp, sizeof(rp)) != 0)
		fail("worker %d died during %s of slot %d", w, op_names[rq->op],
		     rq->slot);
	if (rp.len > rq->len ||
	    (rp.len && (!out || read_full(socks[w], out, rp.len) != 0)))
		fail("worker %d sent a bad reply to %s", w, op_names[rq->op]);
	return rp;
}

static void expect(const struct reply *rp, int64_t ret, int err,
		   const char *what, int slot)
{
	if (rp->ret != ret || (ret < 0 && rp->err != err))
		fail("%s on object %" PRIu64 ": got %" PRId64 " (%s), want "
		     "%" PRId64 " (%"
		     "s)",
		     what, slot >= 0 ? objs[slot].id : 0, rp->ret,
		     strerror(rp->err), ret, strerror(err));
}

static void compare(int slot, uint64_t off, const uint8_t *got, uint64_t len,
		    const char *how)
{
	const uint8_t *want = objs[slot].data + off;

	stats.bytes_checked += len;
	if (memcmp(got, want, len) == 0)
		return;
	for (uint64_t i = 0; i < len; i++)
		if (got[i] != want[i])
			fail("%s of object %" PRIu64 " (size %" PRIu64
			     "): byte at offset %" PRIu64 " is 0x%02x, want "
			     "0x%02x",
			     how, objs[slot].id, objs[slot].size, off + i,
			     got[i], want[i]);
}

/* A slot is freed once its object has no name and no holder. */
static void maybe_free(int slot)
{
	struct object *o = &objs[slot];

	if (o->live && !o->nlink && !o->holders) {
		o->live = false;
		memset(o->data, 0, cfg.max_size);
		o->size = 0;
	}
}

static void set_size(struct object *o, uint64_t size)
{
	if (size < o->size)
		memset(o->data + size, 0, o->size - size);
	o->size = size;
}

static int live_count(void)
{
	int n = 0;

	for (int i = 0; i < nr_slots; i++)
		n += objs[i].live;
	return n;
}

/* A random slot that worker w holds, or -1. */
static int held_by(int w)
{
	int start = (int)below((uint64_t)nr_slots);

	for (int i = 0; i < nr_slots; i++) {
		int s = (start + i) % nr_slots;

		if (objs[s].live && (objs[s].holders & (1u << w)))
			return s;
	}
	return -1;
}

/* An offset and length for I/O inside [0, limit), or len 0. */
static void pick_range(uint64_t limit, uint64_t *off, uint64_t *len)
{
	uint64_t max_len;

	*off = below(limit);
	/* Mostly small, sometimes page-sized and larger, sometimes aligned. */
	if (below(4) == 0)
		*off &= ~(PAGE - 1);
	max_len = below(8) == 0 ? MAX_IO : below(2) ? PAGE * 2 : 300;
	*len = 1 + below(max_len);
	if (*off + *len > limit)
		*len = limit - *off;
}

static void fill_random(uint8_t *buf, uint64_t len)
{
	uint64_t v = 0;

	for (uint64_t i = 0; i < len; i++) {
		if (i % 8 == 0)
			v = rng();
		buf[i] = (uint8_t)(v >> (8 * (i % 8)));
	}
}

/* ---- Operations ---- */

/* Returns false, having done nothing, if w holds the object already. */
static bool do_open(int w)
{
	int name = (int)below((uint64_t)cfg.names), slot = bound[name];
	struct request rq = { OP_OPEN, slot, name, 0, 0, 0, 0, 0 };
	struct reply rp;

	if (slot >= 0 && (objs[slot].holders & (1u << w)))
		return false; /* one descriptor per worker and object */
	if (slot < 0) {
		/* Create, unless the model is full of unnamed held objects. */
		for (slot = 0; slot < nr_slots && objs[slot].live; slot++)
			;
		if (slot == nr_slots)
			return false;
		rq.slot = slot;
		rq.flags = O_CREAT | O_EXCL;
	}
	rp = call(w, &rq, NULL, NULL);
	if (rp.ret < 0)
		expect(&rp, 0, 0, "open", -1);
	if (rq.flags & O_CREAT) {
		struct object *o = &objs[slot];

		o->live = true;
		o->id = next_id++;
		o->ino = rp.ino;
		o->size = 0;
		o->nlink = 1;
		o->holders = 0;
		bound[name] = slot;
		stats.objects_made++;
	} else if (rp.ino != objs[slot].ino) {
		fail("open t%d gave inode %" PRIu64 ", want object %" PRIu64
		     "'s %" PRIu64,
		     name, rp.ino, objs[slot].id, objs[slot].ino);
	}
	objs[slot].holders |= 1u << w;
	return true;
}

static void do_close(int w, int slot)
{
	struct request rq = { OP_CLOSE, slot, 0, 0, 0, 0, 0, 0 };

	call(w, &rq, NULL, NULL);
	objs[slot].holders &= ~(1u << w);
	maybe_free(slot);
}

static void do_write(int w, int slot, bool mapped)
{
	struct object *o = &objs[slot];
	struct request rq = {
		mapped ? OP_MWRITE : OP_WRITE, slot, 0, 0, 0, 0, 0, o->size
	};
	struct reply rp;

	if (mapped) {
		if (!o->size)
			return;
		pick_range(o->size, &rq.off, &rq.len);
	} else {
		/* Sometimes past the end, which grows the object. */
		uint64_t limit = o->size + MAX_IO < cfg.max_size ?
					 o->size + MAX_IO :
					 cfg.max_size;

		pick_range(limit, &rq.off, &rq.len);
	}
	fill_random(iobuf, rq.len);
	rp = call(w, &rq, iobuf, NULL);
	expect(&rp, mapped ? 0 : (int64_t)rq.len, 0, op_names[rq.op], slot);
	memcpy(o->data + rq.off, iobuf, rq.len);
	if (rq.off + rq.len > o->size)
		o->size = rq.off + rq.len;
}

static void do_read(int w, int slot, bool mapped)
{
	struct object *o = &objs[slot];
	struct request rq = {
		mapped ? OP_MREAD : OP_READ, slot, 0, 0, 0, 0, 0, o->size
	};
	struct reply rp;
	uint64_t want;

	if (mapped) {
		if (!o->size)
			return;
		pick_range(o->size, &rq.off, &rq.len);
	} else {
		pick_range(o->size + PAGE * 2, &rq.off, &rq.len);
	}
	rp = call(w, &rq, NULL, iobuf);
	want = rq.off >= o->size	 ? 0 :
	       rq.off + rq.len > o->size ? o->size - rq.off :
					   rq.len;
	expect(&rp, mapped ? 0 : (int64_t)want, 0, op_names[rq.op], slot);
	compare(slot, rq.off, iobuf, mapped ? rq.len : want, op_names[rq.op]);
}

static uint64_t random_size(const struct object *o)
{
	switch (below(4)) {
	case 0:
		return below(cfg.max_size + 1);
	case 1:
		return o->size / 2;
	case 2:
		return (o->size + below(3 * PAGE)) & ~(PAGE - 1);
	default:
		return o->size > PAGE ? o->size - below(PAGE) : below(PAGE);
	}
}

static void do_trunc(int w, int slot)
{
	struct object *o = &objs[slot];
	struct request rq = { OP_TRUNC, slot, 0, 0, 0, 0, 0, 0 };
	struct reply rp;

	rq.size = random_size(o);
	if (rq.size > cfg.max_size)
		rq.size = cfg.max_size;
	rp = call(w, &rq, NULL, NULL);
	expect(&rp, 0, 0, "ftruncate", slot);
	set_size(o, rq.size);
}

static void do_fallocate(int w, int slot, bool punch)
{
	struct object *o = &objs[slot];
	struct request rq = { OP_FALLOC, slot, 0, 0, 0, 0, 0, 0 };
	struct reply rp;

	if (punch) {
		rq.flags = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		pick_range(o->size + PAGE, &rq.off, &rq.len);
		if (below(3) == 0) /* whole pages, which really free memory */
			rq.len = (rq.len + PAGE - 1) & ~(PAGE - 1);
	} else {
		rq.flags = below(3) == 0 ? FALLOC_FL_KEEP_SIZE : 0;
		pick_range(cfg.max_size, &rq.off, &rq.len);
	}
	rp = call(w, &rq, NULL, NULL);
	expect(&rp, 0, 0, punch ? "punch hole" : "fallocate", slot);
	if (punch) {
		uint64_t end = rq.off + rq.len < o->size ? rq.off + rq.len :
							   o->size;

		if (rq.off < end)
			memset(o->data + rq.off, 0, end - rq.off);
	} else if (!(rq.flags & FALLOC_FL_KEEP_SIZE) &&
		   rq.off + rq.len > o->size) {
		o->size = rq.off + rq.len;
	}
}

static void do_msync(int w, int slot)
{
	struct request rq = { OP_MSYNC, slot, 0, 0, 0, 0, 0, 0 };
	struct reply rp = call(w, &rq, NULL, NULL);

	expect(&rp, 0, 0, "msync", slot);
}

static void do_fstat(int w, int slot)
{
	struct request rq = { OP_FSTAT, slot, 0, 0, 0, 0, 0, 0 };
	struct reply rp = call(w, &rq, NULL, NULL);

	expect(&rp, 0, 0, "fstat", slot);
	if (rp.size != objs[slot].size || rp.ino != objs[slot].ino ||
	    rp.nlink != objs[slot].nlink)
		fail("fstat of object %" PRIu64 ": size %" PRIu64 " inode %" PRIu64
		     " nlink %" PRIu64 ", want size %" PRIu64 " inode %" PRIu64
		     " nlink %u",
		     objs[slot].id, rp.size, rp.ino, rp.nlink, objs[slot].size,
		     objs[slot].ino, objs[slot].nlink);
}

static void do_rename(int w)
{
	static const int flag_choice[] = { 0, 0, RENAME_NOREPLACE,
					   RENAME_EXCHANGE, RENAME_EXCHANGE };
	int a = (int)below((uint64_t)cfg.names),
	    b = (int)below((uint64_t)cfg.names);
	int flags = flag_choice[below(5)], err = 0;
	struct request rq = { OP_RENAME, -1, a, b, flags, 0, 0, 0 };
	struct reply rp;
	int sa = bound[a], sb = bound[b];

	/*
	 * What Linux's VFS and the daemon answer together; two names of one
	 * object (or one name twice) are a no-op success.
	 */
	if (sa < 0)
		err = ENOENT;
	else if ((flags & RENAME_NOREPLACE) && sb >= 0)
		err = EEXIST;
	else if ((flags & RENAME_EXCHANGE) && sb < 0)
		err = ENOENT;
	rp = call(w, &rq, NULL, NULL);
	expect(&rp, err ? -1 : 0, err, op_names[OP_RENAME], sa);
	if (err || sa == sb)
		return;
	if (flags & RENAME_EXCHANGE) {
		bound[a] = sb;
		bound[b] = sa;
		return;
	}
	bound[a] = -1;
	bound[b] = sa;
	if (sb >= 0) {
		objs[sb].nlink--;
		maybe_free(sb);
	}
}

/* A hard link: a further name for the object of another. */
static void do_link(int w)
{
	int a = (int)below((uint64_t)cfg.names), b = (int)below((uint64_t)cfg.names);
	struct request rq = { OP_LINK, -1, a, b, 0, 0, 0, 0 };
	int sa = bound[a], sb = bound[b];
	int err = sa < 0 ? ENOENT : sb >= 0 ? EEXIST : 0;
	struct reply rp = call(w, &rq, NULL, NULL);

	expect(&rp, err ? -1 : 0, err, op_names[OP_LINK], sa);
	if (err)
		return;
	bound[b] = sa;
	objs[sa].nlink++;
}

static void do_unlink(int w)
{
	int name = (int)below((uint64_t)cfg.names), slot = bound[name];
	struct request rq = { OP_UNLINK, -1, name, 0, 0, 0, 0, 0 };
	struct reply rp = call(w, &rq, NULL, NULL);

	expect(&rp, slot < 0 ? -1 : 0, ENOENT, "unlink", slot);
	if (slot >= 0) {
		bound[name] = -1;
		objs[slot].nlink--;
		maybe_free(slot);
	}
}

/* Looks a name up afresh: absent, or the model's object with its size. */
static void do_statname(int w, int name)
{
	int slot = bound[name];
	struct request rq = { OP_STATNAME, -1, name, 0, 0, 0, 0, 0 };
	struct reply rp = call(w, &rq, NULL, NULL);

	expect(&rp, slot < 0 ? -1 : 0, ENOENT, "stat", slot);
	if (slot >= 0 && (rp.ino != objs[slot].ino || rp.nlink != objs[slot].nlink))
		fail("t%d is inode %" PRIu64 " with %" PRIu64 " names, want object %" PRIu64
		     "'s %" PRIu64 " with %u",
		     name, rp.ino, rp.nlink, objs[slot].id, objs[slot].ino, objs[slot].nlink);
}

/* Opens a name afresh in w and reads part of it (the "reopen" check). */
static void do_peek(int w)
{
	int name = (int)below((uint64_t)cfg.names), slot = bound[name];
	struct request rq = { OP_PEEK, -1, name, 0, 0, 0, 0, 0 };
	struct reply rp;
	uint64_t size = slot >= 0 ? objs[slot].size : 0, want;

	pick_range(size + PAGE, &rq.off, &rq.len);
	rp = call(w, &rq, NULL, iobuf);
	if (slot < 0) {
		expect(&rp, -1, ENOENT, "reopen", -1);
		return;
	}
	want = rq.off >= size	      ? 0 :
	       rq.off + rq.len > size ? size - rq.off :
					rq.len;
	expect(&rp, (int64_t)want, 0, "reopen", slot);
	if (rp.size != size || rp.ino != objs[slot].ino)
		fail("reopen of t%d: size %" PRIu64 " inode %" PRIu64
		     ", want object %" PRIu64 " size %" PRIu64 " inode "
		     "%" PRIu64,
		     name, rp.size, rp.ino, objs[slot].id, size,
		     objs[slot].ino);
	compare(slot, rq.off, iobuf, want, "reopen read");
}

/* Objects the mount holds, as statfs reports them. */
static long mount_objects(void)
{
	struct statvfs sv;

	if (statvfs(mnt_dir, &sv) != 0)
		fail("statvfs %s: %s", mnt_dir, strerror(errno));
	return (long)(sv.f_files - sv.f_ffree);
}

/*
 * Checks every byte and size of every object, every name, and the daemon's
 * object count.  The kernel forgets closed unlinked inodes asynchronously,
 * so the count may take a moment to settle.
 */
static void full_check(void)
{
	struct timespec pause = { 0, 1000 * 1000 };
	long have = 0;
	int live = live_count();

	stats.full_checks++;
	in_full_check = true;
	for (int name = 0; name < cfg.names; name++)
		do_statname((int)below((uint64_t)cfg.procs), name);
	for (int s = 0; s < nr_slots; s++) {
		struct object *o = &objs[s];
		int w = -1;

		if (!o->live)
			continue;
		for (int i = 0; i < cfg.procs && w < 0; i++)
			if (o->holders & (1u << i))
				w = i;
		if (w < 0) {
			int name = 0;

			/* Only named: read it through a fresh open of one of its names. */
			while (bound[name] != s)
				name++;
			for (uint64_t off = 0; off < o->size + 1;
			     off += MAX_IO) {
				struct request rq = { .op = OP_PEEK,
						      .slot = -1,
						      .name = name,
						      .off = off,
						      .len = MAX_IO };
				struct reply rp = call(0, &rq, NULL, iobuf);
				uint64_t want = o->size - off < MAX_IO ?
							o->size - off :
							MAX_IO;

				expect(&rp, (int64_t)want, 0, "full check read",
				       s);
				compare(s, off, iobuf, want, "full check read");
			}
			continue;
		}
		do_fstat(w, s);
		for (uint64_t off = 0; off < o->size; off += MAX_IO) {
			struct request rq = { .op = OP_READ,
					      .slot = s,
					      .off = off,
					      .len = MAX_IO };
			struct reply rp = call(w, &rq, NULL, iobuf);
			uint64_t want = o->size - off < MAX_IO ? o->size - off :
								 MAX_IO;

			expect(&rp, (int64_t)want, 0, "full check read", s);
			compare(s, off, iobuf, want, "full check read");
		}
	}
	for (int i = 0; i < 5000 && (have = mount_objects()) != live; i++)
		nanosleep(&pause, NULL);
	if (have != live)
		fail("the daemon counts %ld objects, the model %d", have, live);
	in_full_check = false;
}

static void one_op(void)
{
	int w = (int)below((uint64_t)cfg.procs), slot = held_by(w);
	uint64_t pick = below(100);

	if (slot < 0 || pick < 8) {
		/* One operation per step: a lookup if open cannot. */
		if (!do_open(w))
			do_statname(w, (int)below((uint64_t)cfg.names));
		return;
	}
	if (pick < 12)
		do_close(w, slot);
	else if (pick < 27)
		do_write(w, slot, false);
	else if (pick < 42)
		do_read(w, slot, false);
	else if (pick < 48)
		do_trunc(w, slot);
	else if (pick < 52)
		do_fallocate(w, slot, false);
	else if (pick < 57)
		do_fallocate(w, slot, true);
	else if (pick < 67)
		do_write(w, slot,
			 objs[slot].size > 0); /* nothing to map when empty */
	else if (pick < 77)
		do_read(w, slot, objs[slot].size > 0);
	else if (pick < 80)
		do_msync(w, slot);
	else if (pick < 85)
		do_fstat(w, slot);
	else if (pick < 89)
		do_rename(w);
	else if (pick < 91)
		do_link(w);
	else if (pick < 94)
		do_unlink(w);
	else if (pick < 98)
		do_peek(w);
	else
		do_statname(w, (int)below((uint64_t)cfg.names));
}

/* ---- Set-up ---- */

static void usage(void)
{
	fprintf(stderr, "usage: torture [--seed N] [--ops N] [--procs N] "
			"[--objects N]\n"
			"               [--max-size BYTES] [--check-every N] "
			"[--mount DIR]\n");
	exit(2);
}

static uint64_t number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		usage();
	return v;
}

static void parse_args(int argc, char **argv)
{
	bool seeded = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		i++;
		if (strcmp(a, "--seed") == 0) {
			cfg.seed = number(v);
			seeded = true;
		} else if (strcmp(a, "--ops") == 0) {
			cfg.ops = number(v);
		} else if (strcmp(a, "--procs") == 0) {
			cfg.procs = (int)number(v);
		} else if (strcmp(a, "--objects") == 0) {
			cfg.names = (int)number(v);
		} else if (strcmp(a, "--max-size") == 0) {
			cfg.max_size = number(v);
		} else if (strcmp(a, "--check-every") == 0) {
			cfg.check_every = number(v);
		} else if (strcmp(a, "--mount") == 0) {
			cfg.mount = v;
		} else {
			usage();
		}
	}
	if (cfg.procs < 1 || cfg.procs > MAX_PROCS || cfg.names < 1 ||
	    cfg.names > MAX_NAMES || cfg.max_size < PAGE ||
	    cfg.max_size > (64UL << 20) || !cfg.check_every)
		usage();
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		cfg.seed = (uint64_t)ts.tv_sec * 1000003u ^
			   (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
	}
}

static void start_workers(void)
{
	for (int i = 0; i < cfg.procs; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) !=
		    0) {
			perror("torture: socketpair");
			exit(99);
		}
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("torture: fork");
			exit(99);
		}
		if (pids[i] == 0) {
			for (int j = 0; j < i; j++)
				close(socks[j]);
			close(sv[0]);
			worker_serve(sv[1], (char *)iobuf);
		}
		close(sv[1]);
		socks[i] = sv[0];
	}
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	double secs;
	uint64_t total = 0;
	long before;

	parse_args(argc, argv);
	rng_state = cfg.seed * 0x9E3779B97F4A7C15ULL + 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("torture: seed %" PRIu64 ", %" PRIu64 " ops, %d procs, %d "
	       "objects, max size "
	       "%" PRIu64 "\n",
	       cfg.seed, cfg.ops, cfg.procs, cfg.names, cfg.max_size);
	/* Named objects, and unnamed ones that workers still hold. */
	nr_slots = cfg.names * 3;
	objs = calloc((size_t)nr_slots, sizeof(*objs));
	iobuf = malloc(MAX_IO);
	if (!objs || !iobuf)
		exit(99);
	for (int i = 0; i < nr_slots; i++) {
		objs[i].data = calloc(1, cfg.max_size);
		if (!objs[i].data)
			exit(99);
	}
	for (int i = 0; i < MAX_NAMES; i++)
		bound[i] = -1;
	if (cfg.mount) {
		mnt_dir = cfg.mount;
	} else {
		char opts[64];

		/* Room for every slot at the largest size: no ENOSPC here. */
		snprintf(opts, sizeof(opts), "size=%" PRIu64 "m",
			 ((uint64_t)nr_slots * cfg.max_size >> 20) + 64);
		harness_mount(&own_mount, opts);
		mnt_dir = own_mount.mnt;
	}
	mount_fd = open(mnt_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mount_fd < 0) {
		perror("torture: open mount");
		exit(99);
	}
	before = mount_objects();
	if (cfg.mount && before != 0)
		fail("the mount holds %ld objects before the run; it must "
		     "start empty",
		     before);
	start_workers();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (op_index = 0; op_index < cfg.ops; op_index++) {
		one_op();
		if ((op_index + 1) % cfg.check_every == 0)
			full_check();
	}
	full_check();
	/* Close everything, unlink every name: the daemon must hold nothing. */
	in_full_check = true;
	for (int s = 0; s < nr_slots; s++)
		for (int w = 0; w < cfg.procs; w++)
			if (objs[s].live && (objs[s].holders & (1u << w)))
				do_close(w, s);
	for (int name = 0; name < cfg.names; name++) {
		if (bound[name] >= 0) {
			struct request rq = {
				OP_UNLINK, -1, name, 0, 0, 0, 0, 0
			};
			int slot = bound[name];
			struct reply rp = call(0, &rq, NULL, NULL);

			expect(&rp, 0, 0, "final unlink", slot);
			bound[name] = -1;
			objs[slot].nlink--;
			maybe_free(slot);
		}
	}
	full_check();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int i = 0; i < cfg.procs; i++) {
		struct request rq = { OP_QUIT, -1, 0, 0, 0, 0, 0, 0 };
		int status;

		write_full(socks[i], &rq, sizeof(rq));
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail("worker %d exited with status 0x%x", i, status);
		pids[i] = 0;
	}
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (int i = 0; i < OP_QUIT; i++) {
		total += stats.ops[i];
		printf("torture:   %-10s %" PRIu64 "\n", op_names[i],
		       stats.ops[i]);
	}
	printf("torture: seed %" PRIu64 ": %" PRIu64 " random operations in %d "
	       "processes, %" PRIu64 " objects made, %" PRIu64 " full checks "
	       "(%" PRIu64 " more calls), %" PRIu64 " bytes compared, 0 "
						    "mismatches, %.1f "
	       "s\n",
	       cfg.seed, total, cfg.procs, stats.objects_made,
	       stats.full_checks, stats.check_calls, stats.bytes_checked, secs);
	for (int i = 0; i < nr_slots; i++)
		free(objs[i].data);
	free(objs);
	free(iobuf);
	close(mount_fd);
	if (!cfg.mount)
		harness_umount(&own_mount);
	return 0;
}
