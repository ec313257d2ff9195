/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_security.c: the security rows that check_shim.c, check_daemon.c and
 * check_perm.c leave open: names that look like paths ("/../x", "/./x",
 * "/", names with the codec's escape character) neither escape the mount's
 * namespace nor alias each other, through the shim (libshmfs.la, linked)
 * and on the mount; and an unprivileged user can do nothing through a
 * read-only descriptor, or to another's object, that its mode bits do not
 * allow, and leaves the object unchanged; a setuid program linked with the
 * shim obeys neither SHMFS_MOUNT nor SHMFS_NATIVE_MEMFD from its caller;
 * per-user limits (user_size=, user_nr_objects=) stop one user, anonymous
 * objects included, without stopping others, and shmfsctl usage counts them.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "harness.h"
#include "proto.h"
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

/* Names of directory dir other than "." and ".."; at most max of them. */
static int list_dir(const char *dir, char names[][SHMFS_FILE_NAME_MAX + 1],
		    int max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_int_lt(n, max);
		snprintf(names[n++], SHMFS_FILE_NAME_MAX + 1, "%s", de->d_name);
	}
	closedir(d);
	return n;
}

/* shm names that a path-minded reader could take for something else. */
static const char *const tricky[] = {
	"/",	      "/.",	"/..",
	"/./x",	      "/../x",	"/../../../../tmp/shmfs-esc",
	"/x/..",      "/x/.",	"//",
	"/x//",	      "/%",	"/%2E%2E",
	"/%2F",	      "/..%2F", "/%2E",
	"/.%2E",      "/x",	"/../mnt",
	"/%25",	      "/%%",	"/%2e",
	"/a/../../b",
};
#define NTRICKY (sizeof(tricky) / sizeof(tricky[0]))

START_TEST(test_names_stay_inside)
{
	static char files[NTRICKY + 4][SHMFS_FILE_NAME_MAX + 1];
	ino_t inos[NTRICKY];
	struct stat st;
	char back[SHMFS_NAME_MAX + 2];
	int n;

	for (size_t i = 0; i < NTRICKY; i++) {
		int fd = shm_open(tricky[i], O_RDWR | O_CREAT | O_EXCL, 0600);

		ck_assert_msg(fd >= 0, "shm_open %s: %s", tricky[i],
			      strerror(errno));
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_msg(S_ISREG(st.st_mode), "%s is not a regular file",
			      tricky[i]);
		/* Each name is its own object: none aliases an earlier one. */
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(inos[j] != st.st_ino, "%s aliases %s",
				      tricky[i], tricky[j]);
		inos[i] = st.st_ino;
		ck_assert_int_eq(ftruncate(fd, (off_t)(i + 1)), 0);
		close(fd);
	}
	/* Each opens back its own object. */
	for (size_t i = 0; i < NTRICKY; i++) {
		int fd = shm_open(tricky[i], O_RDONLY, 0);

		ck_assert_msg(fd >= 0, "reopen %s: %s", tricky[i],
			      strerror(errno));
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_uint_eq(st.st_ino, inos[i]);
		ck_assert_int_eq(st.st_size, (off_t)(i + 1));
		close(fd);
	}
	/* Exactly one file each, all directly in the mount, decoding back. */
	n = list_dir(mnt.mnt, files, (int)NTRICKY + 4);
	ck_assert_int_eq(n, (int)NTRICKY);
	for (int i = 0; i < n; i++) {
		bool found = false;

		ck_assert_int_gt(
			shmfs_name_decode(files[i], back, sizeof(back)), 0);
		for (size_t j = 0; j < NTRICKY; j++)
			found |= strcmp(back, tricky[j]) == 0;
		ck_assert_msg(found, "file %s decodes to %s, which nobody made",
			      files[i], back);
	}
	/* Nothing outside: the mount's parent holds only the mountpoint. */
	n = list_dir(mnt.dir, files, (int)NTRICKY + 4);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(files[0], "mnt");
	ck_assert_int_eq(stat("/tmp/shmfs-esc", &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* Unlinking each removes exactly its own file. */
	for (size_t i = 0; i < NTRICKY; i++) {
		ck_assert_msg(shm_unlink(tricky[i]) == 0, "shm_unlink %s: %s",
			      tricky[i], strerror(errno));
		ck_assert_int_eq(list_dir(mnt.mnt, files, (int)NTRICKY + 4),
				 (int)(NTRICKY - i - 1));
	}
	/* Without O_CREAT, a path-like name finds nothing, not a directory. */
	for (size_t i = 0; i < NTRICKY; i++) {
		errno = 0;
		ck_assert_int_eq(shm_open(tricky[i], O_RDONLY, 0), -1);
		ck_assert_msg(errno == ENOENT, "shm_open %s: %s", tricky[i],
			      strerror(errno));
	}
	/* Renames cannot take an object out either. */
	close(shm_open("/in", O_RDWR | O_CREAT, 0600));
	ck_assert_int_eq(shm_rename("/in", "/../out", 0), 0);
	ck_assert_int_eq(list_dir(mnt.dir, files, 4), 1);
	ck_assert_int_eq(list_dir(mnt.mnt, files, 4), 1);
	ck_assert_int_gt(shmfs_name_decode(files[0], back, sizeof(back)), 0);
	ck_assert_str_eq(back, "/../out");
	ck_assert_int_eq(shm_unlink("/../out"), 0);
}
END_TEST

/* On the mount itself: look-alikes of escapes stay inside, or are refused. */
START_TEST(test_mount_names_refused)
{
	static const char *const bad[] = { "%2F..",  "%2Fetc", "x%2F", "%2E",
					   "%2E%2E", "%",      "%zz" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char back[SHMFS_NAME_MAX + 2];
		int fd = open(harness_path(&mnt, bad[i], path, sizeof(path)),
			      O_RDWR | O_CREAT | O_EXCL, 0600);

		/* Refused (the reserved "%zz": EPERM), or one shm name's file. */
		if (fd < 0) {
			ck_assert_msg(errno == EPERM && strcmp(bad[i], "%zz") == 0,
				      "create %s: %s", bad[i], strerror(errno));
			continue;
		}
		close(fd);
		ck_assert_int_gt(shmfs_name_decode(bad[i], back, sizeof(back)),
				 0);
		ck_assert_int_eq(unlink(path), 0);
	}
}
END_TEST

/* ---- What an unprivileged user cannot do ---- */

#define USER 1000
#define DATA "root's data, not to change"

static int try_everything(void *arg)
{
	const char *path = arg;
	struct timespec times[2] = { { 1, 0 }, { 2, 0 } };
	char *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 1;
	/* Through a read-only descriptor: no write of any kind. */
	if (write(fd, "x", 1) != -1 || errno != EBADF)
		return 2;
	if (pwrite(fd, "x", 1, 0) != -1 || errno != EBADF)
		return 3;
	if (ftruncate(fd, 0) != -1 || errno != EINVAL)
		return 4;
	if (fallocate(fd, 0, 0, 8192) != -1 || errno != EBADF)
		return 5;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      4096) != -1 ||
	    errno != EBADF)
		return 6;
	if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) !=
		    MAP_FAILED ||
	    errno != EACCES)
		return 7;
	/* A private copy may be written; the object stays as it was. */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return 8;
	p[0] = 'X';
	munmap(p, 4096);
	if (fchmod(fd, 0666) != -1 || errno != EPERM)
		return 9;
	if (fchown(fd, USER, USER) != -1 || errno != EPERM)
		return 10;
	/* Explicit times: the owner's; "now": writers'. */
	if (futimens(fd, times) != -1 || errno != EPERM)
		return 11;
	if (utimensat(AT_FDCWD, path, NULL, 0) != -1 || errno != EACCES)
		return 12;
	close(fd);
	/* By path: no write open, truncate, unlink or rename. */
	if (open(path, O_RDWR) != -1 || errno != EACCES)
		return 13;
	if (open(path, O_WRONLY | O_APPEND) != -1 || errno != EACCES)
		return 14;
	if (truncate(path, 1) != -1 || errno != EACCES)
		return 15;
	if (unlink(path) != -1 || errno != EACCES)
		return 16;
	return 0;
}

START_TEST(test_user_cannot_change)
{
	char path[PATH_MAX], buf[64];
	struct stat before, after;
	int fd, ret;

	fd = open(harness_path(&mnt, "roots", path, sizeof(path)),
		  O_RDWR | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, 0644), 0);
	ck_assert_int_eq(pwrite(fd, DATA, sizeof(DATA), 0), sizeof(DATA));
	ck_assert_int_eq(fstat(fd, &before), 0);
	close(fd);

	ret = harness_as_user(USER, USER, 0, NULL, try_everything, path);
	ck_assert_msg(ret == 0, "an unprivileged user got through at step %d",
		      ret);

	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &after), 0);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), sizeof(DATA));
	ck_assert_str_eq(buf, DATA);
	close(fd);
	ck_assert_int_eq(after.st_size, before.st_size);
	ck_assert_int_eq(after.st_mode, before.st_mode);
	ck_assert_int_eq(after.st_uid, 0);
	ck_assert_int_eq(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	ck_assert_int_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	ck_assert_int_eq(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

/* ---- A setuid program ignores its caller's SHMFS_MOUNT ---- */

/* A directory where setuid works, for the setuid copy; set by main(). */
static const char *suid_parent;

struct suid_run {
	const char *prog, *mount, *native, *arg1, *arg2;
};

/* As the user: runs prog with only the given environment; its exit status. */
static int run_prog(void *arg)
{
	const struct suid_run *r = arg;
	char env_mount[PATH_MAX + 16], env_native[32];
	char *const argv[] = { (char *)r->prog, (char *)r->arg1,
			       (char *)r->arg2, NULL };
	char *envp[3] = { NULL };
	int n = 0, status;
	pid_t pid;

	if (r->mount) {
		snprintf(env_mount, sizeof(env_mount), "SHMFS_MOUNT=%s",
			 r->mount);
		envp[n++] = env_mount;
	}
	if (r->native) {
		snprintf(env_native, sizeof(env_native),
			 "SHMFS_NATIVE_MEMFD=%s", r->native);
		envp[n++] = env_native;
	}
	pid = fork();
	if (pid < 0)
		return 90;
	if (pid == 0) {
		execve(r->prog, argv, envp);
		_exit(91);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 92;
	return WEXITSTATUS(status);
}

/*
 * Two copies of tests/setuid_prog, one setuid root, one plain, both run as
 * USER with SHMFS_MOUNT naming the test's mount.  The plain one creates its
 * object there and gets the kernel's memfd with SHMFS_NATIVE_MEMFD=1 (so
 * the test can see the variables work); the setuid one must do neither: it
 * uses /dev/shmfs (ENOSYS if nothing is mounted there) and the shim's memfd.
 */
START_TEST(test_setuid_ignores_environment)
{
	const char *builddir = getenv("SHMFS_BUILDDIR");
	char src[PATH_MAX], dir[PATH_MAX], plain[PATH_MAX + 8],
		suid[PATH_MAX + 8];
	char name[64], file[PATH_MAX], def[PATH_MAX];
	struct suid_run r = { .mount = mnt.mnt };
	struct stat st;
	int ret;

	ck_assert_msg(builddir, "SHMFS_BUILDDIR is not set");
	snprintf(src, sizeof(src), "%s/tests/setuid_prog", builddir);
	snprintf(dir, sizeof(dir), "%s/shmfs-suid.XXXXXX", suid_parent);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	snprintf(suid, sizeof(suid), "%s/suid", dir);
	ck_assert_int_eq(harness_sh("cp '%s' '%s' && cp '%s' '%s' && chown 0:0 "
				    "'%s' && "
				    "chmod 0755 '%s' && chmod 04755 '%s'",
				    src, plain, src, suid, suid, plain, suid),
			 0);
	ck_assert_int_eq(stat(suid, &st), 0);
	ck_assert_msg(st.st_mode & S_ISUID, "no setuid bit on %s", suid);
	snprintf(name, sizeof(name), "/setuid-test.%d", (int)getpid());
	harness_path(&mnt, name + 1, file, sizeof(file));
	snprintf(def, sizeof(def), "/dev/shmfs/%s", name + 1);

	/* The plain copy obeys the environment. */
	r.prog = plain, r.arg1 = "shm", r.arg2 = name;
	ck_assert_int_eq(harness_as_user(USER, USER, 0, NULL, run_prog, &r), 0);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq((int)st.st_uid, USER);
	ck_assert_int_eq(unlink(file), 0);
	r.arg1 = "memfd", r.arg2 = NULL, r.native = "1";
	ck_assert_int_eq(harness_as_user(USER, USER, 0, NULL, run_prog, &r), 0);

	/* The setuid copy does not: not the test's mount, not the kernel's memfd. */
	r.prog = suid, r.arg1 = "shm", r.arg2 = name, r.native = NULL;
	ret = harness_as_user(USER, USER, 0, NULL, run_prog, &r);
	ck_assert_int_le(ret, 1);
	ck_assert_msg(stat(file, &st) != 0 && errno == ENOENT,
		      "the setuid program created %s on $SHMFS_MOUNT", name);
	if (ret == 0) /* a shmfs is mounted at /dev/shmfs: it is there */
		ck_assert_int_eq(unlink(def), 0);
	r.arg1 = "memfd", r.arg2 = NULL, r.native = "1";
	ck_assert_int_eq(harness_as_user(USER, USER, 0, NULL, run_prog, &r), 1);

	ck_assert_int_eq(harness_sh("rm -rf '%s'", dir), 0);
}
END_TEST

/* ---- Per-user limits ---- */

static struct shmfs_mount qmnt;

static void quota_setup(void)
{
	harness_mount(&qmnt, "size=64m,user_size=64k,user_nr_objects=3");
	setenv("SHMFS_MOUNT", qmnt.mnt, 1);
}

static void quota_teardown(void)
{
	harness_umount(&qmnt);
}

/* uid's objects and bytes on qmnt, asked as the caller; -1 on failure. */
static int ask_usage(uid_t uid, struct shmfs_ioc_usage *q)
{
	int dfd = open(qmnt.mnt, O_RDONLY | O_DIRECTORY), r;

	if (dfd < 0)
		return -1;
	memset(q, 0, sizeof(*q));
	q->uid = (uint32_t)uid;
	r = ioctl(dfd, SHMFS_IOC_USAGE, q);
	close(dfd);
	return r;
}

static int fill_own_quota(void *arg)
{
	char path[PATH_MAX], cmd[2 * PATH_MAX], out[512] = "";
	struct shmfs_ioc_usage q;
	const char *ctl = getenv("SHMFSCTL");
	int anon, a, b;
	struct stat st;
	FILE *p;
	size_t n;

	(void)arg;
	/* An anonymous object, owned all the same. */
	anon = memfd_create("anon", 0);
	if (anon < 0)
		return 1;
	a = open(harness_path(&qmnt, "u1", path, sizeof(path)),
		 O_RDWR | O_CREAT, 0600);
	b = open(harness_path(&qmnt, "u2", path, sizeof(path)),
		 O_RDWR | O_CREAT, 0600);
	if (a < 0 || b < 0)
		return 2;
	if (open(harness_path(&qmnt, "u3", path, sizeof(path)),
		 O_RDWR | O_CREAT, 0600) != -1 ||
	    errno != ENOSPC)
		return 3;
	if (shm_open("/u4", O_RDWR | O_CREAT, 0600) != -1 || errno != ENOSPC)
		return 4;
	if (ftruncate(a, 65536) != 0)
		return 5;
	if (ftruncate(b, 1) != -1 || errno != ENOSPC || fstat(b, &st) != 0 ||
	    st.st_size != 0)
		return 6;
	if (ask_usage(USER, &q) != 0 || q.objects != 3 || q.bytes != 65536 ||
	    q.limit_objects != 3 || q.limit_bytes != 65536)
		return 7;
	if (ask_usage(USER + 1, &q) != -1 || errno != EPERM)
		return 8;
	if (!ctl)
		return 9;
	snprintf(cmd, sizeof(cmd), "'%s' -m '%s' --json usage", ctl, qmnt.mnt);
	p = popen(cmd, "r");
	if (!p)
		return 10;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	if (pclose(p) != 0)
		return 11;
	if (!strstr(out, "\"uid\":1000,\"objects\":3,\"bytes\":65536,"
			 "\"limit_objects\":3,\"limit_bytes\":65536"))
		return 12;
	return 0;
}

static int others_unaffected(void *arg)
{
	char path[PATH_MAX];
	int fd;

	(void)arg;
	fd = open(harness_path(&qmnt, "other", path, sizeof(path)),
		  O_RDWR | O_CREAT, 0600);
	return fd >= 0 && ftruncate(fd, 65536) == 0 ? 0 : 1;
}

START_TEST(test_user_limits)
{
	struct shmfs_ioc_usage q;
	char path[PATH_MAX];
	int fds[5];

	ck_assert_int_eq(
		harness_as_user(USER, USER, 0, NULL, fill_own_quota, NULL), 0);
	/* The memfd went with its process; the named objects stay counted. */
	ck_assert_int_eq(ask_usage(USER, &q), 0);
	for (int i = 0; i < 200 && q.objects != 2; i++) {
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		ck_assert_int_eq(ask_usage(USER, &q), 0);
	}
	ck_assert_uint_eq(q.objects, 2);
	ck_assert_uint_eq(q.bytes, 65536);
	ck_assert_int_eq(harness_as_user(USER + 1, USER + 1, 0, NULL,
					 others_unaffected, NULL),
			 0);
	/* Root is not limited. */
	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "root%d", i);
		fds[i] = (int)ck_ok(
			open(harness_path(&qmnt, name, path, sizeof(path)),
			     O_RDWR | O_CREAT, 0600));
		ck_ok(ftruncate(fds[i], 1 << 20));
	}
	ck_assert_int_eq(ask_usage(0, &q), 0);
	ck_assert_uint_eq(q.objects, 5);
	ck_assert_uint_eq(q.bytes, 5 << 20);
	/* Given away by root, an object's charges go with it. */
	ck_ok(fchown(fds[0], USER + 2, USER + 2));
	ck_assert_int_eq(ask_usage(USER + 2, &q), 0);
	ck_assert_uint_eq(q.objects, 1);
	ck_assert_uint_eq(q.bytes, 1 << 20);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
}
END_TEST

static Suite *security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("security");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_names_stay_inside);
	tcase_add_test(tc, test_mount_names_refused);
	tcase_add_test(tc, test_user_cannot_change);
	if (suid_parent)
		tcase_add_test(tc, test_setuid_ignores_environment);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, quota_setup, quota_teardown);
	tcase_add_test(tc, test_user_limits);
	suite_add_tcase(s, tc);
	return s;
}

/* dir if files there may be setuid, else NULL. */
static const char *allows_setuid(const char *dir)
{
	struct statvfs sv;

	return dir && *dir && statvfs(dir, &sv) == 0 &&
			       !(sv.f_flag & ST_NOSUID) ?
		       dir :
		       NULL;
}

int main(void)
{
	int ret;

	harness_require(HARNESS_ROOT | HARNESS_FUSE); /* it switches users */
	suid_parent = allows_setuid(getenv("TMPDIR"));
	if (!suid_parent)
		suid_parent = allows_setuid("/tmp");
	if (!suid_parent)
		suid_parent = allows_setuid(getenv("SHMFS_BUILDDIR"));
	ret = harness_run_suite(security_suite, "120");
	if (ret == EXIT_SUCCESS && !suid_parent) {
		fprintf(stderr, "check_security: no directory without nosuid "
				"(TMPDIR, /tmp, the build directory): the setuid test did not run\n");
		ret = getenv("SHMFS_REQUIRE_ALL") && strcmp(getenv("SHMFS_REQUIRE_ALL"), "1") == 0
			      ? EXIT_FAILURE
			      : 77;
	}
	return ret;
}
