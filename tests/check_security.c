/*
 * check_security.c: the security rows that check_shim.c, check_daemon.c and
 * check_perm.c leave open: names that look like paths ("/../x", "/./x",
 * "/", names with the codec's escape character) neither escape the mount's
 * namespace nor alias each other, through the shim (libshmfs.la, linked)
 * and on the mount; and an unprivileged user can do nothing through a
 * read-only descriptor, or to another's object, that its mode bits do not
 * allow, and leaves the object unchanged.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "codec.h"
#include "harness.h"
#include "shmfs.h"

static struct shmfs_mount mnt;

static void setup(void)
{
	harness_mount(&mnt, "size=64m");
	setenv("SHMFS_MOUNT", mnt.mnt, 1);
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

static Suite *security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("security");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_names_stay_inside);
	tcase_add_test(tc, test_mount_names_refused);
	tcase_add_test(tc, test_user_cannot_change);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (geteuid() != 0) {
		/* Switching users needs root: fail, never skip. */
		fprintf(stderr, "check_security: must run as root\n");
		return 99;
	}
	return harness_run_suite(security_suite, "120");
}
