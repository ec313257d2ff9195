/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * harness.h: helpers shared by the integration tests: mount a real shmfs
 * daemon in a temporary directory, run code as another user, read the
 * daemon's memory use, pass descriptors, and Check assertions on errno.
 */
#ifndef SHMFS_HARNESS_H
#define SHMFS_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/* What a test program needs, for harness_require(). */
enum harness_need {
	HARNESS_ROOT = 1, /* running as root (switching users, mount(2)) */
	HARNESS_FUSE = 2, /* /dev/fuse, and fusermount3 when not root */
};

/*
 * Called first in main(): if a need in the mask is missing, says what is
 * missing and exits 77 (automake's "skipped"), or 99 (a hard error) when
 * SHMFS_REQUIRE_ALL=1, as in CI, so that no run passes by skipping.
 */
void harness_require(unsigned needs);

struct shmfs_mount {
	char dir[PATH_MAX]; /* temporary directory holding the mountpoint */
	char mnt[PATH_MAX]; /* the mountpoint, dir/mnt */
	pid_t daemon;	    /* the daemon, run in the foreground (-f) */
};

/*
 * Mounts the daemon named by $SHMFS_BIN on a new temporary directory with
 * "-o opts" (opts may be NULL) plus allow_other, and waits until the mount
 * answers.  As root the first call moves the test program into a private
 * mount namespace, and the daemon dies with the test program, so a crash
 * leaves no mount behind.  Exits the program on failure, and as
 * harness_require(HARNESS_FUSE) does without /dev/fuse.
 */
void harness_mount(struct shmfs_mount *m, const char *opts);

/*
 * For tests that measure a daemon's memory: daemons mounted after this call
 * keep no freed memory in AddressSanitizer's quarantine (256 MiB by
 * default), which would count as theirs.  Does nothing without ASan.
 */
void harness_measure_memory(void);

/* harness_mount(), then SHMFS_MOUNT pointed at it, for tests of the shim. */
void harness_mount_shim(struct shmfs_mount *m, const char *opts);

/* Whether descriptor fd is a file directly under m's mountpoint. */
bool harness_fd_on_mount(const struct shmfs_mount *m, int fd);

/* Unmounts, waits for the daemon and removes the directory.  Idempotent. */
void harness_umount(struct shmfs_mount *m);

/* Returns mnt/file in a buffer owned by the caller. */
char *harness_path(const struct shmfs_mount *m, const char *file, char *buf,
		   size_t size);

/*
 * Runs fn(arg) in a child process with the given credentials (groups may be
 * NULL when ngroups is 0) and returns fn's return value, or -1 if the child
 * died.  Needs root.
 */
int harness_as_user(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
		    int (*fn)(void *arg), void *arg);

/* Resident memory of process pid in KiB (VmRSS), or -1. */
long harness_rss_kib(pid_t pid);

/* Runs a shell command; returns its exit status, or -1. */
int harness_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Passes descriptor fd over a Unix socket (SCM_RIGHTS): 0 or -1. */
int harness_send_fd(int sock, int fd);
/* Receives a descriptor passed with harness_send_fd(), or -1. */
int harness_recv_fd(int sock);

/*
 * For Check tests (which include check.h, errno.h and string.h): asserts
 * that call fails with -1 and errno err.
 */
#define ck_fails(call, err)                                                \
	do {                                                               \
		long r_;                                                   \
		int e_;                                                    \
		errno = 0;                                                 \
		r_ = (long)(call);                                         \
		e_ = errno;                                                \
		ck_assert_msg(r_ == -1 && e_ == (err),                     \
			      "%s: returned %ld, errno %d (%s); want -1, " \
			      "errno %d (%s)",                             \
			      #call, r_, e_, strerror(e_), (err),          \
			      strerror(err));                              \
	} while (0)

/* Asserts that call succeeds (>= 0) and returns its result. */
#define ck_ok(call)                                                       \
	({                                                                \
		long r_;                                                  \
		errno = 0;                                                \
		r_ = (long)(call);                                        \
		ck_assert_msg(r_ >= 0, "%s: returned %ld, errno %d (%s)", \
			      #call, r_, errno, strerror(errno));         \
		r_;                                                       \
	})

#ifdef CHECK_H
#include <stdlib.h>

/*
 * A Check test program's main(): sets CK_DEFAULT_TIMEOUT to timeout unless
 * the environment has one (make check does; Check's own 4 s is short for
 * tests that mount), builds the suite after that, since Check reads the
 * variable when a TCase is made, runs it and returns the exit status.
 */
static inline int harness_run_suite(Suite *(*make_suite)(void), const char *timeout)
{
	SRunner *sr;
	int failed;

	if (timeout)
		setenv("CK_DEFAULT_TIMEOUT", timeout, 0);
	sr = srunner_create(make_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
#endif

#endif
