/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_faults.c: reliability under faults and races, on real mounts:
 * clients killed with SIGKILL at random points, a full mount, a killed
 * daemon, unmounting with objects open or mapped, and many processes racing
 * create, open, rename, exchange and unlink over shared names while
 * observers check the namespace's invariants.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "shmfs.h"

#define PS 4096L
#define MIB (1024L * 1024)
#define FUSE_SUPER_MAGIC 0x65735546

static struct shmfs_mount mnt;
static int mfd = -1;

static void mount_with(const char *opts)
{
	harness_mount(&mnt, opts);
	mfd = open(mnt.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(mfd, 0);
}

static void umount_all(void)
{
	if (mfd >= 0)
		close(mfd);
	mfd = -1;
	harness_umount(&mnt);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static struct statvfs fs_stat(void)
{
	struct statvfs sv;

	ck_assert_int_eq(statvfs(mnt.mnt, &sv), 0);
	return sv;
}

static long objects_held(void)
{
	struct statvfs sv = fs_stat();

	return (long)(sv.f_files - sv.f_ffree);
}

/* Waits (boundedly) for the kernel's asynchronous forgets to reach want. */
static long settle_objects(long want)
{
	long have = objects_held();

	for (int i = 0; i < 5000 && have != want; i++) {
		pause_ms(1);
		have = objects_held();
	}
	return have;
}

static int count_names(void)
{
	DIR *d = opendir(mnt.mnt);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A byte of object "seed"'s pattern at offset off. */
static uint8_t pattern(unsigned seed, uint64_t off)
{
	return (uint8_t)((off * 2654435761u + seed * 40503u) >> 7);
}

/* ---- SIGKILL of clients ---- */

/*
 * A client doing everything at once: creating, growing, writing, mapping
 * and dirtying pages, renaming, unlinking, keeping some objects open.
 */
static void busy_client(unsigned seed)
{
	char name[32], name2[32];
	void *maps[8] = { 0 };

	srandom(seed);
	for (unsigned i = 0;; i++) {
		int fd;
		off_t size = (off_t)(random() % 64) * PS + random() % PS;
		char *p;

		snprintf(name, sizeof(name), "k%ld", random() % 12);
		snprintf(name2, sizeof(name2), "k%ld", random() % 12);
		fd = openat(mfd, name, O_RDWR | O_CREAT, 0600);
		if (fd < 0)
			continue;
		if (ftruncate(fd, size) == 0 && size > 0) {
			p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
			if (p != MAP_FAILED) {
				memset(p, (int)i, (size_t)size);
				if (maps[i % 8])
					munmap(maps[i % 8], PS);
				maps[i % 8] =
					p; /* keep the first page mapped */
				if (size > PS)
					munmap(p + PS, (size_t)size - PS);
			}
		}
		pwrite(fd, name, sizeof(name), random() % (size + 1));
		switch (random() % 4) {
		case 0:
			unlinkat(mfd, name, 0);
			break;
		case 1:
			renameat2(mfd, name, mfd, name2, RENAME_EXCHANGE);
			break;
		case 2:
			renameat(mfd, name, mfd, name2);
			break;
		}
		if (i % 3)
			close(fd); /* else leave it for the kill to close */
	}
}

/*
 * Clients killed at random instants leave nothing behind: once their
 * names are unlinked, the object count and the promised memory are back at
 * their baseline, and the daemon's memory is close to it.
 */
START_TEST(test_sigkill_clients)
{
	struct statvfs base;
	long rss_base, rss;
	unsigned kills = 0;

	harness_measure_memory(); /* the daemon's RSS is compared below */
	mount_with("size=256m");
	base = fs_stat();
	rss_base = harness_rss_kib(mnt.daemon);
	srandom(777);
	for (int round = 0; round < 40; round++) {
		pid_t pid[3];

		for (int c = 0; c < 3; c++) {
			pid[c] = fork();
			ck_assert_int_ge(pid[c], 0);
			if (pid[c] == 0)
				busy_client((unsigned)(round * 3 + c + 1));
		}
		pause_ms(1 + random() % 30);
		for (int c = 0; c < 3; c++) {
			int status;

			kill(pid[c], SIGKILL);
			ck_assert_int_eq(waitpid(pid[c], &status, 0), pid[c]);
			/*
			 * Another client's shrink may have hit this one's
			 * mapping with SIGBUS first: a fault too, not counted.
			 */
			ck_assert_msg(WIFSIGNALED(status) &&
					      (WTERMSIG(status) == SIGKILL ||
					       WTERMSIG(status) == SIGBUS),
				      "client ended with status 0x%x", status);
			kills += WTERMSIG(status) == SIGKILL;
		}
		ck_assert_int_eq(kill(mnt.daemon, 0), 0);
	}
	/* What is named must be whole; then unlink it all. */
	for (int i = 0; i < 12; i++) {
		char name[32];
		struct stat st;
		int fd;

		snprintf(name, sizeof(name), "k%d", i);
		fd = openat(mfd, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ck_assert_int_eq(errno, ENOENT);
			continue;
		}
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_int_lt(st.st_size, 64 * PS + PS);
		close(fd);
		ck_assert_int_eq(unlinkat(mfd, name, 0), 0);
	}
	ck_assert_int_eq(count_names(), 0);
	ck_assert_int_eq(settle_objects((long)(base.f_files - base.f_ffree)),
			 (long)(base.f_files - base.f_ffree));
	ck_assert_uint_eq(fs_stat().f_bfree, base.f_bfree);
	rss = harness_rss_kib(mnt.daemon);
	/* Mostly libc's and the sanitizer's own arenas; the data is gone. */
	ck_assert_msg(rss - rss_base < 16 * 1024,
		      "daemon RSS %ld KiB, %ld KiB before", rss, rss_base);
	printf("check_faults: %u clients killed with SIGKILL, nothing left\n",
	       kills);
	umount_all();
}
END_TEST

/* ---- A full mount ---- */

#define FILL_PROCS 4

/*
 * Several processes fill a 4 MiB mount at once.  Each gets ENOSPC in the
 * end, and everything acknowledged reads back: sizes and every byte.
 */
START_TEST(test_enospc_keeps_acknowledged)
{
	int pipes[FILL_PROCS][2];
	pid_t pid[FILL_PROCS];
	uint64_t acked[FILL_PROCS], total = 0;
	char name[32];
	uint8_t buf[20000];
	int fd;

	mount_with("size=4m");
	for (int c = 0; c < FILL_PROCS; c++) {
		ck_assert_int_eq(pipe(pipes[c]), 0);
		pid[c] = fork();
		ck_assert_int_ge(pid[c], 0);
		if (pid[c] == 0) {
			uint64_t off = 0;
			int err = 0;

			snprintf(name, sizeof(name), "full%d", c);
			fd = openat(mfd, name, O_RDWR | O_CREAT | O_EXCL, 0600);
			if (fd < 0)
				_exit(2);
			for (;;) {
				size_t len = 1000 + (size_t)(off * 7 % 19000);
				ssize_t n;

				for (size_t i = 0; i < len; i++)
					buf[i] = pattern((unsigned)c, off + i);
				n = pwrite(fd, buf, len, (off_t)off);
				if (n < 0) {
					err = errno;
					break;
				}
				off += (uint64_t)n;
			}
			if (write(pipes[c][1], &off, sizeof(off)) !=
			    sizeof(off))
				_exit(3);
			_exit(err == ENOSPC ? 0 : 4);
		}
		close(pipes[c][1]);
	}
	for (int c = 0; c < FILL_PROCS; c++) {
		int status;

		ck_assert_int_eq(waitpid(pid[c], &status, 0), pid[c]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "filler %d: status 0x%x (4: an error other than "
			      "ENOSPC)",
			      c, status);
		ck_assert_int_eq(read(pipes[c][0], &acked[c], sizeof(acked[c])),
				 sizeof(acked[c]));
		close(pipes[c][0]);
		total += acked[c];
	}
	ck_assert_uint_le(total, 4 * MIB);
	ck_assert_uint_gt(total,
			  4 * MIB - FILL_PROCS * 20000 - FILL_PROCS * PS);
	/* Growth fails as a whole and changes nothing. */
	fd = openat(mfd, "full0", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(8 * MIB)), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(posix_fallocate(fd, 0, (off_t)(8 * MIB)), ENOSPC);
	close(fd);
	for (int c = 0; c < FILL_PROCS; c++) {
		struct stat st;
		uint64_t off = 0;

		snprintf(name, sizeof(name), "full%d", c);
		fd = openat(mfd, name, O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_uint_eq((uint64_t)st.st_size, acked[c]);
		while (off < acked[c]) {
			ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);

			ck_assert_int_gt(n, 0);
			for (ssize_t i = 0; i < n; i++)
				ck_assert_msg(
					buf[i] == pattern((unsigned)c,
							  off + (uint64_t)i),
					"full%d: byte %lu lost", c,
					(unsigned long)(off + (uint64_t)i));
			off += (uint64_t)n;
		}
		close(fd);
	}
	/* Freeing one object makes room again. */
	ck_assert_int_eq(unlinkat(mfd, "full0", 0), 0);
	fd = openat(mfd, "again", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, 4096, 0), 4096);
	close(fd);
	umount_all();
}
END_TEST

/* ---- Killing the daemon ---- */

static int wait_mounted(const char *dir, int want)
{
	struct statfs sf;

	for (int i = 0; i < 3000; i++) {
		int is = statfs(dir, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC;

		if (is == want)
			return 0;
		pause_ms(10);
	}
	return -1;
}

/*
 * A killed daemon: every call needing it, system call or shim call, fails
 * with ENOTCONN, nothing hangs, the mount can be unmounted and a new daemon mounted on the same
 * directory works.
 */
START_TEST(test_daemon_killed)
{
	char path[PATH_MAX];
	struct stat st;
	struct statfs sf;
	int fd, status;
	pid_t pid;

	mount_with("size=64m");
	setenv("SHMFS_MOUNT", mnt.mnt, 1);
	fd = openat(mfd, "before", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 16 * PS), 0);
	ck_assert_int_eq(kill(mnt.daemon, SIGKILL), 0);
	ck_assert_int_eq(waitpid(mnt.daemon, &status, 0), mnt.daemon);
	ck_assert(WIFSIGNALED(status));
	mnt.daemon = 0; /* deliberately killed: not a failure of the daemon */

	ck_assert_int_eq(statfs(mnt.mnt, &sf), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(fstatat(mfd, "other", &st, 0), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(openat(mfd, "new", O_RDWR | O_CREAT | O_CLOEXEC, 0600),
			 -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(unlinkat(mfd, "before", 0), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(renameat(mfd, "before", mfd, "after"), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(ftruncate(fd, PS), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(pwrite(fd, "x", 1, 20 * PS), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	/* The shim too (linked): named, anonymous and memfd objects. */
	ck_assert_int_eq(shm_open("/new", O_RDWR | O_CREAT, 0600), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(shm_open("/before", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(shm_unlink("/before"), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(shm_rename("/before", "/after", 0), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(shm_open(SHM_ANON, O_RDWR, 0600), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(memfd_create("gone", 0), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	close(fd);
	close(mfd);
	mfd = -1;

	/* Unmount, then a new daemon on the same mountpoint. */
	ck_assert_msg(umount2(mnt.mnt, 0) == 0, "umount: %s", strerror(errno));
	ck_assert_int_eq(wait_mounted(mnt.mnt, 0), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(getenv("SHMFS_BIN"), "shmfs", "-f", "-o",
		      "allow_other,size=64m", mnt.mnt, (char *)NULL);
		_exit(127);
	}
	mnt.daemon = pid;
	ck_assert_int_eq(wait_mounted(mnt.mnt, 1), 0);
	fd = open(harness_path(&mnt, "again", path, sizeof(path)),
		  O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "hello", 5, 0), 5);
	close(fd);
	ck_assert_int_eq(stat(harness_path(&mnt, "before", path, sizeof(path)),
			      &st),
			 -1);
	ck_assert_int_eq(errno, ENOENT);
	harness_umount(&mnt); /* the new daemon must exit 0 */
}
END_TEST

/* ---- Unmounting with objects open or mapped ---- */

/*
 * A plain unmount refuses while objects are open (EBUSY) and loses
 * nothing; a lazy one detaches at once, the open and mapped objects stay
 * fully usable, and the daemon exits cleanly (freeing everything: the
 * sanitizer build checks leaks at its exit) when the last one goes.
 */
START_TEST(test_umount_open_mapped)
{
	int fd[3], status = 0;
	char *map[3];
	pid_t child, done = 0;
	int sync_pipe[2];

	mount_with("size=64m");
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "o%d", i);
		fd[i] = openat(mfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			       0600);
		ck_assert_int_ge(fd[i], 0);
		ck_assert_int_eq(ftruncate(fd[i], 8 * PS), 0);
		map[i] = mmap(NULL, 8 * PS, PROT_READ | PROT_WRITE, MAP_SHARED,
			      fd[i], 0);
		ck_assert_ptr_ne(map[i], MAP_FAILED);
		memset(map[i], 'a' + i, 8 * PS);
	}
	ck_assert_int_eq(unlinkat(mfd, "o2", 0), 0); /* open and unnamed */
	close(fd[1]);				     /* mapped only */
	fd[1] = -1;
	/* Another process holds a mapping too. */
	ck_assert_int_eq(pipe(sync_pipe), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char c;

		close(sync_pipe[1]);
		if (read(sync_pipe[0], &c, 1) != 1)
			_exit(2);
		/* After the detach: still the same shared pages. */
		_exit(map[0][5] == 'z' && map[1][PS] == 'b' ? 0 : 1);
	}
	close(sync_pipe[0]);

	ck_assert_int_eq(umount2(mnt.mnt, 0), -1);
	ck_assert_int_eq(errno, EBUSY);
	close(mfd);
	mfd = -1;
	ck_assert_int_eq(umount2(mnt.mnt, MNT_DETACH), 0);
	map[0][5] = 'z';
	ck_assert_int_eq(write(sync_pipe[1], "g", 1), 1);
	close(sync_pipe[1]);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child: 0x%x", status);
	{
		char buf[PS];

		ck_assert_int_eq(pread(fd[2], buf, PS, 3 * PS), PS);
		ck_assert_int_eq(buf[0], 'c');
		ck_assert_int_eq(pwrite(fd[2], "w", 1, 0), 1);
		ck_assert_int_eq(ftruncate(fd[0], 16 * PS), 0);
		ck_assert_int_eq(map[2][0], 'w');
	}
	ck_assert_int_eq(kill(mnt.daemon, 0), 0); /* still serving */
	for (int i = 0; i < 3; i++) {
		munmap(map[i], 8 * PS);
		if (fd[i] >= 0)
			close(fd[i]);
	}
	/* The last reference gone, the daemon exits by itself. */
	for (int i = 0;
	     i < 3000 && (done = waitpid(mnt.daemon, &status, WNOHANG)) == 0;
	     i++)
		pause_ms(10);
	ck_assert_int_eq(done, mnt.daemon);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "daemon: 0x%x", status);
	mnt.daemon = 0;
	harness_umount(&mnt);
}
END_TEST

/* ---- Races over shared names ---- */

#define PAIRS 3	     /* names only ever exchanged: never missing */
#define FREE_NAMES 6 /* names created, renamed, unlinked at will */
#define RACERS 4
#define OBSERVERS 2
#define RACE_ROUNDS 4000

static void pair_name(int pair, int side, char *buf, size_t size)
{
	snprintf(buf, size, "p%d%c", pair, side ? 'b' : 'a');
}

/* Each pair object holds its identity in its first bytes. */
static int read_id(const char *name)
{
	int fd = openat(mfd, name, O_RDONLY | O_CLOEXEC), id = -1;

	if (fd < 0)
		return -errno;
	if (pread(fd, &id, sizeof(id), 0) != sizeof(id))
		id = -1000;
	close(fd);
	return id;
}

static int racer(unsigned seed)
{
	char a[16], b[16];

	srandom(seed);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		int pair = (int)(random() % PAIRS), fd;

		switch (random() % 6) {
		case 0:
			pair_name(pair, 0, a, sizeof(a));
			pair_name(pair, 1, b, sizeof(b));
			if (renameat2(mfd, a, mfd, b, RENAME_EXCHANGE) != 0)
				return 10;
			break;
		case 1:
			snprintf(a, sizeof(a), "f%ld", random() % FREE_NAMES);
			fd = openat(mfd, a,
				    O_RDWR | O_CREAT |
					    (random() % 2 ? O_EXCL : 0),
				    0600);
			if (fd < 0 && errno != EEXIST)
				return 11;
			if (fd >= 0)
				close(fd);
			break;
		case 2:
			snprintf(a, sizeof(a), "f%ld", random() % FREE_NAMES);
			if (unlinkat(mfd, a, 0) != 0 && errno != ENOENT)
				return 12;
			break;
		case 3:
			snprintf(a, sizeof(a), "f%ld", random() % FREE_NAMES);
			snprintf(b, sizeof(b), "f%ld", random() % FREE_NAMES);
			if (renameat2(mfd, a, mfd, b,
				      (unsigned)(random() % 3)) != 0 &&
			    errno != ENOENT && errno != EEXIST)
				return 13;
			break;
		case 4:
			snprintf(a, sizeof(a), "f%ld", random() % FREE_NAMES);
			fd = openat(mfd, a, O_RDWR | O_CLOEXEC);
			if (fd < 0 && errno != ENOENT)
				return 14;
			if (fd >= 0)
				close(fd);
			break;
		default:
			/* Free names never touch pair names. */
			snprintf(a, sizeof(a), "f%ld", random() % FREE_NAMES);
			if (renameat2(mfd, a, mfd, a, RENAME_NOREPLACE) == 0)
				return 15; /* onto itself: EEXIST or ENOENT */
			break;
		}
	}
	return 0;
}

/* Pair names never vanish and always hold one of their pair's two objects. */
static int observer(int stop_fd)
{
	char name[16];
	char c;

	for (unsigned n = 0;; n++) {
		for (int pair = 0; pair < PAIRS; pair++) {
			for (int side = 0; side < 2; side++) {
				int id;

				pair_name(pair, side, name, sizeof(name));
				id = read_id(name);
				if (id != pair * 2 && id != pair * 2 + 1) {
					fprintf(stderr,
						"observer: %s holds %d\n", name,
						id);
					return 20;
				}
			}
		}
		if (n % 16 == 0 && read(stop_fd, &c, 1) == 0)
			return 0;
	}
}

START_TEST(test_race_namespace)
{
	pid_t racers[RACERS], observers[OBSERVERS];
	int stop[2], seen[PAIRS * 2] = { 0 }, names = 0;
	char name[16];

	mount_with("size=64m");
	for (int pair = 0; pair < PAIRS; pair++) {
		for (int side = 0; side < 2; side++) {
			int id = pair * 2 + side, fd;

			pair_name(pair, side, name, sizeof(name));
			fd = openat(mfd, name,
				    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
				    0600);
			ck_assert_int_ge(fd, 0);
			ck_assert_int_eq(pwrite(fd, &id, sizeof(id), 0),
					 sizeof(id));
			close(fd);
		}
	}
	ck_assert_int_eq(pipe(stop), 0);
	ck_assert_int_eq(fcntl(stop[0], F_SETFL, O_NONBLOCK), 0);
	for (int i = 0; i < OBSERVERS; i++) {
		observers[i] = fork();
		ck_assert_int_ge(observers[i], 0);
		if (observers[i] == 0) {
			close(stop[1]);
			_exit(observer(stop[0]));
		}
	}
	close(stop[0]);
	for (int i = 0; i < RACERS; i++) {
		racers[i] = fork();
		ck_assert_int_ge(racers[i], 0);
		if (racers[i] == 0)
			_exit(racer((unsigned)i * 31 + 5));
	}
	for (int i = 0; i < RACERS; i++) {
		int status;

		ck_assert_int_eq(waitpid(racers[i], &status, 0), racers[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "racer %d: status 0x%x", i, status);
	}
	close(stop[1]); /* observers see EOF and stop */
	for (int i = 0; i < OBSERVERS; i++) {
		int status;

		ck_assert_int_eq(waitpid(observers[i], &status, 0),
				 observers[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "observer %d: status 0x%x", i, status);
	}
	/* No pair object lost or duplicated. */
	for (int pair = 0; pair < PAIRS; pair++) {
		for (int side = 0; side < 2; side++) {
			int id;

			pair_name(pair, side, name, sizeof(name));
			id = read_id(name);
			ck_assert_int_ge(id, pair * 2);
			ck_assert_int_le(id, pair * 2 + 1);
			seen[id]++;
		}
	}
	for (int i = 0; i < PAIRS * 2; i++)
		ck_assert_int_eq(seen[i], 1);
	/* Distinct objects, and the daemon counts just these. */
	{
		ino_t inos[FREE_NAMES];
		int n = 0;

		for (int i = 0; i < FREE_NAMES; i++) {
			struct stat st;

			snprintf(name, sizeof(name), "f%d", i);
			if (fstatat(mfd, name, &st, 0) != 0) {
				ck_assert_int_eq(errno, ENOENT);
				continue;
			}
			for (int j = 0; j < n; j++)
				ck_assert_uint_ne(inos[j], st.st_ino);
			inos[n++] = st.st_ino;
		}
		names = n + PAIRS * 2;
	}
	ck_assert_int_eq(count_names(), names);
	ck_assert_int_eq(settle_objects(names), names);
	umount_all();
}
END_TEST

static Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");

	tcase_add_test(tc, test_sigkill_clients);
	tcase_add_test(tc, test_enospc_keeps_acknowledged);
	tcase_add_test(tc, test_daemon_killed);
	tcase_add_test(tc, test_umount_open_mapped);
	tcase_add_test(tc, test_race_namespace);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	harness_require(HARNESS_ROOT | HARNESS_FUSE); /* umount2() of the mount */
	return harness_run_suite(faults_suite, "300");
}
