/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_sem.c: tests of libshmfs's named semaphores (sem_open, sem_close,
 * sem_unlink) on a real mount: glibc's name rules and errnos, the sem.NAME
 * file on the mount, O_CREAT/O_EXCL/mode/value, permissions, one mapping
 * per semaphore per process with glibc's reference counting, sem_close on
 * a semaphore glibc made, use across fork, unlink while open, and the
 * GLIBC_2.2.5 symbol versions.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define NOBODY 65534

/* The GLIBC_2.2.5 versions, which pre-2.34 binaries are bound to. */
sem_t *sem_open_compat(const char *name, int oflag, ...);
int sem_close_compat(sem_t *sem);
int sem_unlink_compat(const char *name);
__asm__(".symver sem_open_compat, sem_open@GLIBC_2.2.5");
__asm__(".symver sem_close_compat, sem_close@GLIBC_2.2.5");
__asm__(".symver sem_unlink_compat, sem_unlink@GLIBC_2.2.5");

static struct shmfs_mount mnt;

static void mount_setup(void)
{
	harness_mount_shim(&mnt, "size=64m");
}

static void mount_teardown(void)
{
	harness_umount(&mnt);
}

/* Asserts that sem_open fails with err. */
#define sem_fails(call, err)                                                 \
	do {                                                                 \
		sem_t *s_;                                                   \
		int e_;                                                      \
		errno = 0;                                                   \
		s_ = (call);                                                 \
		e_ = errno;                                                  \
		ck_assert_msg(s_ == SEM_FAILED && e_ == (err),               \
			      "%s: returned %p, errno %d (%s); want errno %s", \
			      #call, (void *)s_, e_, strerror(e_),           \
			      strerror(err));                                \
	} while (0)

static sem_t *sem_ok(sem_t *s)
{
	ck_assert_msg(s != SEM_FAILED, "sem_open failed: %s", strerror(errno));
	return s;
}

static int value_of(sem_t *s)
{
	int v;

	ck_ok(sem_getvalue(s, &v));
	return v;
}

/* How many files on the mount start with prefix. */
static int count_entries(const char *prefix)
{
	DIR *d = opendir(mnt.mnt);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static bool file_exists(const char *file, struct stat *st)
{
	char path[PATH_MAX + 300];
	struct stat dummy;

	snprintf(path, sizeof(path), "%s/%s", mnt.mnt, file);
	return stat(path, st ? st : &dummy) == 0;
}

/* "/" then len 'n's, in a static buffer. */
static const char *long_name(size_t len)
{
	static char buf[600];

	ck_assert_uint_lt(len + 1, sizeof(buf));
	buf[0] = '/';
	memset(buf + 1, 'n', len);
	buf[len + 1] = '\0';
	return buf;
}

START_TEST(sem_name_rules)
{
	sem_t *s, *s2;

	/* Nothing after the slashes, or a slash inside: EINVAL. */
	sem_fails(sem_open("", O_CREAT, 0600, 0), EINVAL);
	sem_fails(sem_open("/", O_CREAT, 0600, 0), EINVAL);
	sem_fails(sem_open("///", O_CREAT, 0600, 0), EINVAL);
	sem_fails(sem_open("/a/b", O_CREAT, 0600, 0), EINVAL);
	sem_fails(sem_open("/ab/", O_CREAT, 0600, 0), EINVAL);
	/* More than NAME_MAX bytes: EINVAL; a file name too long: ENAMETOOLONG. */
	sem_fails(sem_open(long_name(256), O_CREAT, 0600, 0), EINVAL);
	sem_fails(sem_open(long_name(500), O_CREAT, 0600, 0), EINVAL);
	sem_fails(sem_open(long_name(255), O_CREAT, 0600, 0), ENAMETOOLONG);
	sem_fails(sem_open(long_name(252), O_CREAT | O_EXCL, 0600, 0), ENAMETOOLONG);
	s = sem_ok(sem_open(long_name(251), O_CREAT | O_EXCL, 0600, 0));
	ck_ok(sem_close(s));
	ck_ok(sem_unlink(long_name(251)));
	ck_assert_int_eq(count_entries("sem."), 0);

	/* Leading slashes are skipped, and none is needed. */
	s = sem_ok(sem_open("plain", O_CREAT | O_EXCL, 0600, 3));
	ck_assert(file_exists("sem.plain", NULL));
	s2 = sem_ok(sem_open("///plain", 0));
	ck_assert_ptr_eq(s, s2);
	ck_assert_int_eq(value_of(s2), 3);
	ck_ok(sem_close(s2));
	ck_ok(sem_close(s));
	ck_ok(sem_unlink("//plain"));
	ck_assert(!file_exists("sem.plain", NULL));

	/* sem_unlink: a name sem_open refuses is not there. */
	ck_fails(sem_unlink(""), ENOENT);
	ck_fails(sem_unlink("/"), ENOENT);
	ck_fails(sem_unlink("/a/b"), ENOENT);
	ck_fails(sem_unlink(long_name(256)), ENOENT);
	ck_fails(sem_unlink(long_name(252)), ENAMETOOLONG);
	ck_fails(sem_unlink("/sem-missing"), ENOENT);
}
END_TEST

START_TEST(sem_create_open)
{
	struct stat st;
	sem_t *s, *s2;
	int saved;

	sem_fails(sem_open("/sem-none", 0), ENOENT);
	sem_fails(sem_open("/sem-none", O_EXCL), ENOENT);
	/* A value above SEM_VALUE_MAX: EINVAL, and nothing is made. */
	sem_fails(sem_open("/sem-big", O_CREAT, 0600, (unsigned int)SEM_VALUE_MAX + 1),
		  EINVAL);
	sem_fails(sem_open("/sem-big", O_CREAT | O_EXCL, 0600,
			   (unsigned int)SEM_VALUE_MAX + 1),
		  EINVAL);
	ck_assert_int_eq(count_entries(""), 0);
	ck_assert_int_eq(count_entries(".sem"), 0);

	umask(022);
	errno = 1234;
	s = sem_ok(sem_open("/sem-new", O_CREAT | O_EXCL, 0666, SEM_VALUE_MAX));
	saved = errno;
	ck_assert_int_eq(saved, 1234); /* errno is left alone on success */
	ck_assert_int_eq(value_of(s), SEM_VALUE_MAX);
	/* glibc's file: sem.NAME, holding one sem_t, mode after the umask. */
	ck_assert(file_exists("sem.sem-new", &st));
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(st.st_size, sizeof(sem_t));
	/* The hidden name it was made under is gone. */
	ck_assert_int_eq(count_entries(""), 1);
	ck_assert_int_eq(count_entries(".sem"), 0);

	sem_fails(sem_open("/sem-new", O_CREAT | O_EXCL, 0600, 0), EEXIST);
	/* O_CREAT of an existing one opens it: value and mode unchanged. */
	s2 = sem_ok(sem_open("/sem-new", O_CREAT, 0600, 5));
	ck_assert_ptr_eq(s, s2);
	ck_assert_int_eq(value_of(s2), SEM_VALUE_MAX);
	/* An existing semaphore's open ignores the value: no EINVAL. */
	s2 = sem_ok(sem_open("/sem-new", O_CREAT, 0600, (unsigned int)SEM_VALUE_MAX + 1));
	ck_assert_ptr_eq(s, s2);
	ck_ok(sem_close(s));
	ck_ok(sem_close(s));
	ck_ok(sem_close(s));
	ck_ok(sem_unlink("/sem-new"));

	/* O_CREAT without O_EXCL on a missing one creates it. */
	s = sem_ok(sem_open("/sem-creat", O_CREAT, 0600, 0));
	ck_assert_int_eq(value_of(s), 0);
	ck_ok(sem_post(s));
	ck_assert_int_eq(value_of(s), 1);
	ck_ok(sem_close(s));
	ck_ok(sem_unlink("/sem-creat"));
}
END_TEST

static int nobody_sem_open(void *arg)
{
	sem_t *s = sem_open(arg, 0);

	if (s != SEM_FAILED)
		return 0;
	return errno;
}

static int nobody_sem_unlink(void *arg)
{
	return sem_unlink(arg) == 0 ? 0 : errno;
}

static int nobody_sem_create(void *arg)
{
	sem_t *s = sem_open(arg, O_CREAT | O_EXCL, 0600, 0);

	if (s == SEM_FAILED)
		return errno;
	return sem_unlink(arg) == 0 ? 0 : errno;
}

START_TEST(sem_eacces)
{
	sem_t *s = sem_ok(sem_open("/sem-acc", O_CREAT | O_EXCL, 0600, 0));

	ck_ok(sem_close(s));
	ck_assert_int_eq(harness_as_user(NOBODY, NOBODY, 0, NULL, nobody_sem_open,
					 "/sem-acc"),
			 EACCES);
	ck_assert_int_eq(harness_as_user(NOBODY, NOBODY, 0, NULL, nobody_sem_unlink,
					 "/sem-acc"),
			 EACCES);
	ck_assert(file_exists("sem.sem-acc", NULL));
	ck_ok(sem_unlink("/sem-acc"));
	/* Read permission alone is not enough: semaphores open read-write. */
	s = sem_ok(sem_open("/sem-acc", O_CREAT | O_EXCL, 0644, 0));
	ck_ok(sem_close(s));
	ck_assert_int_eq(harness_as_user(NOBODY, NOBODY, 0, NULL, nobody_sem_open,
					 "/sem-acc"),
			 EACCES);
	ck_ok(sem_unlink("/sem-acc"));
	/* Another user makes and removes its own. */
	ck_assert_int_eq(harness_as_user(NOBODY, NOBODY, 0, NULL, nobody_sem_create,
					 "/sem-nobody"),
			 0);
}
END_TEST

/* glibc's own sem_open and sem_unlink, which make semaphores in /dev/shm. */
static void *glibc_sym(const char *name)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD), *sym;

	ck_assert_ptr_nonnull(libc);
	sym = dlvsym(libc, name, "GLIBC_2.34");
	ck_assert_ptr_nonnull(sym);
	dlclose(libc);
	return sym;
}

START_TEST(sem_close_refs)
{
	sem_t *s = sem_ok(sem_open("/sem-refs", O_CREAT | O_EXCL, 0600, 1));
	sem_t *s2 = sem_ok(sem_open("/sem-refs", 0));
	sem_t *(*glibc_open)(const char *, int, ...) = glibc_sym("sem_open");
	int (*glibc_unlink)(const char *) = glibc_sym("sem_unlink");
	sem_t local;

	/* One mapping per semaphore, counted: the last close unmaps. */
	ck_assert_ptr_eq(s, s2);
	ck_ok(sem_close(s));
	ck_ok(sem_wait(s2));
	ck_ok(sem_post(s2));
	ck_ok(sem_close(s2));
	/* Reopened after the last close: a new mapping of the same object. */
	s = sem_ok(sem_open("/sem-refs", 0));
	ck_assert_int_eq(value_of(s), 1);
	ck_ok(sem_close(s));
	ck_ok(sem_unlink("/sem-refs"));
	/* Not a named semaphore: glibc's answer. */
	ck_ok(sem_init(&local, 0, 0));
	ck_fails(sem_close(&local), EINVAL);

	/* One glibc made (in /dev/shm, without the shim) closes through ours. */
	s = glibc_open("/shmfs-check-sem-glibc", O_CREAT, 0600, 2);
	ck_assert_ptr_ne(s, SEM_FAILED);
	ck_assert_int_eq(value_of(s), 2);
	ck_ok(sem_close(s));
	ck_fails(sem_close(s), EINVAL);
	ck_ok(glibc_unlink("/shmfs-check-sem-glibc"));
	ck_assert_int_eq(count_entries(""), 0);
}
END_TEST

static bool timed_wait(sem_t *s, int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	while (sem_timedwait(s, &ts) != 0)
		if (errno != EINTR)
			return false;
	return true;
}

START_TEST(sem_fork)
{
	sem_t *ping = sem_ok(sem_open("/sem-ping", O_CREAT | O_EXCL, 0600, 0));
	sem_t *pong;
	int status;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* The child opens both by name: the same objects. */
		sem_t *p = sem_open("/sem-ping", 0);
		sem_t *q = sem_open("/sem-pong", O_CREAT, 0600, 0);

		if (p == SEM_FAILED || q == SEM_FAILED || p != ping)
			_exit(2);
		if (!timed_wait(p, 20))
			_exit(3);
		_exit(sem_post(q) == 0 ? 0 : 4);
	}
	ck_ok(sem_post(ping));
	waitpid(pid, &status, 0);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	pong = sem_ok(sem_open("/sem-pong", 0));
	ck_assert(timed_wait(pong, 1));
	ck_assert_int_eq(value_of(ping), 0);
	ck_ok(sem_close(pong));
	ck_ok(sem_close(ping));
	ck_ok(sem_unlink("/sem-ping"));
	ck_ok(sem_unlink("/sem-pong"));
}
END_TEST

START_TEST(sem_unlink_open)
{
	sem_t *s = sem_ok(sem_open("/sem-gone", O_CREAT | O_EXCL, 0600, 1)), *s2;

	ck_ok(sem_unlink("/sem-gone"));
	ck_assert(!file_exists("sem.sem-gone", NULL));
	/* The open semaphore keeps working; its name is free. */
	ck_ok(sem_wait(s));
	ck_ok(sem_post(s));
	ck_ok(sem_post(s));
	ck_assert_int_eq(value_of(s), 2);
	sem_fails(sem_open("/sem-gone", 0), ENOENT);
	ck_fails(sem_unlink("/sem-gone"), ENOENT);
	s2 = sem_ok(sem_open("/sem-gone", O_CREAT | O_EXCL, 0600, 7));
	ck_assert_ptr_ne(s, s2);
	ck_assert_int_eq(value_of(s2), 7);
	ck_assert_int_eq(value_of(s), 2);
	ck_ok(sem_close(s));
	ck_ok(sem_close(s2));
	ck_ok(sem_unlink("/sem-gone"));
}
END_TEST

START_TEST(sem_compat_versions)
{
	sem_t *s = sem_open_compat("/sem-compat", O_CREAT | O_EXCL, 0600, 4);

	ck_assert_ptr_ne(s, SEM_FAILED);
	ck_assert(file_exists("sem.sem-compat", NULL));
	ck_assert_ptr_eq(sem_open("/sem-compat", 0), s);
	ck_ok(sem_close_compat(s));
	ck_ok(sem_close(s));
	ck_ok(sem_unlink_compat("/sem-compat"));
	ck_assert(!file_exists("sem.sem-compat", NULL));
}
END_TEST

/* Several threads race to create one semaphore: one object, one mapping. */
static void *racer(void *arg)
{
	return sem_open(arg, O_CREAT, 0600, 0);
}

START_TEST(sem_create_race)
{
	pthread_t t[8];
	void *r[8];

	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, racer, "/sem-race"), 0);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], &r[i]);
		ck_assert_ptr_ne(r[i], SEM_FAILED);
		ck_assert_ptr_eq(r[i], r[0]);
	}
	ck_assert_int_eq(count_entries(""), 1);
	for (int i = 0; i < 8; i++)
		ck_ok(sem_close(r[i]));
	ck_ok(sem_unlink("/sem-race"));
}
END_TEST

START_TEST(sem_no_mount)
{
	setenv("SHMFS_MOUNT", "/nonexistent-shmfs-mount", 1);
	sem_fails(sem_open("/sem-x", O_CREAT, 0600, 0), ENOSYS);
	ck_fails(sem_unlink("/sem-x"), ENOSYS);
	setenv("SHMFS_MOUNT", mnt.mnt, 1);
}
END_TEST

static Suite *sem_suite(void)
{
	Suite *s = suite_create("sem");
	TCase *tc = tcase_create("sem");

	tcase_add_unchecked_fixture(tc, mount_setup, mount_teardown);
	tcase_add_test(tc, sem_name_rules);
	tcase_add_test(tc, sem_create_open);
	tcase_add_test(tc, sem_eacces);
	tcase_add_test(tc, sem_close_refs);
	tcase_add_test(tc, sem_fork);
	tcase_add_test(tc, sem_unlink_open);
	tcase_add_test(tc, sem_compat_versions);
	tcase_add_test(tc, sem_create_race);
	tcase_add_test(tc, sem_no_mount);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	harness_require(HARNESS_ROOT | HARNESS_FUSE); /* it switches users */
	return harness_run_suite(sem_suite, "60");
}
