/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_daemon.c: integration tests of the daemon on real mounts, with
 * ordinary system calls on files under the mount (the shim is not involved):
 * data, mappings, lifetime, rename, timestamps, attributes, fallocate, seek,
 * the NOGROW ioctl, the probe entry, readdir, hard links, listings'
 * memory and concurrency, capacity limits, the daemon's
 * memory use and its command line.  Permissions are in check_perm.c.
 */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "codec.h"
#include "proto.h"

#define PS 4096L
#define KIB 1024L
#define MIB (1024L * 1024)
#define GIB (1024L * MIB)
#define FUSE_SUPER_MAGIC 0x65735546

/* The mount of the running TCase, and its root directory opened once. */
static struct shmfs_mount mnt;
static int mfd = -1;

static void mount_with(const char *opts)
{
	harness_mount(&mnt, opts);
	mfd = open(mnt.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0) {
		perror("open mountpoint");
		harness_umount(&mnt);
		exit(99);
	}
}

/* What the daemon of the mount on fd says of its data path (SHMFS_IOC_INFO). */
static bool fd_passthrough(int fd)
{
	struct shmfs_ioc_info info;

	ck_assert_int_eq(ioctl(fd, SHMFS_IOC_INFO, &info), 0);
	return info.flags & SHMFS_INFO_PASSTHROUGH;
}

static bool mount_passthrough(void)
{
	return fd_passthrough(mfd);
}

/*
 * Whether passthrough=auto must give passthrough here: a build against a
 * libfuse with it, a daemon with CAP_SYS_ADMIN (root) and Linux 6.9 or
 * later (every such kernel Debian ships has CONFIG_FUSE_PASSTHROUGH).
 */
static bool passthrough_expected(void)
{
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	struct utsname u;
	int major = 0, minor = 0;

	if (geteuid() != 0 || uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 9);
#else
	return false;
#endif
}

/* The memory of this process's shared mappings of shmem (memfds, tmpfs), in KiB. */
static long rss_shmem_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "re");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssShmem: %ld kB", &kib) == 1)
			break;
	fclose(f);
	ck_assert_int_ge(kib, 0);
	return kib;
}

static void setup_data(void)
{
	mount_with("size=256m");
}

static void setup_capacity(void)
{
	/* One worker (max_threads=1): the limits are also tested that way. */
	mount_with("size=1m,nr_objects=8,max_threads=1");
}

static void setup_memory(void)
{
	harness_measure_memory();
	mount_with("size=2t");
}

static void setup_listing(void)
{
	harness_measure_memory();
	mount_with("size=64m,nr_objects=100000");
}

static void teardown(void)
{
	if (mfd >= 0)
		close(mfd);
	mfd = -1;
	harness_umount(&mnt);
}

/* ---- helpers ---- */

static int obj_create(const char *name, off_t size)
{
	int fd = openat(mfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	ck_assert_msg(fd >= 0, "create %s: %s", name, strerror(errno));
	if (size)
		ck_assert_msg(ftruncate(fd, size) == 0,
			      "ftruncate %s to %ld: %s", name, (long)size,
			      strerror(errno));
	return fd;
}

static int obj_open(const char *name, int flags)
{
	int fd = openat(mfd, name, flags | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", name, strerror(errno));
	return fd;
}

static void obj_unlink(const char *name)
{
	ck_assert_msg(unlinkat(mfd, name, 0) == 0, "unlink %s: %s", name,
		      strerror(errno));
}

static struct stat fd_stat(int fd)
{
	struct stat st;

	ck_assert_msg(fstat(fd, &st) == 0, "fstat: %s", strerror(errno));
	return st;
}

static int name_stat(const char *name, struct stat *st)
{
	return fstatat(mfd, name, st, AT_SYMLINK_NOFOLLOW);
}

static off_t fd_size(int fd)
{
	return fd_stat(fd).st_size;
}

static void pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	ck_assert_msg(n == (ssize_t)len, "pwrite %zu at %ld: %zd (%s)", len,
		      (long)off, n, n < 0 ? strerror(errno) : "short");
}

static void pread_all(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	ck_assert_msg(n == (ssize_t)len, "pread %zu at %ld: %zd (%s)", len,
		      (long)off, n, n < 0 ? strerror(errno) : "short");
}

/* Asserts that len bytes at off all equal c. */
static void expect_bytes(int fd, off_t off, size_t len, int c)
{
	unsigned char *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	pread_all(fd, buf, len, off);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(buf[i] == (unsigned char)c,
			      "byte %ld is 0x%02x, want 0x%02x",
			      (long)(off + (off_t)i), buf[i], (unsigned char)c);
	free(buf);
}

/* A pattern that differs at every offset, so misplaced data shows. */
static unsigned char pattern(off_t off, unsigned seed)
{
	return (unsigned char)((off * 7 + (off >> 12) * 13 + seed) & 0xff);
}

static void fill_pattern(unsigned char *buf, size_t len, off_t off,
			 unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(off + (off_t)i, seed);
}

/*
 * Drops the kernel's clean cached pages of the object, so the next read
 * comes from the daemon's store and the test checks what the daemon holds.
 */
static void drop_cache(int fd)
{
	ck_assert_int_eq(fsync(fd), 0);
	ck_assert_int_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ts_cmp(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	if (a.tv_nsec != b.tv_nsec)
		return a.tv_nsec < b.tv_nsec ? -1 : 1;
	return 0;
}

#define ck_assert_ts_eq(a, b)                                                \
	ck_assert_msg(ts_cmp(a, b) == 0, "%s (%ld.%09ld) != %s (%ld.%09ld)", \
		      #a, (long)(a).tv_sec, (long)(a).tv_nsec, #b,           \
		      (long)(b).tv_sec, (long)(b).tv_nsec)
#define ck_assert_ts_gt(a, b)                                        \
	ck_assert_msg(ts_cmp(a, b) > 0,                              \
		      "%s (%ld.%09ld) not after %s (%ld.%09ld)", #a, \
		      (long)(a).tv_sec, (long)(a).tv_nsec, #b,       \
		      (long)(b).tv_sec, (long)(b).tv_nsec)

/* Waits for a forked child; returns its wait status. */
static int wait_child(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/*
 * Retries op until it succeeds or a second has passed.  Closing a file sends
 * RELEASE (and the inode's FORGET) asynchronously, so memory freed by
 * unlink+close reaches the daemon's accounting a moment after close returns.
 */
#define RETRY_OK(op)                                                  \
	({                                                            \
		int _r = -1;                                          \
		for (int _i = 0; _i < 1000 && (_r = (op)) != 0; _i++) \
			pause_ms(1);                                  \
		_r;                                                   \
	})

/* Returns 1 if the root directory lists name. */
static int listed(const char *name)
{
	DIR *d = opendir(mnt.mnt);
	struct dirent *de;
	int found = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, name) == 0)
			found = 1;
	closedir(d);
	return found;
}

static struct statvfs fs_stat(void)
{
	struct statvfs sv;

	ck_assert_int_eq(fstatvfs(mfd, &sv), 0);
	return sv;
}

/* ---- data ---- */

START_TEST(test_roundtrip)
{
	static const char hello[] = "hello, world";
	const size_t big = 3 * MIB + 123; /* more than one FUSE write */
	unsigned char *buf = malloc(big), *back = malloc(big);
	char small[64];
	int fd = obj_create("rt", 0);

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(back);

	/* write/read through the file offset */
	ck_assert_int_eq(write(fd, hello, sizeof(hello)), sizeof(hello));
	ck_assert_int_eq(fd_size(fd), sizeof(hello));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	memset(small, 0, sizeof(small));
	ck_assert_int_eq(read(fd, small, sizeof(small)), sizeof(hello));
	ck_assert_str_eq(small, hello);
	ck_assert_int_eq(read(fd, small, sizeof(small)), 0);

	/* pwrite far away leaves a hole that reads as zeros */
	ck_assert_int_eq(pwrite(fd, "xyz", 3, MIB + 17), 3);
	ck_assert_int_eq(fd_size(fd), MIB + 20);
	drop_cache(fd);
	expect_bytes(fd, sizeof(hello), MIB + 17 - sizeof(hello), 0);
	memset(small, 0, sizeof(small));
	pread_all(fd, small, 3, MIB + 17);
	ck_assert_str_eq(small, "xyz");
	memset(small, 0, sizeof(small));
	pread_all(fd, small, sizeof(hello), 0);
	ck_assert_str_eq(small, hello);

	/* reads at and past the end return 0; across the end, what is there */
	ck_assert_int_eq(pread(fd, small, sizeof(small), MIB + 20), 0);
	ck_assert_int_eq(pread(fd, small, sizeof(small), 5 * MIB), 0);
	ck_assert_int_eq(pread(fd, small, sizeof(small), MIB + 18), 2);

	/* a large pattern at an unaligned offset, read back from the daemon */
	fill_pattern(buf, big, 777, 1);
	pwrite_all(fd, buf, big, 777);
	ck_assert_int_eq(fd_size(fd), 777 + big);
	drop_cache(fd);
	pread_all(fd, back, big, 777);
	ck_assert_msg(memcmp(buf, back, big) == 0, "pattern read back differs");

	/* a shrink to mid-page then a regrow: the cut-off tail reads as zeros */
	ck_assert_int_eq(ftruncate(fd, 777 + 100), 0);
	ck_assert_int_eq(ftruncate(fd, 3 * PS), 0);
	drop_cache(fd);
	pread_all(fd, back, 100, 777);
	ck_assert_msg(memcmp(buf, back, 100) == 0, "kept data differs");
	expect_bytes(fd, 777 + 100, 3 * PS - 877, 0);
	pwrite_all(fd, buf + 100, big - 100, 877);
	ck_assert_int_eq(fd_size(fd), 777 + big);

	/* and again through a new descriptor after the last one closed */
	close(fd);
	fd = obj_open("rt", O_RDONLY);
	drop_cache(fd);
	memset(back, 0, big);
	pread_all(fd, back, big, 777);
	ck_assert_msg(memcmp(buf, back, big) == 0, "differs on reopen");
	close(fd);
	obj_unlink("rt");
	free(buf);
	free(back);
}
END_TEST

/* ---- mappings ---- */

#define PINGPONG_ROUNDS 20000

/*
 * Increments *counter whenever its parity is ours, until it reaches the end;
 * returns 0, or 1 if the other side stopped answering.
 */
static int pingpong(volatile uint32_t *counter, uint32_t parity)
{
	double deadline = now_s() + 30;
	unsigned spins = 0;

	for (;;) {
		uint32_t v = __atomic_load_n(counter, __ATOMIC_ACQUIRE);

		if (v >= 2 * PINGPONG_ROUNDS)
			return 0;
		if (v % 2 == parity) {
			__atomic_store_n(counter, v + 1, __ATOMIC_RELEASE);
			continue;
		}
		if (++spins % 64 == 0) {
			sched_yield();
			if (now_s() > deadline)
				return 1;
		}
	}
}

START_TEST(test_mmap_shared)
{
	int fd = obj_create("map", 2 * PS), status;
	unsigned char *p, buf[16];
	volatile uint32_t *counter;
	pid_t pid;

	p = mmap(NULL, 2 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);

	/* stores through the mapping are seen by read(2) at once */
	memcpy(p + 100, "mapped", 6);
	pread_all(fd, buf, 6, 100);
	ck_assert_mem_eq(buf, "mapped", 6);
	/* and writes by write(2) are seen through the mapping */
	pwrite_all(fd, "written", 7, PS + 10);
	ck_assert_mem_eq(p + PS + 10, "written", 7);

	/*
	 * Another process, with its own descriptor and its own mapping,
	 * alternates with us incrementing a counter: every step needs the
	 * other's store to be visible, with no msync anywhere.
	 */
	counter = (volatile uint32_t *)(p + PS + 512);
	*counter = 0;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int cfd = openat(mfd, "map", O_RDWR);
		unsigned char *q;

		if (cfd < 0)
			_exit(2);
		q = mmap(NULL, 2 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, cfd,
			 0);
		if (q == MAP_FAILED)
			_exit(3);
		if (memcmp(q + 100, "mapped", 6) != 0)
			_exit(4);
		_exit(pingpong((volatile uint32_t *)(q + PS + 512), 1));
	}
	ck_assert_int_eq(pingpong(counter, 0), 0);
	status = wait_child(pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "ping-pong child failed, status 0x%x, counter %u", status,
		      *counter);
	ck_assert_uint_eq(*counter, 2 * PINGPONG_ROUNDS);
	{
		uint32_t v;

		pread_all(fd, &v, sizeof(v), PS + 512);
		ck_assert_uint_eq(v, 2 * PINGPONG_ROUNDS);
	}

	/* dirty mapped pages reach the daemon's store on msync */
	memset(p + PS, 0x5a, 256);
	ck_assert_int_eq(msync(p, 2 * PS, MS_SYNC), 0);
	ck_assert_int_eq(munmap(p, 2 * PS), 0);
	drop_cache(fd);
	expect_bytes(fd, PS, 256, 0x5a);
	pread_all(fd, buf, 6, 100);
	ck_assert_mem_eq(buf, "mapped", 6);
	close(fd);
	obj_unlink("map");
}
END_TEST

/*
 * Opening an object must not drop its cached pages (keep_cache; shmfs(7),
 * "What the kernel caches"), or every open anywhere makes every mapping
 * fault its pages in again.
 */
START_TEST(test_keep_cache)
{
	int fd = obj_create("cache", 16 * PS), status;
	unsigned char *p, vec[16];
	pid_t pid;

	pwrite_all(fd, "cached", 6, 5 * PS);
	p = mmap(NULL, 16 * PS, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	for (int i = 0; i < 16; i++)
		(void)((volatile unsigned char *)p)[i * PS];
	ck_assert_int_eq(mincore(p, 16 * PS, vec), 0);
	for (int i = 0; i < 16; i++)
		ck_assert_msg(vec[i] & 1, "page %d not cached after reading it",
			      i);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int cfd = openat(mfd, "cache", O_RDWR);

		_exit(cfd >= 0 && close(cfd) == 0 ? 0 : 1);
	}
	status = wait_child(pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(obj_open("cache", O_RDONLY));
	ck_assert_int_eq(mincore(p, 16 * PS, vec), 0);
	for (int i = 0; i < 16; i++)
		ck_assert_msg(vec[i] & 1,
			      "page %d dropped from the cache by an open", i);
	ck_assert_mem_eq(p + 5 * PS, "cached", 6);

	/* nor a stat showing the new mtime of a size change */
	pause_ms(5);
	pwrite_all(fd, "more", 4, 16 * PS);
	ck_assert_int_eq(fd_size(fd), 16 * PS + 4);
	ck_assert_int_eq(mincore(p, 16 * PS, vec), 0);
	for (int i = 0; i < 16; i++)
		ck_assert_msg(vec[i] & 1,
			      "page %d dropped from the cache by a stat", i);

	/* nor a listing, whose entries carry attributes too */
	ck_assert_int_eq(listed("cache"), 1);
	ck_assert_int_eq(mincore(p, 16 * PS, vec), 0);
	for (int i = 0; i < 16; i++)
		ck_assert_msg(vec[i] & 1, "page %d dropped by a listing", i);
	munmap(p, 16 * PS);
	close(fd);
	obj_unlink("cache");
}
END_TEST

START_TEST(test_mmap_private)
{
	int fd = obj_create("priv", PS);
	unsigned char *shared, *priv, c;

	pwrite_all(fd, "original", 8, 0);
	priv = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(priv, MAP_FAILED);
	ck_assert_mem_eq(priv, "original", 8);

	/* the private copy changes, the object does not */
	memcpy(priv, "modified", 8);
	pread_all(fd, &c, 1, 0);
	ck_assert_int_eq(c, 'o');
	shared = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(shared, MAP_FAILED);
	ck_assert_mem_eq(shared, "original", 8);

	/* once copied, the private page no longer follows the object */
	pwrite_all(fd, "ORIGINAL", 8, 0);
	ck_assert_mem_eq(priv, "modified", 8);
	ck_assert_mem_eq(shared, "ORIGINAL", 8);

	/* a read-only descriptor may map privately and write the copy */
	munmap(priv, PS);
	close(fd);
	fd = obj_open("priv", O_RDONLY);
	priv = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(priv, MAP_FAILED);
	priv[0] = 'x';
	ck_assert_mem_eq(shared, "ORIGINAL", 8);
	/* but not shared and writable */
	ck_assert_ptr_eq(mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			      0),
			 MAP_FAILED);
	ck_assert_int_eq(errno, EACCES);
	munmap(priv, PS);
	munmap(shared, PS);
	close(fd);
	obj_unlink("priv");
}
END_TEST

START_TEST(test_sigbus)
{
	int fd = obj_create("bus", 2 * PS), status;
	volatile unsigned char *p;
	pid_t pid;

	p = mmap(NULL, 2 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne((void *)p, MAP_FAILED);
	memset((void *)p, 0x11, PS);
	memset((void *)(p + PS), 0xab, PS);
	ck_assert_int_eq(ftruncate(fd, PS), 0);
	ck_assert_int_eq(fd_size(fd), PS);

	/* reading and writing the page beyond the end: SIGBUS */
	for (int write_it = 0; write_it < 2; write_it++) {
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			signal(SIGBUS, SIG_DFL);
			if (write_it)
				p[PS + 5] = 1;
			else
				(void)p[PS + 5];
			_exit(0);
		}
		status = wait_child(pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS,
			      "%s past the end: status 0x%x, want SIGBUS",
			      write_it ? "writing" : "reading", status);
	}
	for (long i = 0; i < PS; i++)
		ck_assert_int_eq(p[i], 0x11);

	/* grown again, the page reads as zeros: the old data is gone */
	ck_assert_int_eq(ftruncate(fd, 2 * PS), 0);
	for (long i = PS; i < 2 * PS; i++)
		ck_assert_msg(p[i] == 0, "byte %ld after regrow is 0x%02x", i,
			      p[i]);
	drop_cache(fd);
	expect_bytes(fd, PS, PS, 0);
	expect_bytes(fd, 0, PS, 0x11);
	munmap((void *)p, 2 * PS);
	close(fd);
	obj_unlink("bus");
}
END_TEST

/* ---- lifetime ---- */

START_TEST(test_unlink_open)
{
	int fd = obj_create("life", 2 * PS), fd2;
	unsigned char *p, buf[8];
	struct stat st, st2;

	p = mmap(NULL, 2 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	pwrite_all(fd, "before", 6, 0);
	st = fd_stat(fd);
	ck_assert_int_eq(st.st_nlink, 1);
	obj_unlink("life");

	/* the name is gone */
	ck_assert_int_eq(name_stat("life", &st2), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(openat(mfd, "life", O_RDONLY), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(listed("life"), 0);

	/* the object is not */
	st2 = fd_stat(fd);
	ck_assert_int_eq(st2.st_nlink, 0);
	ck_assert_int_eq(st2.st_ino, st.st_ino);
	ck_assert_int_eq(st2.st_size, 2 * PS);
	ck_assert_mem_eq(p, "before", 6);
	memcpy(p + PS, "mapped", 6);
	pread_all(fd, buf, 6, PS);
	ck_assert_mem_eq(buf, "mapped", 6);
	pwrite_all(fd, "after", 5, 10);
	ck_assert_mem_eq(p + 10, "after", 5);
	ck_assert_int_eq(ftruncate(fd, 3 * PS), 0);
	ck_assert_int_eq(fd_size(fd), 3 * PS);
	pwrite_all(fd, "grown", 5, 2 * PS);
	drop_cache(fd);
	pread_all(fd, buf, 5, 2 * PS);
	ck_assert_mem_eq(buf, "grown", 5);
	pread_all(fd, buf, 6, 0);
	ck_assert_mem_eq(buf, "before", 6);

	/* the name again: a new, empty object */
	fd2 = obj_create("life", 0);
	st2 = fd_stat(fd2);
	ck_assert_int_ne(st2.st_ino, st.st_ino);
	ck_assert_int_eq(st2.st_size, 0);
	ck_assert_int_eq(st2.st_nlink, 1);
	pwrite_all(fd2, "new", 3, 0);
	pread_all(fd, buf, 6, 0);
	ck_assert_mem_eq(buf, "before", 6);
	ck_assert_int_eq(fd_size(fd), 3 * PS);

	munmap(p, 2 * PS);
	close(fd);
	close(fd2);
	obj_unlink("life");
}
END_TEST

START_TEST(test_rename_over_open)
{
	int a = obj_create("ra", 0), b = obj_create("rb", 0), fd;
	struct stat sa = fd_stat(a), sb = fd_stat(b), st;
	char buf[8] = { 0 };

	pwrite_all(a, "AAAA", 4, 0);
	pwrite_all(b, "BBBB", 4, 0);
	ck_assert_int_eq(renameat(mfd, "rb", mfd, "ra"), 0);

	/* the old target lives on, unnamed, with its data */
	st = fd_stat(a);
	ck_assert_int_eq(st.st_nlink, 0);
	ck_assert_int_eq(st.st_ino, sa.st_ino);
	pread_all(a, buf, 4, 0);
	ck_assert_str_eq(buf, "AAAA");
	pwrite_all(a, "aaaa", 4, 0);

	/* the name now means the moved object */
	ck_assert_int_eq(name_stat("rb", &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(name_stat("ra", &st), 0);
	ck_assert_int_eq(st.st_ino, sb.st_ino);
	fd = obj_open("ra", O_RDONLY);
	pread_all(fd, buf, 4, 0);
	ck_assert_str_eq(buf, "BBBB");
	ck_assert_int_eq(fd_stat(b).st_nlink, 1);
	close(fd);
	close(a);
	close(b);
	obj_unlink("ra");
}
END_TEST

/* ---- rename ---- */

static void expect_name(const char *name, ino_t ino, const char *data)
{
	struct stat st;
	char buf[16] = { 0 };
	int fd;

	ck_assert_msg(name_stat(name, &st) == 0, "stat %s: %s", name,
		      strerror(errno));
	ck_assert_msg(st.st_ino == ino, "%s has inode %lu, want %lu", name,
		      (unsigned long)st.st_ino, (unsigned long)ino);
	fd = obj_open(name, O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf) - 1, 0),
			 (ssize_t)strlen(data));
	ck_assert_str_eq(buf, data);
	close(fd);
}

START_TEST(test_rename_flags)
{
	int a = obj_create("na", 0), b = obj_create("nb", 0);
	ino_t ia = fd_stat(a).st_ino, ib = fd_stat(b).st_ino;
	struct stat st;

	pwrite_all(a, "first", 5, 0);
	pwrite_all(b, "second", 6, 0);
	close(a);
	close(b);

	/* NOREPLACE onto an existing name: EEXIST, nothing changes */
	ck_assert_int_eq(renameat2(mfd, "na", mfd, "nb", RENAME_NOREPLACE), -1);
	ck_assert_int_eq(errno, EEXIST);
	expect_name("na", ia, "first");
	expect_name("nb", ib, "second");

	/* EXCHANGE swaps: names, contents and inodes move together */
	ck_assert_int_eq(renameat2(mfd, "na", mfd, "nb", RENAME_EXCHANGE), 0);
	expect_name("na", ib, "second");
	expect_name("nb", ia, "first");
	ck_assert_int_eq(renameat2(mfd, "na", mfd, "nb", RENAME_EXCHANGE), 0);
	expect_name("na", ia, "first");
	expect_name("nb", ib, "second");

	/* WHITEOUT: EINVAL, nothing changes */
	ck_assert_int_eq(renameat2(mfd, "na", mfd, "nc", RENAME_WHITEOUT), -1);
	ck_assert_int_eq(errno, EINVAL);
	expect_name("na", ia, "first");
	ck_assert_int_eq(name_stat("nc", &st), -1);

	/* NOREPLACE onto a free name moves */
	ck_assert_int_eq(renameat2(mfd, "na", mfd, "nc", RENAME_NOREPLACE), 0);
	ck_assert_int_eq(name_stat("na", &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	expect_name("nc", ia, "first");

	/* flags 0 replaces */
	ck_assert_int_eq(renameat2(mfd, "nc", mfd, "nb", 0), 0);
	ck_assert_int_eq(name_stat("nc", &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	expect_name("nb", ia, "first");

	/* a missing source */
	ck_assert_int_eq(renameat2(mfd, "nothere", mfd, "nd", 0), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* onto a name reserved for the daemon ('%' and a lowercase letter) */
	ck_assert_int_eq(renameat2(mfd, "nb", mfd, "%zz", 0), -1);
	ck_assert_int_eq(errno, EPERM);
	expect_name("nb", ia, "first");
	obj_unlink("nb");
}
END_TEST

#define EXCHANGES 5000

struct observer {
	volatile int stop;
	volatile int running;
	volatile long stats;
	volatile long missing;
};

START_TEST(test_exchange_observer)
{
	int a = obj_create("xa", 0), b = obj_create("xb", 0), status;
	ino_t ia = fd_stat(a).st_ino, ib = fd_stat(b).st_ino;
	struct observer *obs;
	pid_t pid;

	pwrite_all(a, "A", 1, 0);
	pwrite_all(b, "B", 1, 0);
	obs = mmap(NULL, sizeof(*obs), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(obs, MAP_FAILED);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct stat st;

		obs->running = 1;
		while (!obs->stop) {
			if (name_stat("xa", &st) != 0)
				obs->missing++;
			if (name_stat("xb", &st) != 0)
				obs->missing++;
			obs->stats += 2;
		}
		_exit(0);
	}
	while (!obs->running)
		sched_yield();
	for (int i = 0; i < EXCHANGES; i++)
		ck_assert_msg(renameat2(mfd, "xa", mfd, "xb",
					RENAME_EXCHANGE) == 0,
			      "exchange %d: %s", i, strerror(errno));
	obs->stop = 1;
	status = wait_child(pid);
	ck_assert(WIFEXITED(status));
	fprintf(stderr, "exchange observer: %ld stats, %d swaps, %ld missing\n",
		obs->stats, EXCHANGES, obs->missing);
	ck_assert_msg(obs->missing == 0,
		      "observer saw a name missing %ld times in %ld stats",
		      obs->missing, obs->stats);
	ck_assert_int_gt(obs->stats, 0);
	expect_name("xa", ia, "A"); /* an even number of swaps */
	expect_name("xb", ib, "B");
	munmap(obs, sizeof(*obs));
	close(a);
	close(b);
	obj_unlink("xa");
	obj_unlink("xb");
}
END_TEST

/* ---- timestamps ---- */

START_TEST(test_timestamps)
{
	struct timespec t0, t1;
	struct stat s0, s, s2;
	char buf[16];
	int fd;

	/* creation sets all times to the present */
	clock_gettime(CLOCK_REALTIME, &t0);
	fd = obj_create("times", 0);
	clock_gettime(CLOCK_REALTIME, &t1);
	s0 = fd_stat(fd);
	ck_assert_ts_eq(s0.st_mtim, s0.st_ctim);
	ck_assert_ts_eq(s0.st_atim, s0.st_mtim);
	/* the present, give or take a tick of a coarse clock (10 ms) */
	t0.tv_nsec -= 10000000;
	if (t0.tv_nsec < 0) {
		t0.tv_nsec += 1000000000;
		t0.tv_sec--;
	}
	t1.tv_nsec += 10000000;
	if (t1.tv_nsec >= 1000000000) {
		t1.tv_nsec -= 1000000000;
		t1.tv_sec++;
	}
	ck_assert_msg(ts_cmp(s0.st_mtim, t0) >= 0 &&
			      ts_cmp(s0.st_mtim, t1) <= 0,
		      "creation mtime %ld.%09ld, test ran %ld.%09ld..%ld.%09ld",
		      (long)s0.st_mtim.tv_sec, (long)s0.st_mtim.tv_nsec,
		      (long)t0.tv_sec, (long)t0.tv_nsec, (long)t1.tv_sec,
		      (long)t1.tv_nsec);

	/* a size change sets mtime and ctime */
	pause_ms(15);
	ck_assert_int_eq(ftruncate(fd, 2 * PS), 0);
	s = fd_stat(fd);
	ck_assert_ts_gt(s.st_mtim, s0.st_mtim);
	ck_assert_ts_eq(s.st_ctim, s.st_mtim);
	ck_assert_ts_eq(s.st_atim, s0.st_atim);

	/* the same size changes nothing */
	pause_ms(15);
	ck_assert_int_eq(ftruncate(fd, 2 * PS), 0);
	s2 = fd_stat(fd);
	ck_assert_ts_eq(s2.st_mtim, s.st_mtim);
	ck_assert_ts_eq(s2.st_ctim, s.st_ctim);

	/* writes and reads inside the size change nothing */
	pause_ms(15);
	pwrite_all(fd, "inside", 6, 100);
	s2 = fd_stat(fd);
	ck_assert_ts_eq(s2.st_mtim, s.st_mtim);
	ck_assert_ts_eq(s2.st_ctim, s.st_ctim);
	pause_ms(15);
	drop_cache(fd);
	pread_all(fd, buf, 6, 100);
	s2 = fd_stat(fd);
	ck_assert_ts_eq(s2.st_mtim, s.st_mtim);
	ck_assert_ts_eq(s2.st_ctim, s.st_ctim);
	ck_assert_ts_eq(s2.st_atim, s.st_atim);

	/* a write that grows is a size change */
	pause_ms(15);
	pwrite_all(fd, "beyond", 6, 2 * PS);
	s2 = fd_stat(fd);
	ck_assert_int_eq(s2.st_size, 2 * PS + 6);
	ck_assert_ts_gt(s2.st_mtim, s.st_mtim);
	ck_assert_ts_eq(s2.st_ctim, s2.st_mtim);
	s = s2;

	/* shrinking is one too */
	pause_ms(15);
	ck_assert_int_eq(ftruncate(fd, PS), 0);
	s2 = fd_stat(fd);
	ck_assert_ts_gt(s2.st_mtim, s.st_mtim);
	ck_assert_ts_eq(s2.st_ctim, s2.st_mtim);
	s = s2;

	/* and so is fallocate growing the object */
	pause_ms(15);
	ck_assert_int_eq(fallocate(fd, 0, 0, 3 * PS), 0);
	s2 = fd_stat(fd);
	ck_assert_int_eq(s2.st_size, 3 * PS);
	ck_assert_ts_gt(s2.st_mtim, s.st_mtim);
	ck_assert_ts_eq(s2.st_ctim, s2.st_mtim);
	s = s2;

	/* chmod, rename and unlink change no time, ctime included */
	pause_ms(15);
	ck_assert_int_eq(fchmod(fd, 0640), 0);
	s2 = fd_stat(fd);
	ck_assert_int_eq(s2.st_mode & 07777, 0640);
	ck_assert_ts_eq(s2.st_mtim, s.st_mtim);
	ck_assert_ts_eq(s2.st_ctim, s.st_ctim);
	pause_ms(15);
	ck_assert_int_eq(fchown(fd, geteuid(), getegid()), 0);
	s2 = fd_stat(fd);
	ck_assert_ts_eq(s2.st_ctim, s.st_ctim);
	pause_ms(15);
	ck_assert_int_eq(renameat(mfd, "times", mfd, "times2"), 0);
	s2 = fd_stat(fd);
	ck_assert_ts_eq(s2.st_mtim, s.st_mtim);
	ck_assert_ts_eq(s2.st_ctim, s.st_ctim);
	ck_assert_int_eq(name_stat("times2", &s2), 0);
	ck_assert_ts_eq(s2.st_ctim, s.st_ctim);
	pause_ms(15);
	obj_unlink("times2");
	s2 = fd_stat(fd);
	ck_assert_int_eq(s2.st_nlink, 0);
	ck_assert_ts_eq(s2.st_mtim, s.st_mtim);
	ck_assert_ts_eq(s2.st_ctim, s.st_ctim);
	ck_assert_ts_eq(s2.st_atim, s0.st_atim);
	close(fd);
}
END_TEST

/* ---- attributes ---- */

START_TEST(test_fstat)
{
	int fd, fd2;
	struct stat st;
	char page[PS];

	umask(022);
	fd = openat(mfd, "attr", O_RDWR | O_CREAT | O_EXCL, 0751);
	ck_assert_int_ge(fd, 0);
	st = fd_stat(fd);
	ck_assert_int_eq(st.st_mode, S_IFREG | (0751 & ~022));
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(st.st_blocks, 0);
	ck_assert_int_eq(st.st_nlink, 1);
	ck_assert_int_eq(st.st_uid, geteuid());
	ck_assert_int_eq(st.st_gid, getegid());
	ck_assert_int_ge(st.st_blksize, 64 * KIB);

	/* the mode bits come from the request with umask, special bits dropped */
	fd2 = openat(mfd, "attr2", O_RDWR | O_CREAT | O_EXCL, 07777);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(fd_stat(fd2).st_mode, S_IFREG | 0755);
	ck_assert_int_eq(fchmod(fd2, 07777), 0);
	ck_assert_int_eq(fd_stat(fd2).st_mode, S_IFREG | 0777);
	close(fd2);
	obj_unlink("attr2");

	/* sparse: size without blocks */
	ck_assert_int_eq(ftruncate(fd, 64 * PS), 0);
	st = fd_stat(fd);
	ck_assert_int_eq(st.st_size, 64 * PS);
	ck_assert_int_eq(st.st_blocks, 0);

	/* each page written holds 8 blocks of 512 bytes */
	pwrite_all(fd, "x", 1, 3 * PS + 7);
	ck_assert_int_eq(fd_stat(fd).st_blocks, 8);
	memset(page, 'y', sizeof(page));
	pwrite_all(fd, page, PS, 5 * PS + 100); /* touches pages 5 and 6 */
	ck_assert_int_eq(fd_stat(fd).st_blocks, 24);
	pwrite_all(fd, page, PS, 5 * PS); /* nothing new */
	ck_assert_int_eq(fd_stat(fd).st_blocks, 24);
	/* reading holes allocates nothing */
	expect_bytes(fd, 10 * PS, 10 * PS, 0);
	ck_assert_int_eq(fd_stat(fd).st_blocks, 24);

	/* punching frees, shrinking frees */
	ck_assert_int_eq(fallocate(fd,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   3 * PS, PS),
			 0);
	st = fd_stat(fd);
	ck_assert_int_eq(st.st_blocks, 16);
	ck_assert_int_eq(st.st_size, 64 * PS);
	ck_assert_int_eq(ftruncate(fd, 6 * PS), 0);
	st = fd_stat(fd);
	ck_assert_int_eq(st.st_blocks, 8);
	ck_assert_int_eq(st.st_size, 6 * PS);

	/* the link count follows the name */
	ck_assert_int_eq(name_stat("attr", &st), 0);
	ck_assert_int_eq(st.st_nlink, 1);
	ck_assert_int_eq(st.st_size, 6 * PS);
	obj_unlink("attr");
	ck_assert_int_eq(fd_stat(fd).st_nlink, 0);
	close(fd);
}
END_TEST

START_TEST(test_fallocate)
{
	int fd = obj_create("falloc", 0);
	unsigned char buf[3 * PS];
	struct stat st;

	/* mode 0 grows, never shrinks */
	ck_assert_int_eq(fallocate(fd, 0, 0, 3 * PS), 0);
	ck_assert_int_eq(fd_size(fd), 3 * PS);
	ck_assert_int_eq(fallocate(fd, 0, PS, 100), 0);
	ck_assert_int_eq(fd_size(fd), 3 * PS);
	ck_assert_int_eq(fallocate(fd, 0, 3 * PS, 10), 0);
	ck_assert_int_eq(fd_size(fd), 3 * PS + 10);
	expect_bytes(fd, 0, 3 * PS + 10, 0);

	/* KEEP_SIZE keeps it */
	ck_assert_int_eq(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 10 * PS), 0);
	ck_assert_int_eq(fd_size(fd), 3 * PS + 10);

	/* punching zeros the range and frees whole pages, size unchanged */
	ck_assert_int_eq(ftruncate(fd, 3 * PS), 0);
	memset(buf, 0x5a, sizeof(buf));
	pwrite_all(fd, buf, sizeof(buf), 0);
	ck_assert_int_eq(fd_stat(fd).st_blocks, 24);
	ck_assert_int_eq(fallocate(fd,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   PS, PS),
			 0);
	st = fd_stat(fd);
	ck_assert_int_eq(st.st_size, 3 * PS);
	ck_assert_int_eq(st.st_blocks, 16);
	expect_bytes(fd, 0, PS, 0x5a);
	expect_bytes(fd, PS, PS, 0);
	expect_bytes(fd, 2 * PS, PS, 0x5a);
	drop_cache(fd);
	expect_bytes(fd, 0, PS, 0x5a);
	expect_bytes(fd, PS, PS, 0);
	expect_bytes(fd, 2 * PS, PS, 0x5a);

	/* a partial-page punch zeros just those bytes */
	ck_assert_int_eq(fallocate(fd,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   100, 50),
			 0);
	ck_assert_int_eq(fd_size(fd), 3 * PS);
	drop_cache(fd);
	expect_bytes(fd, 0, 100, 0x5a);
	expect_bytes(fd, 100, 50, 0);
	expect_bytes(fd, 150, PS - 150, 0x5a);

	/* punching past the end changes no size */
	ck_assert_int_eq(fallocate(fd,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   2 * PS, 10 * PS),
			 0);
	ck_assert_int_eq(fd_size(fd), 3 * PS);
	expect_bytes(fd, 2 * PS, PS, 0);

	/* posix_fallocate */
	ck_assert_int_eq(posix_fallocate(fd, 4 * PS, PS), 0);
	ck_assert_int_eq(fd_size(fd), 5 * PS);
	ck_assert_int_eq(posix_fallocate(fd, 0, PS), 0);
	ck_assert_int_eq(fd_size(fd), 5 * PS);
	expect_bytes(fd, 0, 100, 0x5a);
	close(fd);
	obj_unlink("falloc");
}
END_TEST

/*
 * Holes and data as the daemon holds them.  The object is probed through a
 * read-only descriptor once the writer has closed: only then can no page
 * be dirty in the kernel's cache without the daemon knowing (see
 * test_seek_mapped).
 */
START_TEST(test_seek_data_hole)
{
	int w = obj_create("seek", 10 * PS), fd;
	char page[PS];

	memset(page, 'd', sizeof(page));
	pwrite_all(w, page, PS, 2 * PS);
	pwrite_all(w, page, PS, 5 * PS);
	pwrite_all(w, page, PS, 6 * PS);
	close(w);
	fd = obj_open("seek", O_RDONLY);
	/* the writer's RELEASE is asynchronous: allow it a moment */
	for (int i = 0; i < 1000 && lseek(fd, 0, SEEK_DATA) != 2 * PS; i++)
		pause_ms(1);

	ck_assert_int_eq(lseek(fd, 0, SEEK_DATA), 2 * PS);
	ck_assert_int_eq(lseek(fd, 2 * PS + 10, SEEK_DATA), 2 * PS + 10);
	ck_assert_int_eq(lseek(fd, 0, SEEK_HOLE), 0);
	ck_assert_int_eq(lseek(fd, 2 * PS, SEEK_HOLE), 3 * PS);
	ck_assert_int_eq(lseek(fd, 3 * PS, SEEK_DATA), 5 * PS);
	ck_assert_int_eq(lseek(fd, 5 * PS + 1, SEEK_HOLE), 7 * PS);
	ck_assert_int_eq(lseek(fd, 8 * PS, SEEK_HOLE), 8 * PS);
	ck_assert_int_eq(lseek(fd, 7 * PS, SEEK_DATA), -1);
	ck_assert_int_eq(errno, ENXIO);
	ck_assert_int_eq(lseek(fd, 10 * PS, SEEK_DATA), -1);
	ck_assert_int_eq(errno, ENXIO);
	ck_assert_int_eq(lseek(fd, 10 * PS, SEEK_HOLE), -1);
	ck_assert_int_eq(errno, ENXIO);
	ck_assert_int_eq(lseek(fd, 100 * PS, SEEK_HOLE), -1);
	ck_assert_int_eq(errno, ENXIO);
	close(fd);

	/* a punched page becomes a hole; the end is a hole */
	w = obj_open("seek", O_RDWR);
	ck_assert_int_eq(fallocate(w,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   5 * PS, PS),
			 0);
	ck_assert_int_eq(ftruncate(w, 7 * PS), 0);
	close(w);
	fd = obj_open("seek", O_RDONLY);
	for (int i = 0; i < 1000 && lseek(fd, 3 * PS, SEEK_DATA) != 6 * PS; i++)
		pause_ms(1);
	ck_assert_int_eq(lseek(fd, 3 * PS, SEEK_DATA), 6 * PS);
	ck_assert_int_eq(lseek(fd, 6 * PS, SEEK_HOLE), 7 * PS);
	close(fd);
	obj_unlink("seek");
}
END_TEST

/*
 * Data stored through a shared mapping lives in the kernel's page cache
 * until writeback; SEEK_DATA/SEEK_HOLE must not report those pages as
 * holes, or `cp` (which copies only what SEEK_DATA finds) silently drops
 * them.  Asserted loosely, so reporting everything as data passes too.
 */
START_TEST(test_seek_mapped)
{
	int fd = obj_create("seekmap", 8 * PS), rd, status;
	unsigned char *p;
	off_t data, hole;
	pid_t pid;

	p = mmap(NULL, 8 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p + 3 * PS, 'm', PS); /* no msync */

	rd = obj_open("seekmap", O_RDONLY);
	data = lseek(rd, 0, SEEK_DATA);
	hole = lseek(rd, 3 * PS, SEEK_HOLE);
	ck_assert_msg(data >= 0 && data <= 3 * PS,
		      "SEEK_DATA from 0: %ld (%s), but page 3 holds data",
		      (long)data, data < 0 ? strerror(errno) : "past it");
	ck_assert_msg(hole > 3 * PS, "SEEK_HOLE from page 3: %ld (%s)",
		      (long)hole, hole < 0 ? strerror(errno) : "a hole");

	/* a copy by another process, the way cp does it, gets the data */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int cfd = openat(mfd, "seekmap", O_RDONLY);
		off_t d = cfd < 0 ? -1 : lseek(cfd, 0, SEEK_DATA);
		char c = 0;

		if (d < 0 || d > 3 * PS)
			_exit(1);
		if (pread(cfd, &c, 1, 3 * PS) != 1 || c != 'm')
			_exit(2);
		_exit(0);
	}
	status = wait_child(pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "another process's SEEK_DATA missed page 3: status 0x%x",
		      status);
	munmap(p, 8 * PS);
	close(rd);
	close(fd);
	obj_unlink("seekmap");
}
END_TEST

/* ---- what cannot be created ---- */

START_TEST(test_only_regular_files)
{
	int fd = obj_create("reg", 0);
	struct stat st;

	ck_assert_int_eq(mkdirat(mfd, "dir", 0755), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(symlinkat("reg", mfd, "sym"), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(mknodat(mfd, "fifo", S_IFIFO | 0644, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(mknodat(mfd, "chr", S_IFCHR | 0644, makedev(1, 3)),
			 -1);
	ck_assert_int_eq(errno, EPERM);
	/* Hard links are allowed (test_link). */
	ck_assert_int_eq(fd_stat(fd).st_nlink, 1);
	for (const char **n = (const char *[]){ "dir", "sym", "fifo", "chr", NULL };
	     *n; n++) {
		ck_assert_msg(name_stat(*n, &st) == -1 && errno == ENOENT,
			      "%s exists", *n);
		ck_assert_int_eq(listed(*n), 0);
	}
	close(fd);
	obj_unlink("reg");
}
END_TEST

START_TEST(test_file_names)
{
	/* file names any filesystem takes, and the shm names they are */
	static const char *const plain[][2] = {
		{ "50%", "/50%" },     { "%", "/%" },	      { "%25", "/%25" },
		{ "a%zz", "/a%zz" },   { "%41", "/%41" },     { "%2f", "/%2f" },
		{ "%2E.", "/%2E." },   { "a%2E", "/a%2E" },   { "%00x", "/%00x" },
		{ "%%2F", "/%2F" },    { "%%00", "/%00" },    { "%%anon", "/%anon" },
		{ "%Zz", "/%Zz" },     { "%.", "/%." },
	};
	/* reserved for the daemon: creating one is EPERM */
	static const char *const reserved[] = { "%a", "%zz", "%foo", "%shmfs2",
						"%a%2F" };
	/* shm names whose files need the escapes */
	static const char *const shm[] = { "/",	  "/.",	   "/..", "/a/b",
					   "//x", "/100%", "/%2F", "/%/",
					   "/%00", "/%anon", "/%2E%2E" };
	char file[SHMFS_FILE_NAME_MAX + 2], back[SHMFS_NAME_MAX + 2];
	struct stat st;

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		close(obj_create(plain[i][0], 0));
		ck_assert_int_eq(listed(plain[i][0]), 1);
		ck_assert_int_gt(shmfs_name_decode(plain[i][0], back, sizeof(back)), 0);
		ck_assert_str_eq(back, plain[i][1]);
		obj_unlink(plain[i][0]);
	}
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		errno = 0;
		ck_assert_msg(openat(mfd, reserved[i], O_RDWR | O_CREAT, 0600) ==
					      -1 &&
				      errno == EPERM,
			      "create %s: want EPERM, got %s", reserved[i],
			      strerror(errno));
		ck_assert_int_eq(name_stat(reserved[i], &st), -1);
		ck_assert_int_eq(errno, ENOENT);
		ck_assert_int_eq(listed(reserved[i]), 0);
	}
	for (size_t i = 0; i < sizeof(shm) / sizeof(shm[0]); i++) {
		int fd;

		ck_assert_int_gt(shmfs_name_encode(shm[i], strlen(shm[i]), file,
						   sizeof(file)),
				 0);
		fd = openat(mfd, file, O_RDWR | O_CREAT | O_EXCL, 0600);
		ck_assert_msg(fd >= 0, "create %s (%s): %s", file, shm[i],
			      strerror(errno));
		close(fd);
		ck_assert_int_eq(listed(file), 1);
		ck_assert_int_gt(shmfs_name_decode(file, back, sizeof(back)),
				 0);
		ck_assert_str_eq(back, shm[i]);
	}
	for (size_t i = 0; i < sizeof(shm) / sizeof(shm[0]); i++) {
		shmfs_name_encode(shm[i], strlen(shm[i]), file, sizeof(file));
		obj_unlink(file);
	}

	/* file names up to 255 bytes */
	memset(file, 'n', sizeof(file));
	file[SHMFS_FILE_NAME_MAX] = '\0';
	close(obj_create(file, 0));
	ck_assert_int_eq(listed(file), 1);
	obj_unlink(file);
	file[SHMFS_FILE_NAME_MAX] = 'n';
	file[SHMFS_FILE_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(openat(mfd, file, O_RDWR | O_CREAT, 0600), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

/* ---- the NOGROW ioctl ---- */

START_TEST(test_nogrow)
{
	int fd = obj_create("nogrow", 0), plain;
	char buf[100];

	memset(buf, 'n', sizeof(buf));
	pwrite_all(fd, buf, 50, 0); /* a plain descriptor grows */
	ck_assert_int_eq(fd_size(fd), 50);
	ck_assert_int_eq(ioctl(fd, SHMFS_IOC_NOGROW), 0);

	/* crossing the end: cut short at the end */
	ck_assert_int_eq(pwrite(fd, buf, sizeof(buf), 20), 30);
	ck_assert_int_eq(fd_size(fd), 50);
	/* at and past the end: EFBIG */
	ck_assert_int_eq(pwrite(fd, buf, sizeof(buf), 50), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(pwrite(fd, buf, 1, 4 * PS), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(fd_size(fd), 50);
	ck_assert_int_eq(lseek(fd, 50, SEEK_SET), 50);
	ck_assert_int_eq(write(fd, buf, 1), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(fd_size(fd), 50);
	/* ftruncate still grows it, and then writes fit */
	ck_assert_int_eq(ftruncate(fd, PS), 0);
	ck_assert_int_eq(pwrite(fd, buf, sizeof(buf), 60), sizeof(buf));
	ck_assert_int_eq(fd_size(fd), PS);
	drop_cache(fd);
	expect_bytes(fd, 0, 50, 'n');
	expect_bytes(fd, 50, 10, 0);
	expect_bytes(fd, 60, 100, 'n');
	expect_bytes(fd, 160, PS - 160, 0);

	/* another descriptor of the same object still grows it */
	plain = obj_open("nogrow", O_RDWR);
	ck_assert_int_eq(pwrite(plain, buf, sizeof(buf), PS), sizeof(buf));
	ck_assert_int_eq(fd_size(plain), PS + sizeof(buf));
	ck_assert_int_eq(fd_size(fd), PS + sizeof(buf));
	close(plain);
	close(fd);

	/* SHMFS_OPEN_NOGROW at open marks the descriptor without an ioctl. */
	fd = obj_open("nogrow", O_RDWR | SHMFS_OPEN_NOGROW);
	ck_assert_int_eq(pwrite(fd, buf, 1, PS + sizeof(buf)), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(pwrite(fd, buf, 20, PS + sizeof(buf) - 10), 10);
	ck_assert_int_eq(fd_size(fd), PS + sizeof(buf));
	/* Other ioctls, and any on the directory, are not ours. */
	ck_assert_int_eq(ioctl(fd, _IO('S', 99)), -1);
	ck_assert_int_eq(errno, ENOTTY);
	ck_assert_int_eq(ioctl(mfd, SHMFS_IOC_NOGROW), -1);
	ck_assert_int_eq(errno, ENOTTY);
	close(fd);
	obj_unlink("nogrow");
}
END_TEST

/* ---- the probe entry and listing ---- */

START_TEST(test_probe)
{
	struct stat st;
	char path[PATH_MAX];

	ck_assert_int_eq(name_stat(SHMFS_PROBE_NAME, &st), 0);
	ck_assert_uint_eq(st.st_ino, SHMFS_PROBE_INO);
	ck_assert_int_eq(st.st_size, SHMFS_PROTO_VERSION);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(listed(SHMFS_PROBE_NAME), 0);
	ck_assert_int_eq(openat(mfd, SHMFS_PROBE_NAME, O_RDONLY), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(openat(mfd, SHMFS_PROBE_NAME, O_RDWR), -1);
	ck_assert_int_eq(errno, EACCES);
	/* it cannot be removed, replaced or moved */
	ck_assert_int_eq(unlinkat(mfd, SHMFS_PROBE_NAME, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	close(obj_create("probe.x", 0));
	ck_assert_int_eq(renameat(mfd, "probe.x", mfd, SHMFS_PROBE_NAME), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(renameat(mfd, SHMFS_PROBE_NAME, mfd, "probe.y"), -1);
	ck_assert_int_eq(errno, EPERM);
	obj_unlink("probe.x");
	ck_assert_int_eq(truncate(harness_path(&mnt, SHMFS_PROBE_NAME, path,
					       sizeof(path)),
				  0),
			 -1);
	ck_assert_int_eq(errno, EPERM);

	/* still there, still not a real object */
	ck_assert_int_eq(stat(mnt.mnt, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(name_stat(SHMFS_PROBE_NAME, &st), 0);
	ck_assert_uint_eq(st.st_ino, SHMFS_PROBE_INO);
}
END_TEST

/*
 * Anonymous objects (proto.h): created atomically without a name.  The shim
 * relies on both prefixes; only the daemon's side is tested here.
 */
START_TEST(test_anonymous_create)
{
	static const char *const names[] = { SHMFS_ANON_PREFIX ".t1",
					     SHMFS_MEMFD_PREFIX ".t2" };
	struct stat st;

	for (int i = 0; i < 2; i++) {
		int fd = openat(mfd, names[i], O_RDWR | O_CREAT | O_EXCL, 0600);

		ck_assert_msg(fd >= 0, "create %s: %s", names[i],
			      strerror(errno));
		ck_assert_msg(name_stat(names[i], &st) == -1 && errno == ENOENT,
			      "%s has a name after its creation", names[i]);
		ck_assert_int_eq(openat(mfd, names[i], O_RDWR), -1);
		ck_assert_int_eq(errno, ENOENT);
		ck_assert_int_eq(listed(names[i]), 0);
		ck_assert_int_eq(ftruncate(fd, PS), 0);
		pwrite_all(fd, "anon", 4, 10);
		if (i == 0) {
			ck_assert_int_eq(pwrite(fd, "x", 1, PS), -1);
			ck_assert_int_eq(errno, EFBIG);
			ck_assert_int_eq(fd_size(fd), PS);
		} else {
			ck_assert_int_eq(pwrite(fd, "x", 1, PS), 1);
			ck_assert_int_eq(fd_size(fd), PS + 1);
		}
		drop_cache(fd);
		{
			char buf[4];

			pread_all(fd, buf, 4, 10);
			ck_assert_mem_eq(buf, "anon", 4);
		}
		close(fd);
	}
}
END_TEST

START_TEST(test_open_trunc)
{
	int fd = obj_create("trunc", 0), fd2;
	char page[PS];
	struct stat s0, st;

	memset(page, 't', sizeof(page));
	pwrite_all(fd, page, PS, 0);
	pwrite_all(fd, page, PS, 3 * PS);
	s0 = fd_stat(fd);
	ck_assert_int_eq(s0.st_blocks, 16);
	pause_ms(15);
	fd2 = obj_open("trunc", O_RDWR | O_TRUNC);
	st = fd_stat(fd);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(st.st_blocks, 0);
	ck_assert_ts_gt(st.st_mtim, s0.st_mtim);
	ck_assert_int_eq(pread(fd, page, PS, 0), 0);
	close(fd2);
	close(fd);
	obj_unlink("trunc");
}
END_TEST

#define STRESS_PROCS 4
#define STRESS_OPS 2000
#define STRESS_NAMES 8

/*
 * One stress worker: random creates, unlinks, renames, exchanges, opens and
 * stats over a few shared names.  Races make ENOENT and EEXIST normal;
 * anything else is a failure.  Returns the exit status.
 */
static int stress_worker(unsigned seed)
{
	char a[8], b[8], c;

	for (int i = 0; i < STRESS_OPS; i++) {
		int op, fd, r = 0;
		struct stat st;

		seed = seed * 1103515245 + 12345;
		op = (int)((seed >> 16) % 8);
		snprintf(a, sizeof(a), "s%u", (seed >> 8) % STRESS_NAMES);
		snprintf(b, sizeof(b), "s%u", (seed >> 20) % STRESS_NAMES);
		switch (op) {
		case 0:
		case 1:
			fd = openat(mfd, a,
				    O_RDWR | O_CREAT | (op ? O_EXCL : 0), 0600);
			if (fd >= 0) {
				r = pwrite(fd, "s", 1, i % 3) == 1 ? 0 : -1;
				close(fd);
			} else {
				r = -1;
			}
			break;
		case 2:
			r = unlinkat(mfd, a, 0);
			break;
		case 3:
			r = renameat(mfd, a, mfd, b);
			break;
		case 4:
			r = renameat2(mfd, a, mfd, b, RENAME_EXCHANGE);
			break;
		case 5:
			r = renameat2(mfd, a, mfd, b, RENAME_NOREPLACE);
			break;
		case 6:
			fd = openat(mfd, a, O_RDONLY);
			if (fd >= 0) {
				r = pread(fd, &c, 1, 0) >= 0 ? 0 : -1;
				close(fd);
			} else {
				r = -1;
			}
			break;
		default:
			r = name_stat(a, &st);
			if (r == 0 &&
			    (!S_ISREG(st.st_mode) || st.st_size > 3)) {
				fprintf(stderr,
					"stress: %s: mode 0%o size %ld\n", a,
					st.st_mode, (long)st.st_size);
				return 1;
			}
			break;
		}
		/* EEXIST for NOREPLACE onto itself comes from the VFS */
		if (r != 0 && errno != ENOENT && errno != EEXIST) {
			fprintf(stderr, "stress: op %d on %s %s: %s\n", op, a,
				b, strerror(errno));
			return 1;
		}
	}
	return 0;
}

START_TEST(test_namespace_stress)
{
	struct statvfs before = fs_stat();
	pid_t pids[STRESS_PROCS];
	char name[8];

	for (int i = 0; i < STRESS_PROCS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(stress_worker((unsigned)i * 7919 + 1));
	}
	for (int i = 0; i < STRESS_PROCS; i++) {
		int status = wait_child(pids[i]);

		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "stress worker %d: status 0x%x", i, status);
	}
	ck_assert_msg(kill(mnt.daemon, 0) == 0, "the daemon died");
	for (int i = 0; i < STRESS_NAMES; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		if (unlinkat(mfd, name, 0) != 0)
			ck_assert_int_eq(errno, ENOENT);
	}
	/*
	 * Every object made is freed again.  At least as many free as before:
	 * earlier tests' objects may still be on their way out.
	 */
	for (int i = 0; i < 1000 && fs_stat().f_ffree < before.f_ffree; i++)
		pause_ms(1);
	ck_assert_uint_ge(fs_stat().f_ffree, before.f_ffree);
	ck_assert_uint_ge(fs_stat().f_bfree, before.f_bfree);
}
END_TEST

static int list_names(char ***out)
{
	DIR *d = opendir(mnt.mnt);
	struct dirent *de;
	char **v = NULL;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_int_eq(de->d_type, DT_REG);
		v = realloc(v, (size_t)(n + 1) * sizeof(*v));
		v[n++] = strdup(de->d_name);
	}
	closedir(d);
	*out = v;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define NLIST 1000

START_TEST(test_readdir)
{
	char **before, **after, name[32];
	int nb, na, i;
	fsfilcnt_t ffree = fs_stat().f_ffree;

	nb = list_names(&before);
	for (i = 0; i < NLIST; i++) {
		snprintf(name, sizeof(name), "ls.%04d", i);
		close(obj_create(name, i % 3 ? 0 : 1));
	}
	na = list_names(&after);
	ck_assert_int_eq(na, nb + NLIST);
	qsort(after, (size_t)na, sizeof(*after), cmp_str);
	/* the new names are exactly ls.0000 .. ls.0999, once each */
	{
		int seen = 0;

		for (i = 0; i < na; i++) {
			if (strncmp(after[i], "ls.", 3) != 0)
				continue;
			snprintf(name, sizeof(name), "ls.%04d", seen);
			ck_assert_str_eq(after[i], name);
			seen++;
		}
		ck_assert_int_eq(seen, NLIST);
	}
	for (i = 0; i < NLIST; i++) {
		snprintf(name, sizeof(name), "ls.%04d", i);
		obj_unlink(name);
	}
	for (i = 0; i < na; i++)
		free(after[i]);
	free(after);
	na = list_names(&after);
	ck_assert_int_eq(na, nb);
	if (na > 0) { /* qsort must not be given NULL, even for no elements */
		qsort(before, (size_t)nb, sizeof(*before), cmp_str);
		qsort(after, (size_t)na, sizeof(*after), cmp_str);
	}
	for (i = 0; i < na; i++)
		ck_assert_str_eq(after[i], before[i]);
	for (i = 0; i < na; i++) {
		free(after[i]);
		free(before[i]);
	}
	free(after);
	free(before);

	/*
	 * Every object is freed: the lookup counts the listings gave the
	 * kernel were all given back (FORGET is asynchronous, so earlier
	 * tests' objects may still be going: at least as many free as before).
	 */
	for (i = 0; i < 1000 && fs_stat().f_ffree < ffree; i++)
		pause_ms(1);
	ck_assert_uint_ge(fs_stat().f_ffree, ffree);
}
END_TEST

/* ---- hard links ---- */

static void wait_empty(void);

static nlink_t nlink_of(const char *name)
{
	struct stat st;

	ck_assert_msg(name_stat(name, &st) == 0, "stat %s: %s", name, strerror(errno));
	return st.st_nlink;
}

START_TEST(test_link)
{
	int a = obj_create("l.a", 0), d = obj_create("l.d", 0);
	ino_t ia = fd_stat(a).st_ino, id = fd_stat(d).st_ino;
	char longname[300];

	pwrite_all(a, "linked", 6, 0);
	pwrite_all(d, "other", 5, 0);
	ck_assert_int_eq(fd_stat(a).st_nlink, 1);
	ck_assert_int_eq(linkat(mfd, "l.a", mfd, "l.b", 0), 0);
	expect_name("l.b", ia, "linked");
	ck_assert_int_eq(nlink_of("l.a"), 2);
	ck_assert_int_eq(nlink_of("l.b"), 2);
	ck_assert_int_eq(fd_stat(a).st_nlink, 2);
	ck_assert_int_eq(listed("l.a") + listed("l.b"), 2);

	/* Taken names and reserved names; any other file name is some shm name. */
	ck_fails(linkat(mfd, "l.a", mfd, "l.b", 0), EEXIST);
	ck_fails(linkat(mfd, "l.a", mfd, "l.d", 0), EEXIST);
	ck_fails(linkat(mfd, "l.a", mfd, SHMFS_PROBE_NAME, 0), EEXIST);
	ck_fails(linkat(mfd, "l.a", mfd, SHMFS_ANON_PREFIX ".x", 0), EPERM);
	ck_fails(linkat(mfd, "l.a", mfd, SHMFS_MEMFD_PREFIX ".x", 0), EPERM);
	ck_fails(linkat(mfd, "l.a", mfd, SHMFS_SEALABLE_PREFIX ".x", 0), EPERM);
	ck_assert_int_eq(linkat(mfd, "l.a", mfd, "%41", 0), 0);
	ck_assert_int_eq(unlinkat(mfd, "%41", 0), 0);
	memset(longname, 'x', 256);
	longname[256] = 0;
	ck_fails(linkat(mfd, "l.a", mfd, longname, 0), ENAMETOOLONG);
	ck_fails(linkat(mfd, "l.none", mfd, "l.c", 0), ENOENT);
	/* The probe entry is no object. */
	ck_fails(linkat(mfd, SHMFS_PROBE_NAME, mfd, "l.c", 0), EPERM);
	ck_assert_int_eq(nlink_of("l.a"), 2);

	/* Two names of one object: rename is a no-op success, both stay. */
	ck_assert_int_eq(renameat(mfd, "l.a", mfd, "l.b"), 0);
	expect_name("l.a", ia, "linked");
	expect_name("l.b", ia, "linked");
	ck_fails(renameat2(mfd, "l.a", mfd, "l.b", RENAME_NOREPLACE), EEXIST);
	ck_assert_int_eq(renameat2(mfd, "l.a", mfd, "l.b", RENAME_EXCHANGE), 0);
	expect_name("l.a", ia, "linked");
	expect_name("l.b", ia, "linked");
	ck_assert_int_eq(nlink_of("l.b"), 2);

	/* One of two names onto another object: that one loses its name. */
	ck_assert_int_eq(renameat(mfd, "l.b", mfd, "l.d"), 0);
	expect_name("l.d", ia, "linked");
	expect_name("l.a", ia, "linked");
	ck_fails(name_stat("l.b", &(struct stat){ 0 }), ENOENT);
	ck_assert_int_eq(nlink_of("l.a"), 2);
	ck_assert_int_eq(fd_stat(d).st_nlink, 0);

	/* Exchange one of two names with a third object's name. */
	close(d);
	d = obj_create("l.e", 0);
	id = fd_stat(d).st_ino;
	pwrite_all(d, "third", 5, 0);
	ck_assert_int_eq(renameat2(mfd, "l.d", mfd, "l.e", RENAME_EXCHANGE), 0);
	expect_name("l.e", ia, "linked");
	expect_name("l.a", ia, "linked");
	expect_name("l.d", id, "third");
	ck_assert_int_eq(nlink_of("l.a"), 2);
	ck_assert_int_eq(nlink_of("l.d"), 1);

	/* Unlinking one name keeps the data under the other. */
	obj_unlink("l.a");
	expect_name("l.e", ia, "linked");
	ck_assert_int_eq(nlink_of("l.e"), 1);
	ck_assert_int_eq(fd_stat(a).st_nlink, 1);
	close(a);
	close(d);
	obj_unlink("l.e");
	obj_unlink("l.d");
}
END_TEST

/* The object lives on after its last name while a descriptor or mapping holds it. */
START_TEST(test_link_lifetime)
{
	fsfilcnt_t ffree = fs_stat().f_ffree;
	int fd = obj_create("lt.a", PS), i;
	char *p;

	pwrite_all(fd, "keep", 4, 0);
	ck_assert_int_eq(linkat(mfd, "lt.a", mfd, "lt.b", 0), 0);
	ck_assert_int_eq(linkat(mfd, "lt.b", mfd, "lt.c", 0), 0);
	ck_assert_int_eq(fd_stat(fd).st_nlink, 3);
	p = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	obj_unlink("lt.b");
	obj_unlink("lt.a");
	ck_assert_int_eq(fd_stat(fd).st_nlink, 1);
	obj_unlink("lt.c");
	ck_assert_int_eq(fd_stat(fd).st_nlink, 0);
	ck_assert_int_eq(listed("lt.c"), 0);
	/* No name left: no new one either (as Linux for any such file). */
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ck_fails(linkat(AT_FDCWD, path, mfd, "lt.d", AT_SYMLINK_FOLLOW), ENOENT);
	}
	ck_fails(linkat(fd, "", mfd, "lt.d", AT_EMPTY_PATH), ENOENT);
	close(fd);
	/* The mapping still holds it. */
	memcpy(p, "held", 4);
	ck_assert_int_lt(fs_stat().f_ffree, ffree);
	ck_assert_mem_eq(p, "held", 4);
	munmap(p, PS);
	for (i = 0; i < 1000 && fs_stat().f_ffree < ffree; i++)
		pause_ms(1);
	ck_assert_uint_eq(fs_stat().f_ffree, ffree);
}
END_TEST

/* An anonymous object never had a name and cannot get one. */
START_TEST(test_link_anonymous)
{
	int fd = openat(mfd, SHMFS_MEMFD_PREFIX ".ln", O_RDWR | O_CREAT | O_EXCL, 0600);
	char path[64];

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fd_stat(fd).st_nlink, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ck_fails(linkat(AT_FDCWD, path, mfd, "anon.ln", AT_SYMLINK_FOLLOW), ENOENT);
	ck_fails(linkat(fd, "", mfd, "anon.ln", AT_EMPTY_PATH), ENOENT);
	ck_assert_int_eq(listed("anon.ln"), 0);
	close(fd);
}
END_TEST

/* fs.protected_hardlinks' rule, in the daemon: owner, or read and write. */
static int try_links(void *arg)
{
	static const char *const src[] = { "lp.root600", "lp.root644", "lp.root666",
					   "lp.user400" };
	static const int want[] = { EPERM, EPERM, 0, 0 };
	char to[32];

	(void)arg;
	for (int i = 0; i < 4; i++) {
		int r;

		snprintf(to, sizeof(to), "lp.new%d", i);
		errno = 0;
		r = linkat(mfd, src[i], mfd, to, 0) == 0 ? 0 : errno;
		if (r != want[i]) {
			fprintf(stderr, "link %s as uid %d: %s, want %s\n", src[i],
				(int)getuid(), strerror(r), strerror(want[i]));
			return 1;
		}
	}
	return 0;
}

START_TEST(test_link_permission)
{
	static const mode_t modes[] = { 0600, 0644, 0666, 0400 };
	static const char *const names[] = { "lp.root600", "lp.root644", "lp.root666",
					     "lp.user400" };
	char name[32];

	for (int i = 0; i < 4; i++) {
		int fd = obj_create(names[i], 0);

		ck_assert_int_eq(fchmod(fd, modes[i]), 0);
		if (i == 3)
			ck_assert_int_eq(fchown(fd, 4242, 4242), 0);
		close(fd);
	}
	ck_assert_int_eq(harness_as_user(4242, 4242, 0, NULL, try_links, NULL), 0);
	ck_fails(name_stat("lp.new0", &(struct stat){ 0 }), ENOENT);
	ck_assert_int_eq(nlink_of("lp.new2"), 2);
	ck_assert_int_eq(nlink_of("lp.new3"), 2);
	/* Root may link anything. */
	ck_assert_int_eq(linkat(mfd, "lp.root600", mfd, "lp.rootnew", 0), 0);
	for (int i = 0; i < 4; i++) {
		obj_unlink(names[i]);
		snprintf(name, sizeof(name), "lp.new%d", i);
		unlinkat(mfd, name, 0);
	}
	obj_unlink("lp.rootnew");
}
END_TEST

/* ---- listings ---- */

/* Within nr_objects= where each object's memfd counts against RLIMIT_NOFILE. */
#define LIST_OBJECTS 12000
#define LIST_STREAMS 50

/*
 * Held directory streams cost no copy of the names: 50 streams that each
 * read once, each after a create so that the kernel has no cached listing
 * to answer from, over 12,000 names (a snapshot per stream took 24 MiB).
 */
START_TEST(test_readdir_memory)
{
	DIR *d[LIST_STREAMS];
	char name[32];
	long base, rss;
	int fd;

	for (int i = 0; i < LIST_OBJECTS; i++) {
		snprintf(name, sizeof(name), "rm.%05d", i);
		fd = openat(mfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	close(obj_create("rm.warm", 0));
	/* One listing first, so that the worker threads and their buffers exist. */
	d[0] = opendir(mnt.mnt);
	ck_assert_ptr_nonnull(d[0]);
	while (readdir(d[0]))
		;
	closedir(d[0]);
	base = harness_rss_kib(mnt.daemon);
	ck_assert_int_gt(base, 0);
	for (int i = 0; i < LIST_STREAMS; i++) {
		snprintf(name, sizeof(name), "rm.more%d", i);
		close(obj_create(name, 0));
		d[i] = opendir(mnt.mnt);
		ck_assert_ptr_nonnull(d[i]);
		ck_assert_ptr_nonnull(readdir(d[i]));
	}
	rss = harness_rss_kib(mnt.daemon);
	fprintf(stderr, "readdir: daemon RSS %ld KiB, %ld KiB with %d streams over %d names\n",
		base, rss, LIST_STREAMS, LIST_OBJECTS);
	ck_assert_msg(rss - base < 8 * KIB, "daemon RSS grew by %ld KiB for %d open streams",
		      rss - base, LIST_STREAMS);
	/* The held streams still list everything, once each. */
	for (int i = 0; i < LIST_STREAMS; i += 10) {
		struct dirent *de;
		long n = 1; /* the entry read above */

		while ((de = readdir(d[i])))
			n++;
		/* ".", "..", the names, rm.warm, rm.more0..i at least */
		ck_assert_int_ge(n, LIST_OBJECTS + 2 + 1 + i + 1);
		ck_assert_int_le(n, LIST_OBJECTS + 2 + 1 + LIST_STREAMS);
	}
	for (int i = 0; i < LIST_STREAMS; i++)
		closedir(d[i]);
	wait_empty();
}
END_TEST

#define CHURN_STABLE 3000

/* Creates and unlinks names until killed. */
static void churn(void)
{
	char name[32];

	for (unsigned i = 0;; i++) {
		snprintf(name, sizeof(name), "churn.%u", i % 500);
		if (i % 2 == 0) {
			int fd = openat(mfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

			if (fd >= 0)
				close(fd);
		} else {
			snprintf(name, sizeof(name), "churn.%u", (i * 7) % 500);
			unlinkat(mfd, name, 0);
		}
	}
}

/*
 * A listing while others create and unlink returns every name that was
 * there throughout exactly once, also when read in small steps with
 * telldir/seekdir in between.
 */
START_TEST(test_readdir_concurrent)
{
	static unsigned char seen[CHURN_STABLE];
	char name[32];
	pid_t kids[2];

	for (int i = 0; i < CHURN_STABLE; i++) {
		snprintf(name, sizeof(name), "st.%d", i);
		close(obj_create(name, 0));
	}
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			churn();
			_exit(0);
		}
	}
	for (int round = 0; round < 20; round++) {
		DIR *d = opendir(mnt.mnt);
		struct dirent *de;
		long n = 0;

		ck_assert_ptr_nonnull(d);
		memset(seen, 0, sizeof(seen));
		while ((de = readdir(d))) {
			int k;

			/* Every few entries, go back to where we are (a seekdir). */
			if (round % 2 && ++n % 97 == 0)
				seekdir(d, telldir(d));
			if (sscanf(de->d_name, "st.%d", &k) == 1) {
				ck_assert_int_lt(k, CHURN_STABLE);
				seen[k]++;
			}
		}
		closedir(d);
		for (int i = 0; i < CHURN_STABLE; i++)
			ck_assert_msg(seen[i] == 1, "round %d: st.%d listed %d times", round, i,
				      seen[i]);
	}
	for (int k = 0; k < 2; k++) {
		kill(kids[k], SIGKILL);
		waitpid(kids[k], NULL, 0);
	}
	wait_empty();
}
END_TEST

/* ---- the daemon's workers ---- */

/* Threads of the daemon: the main thread, the forget thread, the workers. */
static void expect_workers(int workers)
{
	char path[64];
	struct dirent *e;
	int threads = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)mnt.daemon);
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		threads += e->d_name[0] != '.';
	closedir(d);
	ck_assert_int_eq(threads, 2 + workers);
}

/* By default one worker per CPU the daemon may use, at most 8. */
START_TEST(test_workers_default)
{
	cpu_set_t set;
	int cpus;

	ck_assert_int_eq(sched_getaffinity(mnt.daemon, sizeof(set), &set), 0);
	cpus = CPU_COUNT(&set);
	expect_workers(cpus < 2 ? 1 : cpus > 8 ? 8 : cpus);
}
END_TEST

START_TEST(test_workers_max_threads)
{
	expect_workers(1);
}
END_TEST

/* ---- capacity: size=1m,nr_objects=8 ---- */

/*
 * Removes what an earlier failed test may have left, then waits until the
 * mount is empty (releases are asynchronous).
 */
static void wait_empty(void)
{
	DIR *d = opendir(mnt.mnt);
	struct dirent *de;
	struct statvfs sv;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(mfd, de->d_name, 0);
	closedir(d);
	for (int i = 0; i < 1000; i++) {
		sv = fs_stat();
		if (sv.f_ffree == sv.f_files && sv.f_bfree == sv.f_blocks)
			return;
		pause_ms(1);
	}
	sv = fs_stat();
	ck_abort_msg("not empty: %lu/%lu objects, %lu/%lu blocks free",
		     (unsigned long)sv.f_ffree, (unsigned long)sv.f_files,
		     (unsigned long)sv.f_bfree, (unsigned long)sv.f_blocks);
}

/*
 * With passthrough a write past the end through a passthrough descriptor
 * would grow the memfd unseen: writable descriptors must keep writes in
 * the daemon.  Far past the end, while the object is mapped (the mapping
 * is the memfd's own with passthrough): ENOSPC, and nothing changes.
 */
START_TEST(test_write_past_end_bypass)
{
	struct statvfs before;
	char *p;
	int fd;

	wait_empty();
	fd = obj_create("bypass", 2 * PS);
	before = fs_stat();
	p = mmap(NULL, 2 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	p[PS] = 'm';
	ck_assert_int_eq(pwrite(fd, "x", 1, 100 * MIB), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(fd_size(fd), 2 * PS);
	ck_assert_uint_eq(fs_stat().f_bfree, before.f_bfree);
	/* Within the size, the write and the mapping see each other. */
	ck_assert_int_eq(pwrite(fd, "w", 1, 0), 1);
	ck_assert_int_eq(p[0], 'w');
	expect_bytes(fd, PS, 1, 'm');
	munmap(p, 2 * PS);
	close(fd);
	obj_unlink("bypass");
}
END_TEST

START_TEST(test_capacity_space)
{
	struct statvfs sv;
	int a, b;
	char buf[PS], big[2 * PS];

	wait_empty();
	sv = fs_stat();
	ck_assert_uint_eq((uint64_t)sv.f_blocks * sv.f_frsize, MIB);
	ck_assert_uint_eq(sv.f_bfree, sv.f_blocks);
	ck_assert_uint_eq(sv.f_bavail, sv.f_blocks);
	ck_assert_uint_eq(sv.f_namemax, 255);

	/* growing up to exactly the limit works */
	a = obj_create("big", MIB);
	sv = fs_stat();
	ck_assert_uint_eq(sv.f_bfree, 0);
	memset(buf, 'a', sizeof(buf));
	pwrite_all(a, buf, sizeof(buf), 0);
	pwrite_all(a, buf, sizeof(buf), MIB - PS);

	/* one page more fails, whichever way, and changes nothing */
	ck_assert_int_eq(ftruncate(a, MIB + PS), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(ftruncate(a, MIB + 1), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(fallocate(a, 0, MIB - PS, 2 * PS), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(posix_fallocate(a, 0, 2 * MIB), ENOSPC);
	ck_assert_int_eq(pwrite(a, buf, 10, MIB), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(fd_size(a), MIB);
	b = obj_create("small", 0);
	ck_assert_int_eq(ftruncate(b, PS), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(fallocate(b, 0, 0, PS), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(write(b, "x", 1), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(fd_size(b), 0);
	ck_assert_int_eq(fd_stat(b).st_blocks, 0);
	drop_cache(a);
	expect_bytes(a, 0, PS, 'a');
	expect_bytes(a, PS, MIB - 2 * PS, 0);
	expect_bytes(a, MIB - PS, PS, 'a');
	ck_assert_uint_eq(fs_stat().f_bfree, 0);

	/* shrinking gives the space back at once */
	ck_assert_int_eq(ftruncate(a, MIB - 2 * PS), 0);
	ck_assert_uint_eq(fs_stat().f_bfree, 2);
	ck_assert_int_eq(ftruncate(b, 2 * PS), 0);
	ck_assert_int_eq(ftruncate(b, 3 * PS), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(fd_size(b), 2 * PS);
	/* a growing write within the limit, then one beyond it */
	ck_assert_int_eq(ftruncate(b, PS), 0);
	ck_assert_int_eq(pwrite(b, buf, PS, PS), PS);
	ck_assert_int_eq(fd_size(b), 2 * PS);
	ck_assert_int_eq(pwrite(b, buf, 1, 2 * PS), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(fd_size(b), 2 * PS);
	/*
	 * A write crossing the limit fails as a whole.  Page-aligned, so the
	 * kernel sends it in one WRITE: it splits a write after a partial page
	 * it has not cached, and each piece is then a write of its own.
	 */
	ck_assert_int_eq(ftruncate(b, PS), 0);
	ck_assert_int_eq(fs_stat().f_bfree, 1);
	memset(big, 'b', sizeof(big));
	ck_assert_int_eq(pwrite(b, big, 2 * PS, PS), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(fd_size(b), PS);
	ck_assert_int_eq(fd_stat(b).st_blocks, 0);
	ck_assert_int_eq(pwrite(b, big, PS, PS), PS);
	ck_assert_int_eq(fd_size(b), 2 * PS);

	/* a punched hole is not a refund: the size stays promised */
	ck_assert_int_eq(
		fallocate(a, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PS),
		0);
	ck_assert_int_eq(ftruncate(b, 3 * PS), -1);
	ck_assert_int_eq(errno, ENOSPC);

	/* unlink+close frees the rest */
	obj_unlink("big");
	ck_assert_int_eq(ftruncate(b, 3 * PS), -1); /* still open */
	ck_assert_int_eq(errno, ENOSPC);
	close(a);
	ck_assert_msg(RETRY_OK(ftruncate(b, MIB)) == 0,
		      "ftruncate after freeing: %s", strerror(errno));
	ck_assert_int_eq(fd_size(b), MIB);
	close(b);
	obj_unlink("small");
	wait_empty();
}
END_TEST

START_TEST(test_capacity_objects)
{
	int fds[8], fd;
	char name[16];
	struct statvfs sv;
	struct stat st;

	wait_empty();
	sv = fs_stat();
	ck_assert_uint_eq(sv.f_files, 8);
	ck_assert_uint_eq(sv.f_ffree, 8);
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		fds[i] = obj_create(name, 0);
		sv = fs_stat();
		ck_assert_uint_eq(sv.f_files, 8);
		ck_assert_uint_eq(sv.f_ffree, (unsigned long)(7 - i));
		ck_assert_uint_eq(sv.f_favail, (unsigned long)(7 - i));
	}
	/* the ninth: ENOSPC, and no name */
	ck_assert_int_eq(openat(mfd, "o8", O_RDWR | O_CREAT, 0600), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(name_stat("o8", &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* nor an anonymous one */
	ck_assert_int_eq(openat(mfd, SHMFS_MEMFD_PREFIX ".x", O_RDWR | O_CREAT,
				0600),
			 -1);
	ck_assert_int_eq(errno, ENOSPC);
	/* renaming makes no new object */
	ck_assert_int_eq(renameat(mfd, "o0", mfd, "o0b"), 0);

	/* an unlinked object keeps its slot while open; closed, it frees it */
	obj_unlink("o0b");
	ck_assert_uint_eq(fs_stat().f_ffree, 0);
	ck_assert_int_eq(openat(mfd, "o8", O_RDWR | O_CREAT, 0600), -1);
	ck_assert_int_eq(errno, ENOSPC);
	close(fds[0]);
	ck_assert_msg(
		RETRY_OK((fd = openat(mfd, "o8", O_RDWR | O_CREAT, 0600)) < 0 ?
				 -1 :
				 0) == 0,
		"create after freeing a slot: %s", strerror(errno));
	ck_assert_uint_eq(fs_stat().f_ffree, 0);
	close(fd);
	obj_unlink("o8");
	for (int i = 1; i < 8; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		close(fds[i]);
		obj_unlink(name);
	}
	wait_empty();
}
END_TEST

START_TEST(test_capacity_mapping_keeps)
{
	struct statvfs sv;
	unsigned char *p;
	pid_t pid;
	int fd, status;

	wait_empty();
	fd = obj_create("mapped", 4 * PS);
	p = mmap(NULL, 4 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	obj_unlink("mapped");

	/* no name, no descriptor: the mapping alone keeps the object */
	pause_ms(50);
	sv = fs_stat();
	ck_assert_uint_eq(sv.f_ffree, 7);
	ck_assert_uint_eq(sv.f_bfree, sv.f_blocks - 4);
	memset(p, 'm', 4 * PS);
	ck_assert_int_eq(msync(p, 4 * PS, MS_SYNC), 0);

	/* a child inherits the mapping and sees the data; it outlives our unmap */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pause_ms(200);
		for (long i = 0; i < 4 * PS; i++)
			if (p[i] != 'm')
				_exit(1);
		p[0] = 'c';
		_exit(msync(p, PS, MS_SYNC) == 0 ? 0 : 2);
	}
	ck_assert_int_eq(munmap(p, 4 * PS), 0);
	pause_ms(50);
	ck_assert_uint_eq(fs_stat().f_ffree, 7);
	status = wait_child(pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the child's mapping failed: status 0x%x", status);
	/* the last mapping gone, so is the object */
	wait_empty();
}
END_TEST

/* ---- memory ---- */

START_TEST(test_memory_sparse)
{
	long base, rss;
	unsigned char buf[PS], *p;
	int fd;

	base = harness_rss_kib(mnt.daemon);
	ck_assert_int_gt(base, 0);
	fd = obj_create("tera", 1L << 40);
	ck_assert_int_eq(fd_size(fd), 1L << 40);
	for (off_t off = 0; off < (1L << 40);
	     off += (1L << 40) / 8 + 12345 * PS) {
		pread_all(fd, buf, sizeof(buf), off);
		for (size_t i = 0; i < sizeof(buf); i++)
			ck_assert_int_eq(buf[i], 0);
	}
	pread_all(fd, buf, sizeof(buf), (1L << 40) - PS);
	p = mmap(NULL, 64 * MIB, PROT_READ, MAP_SHARED, fd,
		 (1L << 40) - 64 * MIB);
	ck_assert_ptr_ne(p, MAP_FAILED);
	for (long off = 0; off < 64 * MIB; off += 4 * MIB)
		ck_assert_int_eq(p[off], 0);
	munmap(p, 64 * MIB);
	/*
	 * Reads allocate nothing, but a read fault in a shared mapping does,
	 * as on tmpfs, where the mapping is the memfd's (passthrough): at most
	 * the 16 pages touched.
	 */
	if (mount_passthrough())
		ck_assert_int_le(fd_stat(fd).st_blocks, 16 * PS / 512);
	else
		ck_assert_int_eq(fd_stat(fd).st_blocks, 0);
	rss = harness_rss_kib(mnt.daemon);
	fprintf(stderr,
		"memory: daemon RSS %ld KiB, %ld KiB after a 1 TiB object\n",
		base, rss);
	ck_assert_msg(rss - base < 8 * KIB,
		      "daemon RSS grew by %ld KiB for a sparse object",
		      rss - base);
	close(fd);
	obj_unlink("tera");
}
END_TEST

#define FILL_OBJECTS 4

/* The daemon's memfds: one per object that has had a size. */
static int daemon_memfds(pid_t pid)
{
	char dir[64], path[PATH_MAX + 64], link[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		ssize_t len;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len > 0) {
			link[len] = '\0';
			n += strncmp(link, "/memfd:shmfs", 12) == 0;
		}
	}
	closedir(d);
	return n;
}

/* The machine's shmem (memfds, tmpfs) in KiB, from /proc/meminfo. */
static long shmem_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Shmem: %ld kB", &kib) == 1)
			break;
	fclose(f);
	ck_assert_int_ge(kib, 0);
	return kib;
}

/*
 * The bytes live in the objects' memfds, the kernel's shmem: the daemon's
 * own memory stays flat, and closing the last holder of each object closes
 * its memfd, which frees the pages.
 */
START_TEST(test_memory_fill)
{
	const size_t chunk = MIB;
	const off_t each = GIB / FILL_OBJECTS;
	long base, full, shmem_base, shmem_full;
	int memfds_base, memfds = 0;
	unsigned char *buf = malloc(chunk);
	int fds[FILL_OBJECTS];
	char name[16];

	ck_assert_ptr_nonnull(buf);
	memset(buf, 0xc3, chunk);
	base = harness_rss_kib(mnt.daemon);
	memfds_base = daemon_memfds(mnt.daemon);
	shmem_base = shmem_kib();
	for (int i = 0; i < FILL_OBJECTS; i++) {
		snprintf(name, sizeof(name), "fill%d", i);
		fds[i] = obj_create(name, 0);
		for (off_t off = 0; off < each; off += (off_t)chunk)
			ck_assert_int_eq(write(fds[i], buf, chunk),
					 (ssize_t)chunk);
		ck_assert_int_eq(fd_stat(fds[i]).st_blocks, each / 512);
	}
	full = harness_rss_kib(mnt.daemon);
	shmem_full = shmem_kib();
	fprintf(stderr,
		"memory: daemon RSS %ld KiB, %ld KiB holding 1 GiB; "
		"shmem +%ld KiB\n",
		base, full, shmem_full - shmem_base);
	ck_assert_int_eq(daemon_memfds(mnt.daemon), memfds_base + FILL_OBJECTS);
	ck_assert_msg(full - base <= 32 * 1024,
		      "daemon RSS grew by %ld KiB holding 1 GiB in memfds",
		      full - base);
	/* Other tests may add shmem meanwhile, never take ours away. */
	ck_assert_msg(shmem_full - shmem_base >= 1024 * 1024 - 64 * 1024,
		      "shmem grew by only %ld KiB holding 1 GiB",
		      shmem_full - shmem_base);

	for (int i = 0; i < FILL_OBJECTS; i++) {
		snprintf(name, sizeof(name), "fill%d", i);
		obj_unlink(name);
		close(fds[i]);
	}
	/* releases are asynchronous: give them a few seconds */
	for (int i = 0; i < 500; i++) {
		memfds = daemon_memfds(mnt.daemon);
		if (memfds == memfds_base)
			break;
		pause_ms(10);
	}
	ck_assert_int_eq(memfds, memfds_base);
	free(buf);
}
END_TEST

/* ---- the daemon's command line ---- */

/*
 * Runs the daemon with args on a fresh directory, collecting its output;
 * returns its wait status.  A daemon that mounts anyway is unmounted and
 * killed after a few seconds, and the test fails.
 */
static int run_daemon(const char *const *args, char *out, size_t outsz)
{
	const char *bin = getenv("SHMFS_BIN");
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX];
	char *argv[16];
	int pipefd[2], status, n = 0;
	size_t len = 0;
	double deadline;
	struct statfs sf;
	pid_t pid, w = 0;

	ck_assert_ptr_nonnull(bin);
	snprintf(dir, sizeof(dir), "%s/shmfs-opt.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	argv[n++] = (char *)bin;
	for (; *args; args++)
		argv[n++] = strcmp(*args, "MNT") == 0 ? dir : (char *)*args;
	argv[n] = NULL;
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execv(bin, argv);
		_exit(127);
	}
	close(pipefd[1]);
	deadline = now_s() + 10;
	for (;;) {
		struct pollfd pfd = { pipefd[0], POLLIN, 0 };
		ssize_t r;

		if (poll(&pfd, 1, 100) > 0) {
			r = read(pipefd[0], out + len, outsz - 1 - len);
			if (r <= 0)
				break;
			len += (size_t)r;
			if (len == outsz - 1)
				break;
		}
		if (now_s() > deadline)
			break;
	}
	out[len] = '\0';
	close(pipefd[0]);
	for (int i = 0; i < 300 && (w = waitpid(pid, &status, WNOHANG)) == 0;
	     i++)
		pause_ms(10);
	if (w != pid) {
		if (statfs(dir, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC)
			umount2(dir, MNT_DETACH);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		rmdir(dir);
		ck_abort_msg("%s still running after 3 s; output: %s", bin,
			     out);
	}
	ck_assert_msg(!(statfs(dir, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC),
		      "%s left a mount", bin);
	rmdir(dir);
	return status;
}

/*
 * A daemon that mounted by mistake must not leak the mount out of this
 * test: as root, run these tests in a private mount namespace.
 */
static void private_namespace(void)
{
	if (geteuid() == 0) {
		ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
		ck_assert_int_eq(
			mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	}
}

START_TEST(test_option_errors)
{
	static const struct {
		const char *opt, *named;
	} bad[] = {
		{ "bogus_option=1", "bogus_option" },
		{ "size=12q", "size" },
		{ "size=", "size" },
		{ "size=0", "size" },
		{ "size=99999t", "size" },
		{ "nr_objects=abc", "nr_objects" },
		{ "mode=999", "mode" },
		{ "uid=x", "uid" },
	};
	char out[8192];

	private_namespace();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int status = run_daemon(
			(const char *[]){ "-f", "-o", bad[i].opt, "MNT", NULL },
			out, sizeof(out));

		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0,
			      "-o %s: status 0x%x, want a non-zero exit",
			      bad[i].opt, status);
		ck_assert_msg(strstr(out, bad[i].named) != NULL,
			      "-o %s: the message does not name %s: \"%s\"",
			      bad[i].opt, bad[i].named, out);
	}
}
END_TEST

START_TEST(test_option_info)
{
	char out[16384];
	int status;

	private_namespace();
	status = run_daemon((const char *[]){ "-V", NULL }, out, sizeof(out));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "-V: status 0x%x: %s", status, out);
	ck_assert_msg(strstr(out, PACKAGE_VERSION) != NULL,
		      "-V does not print %s: \"%s\"", PACKAGE_VERSION, out);

	status = run_daemon((const char *[]){ "-h", NULL }, out, sizeof(out));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "-h: status 0x%x: %s", status, out);
	for (const char **o = (const char *[]){ "size=", "nr_objects=", "mode=",
						"uid=", "gid=", NULL };
	     *o; o++)
		ck_assert_msg(strstr(out, *o) != NULL,
			      "-h does not mention %s: \"%s\"", *o, out);

	/* no mountpoint: an error, not a hang */
	status = run_daemon((const char *[]){ "-f", NULL }, out, sizeof(out));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0,
		      "no mountpoint: status 0x%x", status);
}
END_TEST

/*
 * The daemon says which data path it got, and it is the one in effect:
 * with passthrough a mapping maps the object's memfd (its pages count as
 * the process's shmem, as on tmpfs); without, the FUSE file's page cache.
 */
START_TEST(test_data_path)
{
	const size_t len = 4 * MIB;
	bool pt = mount_passthrough();
	long before, after;
	char *p;
	int fd;

	ck_assert_int_eq(pt, passthrough_expected());
	fd = obj_create("datapath", (off_t)len);
	before = rss_shmem_kib();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 0x5a, len);
	after = rss_shmem_kib();
	if (pt)
		ck_assert_int_ge(after - before, (long)(len / 1024));
	else
		ck_assert_int_lt(after - before, (long)(len / 1024 / 2));
	munmap(p, len);
	close(fd);
	obj_unlink("datapath");
}
END_TEST

/* passthrough=off always serves data by the daemon; =on gets passthrough or refuses to run. */
START_TEST(test_passthrough_option)
{
	struct shmfs_mount other = { 0 };
	char out[8192];
	int fd, status;

	harness_mount(&other, "passthrough=off");
	fd = open(other.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert(!fd_passthrough(fd));
	close(fd);
	harness_umount(&other);

	if (passthrough_expected()) {
		harness_mount(&other, "passthrough=on");
		fd = open(other.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		ck_assert(fd_passthrough(fd));
		close(fd);
		harness_umount(&other);
		return;
	}
	private_namespace();
	status = run_daemon((const char *[]){ "-f", "-o", "passthrough=on", "MNT", NULL }, out,
			    sizeof(out));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0,
		      "passthrough=on where it cannot be had: status 0x%x", status);
	ck_assert_msg(strstr(out, "passthrough=on, but") != NULL,
		      "passthrough=on: no reason given: \"%s\"", out);
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc;

	tc = tcase_create("data");
	tcase_add_unchecked_fixture(tc, setup_data, teardown);
	tcase_add_test(tc, test_workers_default);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_mmap_shared);
	tcase_add_test(tc, test_mmap_private);
	tcase_add_test(tc, test_keep_cache);
	tcase_add_test(tc, test_sigbus);
	tcase_add_test(tc, test_unlink_open);
	tcase_add_test(tc, test_rename_over_open);
	tcase_add_test(tc, test_rename_flags);
	tcase_add_test(tc, test_exchange_observer);
	tcase_add_test(tc, test_timestamps);
	tcase_add_test(tc, test_fstat);
	tcase_add_test(tc, test_fallocate);
	tcase_add_test(tc, test_seek_data_hole);
	tcase_add_test(tc, test_seek_mapped);
	tcase_add_test(tc, test_only_regular_files);
	tcase_add_test(tc, test_file_names);
	tcase_add_test(tc, test_nogrow);
	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_anonymous_create);
	tcase_add_test(tc, test_readdir);
	tcase_add_test(tc, test_open_trunc);
	tcase_add_test(tc, test_namespace_stress);
	tcase_add_test(tc, test_data_path);
	tcase_add_test(tc, test_link);
	tcase_add_test(tc, test_link_lifetime);
	tcase_add_test(tc, test_link_anonymous);
	tcase_add_test(tc, test_link_permission);
	suite_add_tcase(s, tc);

	tc = tcase_create("capacity");
	tcase_add_unchecked_fixture(tc, setup_capacity, teardown);
	tcase_add_test(tc, test_workers_max_threads);
	tcase_add_test(tc, test_capacity_space);
	tcase_add_test(tc, test_write_past_end_bypass);
	tcase_add_test(tc, test_capacity_objects);
	tcase_add_test(tc, test_capacity_mapping_keeps);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_add_unchecked_fixture(tc, setup_memory, teardown);
	tcase_add_test(tc, test_memory_sparse);
	tcase_add_test(tc, test_memory_fill);
	suite_add_tcase(s, tc);

	tc = tcase_create("listing");
	tcase_add_unchecked_fixture(tc, setup_listing, teardown);
	tcase_add_test(tc, test_readdir_memory);
	tcase_add_test(tc, test_readdir_concurrent);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_test(tc, test_option_errors);
	tcase_add_test(tc, test_option_info);
	tcase_add_test(tc, test_passthrough_option);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	harness_require(HARNESS_FUSE);
	return harness_run_suite(daemon_suite, "120");
}
