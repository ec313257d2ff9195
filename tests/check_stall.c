/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_stall.c: F_SEAL_WRITE's /proc walk against a process whose
 * mappings cannot be read.  The victim, a child, maps two sealable memfds
 * read-only (so the walk must read its smaps) and gets its memory-map lock
 * stuck: one thread faults on a file of stallfs (which never answers a
 * READ) through /proc/self/mem, which holds the lock for reading, while a
 * second thread waits to take it for writing in mmap(), so every later
 * reader, smaps included, queues behind it.  Then F_ADD_SEALS must answer
 * EBUSY within the daemon's bound (2 s), two sealers must wait side by
 * side, 100 memfds created and closed meanwhile must be freed (the notify
 * thread is not behind the walk), and the daemon must exit on SIGTERM with
 * its walkers still stuck.  The shim is linked (libshmfs.la).
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "shmfs.h"
#include "stallfs.h"

static struct shmfs_mount mnt;
static struct stallfs stall;
static pid_t victim;

static void setup(void)
{
	char dir[PATH_MAX + 16];

	/* The /proc walk is the daemon-served data path's; passthrough asks the kernel. */
	harness_mount_shim(&mnt, "size=64m,passthrough=off");
	unsetenv("SHMFS_NATIVE_MEMFD");
	snprintf(dir, sizeof(dir), "%s/stall", mnt.dir);
	if (stallfs_mount(&stall, dir) != 0)
		ck_abort_msg("cannot mount stallfs");
}

static void teardown(void)
{
	stallfs_release(&stall); /* first: it lets the victim go */
	if (victim > 0) {
		kill(victim, SIGKILL);
		waitpid(victim, NULL, 0);
		victim = 0;
	}
	harness_umount(&mnt);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, ms % 1000 * 1000000L }, NULL);
}

/* ---- The victim ---- */

static const char *stall_map;

/* Holds the victim's mmap lock for reading, waiting on stallfs. */
static void *faulter(void *arg)
{
	int fd = open("/proc/self/mem", O_RDONLY);
	char c;

	(void)arg;
	if (fd >= 0)
		(void)!pread(fd, &c, 1, (off_t)(uintptr_t)stall_map);
	return NULL;
}

/* Queues for the lock for writing, so that new readers wait too. */
static void *mapper(void *arg)
{
	(void)arg;
	pause_ms(200);
	mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return NULL;
}

static void run_victim(const int *ro, int n)
{
	pthread_t t;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (int i = 0; i < n; i++)
		if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro[i], 0) ==
		    MAP_FAILED)
			_exit(1);
	fd = open(stall.file, O_RDONLY);
	if (fd < 0)
		_exit(2);
	stall_map = mmap(NULL, STALLFS_FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (stall_map == MAP_FAILED)
		_exit(3);
	pthread_create(&t, NULL, faulter, NULL);
	pthread_create(&t, NULL, mapper, NULL);
	for (;;)
		pause();
}

/* Threads of pid in state D (uninterruptible). */
static int threads_in_d(pid_t pid)
{
	char path[320], line[256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status",
			 (int)pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "State:", 6) == 0 &&
			    strstr(line, "D ("))
				n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* Starts the victim with read-only shared mappings of fds; waits until it is stuck. */
static void start_victim(const int *fds, int n)
{
	int ro[4];
	char path[64];

	ck_assert_int_le(n, 4);
	for (int i = 0; i < n; i++) {
		/* A read-only descriptor: its mapping can never be made writable. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
		ro[i] = (int)ck_ok(open(path, O_RDONLY | O_CLOEXEC));
	}
	victim = fork();
	ck_assert_int_ge(victim, 0);
	if (victim == 0)
		run_victim(ro, n);
	for (int i = 0; i < n; i++)
		close(ro[i]);
	for (int i = 0; i < 500 && threads_in_d(victim) < 2; i++)
		pause_ms(10);
	ck_assert_msg(threads_in_d(victim) >= 2, "the victim's threads did not "
						 "get stuck");
}

/* ---- The sealers ---- */

struct sealer {
	pthread_t thread;
	int fd, ret, err;
	double took;
	volatile bool done;
};

static void *seal_main(void *arg)
{
	struct sealer *s = arg;
	double t0 = now();

	errno = 0;
	s->ret = fcntl(s->fd, F_ADD_SEALS, F_SEAL_WRITE);
	s->err = errno;
	s->took = now() - t0;
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static unsigned long free_objects(void)
{
	struct statvfs sv;

	ck_assert_int_eq(statvfs(mnt.mnt, &sv), 0);
	return sv.f_ffree;
}

/* The daemon is a zombie (has exited, not yet reaped)? */
static bool daemon_exited(void)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool z = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)mnt.daemon);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		z = p[2] == 'Z';
	fclose(f);
	return z;
}

START_TEST(test_seal_walk_bounded)
{
	struct sealer s[2] = { { 0 } };
	int fds[2];
	unsigned long base;
	double t0, freed_at = -1, took;
	bool sealers_waiting = false;

	for (int i = 0; i < 2; i++) {
		fds[i] = (int)ck_ok(
			memfd_create("stall", MFD_ALLOW_SEALING | MFD_CLOEXEC));
		ck_ok(ftruncate(fds[i], 4096));
	}
	start_victim(fds, 2);
	/* The victim's mappings are read-only: without the stall both seals pass. */
	pause_ms(100);
	base = free_objects();

	t0 = now();
	for (int i = 0; i < 2; i++) {
		s[i].fd = fds[i];
		ck_assert_int_eq(pthread_create(&s[i].thread, NULL, seal_main,
						&s[i]),
				 0);
	}
	/* Meanwhile: 100 memfds made and closed must all be freed. */
	for (int i = 0; i < 100; i++)
		close((int)ck_ok(memfd_create("meanwhile", MFD_CLOEXEC)));
	while (now() - t0 < 1.5) {
		if (free_objects() == base) {
			freed_at = now() - t0;
			sealers_waiting =
				!__atomic_load_n(&s[0].done,
						 __ATOMIC_ACQUIRE) &&
				!__atomic_load_n(&s[1].done, __ATOMIC_ACQUIRE);
			break;
		}
		pause_ms(10);
	}
	ck_assert_msg(freed_at >= 0,
		      "100 closed memfds still counted: %lu free, want %lu",
		      free_objects(), base);
	ck_assert_msg(sealers_waiting, "the sealers were answered before the "
				       "memfds were freed");

	for (int i = 0; i < 2; i++) {
		pthread_join(s[i].thread, NULL);
		ck_assert_msg(s[i].ret == -1 && s[i].err == EBUSY,
			      "F_ADD_SEALS: returned %d, errno %s; want EBUSY",
			      s[i].ret, strerror(s[i].err));
		ck_assert_msg(s[i].took >= 1.9 && s[i].took < 4.0,
			      "answered after %.2f s", s[i].took);
	}
	took = now() - t0;
	ck_assert_msg(took < 3.5,
		      "two sealers took %.2f s: the walks were serialized",
		      took);
	ck_assert_int_eq(fcntl(fds[0], F_GET_SEALS), 0);
	printf("check_stall: EBUSY after %.2f s and %.2f s, %.2f s in all; 100 "
	       "memfds "
	       "freed after %.3f s\n",
	       s[0].took, s[1].took, took, freed_at);

	/* The walkers are still stuck: the daemon must exit anyway. */
	close(fds[0]);
	close(fds[1]);
	ck_assert_int_ge(threads_in_d(victim), 2);
	ck_assert_int_eq(kill(mnt.daemon, SIGTERM), 0);
	for (int i = 0; i < 1000 && !daemon_exited(); i++)
		pause_ms(10);
	ck_assert_msg(daemon_exited(), "the daemon did not exit within 10 s of "
				       "SIGTERM");
}
END_TEST

static Suite *stall_suite(void)
{
	Suite *s = suite_create("stall");
	TCase *tc = tcase_create("stall");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_seal_walk_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	harness_require(HARNESS_ROOT | HARNESS_FUSE); /* allow_other, a second FUSE mount */
	return harness_run_suite(stall_suite, "60");
}
