/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_shim.c: tests of libshmfs (src/shim.c) on a real mount: every rule
 * of shm_open(3) and shm_rename(3) for shm_open, shm_unlink, shm_rename,
 * SHM_ANON and memfd_create with its exact errno (also through
 * syscall(SYS_memfd_create)), the names and their files on the mount, the
 * no-grow write wrappers, the mount check, errno preservation and the
 * GLIBC_2.2.5 symbol versions.  Preloading into other programs is tested by
 * tests/preload.sh.  Each TCase mounts one daemon (unchecked fixture); tests
 * use names of their own so they can share it.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "shmfs.h"

#define NOBODY 65534

/* The GLIBC_2.2.5 versions, which pre-2.34 binaries are bound to. */
int shm_open_compat(const char *name, int oflag, mode_t mode);
int shm_unlink_compat(const char *name);
__asm__(".symver shm_open_compat, shm_open@GLIBC_2.2.5");
__asm__(".symver shm_unlink_compat, shm_unlink@GLIBC_2.2.5");

static struct shmfs_mount mnt;

static void mount_setup(void)
{
	harness_mount_shim(&mnt, "size=64m");
}

static void mount_teardown(void)
{
	harness_umount(&mnt);
}

/*
 * For the mount-check tests: plain directories under $TMPDIR, made and
 * removed by the TCase's unchecked fixture so that a failing test leaves
 * nothing behind.
 */
static char scratch[PATH_MAX], plain_dir[PATH_MAX + 8], link_dir[PATH_MAX + 8],
	alias_dir[PATH_MAX + 8];

static void scratch_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	mount_setup();
	snprintf(scratch, sizeof(scratch), "%s/shim-test.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(scratch)) {
		perror("check_shim: mkdtemp");
		exit(99);
	}
	snprintf(plain_dir, sizeof(plain_dir), "%s/plain", scratch);
	snprintf(link_dir, sizeof(link_dir), "%s/link", scratch);
	snprintf(alias_dir, sizeof(alias_dir), "%s/alias", scratch);
	if (mkdir(plain_dir, 0755) != 0 || mkdir(link_dir, 0755) != 0 ||
	    mkdir(alias_dir, 0755) != 0) {
		perror("check_shim: mkdir");
		exit(99);
	}
}

static void scratch_teardown(void)
{
	harness_sh("rm -rf '%s'", scratch);
	mount_teardown();
}

/* ---- Helpers ------------------------------------------------------------ */

static const char *mpath(const char *file)
{
	static char buf[PATH_MAX];

	return harness_path(&mnt, file, buf, sizeof(buf));
}

static bool file_exists(const char *file)
{
	struct stat st;

	return lstat(mpath(file), &st) == 0;
}

/*
 * Creates name holding data with exactly this mode (umask aside), returns
 * the open O_RDWR descriptor.
 */
static int make_obj(const char *name, const char *data, mode_t mode)
{
	size_t len = strlen(data);
	int fd = (int)ck_ok(shm_open(name, O_CREAT | O_EXCL | O_RDWR, mode));

	ck_ok(fchmod(fd, mode));
	ck_ok(ftruncate(fd, (off_t)len));
	ck_assert_int_eq(pwrite(fd, data, len, 0), (ssize_t)len);
	return fd;
}

static void make_closed(const char *name, const char *data, mode_t mode)
{
	close(make_obj(name, data, mode));
}

/* Asserts that the descriptor's object holds exactly data. */
static void check_fd_data(int fd, const char *data)
{
	char buf[256] = "";
	struct stat st;
	ssize_t n;

	ck_ok(fstat(fd, &st));
	ck_assert_int_eq(st.st_size, (off_t)strlen(data));
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_eq(n, (ssize_t)strlen(data));
	ck_assert_str_eq(buf, data);
}

/* Asserts that the object called name holds exactly data. */
static void check_data(const char *name, const char *data)
{
	int fd = shm_open(name, O_RDONLY, 0);

	ck_assert_msg(fd >= 0, "shm_open(%s): %s", name, strerror(errno));
	check_fd_data(fd, data);
	close(fd);
}

static char *unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_ok(munmap(p, 4096));
	return p;
}

/* A name of len bytes: '/' then 'a's (or all 'a's without the slash). */
static char *long_name(size_t len, bool slash)
{
	char *s = malloc(len + 1);

	memset(s, 'a', len);
	if (slash && len)
		s[0] = '/';
	s[len] = '\0';
	return s;
}

/* Entries of dir other than "." and "..". */
static int count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Entries of the mount whose names start with prefix. */
static int count_entries(const char *prefix)
{
	DIR *d = opendir(mnt.mnt);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* What an unprivileged user does, in a child (harness_as_user). */
struct op {
	const char *name, *to;
	int flags;
	mode_t mode;
};

static int op_open(void *arg)
{
	struct op *op = arg;
	int fd = shm_open(op->name, op->flags, op->mode);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Creates with mode 0 and checks the creator can read and write. */
static int op_create_mode0(void *arg)
{
	struct op *op = arg;
	char buf[4] = "";
	struct stat st;
	int fd = shm_open(op->name, O_CREAT | O_EXCL | O_RDWR, 0);

	if (fd < 0)
		return errno;
	if (ftruncate(fd, 4) != 0 || pwrite(fd, "abcd", 4, 0) != 4 ||
	    pread(fd, buf, 4, 0) != 4 || memcmp(buf, "abcd", 4) != 0)
		return 200;
	if (fstat(fd, &st) != 0 || (st.st_mode & 07777) != 0 ||
	    st.st_uid != NOBODY || st.st_gid != NOBODY)
		return 201;
	return 0;
}

static int op_unlink(void *arg)
{
	struct op *op = arg;

	return shm_unlink(op->name) == 0 ? 0 : errno;
}

static int op_rename(void *arg)
{
	struct op *op = arg;

	return shm_rename(op->name, op->to, op->flags) == 0 ? 0 : errno;
}

#define OP(name, to, flags, mode) ((struct op){ (name), (to), (flags), (mode) })

static int as_nobody(int (*fn)(void *), struct op op)
{
	return harness_as_user(NOBODY, NOBODY, 0, NULL, fn, &op);
}

/* The errno of each call made as nobody, 0 for success. */
static int nobody_open(const char *name, int flags, mode_t mode)
{
	return as_nobody(op_open, OP(name, NULL, flags, mode));
}

static int nobody_unlink(const char *name)
{
	return as_nobody(op_unlink, OP(name, NULL, 0, 0));
}

static int nobody_rename(const char *from, const char *to, int flags)
{
	return as_nobody(op_rename, OP(from, to, flags, 0));
}

/* ---- shm_open: the checks in order -------------------------------------- */

START_TEST(open_access_mode)
{
	ck_fails(shm_open("/am", O_WRONLY | O_CREAT, 0600), EINVAL);
	ck_fails(shm_open("/am", 3 | O_CREAT, 0600), EINVAL);
	ck_fails(shm_open(SHM_ANON, O_WRONLY, 0600), EINVAL);
	ck_fails(shm_open(SHM_ANON, 3, 0600), EINVAL);
	/* Check 1 comes before the name checks. */
	ck_fails(shm_open(NULL, O_WRONLY, 0), EINVAL);
	ck_fails(shm_open("am", O_WRONLY, 0), EINVAL);
	ck_assert(!file_exists("am"));
}
END_TEST

START_TEST(open_bad_flags)
{
	static const int bad[] = { O_APPEND,	O_NONBLOCK, O_NOFOLLOW,
				   O_SYNC,	O_DSYNC,    O_DIRECT,
				   O_DIRECTORY, O_NOCTTY,   O_ASYNC,
				   O_NOATIME,	O_PATH,	    O_TMPFILE,
				   0x40000000 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_fails(shm_open("/bf", O_RDWR | O_CREAT | bad[i], 0600),
			 EINVAL);
		ck_fails(shm_open("/bf", O_RDONLY | bad[i], 0600), EINVAL);
		ck_fails(shm_open(SHM_ANON, O_RDWR | bad[i], 0600), EINVAL);
		/* Check 2 comes before the name checks. */
		ck_fails(shm_open(NULL, O_RDWR | bad[i], 0600), EINVAL);
	}
	ck_assert(!file_exists("bf"));
}
END_TEST

START_TEST(open_anon_rdonly)
{
	ck_fails(shm_open(SHM_ANON, O_RDONLY, 0600), EINVAL);
	ck_fails(shm_open(SHM_ANON, O_RDONLY | O_CREAT, 0600), EINVAL);
	ck_fails(shm_open(SHM_ANON, O_RDONLY | O_CREAT | O_EXCL | O_TRUNC,
			  0600),
		 EINVAL);
}
END_TEST

START_TEST(open_efault)
{
	char *gone = unmapped_page(), *none, *two;

	ck_fails(shm_open(NULL, O_RDWR | O_CREAT, 0600), EFAULT);
	ck_fails(shm_open(gone, O_RDWR | O_CREAT, 0600), EFAULT);
	ck_fails(shm_open(gone, O_RDONLY, 0), EFAULT);

	none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(none, MAP_FAILED);
	ck_fails(shm_open(none, O_RDWR | O_CREAT, 0600), EFAULT);
	munmap(none, 4096);

	/* A name running off the end of its page into nothing: EFAULT. */
	two = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(two, MAP_FAILED);
	ck_ok(munmap(two + 4096, 4096));
	memset(two, 'e', 4096);
	two[4096 - 8] = '/';
	ck_fails(shm_open(two + 4096 - 8, O_RDWR | O_CREAT, 0600), EFAULT);
	/* One whose NUL is the page's last byte is fine: nothing past it is read. */
	memcpy(two + 4096 - 6, "/edge", 6);
	close(ck_ok(shm_open(two + 4096 - 6, O_RDWR | O_CREAT, 0600)));
	ck_assert(file_exists("edge"));
	ck_ok(shm_unlink(two + 4096 - 6));
	munmap(two, 4096);
}
END_TEST

START_TEST(open_name_too_long)
{
	char *s;

	/* 1024 bytes without a slash: ENAMETOOLONG comes first. */
	s = long_name(1024, false);
	ck_fails(shm_open(s, O_RDWR | O_CREAT, 0600), ENAMETOOLONG);
	free(s);
	s = long_name(1024, true);
	ck_fails(shm_open(s, O_RDWR | O_CREAT, 0600), ENAMETOOLONG);
	free(s);
	s = long_name(5000, false);
	ck_fails(shm_open(s, O_RDONLY, 0), ENAMETOOLONG);
	free(s);
	/* 1023 bytes is a valid length: without a slash, EINVAL. */
	s = long_name(1023, false);
	ck_fails(shm_open(s, O_RDWR | O_CREAT, 0600), EINVAL);
	free(s);
	/* Valid length, but a file name over 255 bytes. */
	s = long_name(1023, true);
	ck_fails(shm_open(s, O_RDWR | O_CREAT, 0600), ENAMETOOLONG);
	free(s);
	s = long_name(257, true);
	ck_fails(shm_open(s, O_RDWR | O_CREAT, 0600), ENAMETOOLONG);
	free(s);
	s = long_name(256, true); /* file name of exactly 255 bytes */
	close(ck_ok(shm_open(s, O_RDWR | O_CREAT | O_EXCL, 0600)));
	ck_assert(file_exists(s + 1));
	ck_ok(shm_unlink(s));
	free(s);
}
END_TEST

START_TEST(open_escape_too_long)
{
	char name[160];

	/* 85 slashes after the first encode to 255 bytes, 86 to 258. */
	name[0] = '/';
	memset(name + 1, '/', 85);
	name[86] = '\0';
	close(ck_ok(shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)));
	ck_ok(shm_unlink(name));
	memset(name + 1, '/', 86);
	name[87] = '\0';
	ck_fails(shm_open(name, O_RDWR | O_CREAT, 0600), ENAMETOOLONG);
	ck_fails(shm_unlink(name), ENAMETOOLONG);
	/* m '%' before a '/' take 2m + 3 bytes: 126 fit, 127 do not. */
	memset(name + 1, '%', 126);
	strcpy(name + 127, "/");
	close(ck_ok(shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)));
	ck_ok(shm_unlink(name));
	memset(name + 1, '%', 127);
	strcpy(name + 128, "/");
	ck_fails(shm_open(name, O_RDWR | O_CREAT, 0600), ENAMETOOLONG);
	ck_fails(shm_unlink(name), ENAMETOOLONG);
}
END_TEST

START_TEST(open_no_slash)
{
	ck_fails(shm_open("", O_RDWR | O_CREAT, 0600), EINVAL);
	ck_fails(shm_open("x", O_RDWR | O_CREAT, 0600), EINVAL);
	ck_fails(shm_open("x/y", O_RDWR | O_CREAT, 0600), EINVAL);
	ck_fails(shm_open("ns", O_RDONLY, 0), EINVAL);
	ck_assert(!file_exists("x"));
}
END_TEST

START_TEST(open_enoent)
{
	ck_fails(shm_open("/missing", O_RDONLY, 0), ENOENT);
	ck_fails(shm_open("/missing", O_RDWR, 0), ENOENT);
	ck_fails(shm_open("/missing", O_RDWR | O_TRUNC, 0), ENOENT);
	ck_fails(shm_open("/missing", O_RDWR | O_EXCL, 0), ENOENT);
	ck_assert(!file_exists("missing"));
}
END_TEST

START_TEST(open_eexist)
{
	make_closed("/ex", "data", 0600);
	ck_fails(shm_open("/ex", O_CREAT | O_EXCL | O_RDWR, 0600), EEXIST);
	ck_fails(shm_open("/ex", O_CREAT | O_EXCL | O_RDONLY, 0600), EEXIST);
	/* Before any permission check. */
	ck_assert_int_eq(nobody_open("/ex", O_CREAT | O_EXCL | O_RDWR, 0666),
			 EEXIST);
	check_data("/ex", "data");
	ck_ok(shm_unlink("/ex"));
}
END_TEST

START_TEST(open_eacces)
{
	int fd;

	make_closed("/acc600", "x", 0600);
	make_closed("/acc644", "x", 0644);
	make_closed("/acc666", "x", 0666);
	make_closed("/acc222", "x", 0222);
	ck_assert_int_eq(nobody_open("/acc600", O_RDONLY, 0), EACCES);
	ck_assert_int_eq(nobody_open("/acc600", O_RDWR, 0), EACCES);
	ck_assert_int_eq(nobody_open("/acc600", O_RDWR | O_CREAT, 0666),
			 EACCES);
	ck_assert_int_eq(nobody_open("/acc644", O_RDONLY, 0), 0);
	ck_assert_int_eq(nobody_open("/acc644", O_RDWR, 0), EACCES);
	ck_assert_int_eq(nobody_open("/acc644", O_RDWR | O_TRUNC, 0), EACCES);
	ck_assert_int_eq(nobody_open("/acc666", O_RDWR, 0), 0);
	/* Write without read is not enough for O_RDWR. */
	ck_assert_int_eq(nobody_open("/acc222", O_RDWR, 0), EACCES);
	/* O_RDONLY|O_TRUNC is O_RDONLY: allowed, and truncates nothing. */
	ck_assert_int_eq(nobody_open("/acc644", O_RDONLY | O_TRUNC, 0), 0);
	check_data("/acc644", "x");
	check_data("/acc600", "x");

	/* The owner class decides for the owner, even when others may. */
	fd = (int)ck_ok(shm_open("/acc066", O_CREAT | O_EXCL | O_RDWR, 0600));
	ck_ok(fchown(fd, NOBODY, NOBODY));
	ck_ok(fchmod(fd, 0066));
	close(fd);
	ck_assert_int_eq(nobody_open("/acc066", O_RDONLY, 0), EACCES);
	/* The group class, then other. */
	fd = (int)ck_ok(shm_open("/accgrp", O_CREAT | O_EXCL | O_RDWR, 0600));
	ck_ok(fchown(fd, 0, NOBODY));
	ck_ok(fchmod(fd, 0046));
	close(fd);
	ck_assert_int_eq(nobody_open("/accgrp", O_RDONLY, 0), 0);
	ck_assert_int_eq(nobody_open("/accgrp", O_RDWR, 0), EACCES);
	/* Root may do anything. */
	close(ck_ok(shm_open("/acc066", O_RDWR, 0)));
}
END_TEST

START_TEST(open_trunc)
{
	int fd = make_obj("/tr", "contents", 0600), fd2;

	/* O_RDONLY|O_TRUNC is silently O_RDONLY (Linux would truncate). */
	fd2 = (int)ck_ok(shm_open("/tr", O_RDONLY | O_TRUNC, 0));
	check_fd_data(fd2, "contents");
	close(fd2);
	fd2 = (int)ck_ok(shm_open("/tr", O_RDONLY | O_TRUNC | O_CREAT, 0600));
	check_fd_data(fd2, "contents");
	close(fd2);
	fd2 = (int)ck_ok(shm_open("/tr", O_RDWR | O_TRUNC, 0));
	check_fd_data(fd2, "");
	check_fd_data(fd, "");
	close(fd2);
	close(fd);
	ck_ok(shm_unlink("/tr"));
}
END_TEST

START_TEST(open_mode_umask)
{
	struct stat st;
	int fd;

	umask(022);
	fd = (int)ck_ok(shm_open("/um1", O_CREAT | O_EXCL | O_RDWR, 0777));
	ck_ok(fstat(fd, &st));
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0755);
	ck_assert_uint_eq(st.st_uid, geteuid());
	ck_assert_uint_eq(st.st_gid, getegid());
	ck_assert_int_eq(st.st_size, 0);
	close(fd);
	ck_ok(stat(mpath("um1"), &st));
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0755);

	umask(0);
	fd = (int)ck_ok(shm_open("/um2", O_CREAT | O_EXCL | O_RDWR, 07777));
	ck_ok(fstat(fd, &st));
	ck_assert_uint_eq(st.st_mode,
			  S_IFREG | 0777); /* setuid, setgid, sticky dropped */
	close(fd);

	umask(077);
	fd = (int)ck_ok(shm_open("/um3", O_CREAT | O_EXCL | O_RDONLY, 0666));
	ck_ok(fstat(fd, &st));
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0600);
	close(fd);

	/* An existing object's mode and owner are untouched by O_CREAT. */
	umask(0);
	fd = (int)ck_ok(shm_open("/um3", O_CREAT | O_RDWR, 0777));
	ck_ok(fstat(fd, &st));
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0600);
	close(fd);
	umask(022);
}
END_TEST

START_TEST(open_mode0)
{
	struct stat st;
	char buf[4];
	int fd = (int)ck_ok(shm_open("/m0", O_CREAT | O_EXCL | O_RDWR, 0));

	ck_ok(fstat(fd, &st));
	ck_assert_uint_eq(st.st_mode, S_IFREG);
	ck_ok(ftruncate(fd, 4));
	ck_assert_int_eq(pwrite(fd, "wxyz", 4, 0), 4);
	ck_assert_int_eq(pread(fd, buf, 4, 0), 4);
	ck_assert(memcmp(buf, "wxyz", 4) == 0);
	close(fd);
	/* The creator may be anybody; others then get nothing. */
	ck_assert_int_eq(as_nobody(op_create_mode0, OP("/m0n", NULL, 0, 0)), 0);
	ck_assert_int_eq(nobody_open("/m0n", O_RDONLY, 0), EACCES);
	ck_assert_int_eq(nobody_open("/m0", O_RDONLY, 0), EACCES);
}
END_TEST

START_TEST(open_cloexec)
{
	static const int flags[] = { O_RDWR | O_CREAT, O_RDONLY,
				     O_RDWR | O_CLOEXEC, O_RDWR };

	make_closed("/ce", "", 0600);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		int fd = (int)ck_ok(shm_open("/ce", flags[i], 0600));

		ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		close(fd);
	}
	for (int i = 0; i < 2; i++) {
		int fd = (int)ck_ok(
			shm_open(SHM_ANON, O_RDWR | (i ? O_CLOEXEC : 0), 0600));

		ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		close(fd);
	}
}
END_TEST

START_TEST(open_same_object)
{
	struct stat a, b;
	char buf[8] = "";
	int fd1 = make_obj("/same", "........", 0600), fd2, status;
	pid_t pid;

	fd2 = (int)ck_ok(shm_open("/same", O_RDWR, 0));
	ck_ok(fstat(fd1, &a));
	ck_ok(fstat(fd2, &b));
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_int_eq(pwrite(fd1, "one", 3, 0), 3);
	ck_assert_int_eq(pread(fd2, buf, 3, 0), 3);
	ck_assert(memcmp(buf, "one", 3) == 0);
	/* Another process opening the name gets the same object too. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = shm_open("/same", O_RDWR, 0);

		_exit(fd >= 0 && pwrite(fd, "two", 3, 4) == 3 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(pread(fd1, buf, 8, 0), 8);
	ck_assert(memcmp(buf, "one.two.", 8) == 0);
	close(fd1);
	close(fd2);
}
END_TEST

START_TEST(open_compat_version)
{
	int fd = (int)ck_ok(
		shm_open_compat("/compat", O_CREAT | O_EXCL | O_RDWR, 0600));
	struct stat st;

	/* It reached the shim: the object is on the mount, and no-grow. */
	ck_assert(file_exists("compat"));
	ck_assert_int_eq(write(fd, "x", 1), 0);
	ck_ok(fstat(fd, &st));
	ck_assert_int_eq(st.st_size, 0);
	close(fd);
	ck_ok(shm_unlink_compat("/compat"));
	ck_assert(!file_exists("compat"));
	ck_fails(shm_unlink_compat("/compat"), ENOENT);
}
END_TEST

START_TEST(errno_preserved)
{
	struct iovec iov = { "ab", 2 };
	ssize_t n[8];
	int fd, e[8];

	/* errno is read before any ck_assert, which may make system calls. */
	errno = 4242;
	fd = shm_open("/ep", O_CREAT | O_EXCL | O_RDWR, 0600);
	e[0] = errno;
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(e[0], 4242);
	ck_assert_int_eq(ftruncate(fd, 4), 0);
	errno = 4243;
	n[0] = write(fd, "ab", 2);
	n[1] = pwrite(fd, "ab", 2, 2);
	n[2] = pwritev(fd, &iov, 1, 0);
	/* A write at the end returns 0 and leaves errno alone too. */
	n[3] = pwrite(fd, "ab", 2, 4);
	n[4] = writev(fd, &iov, 1);
	n[5] = writev(fd, &iov, 1);
	e[1] = errno;
	ck_assert_int_eq(n[0], 2);
	ck_assert_int_eq(n[1], 2);
	ck_assert_int_eq(n[2], 2);
	ck_assert_int_eq(n[3], 0);
	ck_assert_int_eq(n[4], 2);
	ck_assert_int_eq(n[5], 0);
	ck_assert_int_eq(e[1], 4243);
	close(fd);
	errno = 4244;
	n[0] = shm_rename("/ep", "/ep2", 0);
	n[1] = shm_rename("/ep2", "/ep3", SHM_RENAME_EXCHANGE);
	n[2] = shm_rename("/ep3", "/ep3", 0);
	n[3] = shm_unlink("/ep3");
	n[4] = fd = shm_open(SHM_ANON, O_RDWR, 0600);
	close(fd);
	n[5] = fd = memfd_create("ep", 0);
	close(fd);
	n[6] = fd = shm_open("/ep4", O_CREAT | O_RDWR, 0600);
	close(fd);
	n[7] = shm_unlink("/ep4");
	e[2] = errno;
	for (int i = 0; i < 8; i++)
		ck_assert_msg(n[i] >= 0, "call %d failed", i);
	ck_assert_int_eq(e[2], 4244);
}
END_TEST

/* Threads creating, opening and removing at once (and SHM_ANON's counter). */
static void *thread_worker(void *arg)
{
	long id = (long)arg;
	char name[32];

	for (int i = 0; i < 100; i++) {
		int fd = shm_open(SHM_ANON, O_RDWR, 0600), fd2;

		if (fd < 0)
			return (void *)1L;
		close(fd);
		snprintf(name, sizeof(name), "/thr%ld.%d", id, i);
		fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
		fd2 = memfd_create(name, 0);
		if (fd < 0 || fd2 < 0 || shm_unlink(name) != 0)
			return (void *)2L;
		close(fd);
		close(fd2);
	}
	return NULL;
}

START_TEST(threads)
{
	pthread_t t[4];
	void *ret;

	for (long i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, thread_worker,
						(void *)i),
				 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_int_eq(count_entries("thr"), 0);
}
END_TEST

/* ---- Names -------------------------------------------------------------- */

/* Each name, and the file the codec must give it on the mount. */
static const struct {
	const char *name, *file;
} names[] = {
	{ "/", "%00" },
	{ "/x", "x" },
	{ "//x", "%2Fx" },
	{ "/x/", "x%2F" },
	{ "/a/b", "a%2Fb" },
	{ "/.", "%2E" },
	{ "/..", "%2E%2E" },
	{ "/...", "..." },
	{ "/%", "%" },
	{ "/50%", "50%" },
	{ "/%25", "%25" },
	{ "/%/", "%%%2F" },
	{ "/a%2Fb", "a%%2Fb" },
	{ "/%00", "%%00" },
	{ "/%2E", "%%2E" },
	{ "/%2E%2E", "%%2E%2E" },
	{ "/%shmfs", "%%shmfs" },
	{ "/%anon", "%%anon" },
	{ "/ sp ace", " sp ace" },
	{ "/\xff\x01", "\xff\x01" },
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

START_TEST(names_distinct)
{
	char data[16];

	for (size_t i = 0; i < NNAMES; i++) {
		snprintf(data, sizeof(data), "obj%zu", i);
		make_closed(names[i].name, data, 0600);
	}
	for (size_t i = 0; i < NNAMES; i++) {
		int fd = open(mpath(names[i].file), O_RDONLY);

		snprintf(data, sizeof(data), "obj%zu", i);
		ck_assert_msg(fd >= 0, "%s is not the file %s", names[i].name,
			      names[i].file);
		check_fd_data(fd, data);
		close(fd);
		check_data(names[i].name, data);
	}
	for (size_t i = 0; i < NNAMES; i++) {
		ck_ok(shm_unlink(names[i].name));
		ck_assert(!file_exists(names[i].file));
		ck_fails(shm_unlink(names[i].name), ENOENT);
	}
}
END_TEST

START_TEST(names_file_is_object)
{
	/* A file made directly on the mount is the object "/bar". */
	int fd = open(mpath("bar"), O_CREAT | O_EXCL | O_RDWR, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "made by open", 12),
			 12); /* open(2) fds grow */
	close(fd);
	check_data("/bar", "made by open");
	ck_ok(shm_unlink("/bar"));
	ck_assert(!file_exists("bar"));

	/* Any file name is one: "50%" is "/50%", "%2F" is "//". */
	fd = open(mpath("50%"), O_CREAT | O_EXCL | O_RDWR, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "fifty", 5), 5);
	close(fd);
	check_data("/50%", "fifty");
	ck_ok(shm_unlink("/50%"));
	ck_assert(!file_exists("50%"));
	fd = open(mpath("%2F"), O_CREAT | O_EXCL | O_RDWR, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "slash", 5), 5);
	close(fd);
	check_data("//", "slash");
	ck_ok(shm_unlink("//"));
	ck_assert(!file_exists("%2F"));
}
END_TEST

/* ---- Writes ------------------------------------------------------------- */

START_TEST(write_no_grow)
{
	char big[16];
	struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
	int fd = make_obj("/ng", "12345678", 0600);

	/* At or past the end: 0 from every call, the size unchanged. */
	ck_assert_int_eq(lseek(fd, 8, SEEK_SET), 8);
	ck_assert_int_eq(write(fd, "x", 1), 0);
	ck_assert_int_eq(writev(fd, iov, 2), 0);
	ck_assert_int_eq(pwrite(fd, "x", 1, 8), 0);
	ck_assert_int_eq(pwrite(fd, "x", 1, 1000), 0);
	ck_assert_int_eq(pwrite64(fd, "x", 1, 8), 0);
	ck_assert_int_eq(pwritev(fd, iov, 2, 8), 0);
	ck_assert_int_eq(pwritev64(fd, iov, 2, 9), 0);
	ck_assert_int_eq(pwritev2(fd, iov, 2, 8, 0), 0);
	ck_assert_int_eq(pwritev2(fd, iov, 2, -1, 0), 0);
	ck_assert_int_eq(pwritev64v2(fd, iov, 2, 100, 0), 0);
	check_fd_data(fd, "12345678");
	/* Crossing the end: cut short at the end. */
	ck_assert_int_eq(lseek(fd, 6, SEEK_SET), 6);
	ck_assert_int_eq(write(fd, "ABCD", 4), 2);
	ck_assert_int_eq(write(fd, "ABCD", 4), 0);
	ck_assert_int_eq(pwrite(fd, "EFGH", 4, 5), 3);
	ck_assert_int_eq(pwritev(fd, iov, 2, 1), 4);
	ck_assert_int_eq(pwritev2(fd, iov, 2, 5, 0), 3);
	check_fd_data(fd, "1abcdabc");
	/* What was cut off is nowhere: regrown, the object reads zeros. */
	ck_ok(ftruncate(fd, 12));
	ck_assert_int_eq(pread(fd, big, 12, 0), 12);
	ck_assert(memcmp(big, "1abcdabc\0\0\0\0", 12) == 0);
	ck_ok(ftruncate(fd, 8));
	/* An empty object takes nothing. */
	ck_ok(ftruncate(fd, 0));
	ck_assert_int_eq(pwrite(fd, "x", 1, 0), 0);
	memset(big, 'b', sizeof(big));
	ck_assert_int_eq(pwrite(fd, big, sizeof(big), 0), 0);
	check_fd_data(fd, "");
	close(fd);
	/* A second shm_open of the same object does not grow it either. */
	fd = (int)ck_ok(shm_open("/ng", O_RDWR, 0));
	ck_assert_int_eq(write(fd, "x", 1), 0);
	close(fd);
	/* Neither does SHM_ANON. */
	fd = (int)ck_ok(shm_open(SHM_ANON, O_RDWR, 0600));
	ck_assert_int_eq(write(fd, "x", 1), 0);
	ck_ok(ftruncate(fd, 2));
	ck_assert_int_eq(write(fd, "xyz", 3), 2);
	check_fd_data(fd, "xy");
	close(fd);
}
END_TEST

START_TEST(write_others_grow)
{
	struct stat st;
	int fd = (int)ck_ok(memfd_create("grow", 0)), fd2;

	ck_assert_int_eq(write(fd, "hello", 5), 5);
	ck_assert_int_eq(pwrite(fd, "!", 1, 99), 1);
	ck_ok(fstat(fd, &st));
	ck_assert_int_eq(st.st_size, 100);
	close(fd);
	/* An ordinary open(2) of an object's file grows it, so cp works. */
	make_closed("/og", "", 0600);
	fd2 = open(mpath("og"), O_RDWR | O_APPEND);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(write(fd2, "appended", 8), 8);
	close(fd2);
	check_data("/og", "appended");
}
END_TEST

/* RLIMIT_FSIZE's EFBIG is the kernel's own: the wrappers pass it on. */
static int efbig_child(void)
{
	struct rlimit rl = { 4096, 4096 };
	const char *tmp = getenv("TMPDIR");
	int plain = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR, 0600);
	int shm = shm_open("/fsz", O_CREAT | O_EXCL | O_RDWR, 0600);

	if (plain < 0 || shm < 0)
		return 10;
	if (ftruncate(shm, 16384) != 0)
		return 11;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 12;
	errno = 0;
	if (pwrite(plain, "x", 1, 4096) != -1 || errno != EFBIG)
		return 13;
	if (pwrite(shm, "x", 1, 8192) != -1 || errno != EFBIG)
		return 14;
	if (pwrite(shm, "x", 1, 16384) != -1 || errno != EFBIG)
		return 15;
	if (pwrite(shm, "x", 1, 0) != 1)
		return 16;
	return 0;
}

START_TEST(write_rlimit_efbig)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(efbig_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child status %#x", status);
	ck_ok(shm_unlink("/fsz"));
}
END_TEST

START_TEST(write_other_mount)
{
	struct shmfs_mount other;
	char path[PATH_MAX];
	ssize_t r[5];
	int fd, fd2, there;

	/*
	 * A descriptor from a mount $SHMFS_MOUNT no longer names.  Results are
	 * checked after the second mount is gone, so a failure leaves nothing.
	 */
	fd = make_obj("/om", "1234", 0600);
	harness_mount(&other, "size=1m");
	setenv("SHMFS_MOUNT", other.mnt, 1);
	r[0] = pwrite(fd, "x", 1, 4);
	r[1] = pwrite(fd, "xy", 2, 3);
	/* And once unlinked, when /proc shows "name (deleted)". */
	setenv("SHMFS_MOUNT", mnt.mnt, 1);
	r[2] = shm_unlink("/om");
	setenv("SHMFS_MOUNT", other.mnt, 1);
	r[3] = pwrite(fd, "x", 1, 4);
	/* $SHMFS_MOUNT is read on every call. */
	fd2 = shm_open("/om2", O_CREAT | O_EXCL | O_RDWR, 0600);
	r[4] = fd2;
	there = access(harness_path(&other, "om2", path, sizeof(path)), F_OK);
	close(fd2);
	harness_umount(&other);
	setenv("SHMFS_MOUNT", mnt.mnt, 1);
	ck_assert_int_eq(r[0], 0);
	ck_assert_int_eq(r[1], 1);
	ck_assert_int_eq(r[2], 0);
	ck_assert_int_eq(r[3], 0);
	ck_assert_int_ge(r[4], 0);
	ck_assert_int_eq(there, 0);
	ck_assert(!file_exists("om2"));
	check_fd_data(fd, "123x");
	close(fd);
}
END_TEST

/* ---- shm_unlink --------------------------------------------------------- */

START_TEST(unlink_errors)
{
	char *s = long_name(1024, false);

	ck_fails(shm_unlink(NULL), EFAULT);
	ck_fails(shm_unlink(unmapped_page()), EFAULT);
	ck_fails(shm_unlink(SHM_ANON), EFAULT);
	ck_fails(shm_unlink(s), ENAMETOOLONG);
	free(s);
	s = long_name(300, true);
	ck_fails(shm_unlink(s), ENAMETOOLONG);
	free(s);
	ck_fails(shm_unlink(""), EINVAL);
	ck_fails(shm_unlink("ul"), EINVAL);
	ck_fails(shm_unlink("/ul-missing"), ENOENT);
}
END_TEST

START_TEST(unlink_eacces)
{
	make_closed("/ul644", "keep", 0644);
	make_closed("/ul002", "go", 0002);
	ck_assert_int_eq(nobody_unlink("/ul644"), EACCES);
	check_data("/ul644", "keep");
	/* Write permission on the object is what counts. */
	ck_assert_int_eq(nobody_unlink("/ul002"), 0);
	ck_assert(!file_exists("ul002"));
	ck_assert_int_eq(nobody_unlink("/ul002"), ENOENT);
	ck_ok(shm_unlink("/ul644"));
}
END_TEST

START_TEST(unlink_keeps_open)
{
	struct stat st;
	int fd = make_obj("/uk", "live", 0600), fd2;

	ck_ok(shm_unlink("/uk"));
	ck_fails(shm_open("/uk", O_RDONLY, 0), ENOENT);
	check_fd_data(fd, "live");
	ck_assert_int_eq(pwrite(fd, "LIVE", 4, 0), 4);
	ck_ok(fstat(fd, &st));
	ck_assert_int_eq(st.st_nlink, 0);
	/* The name again is a new object. */
	fd2 = make_obj("/uk", "new", 0600);
	check_fd_data(fd, "LIVE");
	check_data("/uk", "new");
	close(fd);
	close(fd2);
	ck_ok(shm_unlink("/uk"));
}
END_TEST

/* ---- shm_rename --------------------------------------------------------- */

START_TEST(rename_flags)
{
	make_closed("/rf", "rf", 0600);
	ck_fails(shm_rename("/rf", "/rf2", 3), EINVAL);
	ck_fails(shm_rename("/rf", "/rf2", 4), EINVAL);
	ck_fails(shm_rename("/rf", "/rf2", 8), EINVAL);
	ck_fails(shm_rename("/rf", "/rf2", -1), EINVAL);
	ck_fails(shm_rename("/rf", "/rf2", 1 | 4), EINVAL);
	/* Before everything else, the same-string shortcut included. */
	ck_fails(shm_rename(NULL, NULL, 4), EINVAL);
	ck_fails(shm_rename("/rf", "/rf", 3), EINVAL);
	ck_assert(!file_exists("rf2"));
	check_data("/rf", "rf");
	ck_ok(shm_unlink("/rf"));
}
END_TEST

START_TEST(rename_anon)
{
	make_closed("/ra", "ra", 0600);
	ck_fails(shm_rename(SHM_ANON, "/ra2", 0), EINVAL);
	ck_fails(shm_rename("/ra", SHM_ANON, 0), EINVAL);
	ck_fails(shm_rename(SHM_ANON, SHM_ANON, 0), EINVAL);
	ck_fails(shm_rename("/ra", SHM_ANON, SHM_RENAME_EXCHANGE), EINVAL);
	/* Before the name checks. */
	ck_fails(shm_rename(NULL, SHM_ANON, 0), EINVAL);
	ck_fails(shm_rename(SHM_ANON, NULL, 0), EINVAL);
	check_data("/ra", "ra");
	ck_ok(shm_unlink("/ra"));
}
END_TEST

START_TEST(rename_name_errors)
{
	char *lng = long_name(1024, false), *enc = long_name(300, true),
	     *gone = unmapped_page();

	make_closed("/rn", "rn", 0600);
	ck_fails(shm_rename(NULL, "/rn2", 0), EFAULT);
	ck_fails(shm_rename(gone, "/rn2", 0), EFAULT);
	ck_fails(shm_rename(lng, "/rn2", 0), ENAMETOOLONG);
	ck_fails(shm_rename(enc, "/rn2", 0), ENAMETOOLONG);
	ck_fails(shm_rename("rn", "/rn2", 0), EINVAL);
	ck_fails(shm_rename("", "/rn2", 0), EINVAL);
	ck_fails(shm_rename("/rn", NULL, 0), EFAULT);
	ck_fails(shm_rename("/rn", gone, 0), EFAULT);
	ck_fails(shm_rename("/rn", lng, 0), ENAMETOOLONG);
	ck_fails(shm_rename("/rn", enc, 0), ENAMETOOLONG);
	ck_fails(shm_rename("/rn", "rn2", 0), EINVAL);
	ck_fails(shm_rename("/rn", "", SHM_RENAME_EXCHANGE), EINVAL);
	/* from is checked before to. */
	ck_fails(shm_rename("rn", NULL, 0), EINVAL);
	ck_fails(shm_rename(NULL, "rn", 0), EFAULT);
	ck_fails(shm_rename(lng, NULL, 0), ENAMETOOLONG);
	ck_fails(shm_rename("rn", lng, 0), EINVAL);
	/* Name errors come before the same-string shortcut. */
	ck_fails(shm_rename("rn", "rn", 0), EINVAL);
	check_data("/rn", "rn");
	ck_ok(shm_unlink("/rn"));
	free(lng);
	free(enc);
}
END_TEST

START_TEST(rename_same)
{
	char copy[] = "/rs";

	/* The same string: 0 at once, whether or not it exists. */
	ck_ok(shm_rename("/rs-missing", "/rs-missing", 0));
	ck_ok(shm_rename("/rs-missing", "/rs-missing", SHM_RENAME_NOREPLACE));
	ck_ok(shm_rename("/rs-missing", "/rs-missing", SHM_RENAME_EXCHANGE));
	ck_assert(!file_exists("rs-missing"));
	make_closed("/rs", "rs", 0600);
	ck_ok(shm_rename("/rs", copy, 0));
	ck_ok(shm_rename("/rs", copy, SHM_RENAME_NOREPLACE));
	ck_ok(shm_rename("/rs", "/rs", SHM_RENAME_EXCHANGE));
	check_data("/rs", "rs");
	/* Even for somebody without permission. */
	ck_assert_int_eq(nobody_rename("/rs", "/rs", 0), 0);
	ck_ok(shm_unlink("/rs"));
}
END_TEST

START_TEST(rename_enoent)
{
	make_closed("/re-to", "to", 0600);
	ck_fails(shm_rename("/re-from", "/re-new", 0), ENOENT);
	ck_fails(shm_rename("/re-from", "/re-new", SHM_RENAME_NOREPLACE),
		 ENOENT);
	ck_fails(shm_rename("/re-from", "/re-new", SHM_RENAME_EXCHANGE),
		 ENOENT);
	ck_fails(shm_rename("/re-from", "/re-to", 0), ENOENT);
	/* from absent decides before NOREPLACE's EEXIST. */
	ck_fails(shm_rename("/re-from", "/re-to", SHM_RENAME_NOREPLACE),
		 ENOENT);
	ck_fails(shm_rename("/re-from", "/re-to", SHM_RENAME_EXCHANGE), ENOENT);
	ck_assert(!file_exists("re-new"));
	ck_assert(!file_exists("re-from"));
	check_data("/re-to", "to");
	ck_ok(shm_unlink("/re-to"));
}
END_TEST

START_TEST(rename_noreplace)
{
	make_closed("/rnr-a", "a", 0600);
	make_closed("/rnr-b", "b", 0600);
	ck_fails(shm_rename("/rnr-a", "/rnr-b", SHM_RENAME_NOREPLACE), EEXIST);
	check_data("/rnr-a", "a");
	check_data("/rnr-b", "b");
	/* EEXIST before the permission checks. */
	ck_assert_int_eq(nobody_rename("/rnr-a", "/rnr-b",
				       SHM_RENAME_NOREPLACE),
			 EEXIST);
	/* Onto a free name it moves. */
	ck_ok(shm_rename("/rnr-a", "/rnr-c", SHM_RENAME_NOREPLACE));
	ck_assert(!file_exists("rnr-a"));
	check_data("/rnr-c", "a");
	ck_ok(shm_unlink("/rnr-b"));
	ck_ok(shm_unlink("/rnr-c"));
}
END_TEST

START_TEST(rename_move_replace)
{
	struct stat st;
	int from = make_obj("/rm-from", "from", 0600),
	    old = make_obj("/rm-to", "old", 0600);

	/* A move: the descriptor follows the object. */
	ck_ok(shm_rename("/rm-from", "/rm-mid", 0));
	ck_fails(shm_open("/rm-from", O_RDONLY, 0), ENOENT);
	check_data("/rm-mid", "from");
	/* Replacing: the old target loses its name, its descriptor lives on. */
	ck_ok(shm_rename("/rm-mid", "/rm-to", 0));
	ck_assert(!file_exists("rm-mid"));
	check_data("/rm-to", "from");
	check_fd_data(old, "old");
	ck_assert_int_eq(pwrite(old, "OLD", 3, 0), 3);
	check_fd_data(old, "OLD");
	ck_ok(fstat(old, &st));
	ck_assert_int_eq(st.st_nlink, 0);
	ck_assert_int_eq(pwrite(from, "FROM", 4, 0), 4);
	check_data("/rm-to", "FROM");
	close(from);
	close(old);
	ck_ok(shm_unlink("/rm-to"));
}
END_TEST

START_TEST(rename_eacces)
{
	make_closed("/rp-ro", "ro", 0644);
	make_closed("/rp-rw", "rw", 0666);
	make_closed("/rp-rw2", "rw2", 0666);
	/* No write permission on from. */
	ck_assert_int_eq(nobody_rename("/rp-ro", "/rp-new", 0), EACCES);
	ck_assert_int_eq(nobody_rename("/rp-ro", "/rp-rw", SHM_RENAME_EXCHANGE),
			 EACCES);
	/* No write permission on an existing to. */
	ck_assert_int_eq(nobody_rename("/rp-rw", "/rp-ro", 0), EACCES);
	ck_assert_int_eq(nobody_rename("/rp-rw", "/rp-ro", SHM_RENAME_EXCHANGE),
			 EACCES);
	/* Nothing changed. */
	ck_assert(!file_exists("rp-new"));
	check_data("/rp-ro", "ro");
	check_data("/rp-rw", "rw");
	/* Both writable: allowed. */
	ck_assert_int_eq(
		nobody_rename("/rp-rw", "/rp-rw2", SHM_RENAME_EXCHANGE), 0);
	check_data("/rp-rw", "rw2");
	check_data("/rp-rw2", "rw");
	ck_assert_int_eq(nobody_rename("/rp-rw", "/rp-rw2", 0), 0);
	check_data("/rp-rw2", "rw2");
	ck_assert(!file_exists("rp-rw"));
	ck_ok(shm_unlink("/rp-ro"));
	ck_ok(shm_unlink("/rp-rw2"));
}
END_TEST

START_TEST(rename_exchange)
{
	struct stat a0, b0, a1, b1;
	int fa = make_obj("/rx-a", "aaa", 0600),
	    fb = make_obj("/rx-b", "bb", 0640);

	ck_ok(stat(mpath("rx-a"), &a0));
	ck_ok(stat(mpath("rx-b"), &b0));
	ck_ok(shm_rename("/rx-a", "/rx-b", SHM_RENAME_EXCHANGE));
	check_data("/rx-a", "bb");
	check_data("/rx-b", "aaa");
	ck_ok(stat(mpath("rx-a"), &a1));
	ck_ok(stat(mpath("rx-b"), &b1));
	ck_assert_uint_eq(a1.st_ino, b0.st_ino);
	ck_assert_uint_eq(b1.st_ino, a0.st_ino);
	ck_assert_uint_eq(a1.st_mode, S_IFREG | 0640);
	/* No timestamp changes. */
	ck_assert_int_eq(b1.st_ctim.tv_sec, a0.st_ctim.tv_sec);
	ck_assert_int_eq(b1.st_ctim.tv_nsec, a0.st_ctim.tv_nsec);
	/* Descriptors follow the objects. */
	check_fd_data(fa, "aaa");
	ck_assert_int_eq(pwrite(fa, "A", 1, 0), 1);
	check_data("/rx-b", "Aaa");
	close(fa);
	close(fb);
	/* Onto a missing target: a plain move, not Linux's ENOENT. */
	ck_ok(shm_rename("/rx-a", "/rx-c", SHM_RENAME_EXCHANGE));
	ck_assert(!file_exists("rx-a"));
	check_data("/rx-c", "bb");
	ck_ok(shm_unlink("/rx-b"));
	ck_ok(shm_unlink("/rx-c"));
}
END_TEST

/*
 * The observer: stats both names and opens them, thousands of times, while
 * the parent exchanges them; either name missing even once is a failure.
 */
static int observe(int go, int rounds)
{
	char c;
	struct stat st;

	if (read(go, &c, 1) != 1)
		return 3;
	for (int i = 0; i < rounds; i++) {
		if (stat(mpath("rxa-1"), &st) != 0 ||
		    stat(mpath("rxa-2"), &st) != 0)
			return 1;
		if (i % 8 == 0) {
			int fd = shm_open(i % 16 ? "/rxa-1" : "/rxa-2",
					  O_RDONLY, 0);

			if (fd < 0)
				return 2;
			close(fd);
		}
	}
	return 0;
}

START_TEST(rename_exchange_atomic)
{
	int go[2], status, swaps = 0;
	pid_t pid;

	make_closed("/rxa-1", "one", 0600);
	make_closed("/rxa-2", "two", 0600);
	ck_ok(pipe(go));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(observe(go[0], 20000));
	ck_ok(shm_rename("/rxa-1", "/rxa-2", SHM_RENAME_EXCHANGE));
	swaps++;
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		ck_ok(shm_rename("/rxa-1", "/rxa-2", SHM_RENAME_EXCHANGE));
		swaps++;
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the observer saw a name missing (status %#x) after %d "
		      "swaps",
		      status, swaps);
	ck_assert_int_gt(swaps, 100);
	check_data("/rxa-1", swaps % 2 ? "two" : "one");
	check_data("/rxa-2", swaps % 2 ? "one" : "two");
	ck_ok(shm_unlink("/rxa-1"));
	ck_ok(shm_unlink("/rxa-2"));
	close(go[0]);
	close(go[1]);
}
END_TEST

/*
 * Exchange onto a name that another process keeps creating and removing:
 * with "/rr-a" present the call must succeed every time, whichever way the
 * race goes (an exchange, or a move when the target is absent).
 */
static void toggle_target(pid_t parent)
{
	time_t end = time(NULL) + 30;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (getppid() == parent && time(NULL) < end) {
		int fd = shm_open("/rr-t", O_CREAT | O_EXCL | O_RDWR, 0600);

		if (fd >= 0)
			close(fd);
		shm_unlink("/rr-t");
	}
	_exit(0);
}

START_TEST(rename_exchange_race)
{
	int failures = 0, err = 0;
	pid_t parent = getpid(), pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		toggle_target(parent);
	for (int i = 0; i < 3000; i++) {
		int fd = shm_open("/rr-a", O_CREAT | O_RDWR, 0600);

		if (fd < 0 || close(fd) != 0 ||
		    shm_rename("/rr-a", "/rr-t", SHM_RENAME_EXCHANGE) != 0) {
			failures++;
			err = errno;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_msg(failures == 0, "%d of 3000 failed, last with %s",
		      failures, strerror(err));
	shm_unlink("/rr-a");
	shm_unlink("/rr-t");
}
END_TEST

/* ---- SHM_ANON ----------------------------------------------------------- */

START_TEST(anon_basics)
{
	struct stat st;
	int before = count_entries(""), fd;
	mode_t old = umask(022);

	/* O_CREAT, O_EXCL and O_TRUNC are ignored; the mode is used. */
	fd = (int)ck_ok(
		shm_open(SHM_ANON, O_RDWR | O_CREAT | O_EXCL | O_TRUNC, 0666));
	ck_ok(fstat(fd, &st));
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0644);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(st.st_nlink, 0);
	ck_assert_uint_eq(st.st_uid, geteuid());
	ck_ok(ftruncate(fd, 3));
	ck_assert_int_eq(pwrite(fd, "anon", 4, 0), 3);
	check_fd_data(fd, "ano");
	/* Never in the namespace, under any name. */
	ck_assert_int_eq(count_entries(""), before);
	ck_assert_int_eq(count_entries("%"), 0);
	close(fd);
	umask(old);
}
END_TEST

START_TEST(anon_fork)
{
	int fd = (int)ck_ok(shm_open(SHM_ANON, O_RDWR, 0600)), status;
	char *map;
	pid_t pid;

	ck_ok(ftruncate(fd, 4096));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		memcpy(map, "via mmap", 8);
		_exit(pwrite(fd, "via write", 9, 100) == 9 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	ck_assert(memcmp(map, "via mmap", 8) == 0);
	ck_assert(memcmp(map + 100, "via write", 9) == 0);
	munmap(map, 4096);
	close(fd);
}
END_TEST

/* Objects the mount holds, named or not (statfs's used inodes). */
static long objects_held(void)
{
	struct statfs sf;

	ck_ok(statfs(mnt.mnt, &sf));
	return (long)(sf.f_files - sf.f_ffree);
}

/*
 * Processes creating anonymous objects as fast as they can are killed with
 * SIGKILL at random instants: nothing named is ever left, and once the
 * kernel has closed their descriptors (asynchronously) every object is
 * gone.
 */
START_TEST(anon_sigkill)
{
	int before = count_entries("");

	srandom(4242);
	for (int round = 0; round < 60; round++) {
		struct timespec delay = { 0, (long)(random() % 3000) * 1000 };
		pid_t pid = fork();
		int status;

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			for (unsigned i = 0;; i++) {
				int fd = (i & 1) ? memfd_create("killed", MFD_CLOEXEC)
						 : shm_open(SHM_ANON, O_RDWR, 0600);

				if (fd < 0)
					_exit(1);
				if (i % 3 == 0)
					ftruncate(fd, 4096);
				if (i % 5 == 0)
					continue; /* leave some open for the kill to close */
				close(fd);
			}
		}
		nanosleep(&delay, NULL);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status), "child failed: status 0x%x", status);
	}
	ck_assert_int_eq(count_entries(""), before);
	ck_assert_int_eq(count_entries("%"), 0);
	/*
	 * Earlier tests' anonymous objects go the same way: only the named
	 * objects stay (the listing's other two entries are "." and "..").
	 */
	for (int i = 0; i < 500 && objects_held() != before - 2; i++)
		usleep(10000);
	ck_assert_int_eq(objects_held(), before - 2);
}
END_TEST

/* ---- memfd_create ------------------------------------------------------- */

START_TEST(memfd_errors)
{
	char name[300];

	ck_fails(memfd_create(NULL, 0), EBADF);
	ck_fails(memfd_create(NULL, 0x100), EBADF);
	ck_fails(memfd_create(unmapped_page(), 0), EFAULT);
	memset(name, 'm', sizeof(name));
	name[250] = '\0';
	ck_fails(memfd_create(name, 0), EINVAL);
	name[299] = '\0';
	ck_fails(memfd_create(name, MFD_CLOEXEC), EINVAL);
	name[249] = '\0';
	close(ck_ok(memfd_create(name, 0)));
	close(ck_ok(memfd_create("", 0)));
	close(ck_ok(memfd_create("a/b/../c", 0)));
	close(ck_ok(memfd_create("%memfd", MFD_ALLOW_SEALING)));
	ck_fails(memfd_create("f", 0x100), EINVAL);
	ck_fails(memfd_create("f", 0x80000000U), EINVAL);
	/* Linux's MFD_EXEC (0x10): cannot be honoured; with MFD_NOEXEC_SEAL too. */
	ck_fails(memfd_create("f", 0x10), EINVAL);
	ck_fails(memfd_create("f", 0x10 | MFD_ALLOW_SEALING), EINVAL);
	ck_fails(memfd_create("f", 0x10 | 0x8), EINVAL);
	ck_fails(memfd_create("f", MFD_HUGETLB), ENOSYS);
	ck_fails(memfd_create("f", MFD_HUGETLB | MFD_CLOEXEC), ENOSYS);
	ck_fails(memfd_create("f", MFD_HUGETLB | 0x8), ENOSYS);
	ck_fails(memfd_create("f", MFD_HUGETLB | 0x10), EINVAL);
	ck_assert_int_eq(count_entries("%"), 0);
	ck_assert_int_eq(count_entries("m"), 0);
}
END_TEST

/* syscall(SYS_memfd_create) is memfd_create; other numbers pass through. */
START_TEST(memfd_syscall)
{
	char *p;
	int fd;

	fd = (int)ck_ok(syscall(SYS_memfd_create, "raw", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	ck_assert(harness_fd_on_mount(&mnt, fd));
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(fcntl(fd, F_GET_SEALS), 0);
	close(fd);
	fd = (int)ck_ok(syscall(SYS_memfd_create, "raw", 0));
	ck_assert(harness_fd_on_mount(&mnt, fd));
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	/* The shim's errnos, through syscall's convention (-1, errno). */
	ck_fails(syscall(SYS_memfd_create, "raw", 0x100), EINVAL);
	ck_fails(syscall(SYS_memfd_create, NULL, 0), EBADF);
	ck_fails(syscall(SYS_memfd_create, "raw", MFD_HUGETLB), ENOSYS);
	ck_assert_int_eq(count_entries("%"), 0);
	/* Other numbers: the kernel's, with all six arguments. */
	ck_assert_int_eq(syscall(SYS_getpid), getpid());
	p = (char *)syscall(SYS_mmap, NULL, 8192, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	p[8191] = 1;
	ck_ok(syscall(SYS_munmap, p, 8192));
	ck_fails(syscall(SYS_close, -1), EBADF);
	ck_fails(syscall(-1L), ENOSYS);
	/* SHMFS_NATIVE_MEMFD applies here too. */
	setenv("SHMFS_NATIVE_MEMFD", "1", 1);
	fd = (int)ck_ok(syscall(SYS_memfd_create, "raw", 0));
	ck_assert(!harness_fd_on_mount(&mnt, fd));
	close(fd);
	unsetenv("SHMFS_NATIVE_MEMFD");
}
END_TEST

START_TEST(memfd_basics)
{
	struct stat st;
	int fd = (int)ck_ok(memfd_create("basic", 0)), fd2;

	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	ck_ok(fstat(fd, &st));
	ck_assert_uint_eq(st.st_mode, S_IFREG);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(st.st_nlink, 0);
	ck_assert_int_eq(write(fd, "grows", 5), 5);
	check_fd_data(fd, "grows");
	fd2 = (int)ck_ok(memfd_create("basic", MFD_CLOEXEC));
	ck_assert_int_eq(fcntl(fd2, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* Names need not be unique: two objects. */
	check_fd_data(fd2, "");
	close(fd);
	close(fd2);
}
END_TEST

START_TEST(memfd_scm_rights)
{
	int sv[2], status, fd;
	pid_t pid;

	ck_ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int m = memfd_create("passed", MFD_CLOEXEC);

		close(sv[0]);
		_exit(m >= 0 && write(m, "from the child", 14) == 14 &&
				      harness_send_fd(sv[1], m) == 0 ?
			      0 :
			      1);
	}
	close(sv[1]);
	fd = harness_recv_fd(sv[0]);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	/* The creator is gone; the object lives on in the passed descriptor. */
	check_fd_data(fd, "from the child");
	ck_assert_int_eq(write(fd, "+", 1), 1);
	check_fd_data(fd, "from the child+");
	close(fd);
	close(sv[0]);
}
END_TEST

/* ---- The mount check ---------------------------------------------------- */

/* Every call on a directory that is not a shmfs mount: ENOSYS. */
static void check_not_shmfs(void)
{
	ck_fails(shm_open("/nm", O_CREAT | O_RDWR, 0600), ENOSYS);
	ck_fails(shm_open("/nm", O_RDONLY, 0), ENOSYS);
	ck_fails(shm_open(SHM_ANON, O_RDWR, 0600), ENOSYS);
	ck_fails(shm_unlink("/nm"), ENOSYS);
	ck_fails(shm_rename("/nm", "/nm2", 0), ENOSYS);
	ck_fails(shm_rename("/nm", "/nm2", SHM_RENAME_EXCHANGE), ENOSYS);
	ck_fails(memfd_create("nm", 0), ENOSYS);
	/* Argument errors still come first. */
	ck_fails(shm_open("nm", O_RDONLY, 0), EINVAL);
	ck_fails(shm_unlink(NULL), EFAULT);
}

START_TEST(mount_missing)
{
	setenv("SHMFS_MOUNT", "/nonexistent/shmfs-test", 1);
	check_not_shmfs();
	setenv("SHMFS_MOUNT", "/dev/null", 1);
	check_not_shmfs();
}
END_TEST

START_TEST(mount_plain_dir)
{
	char path[PATH_MAX + 32];
	int fd;

	setenv("SHMFS_MOUNT", plain_dir, 1);
	snprintf(path, sizeof(path), "%s/nm", plain_dir);
	fd = open(path, O_CREAT | O_RDWR, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	check_not_shmfs();
	/* A fake probe does not pass either. */
	snprintf(path, sizeof(path), "%s/%%shmfs", plain_dir);
	fd = open(path, O_CREAT | O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	ck_ok(ftruncate(fd, 1));
	close(fd);
	check_not_shmfs();
	/* Nothing was created or removed there. */
	ck_assert_int_eq(count_dir(plain_dir), 2);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/nm", plain_dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	setenv("SHMFS_MOUNT", mnt.mnt, 1);
}
END_TEST

START_TEST(mount_probe_symlink)
{
	char path[PATH_MAX + 32], target[PATH_MAX + 32];

	/* A symlink to the real probe does not make a directory shmfs. */
	snprintf(path, sizeof(path), "%s/%%shmfs", link_dir);
	snprintf(target, sizeof(target), "%s/%%shmfs", mnt.mnt);
	ck_ok(symlink(target, path));
	setenv("SHMFS_MOUNT", link_dir, 1);
	check_not_shmfs();
	ck_assert_int_eq(count_dir(link_dir), 1);
	/* While the real mount, through a symlink to it, is fine. */
	snprintf(path, sizeof(path), "%s/mnt", alias_dir);
	ck_ok(symlink(mnt.mnt, path));
	setenv("SHMFS_MOUNT", path, 1);
	close(ck_ok(shm_open("/via-link", O_CREAT | O_RDWR, 0600)));
	ck_assert(file_exists("via-link"));
	setenv("SHMFS_MOUNT", mnt.mnt, 1);
	ck_ok(shm_unlink("/via-link"));
}
END_TEST

START_TEST(mount_default)
{
	struct stat st;
	bool covered = false;

	/*
	 * Unset or empty: /dev/shmfs.  The README's first command mounts shmfs
	 * there; if so, hide it under an empty tmpfs in this program's private
	 * mount namespace (the harness made one), never in the machine's.
	 */
	if (stat("/dev/shmfs/%shmfs", &st) == 0) {
		/* As root, harness_mount() always moved us into one. */
		ck_assert_msg(geteuid() == 0,
			      "/dev/shmfs is mounted and there is no private "
			      "mount namespace to hide it in (run as root)");
		ck_assert_int_eq(mount("none", "/dev/shmfs", "tmpfs", 0, "size=64k"), 0);
		covered = true;
	}
	unsetenv("SHMFS_MOUNT");
	check_not_shmfs();
	setenv("SHMFS_MOUNT", "", 1);
	check_not_shmfs();
	setenv("SHMFS_MOUNT", mnt.mnt, 1);
	if (covered)
		ck_assert_int_eq(umount2("/dev/shmfs", MNT_DETACH), 0);
}
END_TEST

/* ---- The suite ---------------------------------------------------------- */

static TCase *mounted_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, mount_setup, mount_teardown);
	return tc;
}

static Suite *shim_suite(void)
{
	Suite *s = suite_create("shim");
	TCase *tc;

	tc = mounted_tcase("shm_open");
	tcase_add_test(tc, open_access_mode);
	tcase_add_test(tc, open_bad_flags);
	tcase_add_test(tc, open_anon_rdonly);
	tcase_add_test(tc, open_efault);
	tcase_add_test(tc, open_name_too_long);
	tcase_add_test(tc, open_escape_too_long);
	tcase_add_test(tc, open_no_slash);
	tcase_add_test(tc, open_enoent);
	tcase_add_test(tc, open_eexist);
	tcase_add_test(tc, open_eacces);
	tcase_add_test(tc, open_trunc);
	tcase_add_test(tc, open_mode_umask);
	tcase_add_test(tc, open_mode0);
	tcase_add_test(tc, open_cloexec);
	tcase_add_test(tc, open_same_object);
	tcase_add_test(tc, open_compat_version);
	tcase_add_test(tc, errno_preserved);
	tcase_add_test(tc, threads);
	suite_add_tcase(s, tc);

	tc = mounted_tcase("names");
	tcase_add_test(tc, names_distinct);
	tcase_add_test(tc, names_file_is_object);
	suite_add_tcase(s, tc);

	tc = mounted_tcase("writes");
	tcase_add_test(tc, write_no_grow);
	tcase_add_test(tc, write_others_grow);
	tcase_add_test(tc, write_rlimit_efbig);
	tcase_add_test(tc, write_other_mount);
	suite_add_tcase(s, tc);

	tc = mounted_tcase("shm_unlink");
	tcase_add_test(tc, unlink_errors);
	tcase_add_test(tc, unlink_eacces);
	tcase_add_test(tc, unlink_keeps_open);
	suite_add_tcase(s, tc);

	tc = mounted_tcase("shm_rename");
	tcase_add_test(tc, rename_flags);
	tcase_add_test(tc, rename_anon);
	tcase_add_test(tc, rename_name_errors);
	tcase_add_test(tc, rename_same);
	tcase_add_test(tc, rename_enoent);
	tcase_add_test(tc, rename_noreplace);
	tcase_add_test(tc, rename_move_replace);
	tcase_add_test(tc, rename_eacces);
	tcase_add_test(tc, rename_exchange);
	tcase_add_test(tc, rename_exchange_atomic);
	tcase_add_test(tc, rename_exchange_race);
	suite_add_tcase(s, tc);

	tc = mounted_tcase("anonymous");
	tcase_add_test(tc, anon_basics);
	tcase_add_test(tc, anon_fork);
	tcase_add_test(tc, anon_sigkill);
	tcase_add_test(tc, memfd_errors);
	tcase_add_test(tc, memfd_basics);
	tcase_add_test(tc, memfd_syscall);
	tcase_add_test(tc, memfd_scm_rights);
	suite_add_tcase(s, tc);

	tc = tcase_create("mount");
	tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
	tcase_add_test(tc, mount_missing);
	tcase_add_test(tc, mount_plain_dir);
	tcase_add_test(tc, mount_probe_symlink);
	tcase_add_test(tc, mount_default);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	harness_require(HARNESS_ROOT | HARNESS_FUSE); /* tests run as nobody */
	umask(022);
	return harness_run_suite(shim_suite, NULL);
}
