/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shmbench.c: the side-by-side benchmark of shmfs, a fresh tmpfs and
 * libfuse's passthrough_ll example (over another tmpfs).  bench/run.sh builds
 * it with plain `cc -O2`, mounts the three filesystems, and runs it; this
 * program only measures and prints.
 *
 * Every timed case runs on each filesystem in turn, interleaved (the order
 * rotates from one repetition to the next, so drift and warm-up hit all three
 * alike), for several repetitions; the table shows medians and the
 * throughput ratio of each filesystem to tmpfs (>1: faster than tmpfs), plus
 * PASS/MISS against the project's targets.  Memory cases run once per
 * filesystem at the end.
 *
 * Metadata cases run in worker processes that set up, say "ready", wait for
 * "go" and then run their loop, so the timed region is the same for one and
 * for two concurrent clients.  The shm life cycle on shmfs must go through
 * the shim: that worker is re-executed with LD_PRELOAD=libshmfs.so and
 * SHMFS_MOUNT set, exactly as a user would run an unmodified program; on the
 * other two it does what glibc's shm_open does (open O_CREAT|O_EXCL|O_NOFOLLOW|
 * O_CLOEXEC in the directory), because glibc only ever uses /dev/shm.
 *
 * With --count-log the program instead runs each case once on shmfs alone,
 * which run.sh started with -d writing to that log, and counts libfuse's
 * "opcode:" lines that each case's timed region caused.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)
#define TiB (1024ULL * GiB)
#define PAGE 4096ULL
#define MAXREPS 64
#define REDIRTY_PASSES 20
#define MEM_NAME_FMT "m%06ld" /* 7 bytes: the name part of the target */
#define MEM_NAME_LEN 7

/* ---- Filesystems ------------------------------------------------------- */

enum {
	FS_SHMFS,
	FS_TMPFS,
	FS_PT,
	FS_HP,
	NFS
};

struct fs {
	const char *name;
	const char *dir; /* NULL: not benchmarked */
	pid_t daemon;	 /* 0: none (tmpfs) */
};

static struct fs fss[NFS] = {
	[FS_SHMFS] = { "shmfs", NULL, 0 },
	[FS_TMPFS] = { "tmpfs", NULL, 0 },
	[FS_PT] = { "passthrough_ll", NULL, 0 },
	[FS_HP] = { "passthrough_hp", NULL, 0 },
};

/*
 * The generic peer shmfs is compared with in the "vs pt" column: libfuse's
 * passthrough_hp where it runs (with FUSE passthrough, the strongest generic
 * FUSE filesystem of libfuse >= 3.17), else passthrough_ll.
 */
static int peer(void)
{
	return fss[FS_HP].dir ? FS_HP : FS_PT;
}

/* A second shmfs mount with a large size=, for the sparse 1 TiB object. */
static const char *big_dir;
static pid_t big_daemon;

/* ---- Configuration ----------------------------------------------------- */

static struct {
	bool quick;
	int reps;
	const char *shim;
	const char *count_log;
	FILE *raw;
	long nstat; /* objects for stat and readdir */
	long life_n, ofc_n, rx_n, statw_passes, readdir_n, ping_n;
	unsigned long long io_bytes, map_bytes, dirty_small, dirty_large;
	long mem_objects, kobj_n;
	unsigned long long mem_bytes;
	int mem_trials; /* repetitions of the meminfo-based memory cases */
} cfg;

/* ---- Cases ------------------------------------------------------------- */

enum kind {
	K_TIME, /* time per operation: lower is better, ratio = tmpfs / fs */
	K_RATE, /* GiB/s: higher is better, ratio = fs / tmpfs */
	K_MEM,	/* memory: lower is better, no ratio, absolute target */
};

enum case_id {
	C_LIFE,
	C_LIFE2,
	C_OFC,
	C_OFC2,
	C_STATW,
	C_STATW2,
	C_STATC,
	C_READDIR,
	C_READDIR2,
	C_RX,
	C_RX2,
	C_PWRITE,
	C_PREAD,
	C_PREADC,
	C_TOUCH,
	C_MREAD,
	C_DIRTY_S,
	C_DIRTY_L,
	C_MUNMAP,
	C_PING,
	C_MEM_OBJ,
	C_SLAB_OBJ,
	C_TOT_OBJ,
	C_KOBJ_SLAB,
	C_KOBJ_TOT,
	C_MEM_BYTE,
	C_KERN_BYTE,
	C_USED_BYTE,
	C_KERN_MBYTE,
	C_USED_MBYTE,
	C_SPARSE,
	C_SPARSE_K,
	C_SPARSE_T,
	NCASES
};

struct casedef {
	char label[64];
	const char *unit;
	enum kind kind;
	double target; /* K_TIME/K_RATE: minimum ratio; K_MEM: maximum; 0: none */
	bool part; /* K_MEM: one part of the total below it, not compared with pt */
};

static struct casedef cases[NCASES];

struct result {
	double v[MAXREPS];
	int n;
	char na[96]; /* why there is no value */
};

static struct result res[NCASES][NFS];
static char notes[4096];

static void note(const char *fmt, ...)
{
	size_t len = strlen(notes);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(notes + len, sizeof(notes) - len, fmt, ap);
	va_end(ap);
}

static void size_str(char *buf, size_t len, unsigned long long bytes)
{
	if (bytes >= GiB && bytes % GiB == 0)
		snprintf(buf, len, "%llu GiB", bytes / GiB);
	else
		snprintf(buf, len, "%llu MiB", bytes / MiB);
}

static void setcase(enum case_id c, const char *label, const char *unit,
		    enum kind kind, double target)
{
	snprintf(cases[c].label, sizeof(cases[c].label), "%s", label);
	cases[c].unit = unit;
	cases[c].kind = kind;
	cases[c].target = target;
}

static void define_cases(void)
{
	char a[32], b[32], l[64];

	setcase(C_LIFE, "shm life cycle (4 KiB)", "us/op", K_TIME, 0.2);
	setcase(C_LIFE2, "shm life cycle, 2 clients", "us/op", K_TIME, 0);
	setcase(C_OFC, "open+fstat+close", "us/op", K_TIME, 0.15);
	setcase(C_OFC2, "open+fstat+close, 2 clients", "us/op", K_TIME, 0);
	snprintf(l, sizeof(l), "stat of %ld, warm", cfg.nstat);
	setcase(C_STATW, l, "us/stat", K_TIME, 0.9);
	snprintf(l, sizeof(l), "stat of %ld, warm, 2 clients", cfg.nstat);
	setcase(C_STATW2, l, "us/stat", K_TIME, 0);
	snprintf(l, sizeof(l), "stat of %ld, cold (drop_caches)", cfg.nstat);
	setcase(C_STATC, l, "us/stat", K_TIME, 0);
	snprintf(l, sizeof(l), "readdir of %ld", cfg.nstat);
	setcase(C_READDIR, l, "ms/list", K_TIME, 0.5);
	snprintf(l, sizeof(l), "readdir of %ld, 2 clients", cfg.nstat);
	setcase(C_READDIR2, l, "ms/list", K_TIME, 0);
	setcase(C_RX, "rename exchange", "us/op", K_TIME, 0.1);
	setcase(C_RX2, "rename exchange, 2 clients", "us/op", K_TIME, 0);
	size_str(a, sizeof(a), cfg.io_bytes);
	snprintf(l, sizeof(l), "pwrite 1 MiB x %s, new object", a);
	setcase(C_PWRITE, l, "GiB/s", K_RATE, 0.5);
	snprintf(l, sizeof(l), "pread 1 MiB x %s, uncached", a);
	setcase(C_PREAD, l, "GiB/s", K_RATE, 0.8);
	snprintf(l, sizeof(l), "pread 1 MiB x %s, cached", a);
	setcase(C_PREADC, l, "GiB/s", K_RATE, 0.9);
	size_str(a, sizeof(a), cfg.map_bytes);
	snprintf(l, sizeof(l), "mmap %s, first touch", a);
	setcase(C_TOUCH, l, "GiB/s", K_RATE, 0.5);
	snprintf(l, sizeof(l), "mmap %s, read by 2nd process", a);
	setcase(C_MREAD, l, "GiB/s", K_RATE, 0.9);
	size_str(a, sizeof(a), cfg.dirty_small);
	size_str(b, sizeof(b), cfg.dirty_large);
	snprintf(l, sizeof(l), "re-dirty mapped %s x%d", a, REDIRTY_PASSES);
	setcase(C_DIRTY_S, l, "GiB/s", K_RATE, 0.9);
	snprintf(l, sizeof(l), "re-dirty mapped %s x%d", b, REDIRTY_PASSES);
	setcase(C_DIRTY_L, l, "GiB/s", K_RATE, 0.9);
	snprintf(l, sizeof(l), "munmap of the dirty %s", b);
	setcase(C_MUNMAP, l, "ms", K_TIME, 0);
	setcase(C_PING, "ping-pong, shared 4 KiB map", "us/rtt", K_TIME, 0.9);
	snprintf(l, sizeof(l), "empty object (%ld): daemon RSS",
		 cfg.mem_objects);
	setcase(C_MEM_OBJ, l, "B", K_MEM, 256 + MEM_NAME_LEN);
	snprintf(l, sizeof(l), "empty object (%ld): kernel slab",
		 cfg.mem_objects);
	setcase(C_SLAB_OBJ, l, "B", K_MEM, 0);
	snprintf(l, sizeof(l), "empty object (%ld): total", cfg.mem_objects);
	setcase(C_TOT_OBJ, l, "B", K_MEM, 0);
	snprintf(l, sizeof(l), "object of 1 byte (%ld): kernel slab",
		 cfg.kobj_n);
	setcase(C_KOBJ_SLAB, l, "B", K_MEM, 0);
	snprintf(l, sizeof(l), "object of 1 byte (%ld): daemon+kernel",
		 cfg.kobj_n);
	setcase(C_KOBJ_TOT, l, "B", K_MEM, 0);
	size_str(a, sizeof(a), cfg.mem_bytes);
	snprintf(l, sizeof(l), "stored byte (%s): daemon RSS", a);
	setcase(C_MEM_BYTE, l, "B/B", K_MEM, 0);
	snprintf(l, sizeof(l), "stored byte (%s): kernel", a);
	setcase(C_KERN_BYTE, l, "B/B", K_MEM, 0);
	setcase(C_USED_BYTE, "RAM per stored byte, daemon+kernel", "B/B", K_MEM,
		1.02);
	snprintf(l, sizeof(l), "stored byte (%s, mmap): kernel", a);
	setcase(C_KERN_MBYTE, l, "B/B", K_MEM, 0);
	setcase(C_USED_MBYTE, "RAM per byte stored by mmap, d+k", "B/B", K_MEM,
		1.02);
	setcase(C_SPARSE, "sparse 1 TiB object: daemon RSS", "KiB", K_MEM,
		1024);
	setcase(C_SPARSE_K, "sparse 1 TiB object: st_blocks", "KiB", K_MEM, 0);
	setcase(C_SPARSE_T, "sparse 1 TiB object: total", "KiB", K_MEM, 0);
	cases[C_MEM_OBJ].part = cases[C_SLAB_OBJ].part = true;
	cases[C_KOBJ_SLAB].part = true;
	cases[C_MEM_BYTE].part = cases[C_KERN_BYTE].part = true;
	cases[C_KERN_MBYTE].part = true;
	cases[C_SPARSE].part = cases[C_SPARSE_K].part = true;
}

static void record(enum case_id c, int f, double v)
{
	struct result *r = &res[c][f];

	if (r->n < MAXREPS)
		r->v[r->n++] = v;
	if (cfg.raw)
		fprintf(cfg.raw, "%s\t%s\t%d\t%.6g\t%s\n", cases[c].label,
			fss[f].name, r->n, v, cases[c].unit);
}

static void record_na(enum case_id c, int f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res[c][f].na, sizeof(res[c][f].na), fmt, ap);
	va_end(ap);
}

/* ---- Small helpers ----------------------------------------------------- */

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "shmbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void path_of(char *buf, size_t len, int f, const char *name)
{
	snprintf(buf, len, "%s/%s", fss[f].dir, name);
}

static void xwrite(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		die("pipe write: %s", strerror(errno));
}

static void xread(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	if (n != (ssize_t)len)
		die("pipe read: %s",
		    n < 0 ? strerror(errno) : "short read (worker died?)");
}

static void xwait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("worker %d failed (status 0x%x)", (int)pid, status);
}

/* Creates (or truncates) a file of the given size; returns the fd. */
static int make_object(const char *path, unsigned long long size)
{
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		die("create %s: %s", path, strerror(errno));
	if (size && ftruncate(fd, (off_t)size) != 0)
		die("ftruncate %s to %llu: %s", path, size, strerror(errno));
	return fd;
}

/* Values from /proc/meminfo in KiB; 0 if absent. */
static long long meminfo(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long long v = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = atoll(line + klen + 1);
			break;
		}
	fclose(f);
	return v;
}

/*
 * What the whole system holds, in KiB: the daemon's anonymous memory,
 * /proc/meminfo's Cached (every page-cache page: a FUSE file's cached copy,
 * and shmem, i.e. tmpfs files and memfds, so also shmfs's and the backing
 * tmpfs's data) and Slab (inodes, dentries, files).  Global counters: the
 * memory cases make their deltas large and take the median of several
 * trials, and run.sh asks for a quiet machine.
 */
struct memsnap {
	long long anon, cached, slab;
};

static long long anon_kib(pid_t pid);

static void memsnap(struct memsnap *m, pid_t daemon)
{
	m->anon = anon_kib(daemon);
	m->cached = meminfo("Cached");
	m->slab = meminfo("Slab");
}

/*
 * The number after "key" on the first line of /proc/PID/file that starts
 * with it, or -1.  ("unlimited" reads as 0.)
 */
static long long proc_number(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)) == 0) {
			v = atoll(line + strlen(key));
			break;
		}
	}
	fclose(f);
	return v;
}

/* A process's VmRSS in KiB, or -1. */
static long long rss_kib(pid_t pid)
{
	return proc_number(pid, "status", "VmRSS:");
}

/*
 * A process's anonymous resident memory in KiB (0 for none or no process):
 * its own heap.  Its resident file and shmem pages (a daemon that maps its
 * memfds) are in /proc/meminfo's Cached already.
 */
static long long anon_kib(pid_t pid)
{
	long long v = pid ? proc_number(pid, "status", "RssAnon:") : 0;

	return v > 0 ? v : 0;
}

/* A process's soft limit of open files, or -1 if unknown or unlimited. */
static long nofile_limit(pid_t pid)
{
	long v = (long)proc_number(pid, "limits", "Max open files");

	return v > 0 ? v : -1;
}

/* A process's CPU time (user + system) in clock ticks, or 0. */
static unsigned long long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* After "pid (comm)": state is field 3, utime 14 and stime 15. */
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
			 "%llu",
			 &ut, &st) != 2)
		return 0;
	return ut + st;
}

static unsigned long long daemons_ticks(void)
{
	unsigned long long t = big_daemon ? cpu_ticks(big_daemon) : 0;

	for (int f = 0; f < NFS; f++)
		if (fss[f].daemon)
			t += cpu_ticks(fss[f].daemon);
	return t;
}

/*
 * Waits (up to 3 s) until no daemon has used CPU for 50 ms.  A FUSE daemon
 * does some work after the call that caused it has returned (FORGET frees
 * an unlinked object, RELEASE arrives asynchronously): without this wait,
 * freeing the previous case's 512 MiB would be charged to the next case,
 * which on a 2-CPU machine is whichever case shares the CPUs with it.
 */
static void quiesce(void)
{
	unsigned long long t = daemons_ticks();

	for (int i = 0; i < 60; i++) {
		unsigned long long t2;

		usleep(50 * 1000);
		t2 = daemons_ticks();
		if (t2 == t)
			return;
		t = t2;
	}
}

/* Lets the daemons and the kernel's async work (RELEASE, FORGET) settle. */
static void settle(void)
{
	usleep(200 * 1000);
}

static int drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return -1;
	sync();
	ok = write(fd, "2", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/* ---- FUSE request counting (--count-log) -------------------------------- */

static off_t count_off;

static void count_begin(void)
{
	struct stat st;

	if (!cfg.count_log)
		return;
	settle();
	count_off = stat(cfg.count_log, &st) == 0 ? st.st_size : 0;
}

struct opcount {
	char op[32];
	long n;
};

static int opcount_cmp(const void *a, const void *b)
{
	const struct opcount *x = a, *y = b;

	return (y->n > x->n) - (y->n < x->n);
}

/* Counts libfuse -d's "opcode: NAME (N)" lines since count_begin(). */
static void count_end(enum case_id c, long ops)
{
	struct opcount oc[64];
	int noc = 0;
	long total = 0, waited = 0;
	char line[1024];
	FILE *f;

	if (!cfg.count_log)
		return;
	settle();
	f = fopen(cfg.count_log, "r");
	if (!f || fseeko(f, count_off, SEEK_SET) != 0)
		die("%s: %s", cfg.count_log, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "opcode: "), op[32];
		int i;

		if (!p || sscanf(p + 8, "%31[A-Z_0-9]", op) != 1)
			continue;
		for (i = 0; i < noc && strcmp(oc[i].op, op) != 0; i++)
			;
		if (i == noc) {
			if (noc == 64)
				continue;
			snprintf(oc[noc++].op, sizeof(oc[0].op), "%s", op);
			oc[i].n = 0;
		}
		oc[i].n++;
		total++;
		/*
		 * Nobody waits for these: FORGET has no reply, and the kernel
		 * sends RELEASE after close(2) has returned (fuse_file_put is
		 * synchronous only on fuseblk).
		 */
		if (strcmp(op, "FORGET") != 0 && strcmp(op, "BATCH_FORGET") != 0 &&
		    strcmp(op, "RELEASE") != 0 && strcmp(op, "RELEASEDIR") != 0 &&
		    strcmp(op, "INTERRUPT") != 0)
			waited++;
	}
	fclose(f);
	qsort(oc, (size_t)noc, sizeof(oc[0]), opcount_cmp);
	printf("%-38s %8ld %9.2f %9.2f ", cases[c].label, total,
	       ops ? (double)total / (double)ops : 0,
	       ops ? (double)waited / (double)ops : 0);
	for (int i = 0; i < noc; i++)
		printf(" %s=%ld", oc[i].op, oc[i].n);
	printf("\n");
	fflush(stdout);
}

/* ---- Metadata workers -------------------------------------------------- */

enum wcase {
	W_LIFE,
	W_OFC,
	W_STAT,
	W_READDIR,
	W_RX
};
static const char *const wnames[] = { "life", "ofc", "stat", "readdir", "rx" };

struct wresult {
	int err; /* 0, or the errno that made the case impossible */
	long ops;
};

/* The names of the stat/readdir population, object i of filesystem dir. */
static void stat_name(char *buf, size_t len, const char *dir, long i)
{
	snprintf(buf, len, "%s/s%05ld", dir, i);
}

static char **stat_paths(const char *dir, long n)
{
	char **paths = calloc((size_t)n, sizeof(*paths));
	char buf[PATH_MAX];

	if (!paths)
		die("out of memory");
	for (long i = 0; i < n; i++) {
		stat_name(buf, sizeof(buf), dir, i);
		paths[i] = strdup(buf);
		if (!paths[i])
			die("out of memory");
	}
	return paths;
}

static long list_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long n = 0;

	if (!d)
		die("opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* One shm life cycle: create, size, map, touch, unmap, close, unlink. */
static int life_once(const char *dir, const char *shmname, bool use_shm)
{
	char path[PATH_MAX];
	int fd;
	char *p;

	snprintf(path, sizeof(path), "%s/%s", dir, shmname + 1);
	if (use_shm)
		fd = shm_open(shmname, O_CREAT | O_EXCL | O_RDWR, 0600);
	else
		fd = open(path,
			  O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC,
			  0600);
	if (fd < 0)
		return errno;
	if (ftruncate(fd, (off_t)PAGE) != 0)
		return errno;
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return errno;
	p[0] = 1;
	munmap(p, PAGE);
	close(fd);
	if (use_shm ? shm_unlink(shmname) : unlink(path))
		return errno;
	return 0;
}

/*
 * A worker: set up, report ready, wait for go, run, report, clean up.  Runs
 * in a forked child, or after re-exec with the shim preloaded.
 */
static int worker_main(enum wcase wc, const char *dir, int client, long n,
		       long nstat, int rfd, int gfd, int resfd, bool use_shm)
{
	struct wresult wr = { 0, 0 };
	char path[PATH_MAX], path2[PATH_MAX], shmname[NAME_MAX];
	char **paths = NULL;
	struct stat st;
	char go;
	int fd;

	/* Setup, untimed. */
	switch (wc) {
	case W_LIFE:
		if (use_shm) {
			/* Refuse to measure glibc by mistake: the shim must be in place. */
			if (!dlsym(RTLD_DEFAULT, "shm_rename"))
				die("shm life cycle: libshmfs.so is not "
				    "preloaded");
			snprintf(shmname, sizeof(shmname), "/sb-probe-%d",
				 client);
			fd = shm_open(shmname, O_CREAT | O_RDWR, 0600);
			snprintf(path, sizeof(path), "%s/%s", dir, shmname + 1);
			if (fd < 0 || access(path, F_OK) != 0)
				die("shm_open through the shim did not create "
				    "%s",
				    path);
			close(fd);
			shm_unlink(shmname);
		}
		break;
	case W_OFC:
		snprintf(path, sizeof(path), "%s/sb-ofc-%d", dir, client);
		close(make_object(path, PAGE));
		break;
	case W_STAT:
		paths = stat_paths(dir, nstat);
		for (long i = 0; i < nstat; i++) /* the warm-up pass */
			if (stat(paths[i], &st) != 0)
				die("stat %s: %s", paths[i], strerror(errno));
		break;
	case W_READDIR:
		if (list_dir(dir) < nstat)
			die("readdir %s: fewer than %ld entries", dir, nstat);
		break;
	case W_RX:
		snprintf(path, sizeof(path), "%s/sb-rx-%d-a", dir, client);
		snprintf(path2, sizeof(path2), "%s/sb-rx-%d-b", dir, client);
		close(make_object(path, 0));
		close(make_object(path2, 0));
		break;
	}
	xwrite(rfd, "r", 1);
	xread(gfd, &go, 1);

	switch (wc) {
	case W_LIFE:
		for (long i = 0; i < n && !wr.err; i++) {
			snprintf(shmname, sizeof(shmname), "/sb-life-%d-%ld",
				 client, i);
			wr.err = life_once(dir, shmname, use_shm);
			wr.ops++;
		}
		break;
	case W_OFC:
		for (long i = 0; i < n; i++) {
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0 || fstat(fd, &st) != 0) {
				wr.err = errno;
				break;
			}
			close(fd);
			wr.ops++;
		}
		break;
	case W_STAT:
		for (long pass = 0; pass < n; pass++)
			for (long i = 0; i < nstat; i++) {
				if (stat(paths[i], &st) != 0)
					wr.err = errno;
				wr.ops++;
			}
		break;
	case W_READDIR:
		for (long i = 0; i < n; i++) {
			list_dir(dir);
			wr.ops++;
		}
		break;
	case W_RX:
		for (long i = 0; i < n; i++) {
			if (renameat2(AT_FDCWD, path, AT_FDCWD, path2,
				      RENAME_EXCHANGE) != 0) {
				wr.err = errno;
				break;
			}
			wr.ops++;
		}
		break;
	}
	xwrite(resfd, &wr, sizeof(wr));

	/* Cleanup, untimed. */
	if (wc == W_OFC) {
		unlink(path);
	} else if (wc == W_RX) {
		unlink(path);
		unlink(path2);
	} else if (paths) {
		for (long i = 0; i < nstat; i++)
			free(paths[i]);
		free(paths);
	}
	return 0;
}

static char self_exe[PATH_MAX];

/*
 * Runs wc with nclients concurrent workers on filesystem f; returns the
 * seconds per operation of the whole group (wall time of the timed region
 * over all operations), or -errno when the filesystem refused the case.
 */
static double run_workers(enum wcase wc, enum case_id c, int f, int nclients,
			  long n)
{
	int rp[2], gp[2], sp[2];
	pid_t pids[8];
	struct wresult wr;
	long ops = 0;
	int err = 0;
	double t0, t1;
	char go[8] = "gggggggg";
	bool via_shim = wc == W_LIFE && f == FS_SHMFS && cfg.shim;

	if (pipe(rp) || pipe(gp) || pipe(sp))
		die("pipe: %s", strerror(errno));
	for (int i = 0; i < nclients; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (pids[i] > 0)
			continue;
		close(rp[0]);
		close(gp[1]);
		close(sp[0]);
		if (via_shim) {
			char a[6][32];

			snprintf(a[0], 32, "%d", i);
			snprintf(a[1], 32, "%ld", n);
			snprintf(a[2], 32, "%d", rp[1]);
			snprintf(a[3], 32, "%d", gp[0]);
			snprintf(a[4], 32, "%d", sp[1]);
			snprintf(a[5], 32, "%ld", cfg.nstat);
			setenv("LD_PRELOAD", cfg.shim, 1);
			setenv("SHMFS_MOUNT", fss[f].dir, 1);
			execl(self_exe, "shmbench", "--worker", wnames[wc],
			      fss[f].dir, a[0], a[1], a[5], a[2], a[3], a[4],
			      (char *)NULL);
			fprintf(stderr, "shmbench: exec %s: %s\n", self_exe,
				strerror(errno));
			_exit(1);
		}
		_exit(worker_main(wc, fss[f].dir, i, n, cfg.nstat, rp[1], gp[0],
				  sp[1], false));
	}
	close(rp[1]);
	close(gp[0]);
	close(sp[1]);
	for (int i = 0; i < nclients; i++) {
		char r;

		xread(rp[0], &r, 1);
	}
	count_begin();
	t0 = now();
	xwrite(gp[1], go, (size_t)nclients);
	for (int i = 0; i < nclients; i++) {
		xread(sp[0], &wr, sizeof(wr));
		ops += wr.ops;
		if (wr.err)
			err = wr.err;
	}
	t1 = now();
	count_end(c, ops);
	for (int i = 0; i < nclients; i++)
		xwait(pids[i]);
	close(rp[0]);
	close(gp[1]);
	close(sp[0]);
	if (err)
		return -err;
	return (t1 - t0) / (double)ops;
}

static void worker_case(enum wcase wc, enum case_id c, int f, int nclients,
			long n, double scale)
{
	double v = run_workers(wc, c, f, nclients, n);

	if (v < 0)
		record_na(c, f, "%s", strerror((int)-v));
	else
		record(c, f, v * scale);
}

/* ---- The timed cases --------------------------------------------------- */

static void case_life(int f, int clients)
{
	enum case_id c = clients == 1 ? C_LIFE : C_LIFE2;

	worker_case(W_LIFE, c, f, clients, cfg.life_n, 1e6);
}

static void case_ofc(int f, int clients)
{
	worker_case(W_OFC, clients == 1 ? C_OFC : C_OFC2, f, clients, cfg.ofc_n,
		    1e6);
}

static void case_statw(int f, int clients)
{
	worker_case(W_STAT, clients == 1 ? C_STATW : C_STATW2, f, clients,
		    cfg.statw_passes, 1e6);
}

static void case_readdir(int f, int clients)
{
	worker_case(W_READDIR, clients == 1 ? C_READDIR : C_READDIR2, f,
		    clients, cfg.readdir_n, 1e3);
}

static void case_rx(int f, int clients)
{
	worker_case(W_RX, clients == 1 ? C_RX : C_RX2, f, clients, cfg.rx_n,
		    1e6);
}

/* Each group of the driver's table takes only the filesystem. */
/* clang-format off */
static void case_life1(int f) { case_life(f, 1); }
static void case_life2(int f) { case_life(f, 2); }
static void case_ofc1(int f) { case_ofc(f, 1); }
static void case_ofc2(int f) { case_ofc(f, 2); }
static void case_statw1(int f) { case_statw(f, 1); }
static void case_statw2(int f) { case_statw(f, 2); }
static void case_readdir1(int f) { case_readdir(f, 1); }
static void case_readdir2(int f) { case_readdir(f, 2); }
static void case_rx1(int f) { case_rx(f, 1); }
static void case_rx2(int f) { case_rx(f, 2); }
/* clang-format on */

/* Stat of the population after the kernel dropped its dentries and inodes. */
static void case_statc(int f)
{
	char **paths = stat_paths(fss[f].dir, cfg.nstat);
	struct stat st;
	double t0, t1;

	if (drop_caches() != 0) {
		record_na(C_STATC, f, "cannot write drop_caches");
		goto out;
	}
	count_begin();
	t0 = now();
	for (long i = 0; i < cfg.nstat; i++)
		if (stat(paths[i], &st) != 0)
			die("stat %s: %s", paths[i], strerror(errno));
	t1 = now();
	count_end(C_STATC, cfg.nstat);
	record(C_STATC, f, (t1 - t0) / (double)cfg.nstat * 1e6);
out:
	for (long i = 0; i < cfg.nstat; i++)
		free(paths[i]);
	free(paths);
}

static unsigned char *iobuf;

static double rate(unsigned long long bytes, double t0, double t1)
{
	return (double)bytes / (double)GiB / (t1 - t0);
}

/* Reads the object sequentially, checking the pattern of each chunk. */
static double read_pass(int fd, enum case_id c, const char *path)
{
	static unsigned char *rbuf;
	double t0, t1;

	if (!rbuf && posix_memalign((void **)&rbuf, PAGE, MiB))
		die("out of memory");
	count_begin();
	t0 = now();
	for (unsigned long long off = 0; off < cfg.io_bytes; off += MiB) {
		if (pread(fd, rbuf, MiB, (off_t)off) != (ssize_t)MiB)
			die("pread %s at %llu: %s", path, off, strerror(errno));
		if (rbuf[0] != (unsigned char)(off / MiB) ||
		    rbuf[MiB - 1] != 0xa5)
			die("pread %s at %llu: wrong data", path, off);
	}
	t1 = now();
	count_end(c, (long)(cfg.io_bytes / MiB));
	return rate(cfg.io_bytes, t0, t1);
}

/*
 * Sequential 1 MiB pwrites into a new object, then reads: the first after
 * dropping the file's clean page cache (POSIX_FADV_DONTNEED, which is what
 * the kernel keeps for a FUSE file; tmpfs's pages are the data itself and
 * stay), so a FUSE filesystem must fetch from its daemon; the second cached.
 */
static void case_io(int f)
{
	char path[PATH_MAX];
	double t0, t1;
	int fd;

	path_of(path, sizeof(path), f, "sb-io");
	fd = make_object(path, 0);
	count_begin();
	t0 = now();
	for (unsigned long long off = 0; off < cfg.io_bytes; off += MiB) {
		iobuf[0] = (unsigned char)(off / MiB);
		if (pwrite(fd, iobuf, MiB, (off_t)off) != (ssize_t)MiB)
			die("pwrite %s at %llu: %s", path, off,
			    strerror(errno));
	}
	t1 = now();
	count_end(C_PWRITE, (long)(cfg.io_bytes / MiB));
	record(C_PWRITE, f, rate(cfg.io_bytes, t0, t1));
	fsync(fd); /* whatever a filesystem deferred, it has now */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	record(C_PREAD, f, read_pass(fd, C_PREAD, path));
	record(C_PREADC, f, read_pass(fd, C_PREADC, path));
	close(fd);
	unlink(path);
}

static unsigned char page_pattern(unsigned long long pg)
{
	return (unsigned char)(pg * 7 + 1);
}

/*
 * First touch of a new, ftruncated object through a shared mapping (one
 * byte written per page), then a second process opens the object, maps it
 * and reads one word of every page: the cost of faulting in pages another
 * process already has.
 */
static void case_map(int f)
{
	unsigned long long npages = cfg.map_bytes / PAGE;
	char path[PATH_MAX];
	volatile unsigned char *p;
	double t0, t1, dt;
	int fd, pp[2];
	pid_t pid;

	path_of(path, sizeof(path), f, "sb-map");
	fd = make_object(path, cfg.map_bytes);
	p = mmap(NULL, cfg.map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	if (p == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	count_begin();
	t0 = now();
	for (unsigned long long pg = 0; pg < npages; pg++)
		p[pg * PAGE] = page_pattern(pg);
	t1 = now();
	count_end(C_TOUCH, (long)npages);
	record(C_TOUCH, f, rate(cfg.map_bytes, t0, t1));

	if (pipe(pp))
		die("pipe: %s", strerror(errno));
	count_begin();
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int cfd = open(path, O_RDONLY | O_CLOEXEC);
		volatile const unsigned char *q;
		long bad = 0;

		if (cfd < 0)
			die("open %s: %s", path, strerror(errno));
		q = mmap(NULL, cfg.map_bytes, PROT_READ, MAP_SHARED, cfd, 0);
		if (q == MAP_FAILED)
			die("mmap %s: %s", path, strerror(errno));
		t0 = now();
		for (unsigned long long pg = 0; pg < npages; pg++)
			bad += q[pg * PAGE] != page_pattern(pg);
		t1 = now();
		if (bad)
			die("%s: the second process saw %ld stale pages", path,
			    bad);
		dt = t1 - t0;
		xwrite(pp[1], &dt, sizeof(dt));
		_exit(0);
	}
	xread(pp[0], &dt, sizeof(dt));
	xwait(pid);
	count_end(C_MREAD, (long)npages);
	record(C_MREAD, f, (double)cfg.map_bytes / (double)GiB / dt);
	close(pp[0]);
	close(pp[1]);
	munmap((void *)p, cfg.map_bytes);
	close(fd);
	unlink(path);
}

/*
 * A mapped object dirtied once (untimed), then every page written again
 * twenty times: on a filesystem with writeback this measures whether the
 * kernel keeps cleaning and write-protecting the pages (dirty throttling).
 * The word written moves through the page from one page to the next, so
 * the stores spread over the CPU cache's sets whatever the physical pages.
 * For the large object the munmap is timed too: FUSE's vm close writes back
 * every dirty page of the file, synchronously (write_inode_now), so this
 * is what a process exiting with such a mapping waits for.
 */
static void redirty(int f, enum case_id c, unsigned long long bytes)
{
	unsigned long long npages = bytes / PAGE;
	char path[PATH_MAX];
	volatile unsigned char *p;
	double t0, t1;
	int fd;

	path_of(path, sizeof(path), f, "sb-dirty");
	fd = make_object(path, bytes);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	for (unsigned long long pg = 0; pg < npages; pg++)
		p[pg * PAGE] = 1;
	count_begin();
	t0 = now();
	for (int pass = 0; pass < REDIRTY_PASSES; pass++)
		for (unsigned long long pg = 0; pg < npages; pg++)
			p[pg * PAGE + pg % 64 * 64] = (unsigned char)pass;
	t1 = now();
	count_end(c, (long)npages * REDIRTY_PASSES);
	record(c, f, rate(bytes * REDIRTY_PASSES, t0, t1));
	if (c == C_DIRTY_L)
		count_begin();
	t0 = now();
	munmap((void *)p, bytes);
	t1 = now();
	if (c == C_DIRTY_L) {
		count_end(C_MUNMAP, 1);
		record(C_MUNMAP, f, (t1 - t0) * 1e3);
	}
	close(fd);
	unlink(path);
}

static void case_dirty_s(int f)
{
	redirty(f, C_DIRTY_S, cfg.dirty_small);
}

static void case_dirty_l(int f)
{
	redirty(f, C_DIRTY_L, cfg.dirty_large);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void spin_wait(volatile uint64_t *w, uint64_t want)
{
	unsigned spins = 0;

	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != want)
		if (++spins % 1024 == 0)
			sched_yield(); /* both processes may share a CPU */
		else
			cpu_relax();
}

/*
 * Two processes, each mapping the object through its own open, bounce a
 * counter: the parent writes ping = i, the child answers pong = i.  Both
 * words have their own cache line.
 */
static void case_ping(int f)
{
	char path[PATH_MAX];
	volatile uint64_t *w;
	double t0, t1;
	pid_t pid;
	int fd;

	path_of(path, sizeof(path), f, "sb-ping");
	fd = make_object(path, PAGE);
	w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int cfd = open(path, O_RDWR | O_CLOEXEC);
		volatile uint64_t *cw;

		if (cfd < 0)
			die("open %s: %s", path, strerror(errno));
		cw = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, cfd,
			  0);
		if (cw == MAP_FAILED)
			die("mmap %s: %s", path, strerror(errno));
		__atomic_store_n(&cw[16], UINT64_MAX,
				 __ATOMIC_RELEASE); /* ready */
		for (uint64_t i = 1; i <= (uint64_t)cfg.ping_n; i++) {
			spin_wait(&cw[0], i);
			__atomic_store_n(&cw[16], i, __ATOMIC_RELEASE);
		}
		_exit(0);
	}
	spin_wait(&w[16], UINT64_MAX);
	count_begin();
	t0 = now();
	for (uint64_t i = 1; i <= (uint64_t)cfg.ping_n; i++) {
		__atomic_store_n(&w[0], i, __ATOMIC_RELEASE);
		spin_wait(&w[16], i);
	}
	t1 = now();
	count_end(C_PING, cfg.ping_n);
	xwait(pid);
	record(C_PING, f, (t1 - t0) / (double)cfg.ping_n * 1e6);
	munmap((void *)w, PAGE);
	close(fd);
	unlink(path);
}

/* ---- Memory cases ------------------------------------------------------ */

/*
 * Makes the kernel forget unlinked inodes (drop_caches 2 evicts unused
 * dentries and inodes, which sends FORGET): on shmfs an unlinked object
 * counts against nr_objects= until then.  Also makes the Slab baseline of
 * the next measurement steadier.
 */
static void forget_unlinked(void)
{
	drop_caches();
	settle();
	quiesce();
}

/* Caps *n below the free object count statfs reports for filesystem f. */
static void cap_objects(int f, long *n, const char *what)
{
	struct statvfs sv;
	long was = *n;

	if (statvfs(fss[f].dir, &sv) != 0 || sv.f_ffree >= (unsigned long)*n + 1000)
		return;
	*n = (long)sv.f_ffree - 1000;
	if (*n < 1000)
		die("%s: only %lu free objects", fss[f].dir,
		    (unsigned long)sv.f_ffree);
	note("- %s on %s: %ld, not %ld (statfs says %lu free).\n", what,
	     fss[f].name, *n, was, (unsigned long)sv.f_ffree);
}

/* Empty objects: daemon RSS and kernel slab before and after creating them. */
static void case_mem_objects(int f)
{
	char path[PATH_MAX], name[32];
	long long rss0, rss1, slab0, slab1;
	pid_t d = fss[f].daemon;
	long n = cfg.mem_objects, lim = d ? nofile_limit(d) : -1;

	/*
	 * passthrough_ll holds an O_PATH descriptor for every inode the kernel
	 * knows; where its limit (which root cannot always raise, e.g. in a
	 * container) is lower, measure with fewer objects: the result is per
	 * object anyway.
	 */
	if ((f == FS_PT || f == FS_HP) && lim > 0 && lim < n + 1000) {
		n = lim - 1000;
		note("- empty objects on %s: %ld, not %ld (its RLIMIT_NOFILE "
		     "is %ld).\n",
		     fss[f].name, n, cfg.mem_objects, lim);
	}
	/*
	 * shmfs lowers nr_objects= to what its descriptor limit allows (an
	 * object with data holds a memfd): stay below the free count.
	 */
	forget_unlinked();
	cap_objects(f, &n, "empty objects");
	settle();
	rss0 = d ? rss_kib(d) : 0;
	slab0 = meminfo("Slab");
	count_begin();
	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(name, sizeof(name), MEM_NAME_FMT, i);
		path_of(path, sizeof(path), f, name);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0)
			die("create %s: %s", path, strerror(errno));
		close(fd);
	}
	count_end(C_MEM_OBJ, n);
	settle();
	rss1 = d ? rss_kib(d) : 0;
	slab1 = meminfo("Slab");
	if (d)
		record(C_MEM_OBJ, f,
		       (double)(rss1 - rss0) * 1024.0 / (double)n);
	record(C_SLAB_OBJ, f, (double)(slab1 - slab0) * 1024.0 / (double)n);
	record(C_TOT_OBJ, f,
	       (double)(rss1 - rss0 + slab1 - slab0) * 1024.0 / (double)n);
	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), MEM_NAME_FMT, i);
		path_of(path, sizeof(path), f, name);
		if (unlink(path) != 0)
			die("unlink %s: %s", path, strerror(errno));
	}
	forget_unlinked();
}

/*
 * What the kernel adds per object that holds data: cfg.kobj_n objects of
 * one byte each (written with write(2)), kept, and the growth of Slab (the
 * FUSE inode and dentry; on shmfs also each object's memfd: its inode,
 * dentry and file) and of everything (Slab, Cached with the data's page and
 * any cached copy, the daemon's heap), per object.  Repeated cfg.mem_trials
 * times; the median is shown.
 */
static void case_kobj(int f)
{
	char path[PATH_MAX], name[32];
	pid_t d = fss[f].daemon;
	struct memsnap m0, m1;
	long n = cfg.kobj_n;

	forget_unlinked();
	cap_objects(f, &n, "objects of 1 byte");
	for (int t = 0; t < (cfg.count_log ? 1 : cfg.mem_trials); t++) {
		sync();
		settle();
		memsnap(&m0, d);
		count_begin();
		for (long i = 0; i < n; i++) {
			int fd;

			snprintf(name, sizeof(name), "k%06ld", i);
			path_of(path, sizeof(path), f, name);
			fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
				  0600);
			if (fd < 0 || write(fd, "k", 1) != 1)
				die("create %s: %s", path, strerror(errno));
			close(fd);
		}
		count_end(C_KOBJ_SLAB, n);
		sync();
		settle();
		memsnap(&m1, d);
		record(C_KOBJ_SLAB, f,
		       (double)(m1.slab - m0.slab) * 1024.0 / (double)n);
		record(C_KOBJ_TOT, f,
		       (double)(m1.slab - m0.slab + m1.cached - m0.cached +
				m1.anon - m0.anon) *
			       1024.0 / (double)n);
		for (long i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "k%06ld", i);
			path_of(path, sizeof(path), f, name);
			if (unlink(path) != 0)
				die("unlink %s: %s", path, strerror(errno));
		}
		forget_unlinked();
	}
}

/*
 * Stored data: cfg.mem_bytes written into a new object with 1 MiB pwrites,
 * or through a shared mapping (then unmapped), fsync'ed and sync'ed; the
 * daemon's VmRSS growth per byte, the kernel's (Cached: shmem, which holds
 * tmpfs's and shmfs's data and passthrough's backing files, plus the page
 * cache of the FUSE file), and the RAM of the whole system per stored byte:
 * the daemon's heap plus the kernel.  The page cache is not dropped: a
 * FUSE file's cached copy is RAM the system holds as long as nobody needs
 * the memory, and it is what keeps mappings coherent in FUSE's cached mode.
 */
static void mem_bytes_trial(int f, bool via_map)
{
	char path[PATH_MAX];
	pid_t d = fss[f].daemon;
	struct memsnap m0, m1;
	long long rss0, rss1;
	double b = (double)cfg.mem_bytes;
	int fd;

	path_of(path, sizeof(path), f, "sb-mem");
	sync();
	settle();
	rss0 = d ? rss_kib(d) : 0;
	memsnap(&m0, d);
	fd = make_object(path, via_map ? cfg.mem_bytes : 0);
	count_begin();
	if (via_map) {
		void *p = mmap(NULL, cfg.mem_bytes, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, 0);

		if (p == MAP_FAILED)
			die("mmap %s: %s", path, strerror(errno));
		memset(p, 0xa5, cfg.mem_bytes);
		munmap(p, cfg.mem_bytes);
	} else {
		for (unsigned long long off = 0; off < cfg.mem_bytes;
		     off += MiB)
			if (pwrite(fd, iobuf, MiB, (off_t)off) != (ssize_t)MiB)
				die("pwrite %s: %s", path, strerror(errno));
	}
	fsync(fd);
	count_end(via_map ? C_USED_MBYTE : C_USED_BYTE,
		  (long)(cfg.mem_bytes / MiB));
	sync();
	settle();
	rss1 = d ? rss_kib(d) : 0;
	memsnap(&m1, d);
	if (d && !via_map)
		record(C_MEM_BYTE, f, (double)(rss1 - rss0) * 1024.0 / b);
	record(via_map ? C_KERN_MBYTE : C_KERN_BYTE, f,
	       (double)(m1.cached - m0.cached) * 1024.0 / b);
	record(via_map ? C_USED_MBYTE : C_USED_BYTE, f,
	       (double)(m1.anon - m0.anon + m1.cached - m0.cached) * 1024.0 /
		       b);
	close(fd);
	unlink(path);
	quiesce();
}

static void case_mem_bytes(int f)
{
	for (int t = 0; t < (cfg.count_log ? 1 : cfg.mem_trials); t++) {
		mem_bytes_trial(f, false);
		mem_bytes_trial(f, true);
	}
}

/*
 * A sparse 1 TiB object: create, ftruncate, stat.  shmfs promises the whole
 * size against size= at ftruncate, so on the 8g mount it answers ENOSPC;
 * then the object is made on the second mount (big_dir), which has room.
 */
static void case_sparse(int f)
{
	char path[PATH_MAX];
	const char *dir = fss[f].dir;
	pid_t d = fss[f].daemon;
	long long rss0, rss1;
	double k;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/sb-sparse", dir);
	fd = make_object(path, 0);
	if (ftruncate(fd, (off_t)TiB) != 0) {
		int err = errno;

		close(fd);
		unlink(path);
		if (f != FS_SHMFS || !big_dir) {
			record_na(C_SPARSE, f, "ftruncate: %s", strerror(err));
			record_na(C_SPARSE_K, f, "ftruncate: %s",
				  strerror(err));
			record_na(C_SPARSE_T, f, "ftruncate: %s",
				  strerror(err));
			return;
		}
		note("- sparse 1 TiB on shmfs: ftruncate on the size=8g mount "
		     "failed (%s): "
		     "shmfs promises the whole size; measured on a second "
		     "mount with "
		     "size=2t.\n",
		     strerror(err));
		dir = big_dir;
		d = big_daemon;
		snprintf(path, sizeof(path), "%s/sb-sparse", dir);
	} else {
		close(fd);
		unlink(path);
	}
	settle();
	rss0 = d ? rss_kib(d) : 0;
	count_begin();
	fd = make_object(path, TiB);
	if (fstat(fd, &st) != 0 || (unsigned long long)st.st_size != TiB)
		die("%s: not 1 TiB after ftruncate", path);
	count_end(C_SPARSE, 1);
	settle();
	rss1 = d ? rss_kib(d) : 0;
	/* Nothing was read, so a FUSE file has no page cache: skip mincore. */
	k = (f == FS_SHMFS ? 0 : (double)st.st_blocks * 512.0) / 1024.0;
	if (d)
		record(C_SPARSE, f, (double)(rss1 - rss0));
	record(C_SPARSE_K, f, k);
	record(C_SPARSE_T, f, (double)(rss1 - rss0) + k);
	close(fd);
	unlink(path);
}

/* ---- Driver ------------------------------------------------------------ */

struct group {
	const char *name; /* for --only */
	void (*fn)(int f);
	bool timed; /* repeated; memory cases run once */
	bool first; /* a memory case that runs before anything else */
};

static const struct group groups[] = {
	{ "life", case_life1, true, false },
	{ "life2", case_life2, true, false },
	{ "ofc", case_ofc1, true, false },
	{ "ofc2", case_ofc2, true, false },
	{ "statw", case_statw1, true, false },
	{ "statw2", case_statw2, true, false },
	{ "statc", case_statc, true, false },
	{ "readdir", case_readdir1, true, false },
	{ "readdir2", case_readdir2, true, false },
	{ "rx", case_rx1, true, false },
	{ "rx2", case_rx2, true, false },
	{ "io", case_io, true, false },
	{ "map", case_map, true, false },
	{ "dirty", case_dirty_s, true, false },
	{ "dirty2", case_dirty_l, true, false },
	{ "ping", case_ping, true, false },
	/*
	 * First, on fresh daemons: once the stat population has come and gone,
	 * a daemon's allocator reuses that memory and its RSS does not grow.
	 */
	{ "memobj", case_mem_objects, false, true },
	{ "kobj", case_kobj, false, false },
	{ "membyte", case_mem_bytes, false, false },
	{ "sparse", case_sparse, false, false },
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static const char *only; /* comma-separated group names, NULL: all */

static bool selected(size_t g)
{
	size_t len = strlen(groups[g].name);

	for (const char *p = only; p;
	     p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, groups[g].name, len) == 0 &&
		    (p[len] == ',' || !p[len]))
			return true;
	return !only;
}

static void populate(int f)
{
	char path[PATH_MAX];

	for (long i = 0; i < cfg.nstat; i++) {
		int fd;

		stat_name(path, sizeof(path), fss[f].dir, i);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			die("create %s: %s", path, strerror(errno));
		close(fd);
	}
	if (list_dir(fss[f].dir) != cfg.nstat)
		die("%s: expected exactly %ld objects after setup "
		    "(left-overs?)",
		    fss[f].dir, cfg.nstat);
}

static void depopulate(int f)
{
	char path[PATH_MAX];

	for (long i = 0; i < cfg.nstat; i++) {
		stat_name(path, sizeof(path), fss[f].dir, i);
		unlink(path);
	}
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static bool median(enum case_id c, int f, double *out)
{
	struct result *r = &res[c][f];
	double v[MAXREPS];

	if (!fss[f].dir || r->n == 0)
		return false;
	memcpy(v, r->v, sizeof(double) * (size_t)r->n);
	qsort(v, (size_t)r->n, sizeof(double), dcmp);
	*out = r->n % 2 ? v[r->n / 2] : (v[r->n / 2 - 1] + v[r->n / 2]) / 2;
	return true;
}

static void fmt_val(char *buf, size_t len, double v)
{
	double a = v < 0 ? -v : v;

	if (a >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 1)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3f", v);
}

/* Throughput ratio of filesystem f to tmpfs: >1 means faster than tmpfs. */
static bool ratio(enum case_id c, int f, double *out)
{
	double v, t;

	if (cases[c].kind == K_MEM || !median(c, f, &v) ||
	    !median(c, FS_TMPFS, &t) || v <= 0 || t <= 0)
		return false;
	*out = cases[c].kind == K_TIME ? t / v : v / t;
	return true;
}

static void cell(enum case_id c, int f)
{
	char buf[32];
	double v;

	if (!fss[f].dir)
		printf(" %9s", "-");
	else if (median(c, f, &v)) {
		fmt_val(buf, sizeof(buf), v);
		printf(" %9s", buf);
	} else if (res[c][f].na[0])
		printf(" %9s", "n/a");
	else
		printf(" %9s", "-");
}

/* v: the ratio to tmpfs, or for memory the value itself. */
static bool target_met(enum case_id c, bool has, double v)
{
	double t = cases[c].target;

	if (!has)
		return false;
	if (cases[c].kind != K_MEM)
		return v >= t;
	return c == C_SPARSE ? v < t : v <= t;
}

static void print_table(void)
{
	int mem_header = 0;

	int pe = peer();

	printf("\n'vs pt': shmfs against %s\n", fss[pe].name);
	printf("%-38s %-7s %9s %9s %9s %9s %7s %7s %7s %8s %6s %6s\n", "case",
	       "unit", "shmfs", "tmpfs", "pt_ll", "pt_hp", "shm/tmp", "ll/tmp",
	       "hp/tmp", "target", "tmpfs", "vs pt");
	for (int c = 0; c < NCASES; c++) {
		const struct casedef *cd = &cases[c];
		double rs = 0, rp = 0, rh = 0, vs = 0, vp = 0;
		bool mem = cd->kind == K_MEM;
		bool has_rs, has_rp, has_rh, has_vs, has_vp, any = false;
		char tbuf[16] = "-", rbuf[16];
		const char *verdict = "-", *vspt = "-";

		for (int f = 0; f < NFS; f++)
			any |= res[c][f].n > 0 || res[c][f].na[0];
		if (!any)
			continue; /* not run (--only) */
		if (c >= C_MEM_OBJ && !mem_header++)
			printf("memory (once per filesystem)\n");
		printf("%-38s %-7s", cd->label, cd->unit);
		for (int f = 0; f < NFS; f++)
			cell(c, f);
		has_rs = ratio(c, FS_SHMFS, &rs);
		has_rp = ratio(c, FS_PT, &rp);
		has_rh = ratio(c, FS_HP, &rh);
		fmt_val(rbuf, sizeof(rbuf), has_rs ? rs : 0);
		printf(" %7s", has_rs ? rbuf : "-");
		fmt_val(rbuf, sizeof(rbuf), has_rp ? rp : 0);
		printf(" %7s", has_rp ? rbuf : "-");
		fmt_val(rbuf, sizeof(rbuf), has_rh ? rh : 0);
		printf(" %7s", has_rh ? rbuf : "-");
		has_vs = median(c, FS_SHMFS, &vs);
		has_vp = median(c, pe, &vp);
		if (cd->target > 0) {
			snprintf(tbuf, sizeof(tbuf), "%s%g",
				 !mem	       ? ">=" :
				 c == C_SPARSE ? "<" :
						 "<=",
				 cd->target);
			verdict = target_met(c, mem ? has_vs : has_rs,
					     mem ? vs : rs) ?
					  "PASS" :
					  "MISS";
		}
		/* "Ahead of the peer": faster, or for memory smaller in total. */
		if (cd->part) {
			vspt = "-";
		} else if (has_vs && has_vp) {
			bool ahead = cd->kind == K_RATE ? vs > vp : vs < vp;
			double diff = vs > vp ? vs - vp : vp - vs,
			       big = vs > vp ? vs : vp;

			vspt = ahead ? "PASS" : "MISS";
			/* Memory within measuring noise of each other: neither is ahead. */
			if (cd->kind == K_MEM &&
			    (diff <= 0.02 * big ||
			     (c == C_SPARSE_T && diff <= 16)))
				vspt = "TIE";
		} else if (has_vs && fss[pe].dir && res[c][pe].na[0]) {
			vspt = "(n/a)";
		} else if (!has_vs && fss[FS_SHMFS].dir) {
			vspt = "MISS";
		}
		printf(" %8s %6s %6s\n", tbuf, verdict, vspt);
	}
	for (int c = 0; c < NCASES; c++)
		for (int f = 0; f < NFS; f++)
			if (fss[f].dir && res[c][f].na[0])
				note("- %s on %s: n/a: %s\n", cases[c].label,
				     fss[f].name, res[c][f].na);
	if (notes[0])
		printf("\nNotes:\n%s", notes);
	fflush(stdout);
}

static void set_sizes(void)
{
	cfg.nstat = 10000;
	cfg.mem_bytes = 256 * MiB;
	cfg.kobj_n = 10000;
	cfg.mem_trials = 3;
	if (cfg.quick) {
		if (!cfg.reps)
			cfg.reps = 1;
		cfg.life_n = 500;
		cfg.ofc_n = 2000;
		cfg.rx_n = 2000;
		cfg.statw_passes = 2;
		cfg.readdir_n = 5;
		cfg.ping_n = 20000;
		cfg.io_bytes = 256 * MiB;
		cfg.map_bytes = 256 * MiB;
		cfg.dirty_small = 64 * MiB;
		cfg.dirty_large = 128 * MiB;
		cfg.mem_objects = 10000;
		cfg.mem_bytes = 64 * MiB;
	} else {
		if (!cfg.reps)
			cfg.reps = 9;
		cfg.life_n = 3000;
		cfg.ofc_n = 10000;
		cfg.rx_n = 10000;
		cfg.statw_passes = 5;
		cfg.readdir_n = 20;
		cfg.ping_n = 100000;
		cfg.io_bytes = GiB;
		cfg.map_bytes = GiB;
		cfg.dirty_small = 64 * MiB;
		cfg.dirty_large = 512 * MiB;
		cfg.mem_objects = 100000;
	}
	if (cfg.reps > MAXREPS)
		cfg.reps = MAXREPS;
}

static void usage(void)
{
	fprintf(stderr, "usage: shmbench [--quick] [--reps N] [--raw FILE] "
			"[--shim LIBSHMFS.SO]\n"
			"                [--shmfs DIR --shmfs-pid PID] "
			"[--tmpfs DIR]\n"
			"                [--pt DIR --pt-pid PID] [--hp DIR --hp-pid PID]\n"
			"                [--big-shmfs "
			"DIR --big-shmfs-pid PID]\n"
			"                [--count-log LOG]   (count FUSE "
			"requests: shmfs only)\n"
			"                [--only GROUP,...]  (life life2 ofc "
			"ofc2 statw statw2 statc\n"
			"                 readdir readdir2 rx rx2 io map dirty "
			"dirty2 ping memobj\n"
			"                 kobj membyte sparse)\n"
			"Normally started by bench/run.sh, which mounts "
			"everything.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	ssize_t n;

	if (argc == 10 && strcmp(argv[1], "--worker") == 0) {
		enum wcase wc;

		for (wc = 0; wc < sizeof(wnames) / sizeof(wnames[0]); wc++)
			if (strcmp(argv[2], wnames[wc]) == 0)
				break;
		if (wc != W_LIFE)
			die("bad worker case %s", argv[2]);
		return worker_main(wc, argv[3], atoi(argv[4]), atol(argv[5]),
				   atol(argv[6]), atoi(argv[7]), atoi(argv[8]),
				   atoi(argv[9]), true);
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--quick") == 0) {
			cfg.quick = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (strcmp(a, "--reps") == 0)
			cfg.reps = atoi(v);
		else if (strcmp(a, "--raw") == 0) {
			cfg.raw = fopen(v, "w");
			if (!cfg.raw)
				die("%s: %s", v, strerror(errno));
		} else if (strcmp(a, "--shim") == 0)
			cfg.shim = *v ? v : NULL;
		else if (strcmp(a, "--shmfs") == 0)
			fss[FS_SHMFS].dir = v;
		else if (strcmp(a, "--shmfs-pid") == 0)
			fss[FS_SHMFS].daemon = atoi(v);
		else if (strcmp(a, "--tmpfs") == 0)
			fss[FS_TMPFS].dir = v;
		else if (strcmp(a, "--pt") == 0)
			fss[FS_PT].dir = v;
		else if (strcmp(a, "--pt-pid") == 0)
			fss[FS_PT].daemon = atoi(v);
		else if (strcmp(a, "--hp") == 0)
			fss[FS_HP].dir = v;
		else if (strcmp(a, "--hp-pid") == 0)
			fss[FS_HP].daemon = atoi(v);
		else if (strcmp(a, "--big-shmfs") == 0)
			big_dir = v;
		else if (strcmp(a, "--big-shmfs-pid") == 0)
			big_daemon = atoi(v);
		else if (strcmp(a, "--count-log") == 0)
			cfg.count_log = v;
		else if (strcmp(a, "--only") == 0)
			only = v;
		else
			usage();
	}
	if (cfg.count_log) {
		/* Counting: each case once, on shmfs alone, with the quick sizes. */
		cfg.quick = true;
		cfg.reps = 1;
		fss[FS_TMPFS].dir = fss[FS_PT].dir = fss[FS_HP].dir = NULL;
		if (!fss[FS_SHMFS].dir)
			usage();
	}
	if (!fss[FS_TMPFS].dir && !cfg.count_log)
		die("--tmpfs is required: it is the reference");
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n < 0)
		die("readlink /proc/self/exe: %s", strerror(errno));
	self_exe[n] = '\0';
	set_sizes();
	define_cases();
	if (fss[FS_SHMFS].dir && !cfg.shim)
		note("- shm life cycle on shmfs: no shim given; measured with "
		     "open(2) like "
		     "the others.\n");
	if (posix_memalign((void **)&iobuf, PAGE, MiB))
		die("out of memory");
	memset(iobuf, 0xa5, MiB);
	/* The workers report through pipes; a dead one must not kill us. */
	signal(SIGPIPE, SIG_IGN);

	if (!cfg.count_log)
		for (size_t g = 0; g < NGROUPS; g++)
			if (groups[g].first && selected(g))
				for (int f = 0; f < NFS; f++)
					if (fss[f].dir) {
						quiesce();
						groups[g].fn(f);
					}
	for (int f = 0; f < NFS; f++)
		if (fss[f].dir)
			populate(f);
	if (cfg.count_log) {
		printf("FUSE requests per case on shmfs (timed region; async "
		       "RELEASE/FORGET "
		       "within 0.2 s included)\n");
		printf("%-38s %8s %9s %9s  %s\n", "case", "requests", "per op",
		       "waited/op", "by opcode");
		for (size_t g = 0; g < NGROUPS; g++)
			if (selected(g))
				groups[g].fn(FS_SHMFS);
		depopulate(FS_SHMFS);
		return 0;
	}
	for (int rep = 0; rep < cfg.reps; rep++) {
		fprintf(stderr, "shmbench: repetition %d of %d\n", rep + 1,
			cfg.reps);
		for (size_t g = 0; g < NGROUPS; g++) {
			if (!groups[g].timed || !selected(g))
				continue;
			for (int k = 0; k < NFS; k++) {
				int f = (rep + k) % NFS;

				if (fss[f].dir) {
					quiesce();
					groups[g].fn(f);
				}
			}
		}
	}
	for (int f = 0; f < NFS; f++)
		if (fss[f].dir)
			depopulate(f);
	fprintf(stderr, "shmbench: memory cases\n");
	for (size_t g = 0; g < NGROUPS; g++)
		if (!groups[g].timed && !groups[g].first && selected(g))
			for (int f = 0; f < NFS; f++)
				if (fss[f].dir) {
					quiesce();
					groups[g].fn(f);
				}
	print_table();
	if (cfg.raw)
		fclose(cfg.raw);
	return 0;
}
