/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_errnos.c: errnos the manual pages promise that the other tests do
 * not assert: mknod(2) of a regular file gives EPERM; extended attributes
 * and O_TMPFILE give EOPNOTSUPP; a call in flight when the daemon dies
 * gets ECONNABORTED, on the mount and through the shim (libshmfs.la,
 * linked), and later calls ENOTCONN.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "shmfs.h"

static struct shmfs_mount mnt;

static void setup(void)
{
	harness_mount_shim(&mnt, "size=64m");
}

static void teardown(void)
{
	harness_umount(&mnt);
}

static const char *path(const char *name)
{
	static char buf[2][PATH_MAX];
	static int next;

	next = !next;
	return harness_path(&mnt, name, buf[next], sizeof(buf[next]));
}

START_TEST(test_mknod_regular)
{
	struct stat st;

	ck_fails(mknod(path("reg"), S_IFREG | 0644, 0), EPERM);
	ck_fails(mknod(path("reg"), 0644, 0), EPERM); /* type 0 means regular */
	ck_fails(stat(path("reg"), &st), ENOENT);
}
END_TEST

START_TEST(test_xattrs)
{
	char buf[64];
	int fd = (int)ck_ok(open(path("x"), O_RDWR | O_CREAT | O_EXCL, 0600));

	ck_fails(setxattr(path("x"), "user.a", "1", 1, 0), EOPNOTSUPP);
	ck_fails(fsetxattr(fd, "trusted.a", "1", 1, 0), EOPNOTSUPP);
	ck_fails(getxattr(path("x"), "user.a", buf, sizeof(buf)), EOPNOTSUPP);
	ck_fails(listxattr(path("x"), buf, sizeof(buf)), EOPNOTSUPP);
	ck_fails(removexattr(path("x"), "user.a"), EOPNOTSUPP);
	ck_fails(setxattr(mnt.mnt, "user.a", "1", 1, 0), EOPNOTSUPP);
	ck_fails(getxattr(mnt.mnt, "user.a", buf, sizeof(buf)), EOPNOTSUPP);
	close(fd);
	ck_ok(unlink(path("x")));
}
END_TEST

START_TEST(test_tmpfile)
{
	ck_fails(open(mnt.mnt, O_TMPFILE | O_RDWR, 0600), EOPNOTSUPP);
}
END_TEST

/* In a child: the errno of call, or 0 if it succeeded. */
static int in_flight(int which)
{
	int r;

	errno = 0;
	if (which == 0)
		r = open(path("victim"), O_RDWR);
	else
		r = shm_open("/victim", O_RDWR, 0);
	return r < 0 ? errno : 0;
}

/*
 * kill() returns before every thread has stopped, and a worker still
 * running would answer the call: wait until each of the daemon's threads
 * is in the stopped state ('T' in /proc/PID/task/TID/stat).
 */
static void wait_stopped(pid_t pid)
{
	char dir[64], path[PATH_MAX], buf[256], *p;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	for (int tries = 0; tries < 500; tries++) {
		struct dirent *e;
		bool all = true;
		DIR *d = opendir(dir);

		ck_assert_ptr_nonnull(d);
		while (all && (e = readdir(d))) {
			FILE *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/stat", dir, e->d_name);
			f = fopen(path, "re");
			if (!f)
				continue;
			if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
				all = p[2] == 'T' || p[2] == 't';
			fclose(f);
		}
		closedir(d);
		if (all)
			return;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	ck_abort_msg("the daemon did not stop");
}

/*
 * The daemon is stopped, so the child's call waits in the kernel's queue;
 * killing the daemon then aborts the connection and fails it.
 */
static void check_aborted(int which)
{
	int status, got;
	pid_t child;

	close((int)ck_ok(
		open(path("victim"), O_RDWR | O_CREAT | O_EXCL, 0600)));
	/*
	 * The shim's first call looks up the mount's probe entry; with that
	 * lookup in flight it would say ENOSYS (no shmfs there).  Look first.
	 */
	ck_fails(shm_open("/absent", O_RDONLY, 0), ENOENT);
	ck_ok(kill(mnt.daemon, SIGSTOP));
	wait_stopped(mnt.daemon);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(in_flight(which));
	nanosleep(&(struct timespec){ 0, 300 * 1000 * 1000 }, NULL);
	/* Still waiting. */
	ck_assert_int_eq(waitpid(child, &status, WNOHANG), 0);
	ck_ok(kill(mnt.daemon, SIGKILL));
	ck_assert_int_eq(waitpid(mnt.daemon, &status, 0), mnt.daemon);
	mnt.daemon = 0; /* deliberately killed */
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	got = WEXITSTATUS(status);
	ck_assert_msg(got == ECONNABORTED, "in flight: %s, want ECONNABORTED",
		      got ? strerror(got) : "success");
	/* Calls made after the death find no daemon. */
	ck_assert_int_eq(in_flight(which), ENOTCONN);
}

START_TEST(test_in_flight_on_mount)
{
	check_aborted(0);
}
END_TEST

START_TEST(test_in_flight_through_shim)
{
	check_aborted(1);
}
END_TEST

static Suite *errnos_suite(void)
{
	Suite *s = suite_create("errnos");
	TCase *tc = tcase_create("errnos");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mknod_regular);
	tcase_add_test(tc, test_xattrs);
	tcase_add_test(tc, test_tmpfile);
	tcase_add_test(tc, test_in_flight_on_mount);
	tcase_add_test(tc, test_in_flight_through_shim);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Mounting with allow_other and killing the daemon need root. */
	harness_require(HARNESS_ROOT | HARNESS_FUSE);
	return harness_run_suite(errnos_suite, "120");
}
