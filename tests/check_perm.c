/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_perm.c: the permission matrix of a real mount, as unprivileged
 * users.  Root prepares objects with chosen owners, groups and modes; each
 * check then runs in a child with other credentials (harness_as_user) and
 * compares the exact errno of every call.  The rules are shmfs(7)'s
 * "Permissions": owner, then group (supplementary groups included, all of
 * them), then other, the first matching class decides; root may do anything.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static struct shmfs_mount mnt;

static void setup(void)
{
	harness_mount(&mnt, "size=64m");
}

static void setup_root_opts(void)
{
	harness_mount(&mnt, "mode=0750,uid=1000,gid=1001");
}

static void teardown(void)
{
	harness_umount(&mnt);
}

static const char *path(const char *name)
{
	static char buf[4][PATH_MAX];
	static int next;

	next = (next + 1) % 4;
	return harness_path(&mnt, name, buf[next], sizeof(buf[next]));
}

/* As root: creates name with the given owner, group, mode and size. */
static void make_obj(const char *name, uid_t uid, gid_t gid, mode_t mode,
		     off_t size)
{
	int fd = open(path(name), O_RDWR | O_CREAT | O_EXCL, 0600);

	ck_assert_msg(fd >= 0, "create %s: %s", name, strerror(errno));
	if (size)
		ck_assert_int_eq(ftruncate(fd, size), 0);
	ck_assert_msg(fchown(fd, uid, gid) == 0, "fchown %s: %s", name,
		      strerror(errno));
	ck_assert_msg(fchmod(fd, mode) == 0, "fchmod %s: %s", name,
		      strerror(errno));
	close(fd);
}

static struct stat stat_of(const char *name)
{
	struct stat st;

	ck_assert_msg(stat(path(name), &st) == 0, "stat %s: %s", name,
		      strerror(errno));
	return st;
}

static void remove_obj(const char *name)
{
	ck_assert_msg(unlink(path(name)) == 0, "unlink %s: %s", name,
		      strerror(errno));
}

/*
 * Inside the child: compares a call's result with the expected errno (0:
 * success).  Failures are printed and counted; the child's exit status is
 * the count, so one run reports every wrong cell of its row.
 */
static int failures;

static void expect(int ret, int want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void expect(int ret, int want, const char *fmt, ...)
{
	int got = ret < 0 ? errno : 0;
	char what[256];
	va_list ap;

	if (got == want)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fprintf(stderr, "uid %d gid %d: %s: got %s, want %s\n", (int)getuid(),
		(int)getgid(), what, got ? strerror(got) : "success",
		want ? strerror(want) : "success");
	failures++;
}

/* open(2) with flags, closing on success; returns 0 or -1 with errno. */
static int try_open(const char *name, int flags)
{
	int fd = open(path(name), flags);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static const char *const flag_names[] = { "O_RDONLY", "O_WRONLY", "O_RDWR" };

/* Expects open with O_RDONLY, O_WRONLY and O_RDWR to give r, w and rw. */
static void expect_opens(const char *name, int r, int w, int rw)
{
	const int want[3] = { r, w, rw };

	for (int acc = 0; acc < 3; acc++)
		expect(try_open(name, acc), want[acc], "open %s %s", name,
		       flag_names[acc]);
}

/* Expects access(2) with R_OK, W_OK and R_OK|W_OK to give r, w and rw. */
static void expect_access(const char *name, int r, int w, int rw)
{
	expect(access(path(name), R_OK), r, "access %s R_OK", name);
	expect(access(path(name), W_OK), w, "access %s W_OK", name);
	expect(access(path(name), R_OK | W_OK), rw, "access %s R_OK|W_OK",
	       name);
}

/*
 * Runs fn as uid/gid with the given supplementary groups; fails the test
 * if any of fn's checks failed (each is described on stderr).
 */
#define run_as(uid, gid, ngroups, groups, fn)                                  \
	do {                                                                   \
		int _n = harness_as_user(uid, gid, ngroups, groups, fn, NULL); \
		ck_assert_msg(_n == 0, "%s as uid %d: %s", #fn, (int)(uid),    \
			      _n < 0 ? "the child died" :                      \
				       "wrong results, see stderr");           \
	} while (0)

/* ---- open and access: which class decides ---- */

/*
 * The objects of the open matrix: owner 1000 group 1000 unless noted.
 *   own600   0600        own0077   0077 (owner excluded, others allowed)
 *   own400   0400        own200    0200
 *   grp060   0060, owner 1001 (group rw, owner nothing)
 *   grp040   0040, owner 1001
 *   oth006   0006, owner 1001 group 1001
 *   oth004   0004, owner 1001 group 1001
 *   oth002   0002, owner 1001 group 1001
 *   none000  0000
 */
static void make_open_matrix(void)
{
	make_obj("own600", 1000, 1000, 0600, 0);
	make_obj("own0077", 1000, 1000, 0077, 0);
	make_obj("own400", 1000, 1000, 0400, 0);
	make_obj("own200", 1000, 1000, 0200, 0);
	make_obj("grp060", 1001, 1000, 0060, 0);
	make_obj("grp040", 1001, 1000, 0040, 0);
	make_obj("oth006", 1001, 1001, 0006, 0);
	make_obj("oth004", 1001, 1001, 0004, 0);
	make_obj("oth002", 1001, 1001, 0002, 0);
	make_obj("none000", 1000, 1000, 0000, 0);
}

static void remove_open_matrix(void)
{
	static const char *const names[] = { "own600", "own0077", "own400",
					     "own200", "grp060",  "grp040",
					     "oth006", "oth004",  "oth002",
					     "none000" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		remove_obj(names[i]);
}

/* uid 1000, gid 1000: the owner of own*, in the group of grp*. */
static int as_owner(void *arg)
{
	expect_opens("own600", 0, 0, 0);
	expect_opens("own0077", EACCES, EACCES, EACCES);
	expect_opens("own400", 0, EACCES, EACCES);
	expect_opens("own200", EACCES, 0, EACCES);
	expect_opens("grp060", 0, 0, 0);
	expect_opens("grp040", 0, EACCES, EACCES);
	expect_opens("oth006", 0, 0, 0);
	expect_opens("oth004", 0, EACCES, EACCES);
	expect_opens("oth002", EACCES, 0, EACCES);
	expect_opens("none000", EACCES, EACCES, EACCES);
	expect_access("own600", 0, 0, 0);
	expect_access("own0077", EACCES, EACCES, EACCES);
	expect_access("own400", 0, EACCES, EACCES);
	expect_access("grp040", 0, EACCES, EACCES);
	expect_access("oth002", EACCES, 0, EACCES);
	expect(access(path("own600"), F_OK), 0, "access own600 F_OK");
	expect(access(path("missing"), F_OK), ENOENT, "access missing F_OK");
	expect(try_open("missing", O_RDONLY), ENOENT, "open missing");
	return failures;
}

/* uid 1001, gid 1001: owner of grp* (owner bits 0) and of oth*. */
static int as_1001(void *arg)
{
	expect_opens("own600", EACCES, EACCES, EACCES);
	expect_opens("own0077", 0, 0, 0); /* other class: rwx */
	expect_opens("grp060", EACCES, EACCES, EACCES);
	expect_opens("grp040", EACCES, EACCES, EACCES);
	expect_opens("oth006", EACCES, EACCES, EACCES);
	expect_opens("oth004", EACCES, EACCES, EACCES);
	expect_access("grp060", EACCES, EACCES, EACCES);
	expect_access("own0077", 0, 0, 0);
	return failures;
}

/* uid 1002, gid 1002, supplementary group 1000: group class by membership. */
static int as_member(void *arg)
{
	expect_opens("own600", EACCES, EACCES, EACCES);
	expect_opens("own0077", 0, 0, 0); /* group class: rwx */
	expect_opens("grp060", 0, 0, 0);
	expect_opens("grp040", 0, EACCES, EACCES);
	expect_opens("oth006", 0, 0, 0);
	expect_opens("oth004", 0, EACCES, EACCES);
	expect_opens("none000", EACCES, EACCES, EACCES);
	expect_access("grp060", 0, 0, 0);
	expect_access("grp040", 0, EACCES, EACCES);
	return failures;
}

/* uid 1002, gid 1002 without the supplementary group: other class. */
static int as_nonmember(void *arg)
{
	expect_opens("grp060", EACCES, EACCES, EACCES);
	expect_opens("own0077", 0, 0, 0); /* other class: rwx */
	expect_opens("oth006", 0, 0, 0);
	expect_opens("oth002", EACCES, 0, EACCES);
	expect_access("grp040", EACCES, EACCES, EACCES);
	return failures;
}

/* nobody: other class everywhere. */
static int as_nobody(void *arg)
{
	expect_opens("own600", EACCES, EACCES, EACCES);
	expect_opens("grp060", EACCES, EACCES, EACCES);
	expect_opens("oth006", 0, 0, 0);
	expect_opens("oth004", 0, EACCES, EACCES);
	expect_opens("oth002", EACCES, 0, EACCES);
	expect_access("oth004", 0, EACCES, EACCES);
	return failures;
}

/* uid 1000 with primary group 1001: group class through the primary gid. */
static int as_primary_1001(void *arg)
{
	expect_opens("oth004", EACCES, EACCES, EACCES); /* group bits 0 */
	expect_opens("grp060", EACCES, EACCES, EACCES); /* not in 1000 */
	return failures;
}

static const gid_t group_1000[] = { 1000 };

START_TEST(test_open_matrix)
{
	make_open_matrix();
	run_as(1000, 1000, 0, NULL, as_owner);
	run_as(1001, 1001, 0, NULL, as_1001);
	run_as(1002, 1002, 1, group_1000, as_member);
	run_as(1002, 1002, 0, NULL, as_nonmember);
	run_as(65534, 65534, 0, NULL, as_nobody);
	run_as(1000, 1001, 0, NULL, as_primary_1001);
	remove_open_matrix();
}
END_TEST

/*
 * A user in 70 supplementary groups, 5001..5070: the kernel counts every
 * one, and so must the daemon, which once looked at the first 64 only.
 * g_many060 is 0060 with group 5070: granted through the 70th group.
 * g_many604 is 0604 with group 5070: the group class (nothing) decides,
 * so the other class's read must not slip through.
 */
#define MANY_GROUPS 70

static int as_many_groups(void *arg)
{
	expect_opens("g_many060", 0, 0, 0);
	expect_opens("g_many604", EACCES, EACCES, EACCES);
	expect_access("g_many604", EACCES, EACCES, EACCES);
	expect_opens("g_first060", 0, 0, 0); /* the first group, as before */
	return failures;
}

START_TEST(test_many_groups)
{
	gid_t groups[MANY_GROUPS];

	for (int i = 0; i < MANY_GROUPS; i++)
		groups[i] = (gid_t)(5001 + i);
	make_obj("g_many060", 1001, 5070, 0060, 0);
	make_obj("g_many604", 1001, 5070, 0604, 0);
	make_obj("g_first060", 1001, 5001, 0060, 0);
	run_as(1002, 1002, MANY_GROUPS, groups, as_many_groups);
	ck_assert_int_eq(unlink(path("g_many060")), 0);
	ck_assert_int_eq(unlink(path("g_many604")), 0);
	ck_assert_int_eq(unlink(path("g_first060")), 0);
}
END_TEST

/* Root opens, reads and writes anything. */
START_TEST(test_root_may_all)
{
	int fd;

	make_obj("rootnone", 1000, 1000, 0000, 0);
	fd = open(path("rootnone"), O_RDWR);
	ck_assert_msg(fd >= 0, "root open O_RDWR of mode 0000: %s",
		      strerror(errno));
	ck_assert_int_eq(write(fd, "root", 4), 4);
	close(fd);
	ck_assert_int_eq(access(path("rootnone"), R_OK | W_OK), 0);
	ck_assert_int_eq(truncate(path("rootnone"), 100), 0);
	ck_assert_int_eq(chmod(path("rootnone"), 0604), 0);
	ck_assert_int_eq(chown(path("rootnone"), 1234, 5678), 0);
	ck_assert_int_eq(stat_of("rootnone").st_uid, 1234);
	ck_assert_int_eq(stat_of("rootnone").st_gid, 5678);
	ck_assert_int_eq(stat_of("rootnone").st_mode, S_IFREG | 0604);
	ck_assert_int_eq(chmod(path("rootnone"), 0), 0);
	ck_assert_int_eq(rename(path("rootnone"), path("rootnone2")), 0);
	make_obj("rootother", 1000, 1000, 0000, 0);
	ck_assert_int_eq(rename(path("rootnone2"), path("rootother")), 0);
	ck_assert_int_eq(stat_of("rootother").st_uid, 1234);
	ck_assert_int_eq(unlink(path("rootother")), 0);
}
END_TEST

/* ---- unlink and rename: write permission on the object(s) ---- */

static int ns_as_1000(void *arg)
{
	/* unlink: needs write on the object, not on the directory */
	expect(unlink(path("u_theirs644")), EACCES, "unlink u_theirs644");
	expect(unlink(path("u_mine400")), EACCES, "unlink u_mine400");
	expect(unlink(path("u_theirs666")), 0, "unlink u_theirs666");
	expect(unlink(path("u_mine600")), 0, "unlink u_mine600");
	expect(unlink(path("u_group620")), 0,
	       "unlink u_group620 (group write)");
	expect(unlink(path("u_missing")), ENOENT, "unlink u_missing");

	/* rename: write on the source, and on the target if there is one */
	expect(rename(path("r_src400"), path("r_new")), EACCES,
	       "rename r_src400 r_new");
	expect(rename(path("r_src600"), path("ro_target")), EACCES,
	       "rename r_src600 ro_target");
	expect(rename(path("r_src600"), path("r_dst666")), 0,
	       "rename r_src600 r_dst666");
	expect(rename(path("r_dst666"), path("r_moved")), 0,
	       "rename r_dst666 r_moved");
	expect(renameat2(AT_FDCWD, path("r_moved"), AT_FDCWD, path("ro_target"),
			 RENAME_EXCHANGE),
	       EACCES, "exchange r_moved ro_target");
	expect(renameat2(AT_FDCWD, path("r_moved"), AT_FDCWD, path("ro_target"),
			 RENAME_NOREPLACE),
	       EEXIST, "rename r_moved ro_target NOREPLACE");
	return failures;
}

START_TEST(test_unlink_rename)
{
	struct stat st;
	ino_t target, src400, theirs644, mine400;

	make_obj("u_theirs644", 1001, 1001, 0644, 0);
	make_obj("u_mine400", 1000, 1000, 0400, 0);
	make_obj("u_theirs666", 1001, 1001, 0666, 0);
	make_obj("u_mine600", 1000, 1000, 0600, 0);
	make_obj("u_group620", 1001, 1000, 0620, 0);
	make_obj("r_src400", 1000, 1000, 0400, 0);
	make_obj("r_src600", 1000, 1000, 0600, 5);
	make_obj("ro_target", 1001, 1001, 0644, 7);
	make_obj("r_dst666", 1001, 1001, 0666, 9);
	target = stat_of("ro_target").st_ino;
	src400 = stat_of("r_src400").st_ino;
	theirs644 = stat_of("u_theirs644").st_ino;
	mine400 = stat_of("u_mine400").st_ino;

	run_as(1000, 1000, 0, NULL, ns_as_1000);

	/* the refused calls changed nothing */
	ck_assert_int_eq(stat_of("u_theirs644").st_ino, theirs644);
	ck_assert_int_eq(stat_of("u_mine400").st_ino, mine400);
	ck_assert_int_eq(stat(path("u_theirs666"), &st), -1);
	ck_assert_int_eq(stat(path("u_mine600"), &st), -1);
	ck_assert_int_eq(stat(path("u_group620"), &st), -1);
	ck_assert_int_eq(stat_of("r_src400").st_ino, src400);
	ck_assert_int_eq(stat(path("r_new"), &st), -1);
	ck_assert_int_eq(stat_of("ro_target").st_ino, target);
	ck_assert_int_eq(stat_of("ro_target").st_size, 7);
	ck_assert_int_eq(stat_of("r_moved").st_size, 5); /* r_src600's object */
	ck_assert_int_eq(stat(path("r_src600"), &st), -1);
	ck_assert_int_eq(stat(path("r_dst666"), &st), -1);

	remove_obj("u_theirs644");
	remove_obj("u_mine400");
	remove_obj("r_src400");
	remove_obj("ro_target");
	remove_obj("r_moved");
}
END_TEST

/* ---- chmod, chown, truncate ---- */

static int attr_as_1000(void *arg)
{
	int fd;

	/* chmod: owner only, whatever the mode */
	expect(chmod(path("a_theirs666"), 0600), EPERM, "chmod a_theirs666");
	expect(chmod(path("a_mine000"), 04755), 0, "chmod a_mine000 04755");
	fd = open(path("a_theirs666"), O_RDWR);
	expect(fd, 0, "open a_theirs666 O_RDWR");
	if (fd >= 0) {
		expect(fchmod(fd, 0600), EPERM, "fchmod a_theirs666");
		expect(fchown(fd, (uid_t)-1, 1000), EPERM,
		       "fchown a_theirs666 group");
		close(fd);
	}

	/* chown: never the owner; the group, to one of one's own groups */
	expect(chown(path("a_mine000"), 1001, (gid_t)-1), EPERM,
	       "chown a_mine000 to 1001");
	expect(chown(path("a_mine000"), (uid_t)-1, 1001), EPERM,
	       "chown a_mine000 to group 1001");
	expect(chown(path("a_mine000"), (uid_t)-1, 1000), 0,
	       "chown a_mine000 to group 1000");
	expect(chown(path("a_theirs666"), 1000, 1000), EPERM,
	       "chown a_theirs666 to me");

	/* truncate by path: write permission */
	expect(truncate(path("a_theirs644"), 0), EACCES,
	       "truncate a_theirs644");
	expect(truncate(path("a_theirs666"), 3), 0, "truncate a_theirs666");
	expect(truncate(path("a_mine400"), 0), EACCES, "truncate a_mine400");
	/* O_TRUNC needs write permission, even with O_RDONLY */
	expect(try_open("a_theirs644", O_RDONLY | O_TRUNC), EACCES,
	       "open a_theirs644 O_RDONLY|O_TRUNC");
	expect(try_open("a_mine400", O_RDONLY | O_TRUNC), EACCES,
	       "open a_mine400 O_RDONLY|O_TRUNC");
	expect(try_open("a_trunc666", O_WRONLY | O_TRUNC), 0,
	       "open a_trunc666 O_WRONLY|O_TRUNC");
	return failures;
}

static int attr_as_member(void *arg)
{
	/* uid 1002 groups 1002+1000 owns a_m1002: may move its group to 1000 */
	expect(chown(path("a_m1002"), (uid_t)-1, 1000), 0,
	       "chown a_m1002 to group 1000");
	expect(chown(path("a_m1002"), (uid_t)-1, 1002), 0,
	       "chown a_m1002 back to 1002");
	expect(chown(path("a_m1002"), (uid_t)-1, 1001), EPERM,
	       "chown a_m1002 to group 1001");
	expect(chown(path("a_m1002"), 1002, 1000), 0,
	       "chown a_m1002 to 1002:1000");
	return failures;
}

START_TEST(test_chmod_chown_truncate)
{
	make_obj("a_theirs666", 1001, 1001, 0666, 10);
	make_obj("a_theirs644", 1001, 1001, 0644, 10);
	make_obj("a_mine000", 1000, 1000, 0000, 0);
	make_obj("a_mine400", 1000, 1000, 0400, 10);
	make_obj("a_m1002", 1002, 1002, 0600, 0);
	make_obj("a_trunc666", 1001, 1001, 0666, 10);

	run_as(1000, 1000, 0, NULL, attr_as_1000);
	run_as(1002, 1002, 1, group_1000, attr_as_member);

	ck_assert_int_eq(stat_of("a_theirs666").st_mode, S_IFREG | 0666);
	ck_assert_int_eq(stat_of("a_theirs666").st_uid, 1001);
	ck_assert_int_eq(stat_of("a_theirs666").st_gid, 1001);
	ck_assert_int_eq(stat_of("a_theirs666").st_size, 3);
	ck_assert_int_eq(stat_of("a_theirs644").st_size, 10);
	ck_assert_int_eq(stat_of("a_mine400").st_size, 10);
	ck_assert_int_eq(stat_of("a_mine000").st_mode, S_IFREG | 0755);
	ck_assert_int_eq(stat_of("a_mine000").st_uid, 1000);
	ck_assert_int_eq(stat_of("a_mine000").st_gid, 1000);
	ck_assert_int_eq(stat_of("a_m1002").st_uid, 1002);
	ck_assert_int_eq(stat_of("a_m1002").st_gid, 1000);
	ck_assert_int_eq(stat_of("a_trunc666").st_size, 0);
	remove_obj("a_trunc666");

	remove_obj("a_theirs666");
	remove_obj("a_theirs644");
	remove_obj("a_mine000");
	remove_obj("a_mine400");
	remove_obj("a_m1002");
}
END_TEST

/* ---- creating as an unprivileged user ---- */

static int create_as_user(void *arg)
{
	struct stat st;
	int fd;

	umask(027);
	fd = open(path("c_new"), O_RDWR | O_CREAT | O_EXCL, 0666);
	expect(fd, 0, "create c_new");
	if (fd < 0)
		return failures;
	expect(write(fd, "mine", 4) == 4 ? 0 : -1, 0, "write c_new");
	expect(fstat(fd, &st), 0, "fstat c_new");
	if (st.st_uid != getuid() || st.st_gid != getgid() ||
	    st.st_mode != (S_IFREG | 0640)) {
		fprintf(stderr,
			"c_new: uid %d gid %d mode 0%o, want %d %d 0100640\n",
			(int)st.st_uid, (int)st.st_gid, st.st_mode,
			(int)getuid(), (int)getgid());
		failures++;
	}
	close(fd);

	/* mode 0 still gives the creator its read-write descriptor */
	fd = open(path("c_zero"), O_RDWR | O_CREAT | O_EXCL, 0);
	expect(fd, 0, "create c_zero with mode 0");
	if (fd >= 0) {
		expect(write(fd, "x", 1) == 1 ? 0 : -1, 0, "write c_zero");
		close(fd);
	}
	/* but a later open is checked against it */
	expect(try_open("c_zero", O_RDONLY), EACCES, "reopen c_zero");

	/* O_CREAT on an existing name is an open of it */
	expect(try_open("c_theirs", O_RDWR | O_CREAT), EACCES,
	       "O_CREAT open of c_theirs");
	expect(try_open("c_theirs", O_RDWR | O_CREAT | O_EXCL), EEXIST,
	       "O_CREAT|O_EXCL open of c_theirs");
	return failures;
}

START_TEST(test_create_as_user)
{
	static const struct {
		uid_t uid;
		gid_t gid;
	} users[] = { { 1000, 1000 }, { 65534, 65534 } };

	make_obj("c_theirs", 1001, 1001, 0600, 0);
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		struct stat st;

		run_as(users[i].uid, users[i].gid, 0, NULL, create_as_user);
		st = stat_of("c_new");
		ck_assert_int_eq(st.st_uid, users[i].uid);
		ck_assert_int_eq(st.st_gid, users[i].gid);
		ck_assert_int_eq(st.st_mode, S_IFREG | 0640);
		ck_assert_int_eq(st.st_size, 4);
		st = stat_of("c_zero");
		ck_assert_int_eq(st.st_mode, S_IFREG);
		ck_assert_int_eq(st.st_size, 1);
		remove_obj("c_new");
		remove_obj("c_zero");
	}
	remove_obj("c_theirs");
}
END_TEST

/* ---- the root directory ---- */

START_TEST(test_root_dir_default)
{
	struct stat st;

	ck_assert_int_eq(stat(mnt.mnt, &st), 0);
	ck_assert_int_eq(st.st_mode, S_IFDIR | 0777);
	ck_assert_int_eq(st.st_uid, geteuid());
	ck_assert_int_eq(st.st_gid, getegid());
}
END_TEST

/* Creating and removing need no permission on the directory. */
static int create_in_closed_root(void *arg)
{
	int fd = open(path("outsider"), O_RDWR | O_CREAT | O_EXCL, 0600);

	expect(fd, 0, "create outsider in a mode 0750 root");
	if (fd >= 0)
		close(fd);
	expect(rename(path("outsider"), path("outsider2")), 0,
	       "rename outsider");
	expect(unlink(path("outsider2")), 0, "unlink outsider2");
	return failures;
}

/*
 * The root directory's mode governs listing it (EACCES) and only its owner
 * or root may chmod or chown it (EPERM).  Uid 1002 is in the "other" class
 * of the mode 0750 root owned by 1000:1001; uid 1000 owns it.
 */
static int list_closed_root(void *arg)
{
	DIR *d = opendir(mnt.mnt);

	expect(d ? 0 : -1, EACCES, "opendir of a mode 0750 root as other");
	if (d)
		closedir(d);
	expect(chmod(mnt.mnt, 0777), EPERM, "chmod of the root as other");
	expect(chown(mnt.mnt, 1002, -1), EPERM, "chown of the root as other");
	return failures;
}

static int chmod_own_root(void *arg)
{
	DIR *d = opendir(mnt.mnt);

	expect(d ? 0 : -1, 0, "opendir of the root as its owner");
	if (d)
		closedir(d);
	expect(chmod(mnt.mnt, 0700), 0, "chmod of the root as its owner");
	expect(chmod(mnt.mnt, 0750), 0, "chmod of the root back");
	return failures;
}

START_TEST(test_root_dir_options)
{
	struct stat st;

	ck_assert_int_eq(stat(mnt.mnt, &st), 0);
	ck_assert_int_eq(st.st_mode, S_IFDIR | 0750);
	ck_assert_int_eq(st.st_uid, 1000);
	ck_assert_int_eq(st.st_gid, 1001);
	run_as(1002, 1002, 0, NULL, create_in_closed_root);
	ck_assert_int_eq(stat(path("outsider2"), &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	run_as(1002, 1002, 0, NULL, list_closed_root);
	run_as(1000, 1000, 0, NULL, chmod_own_root);
	ck_assert_int_eq(stat(mnt.mnt, &st), 0);
	ck_assert_int_eq(st.st_mode, S_IFDIR | 0750);
	ck_assert_int_eq(st.st_uid, 1000);
}
END_TEST

static Suite *perm_suite(void)
{
	Suite *s = suite_create("perm");
	TCase *tc;

	tc = tcase_create("matrix");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_matrix);
	tcase_add_test(tc, test_many_groups);
	tcase_add_test(tc, test_root_may_all);
	tcase_add_test(tc, test_unlink_rename);
	tcase_add_test(tc, test_chmod_chown_truncate);
	tcase_add_test(tc, test_create_as_user);
	tcase_add_test(tc, test_root_dir_default);
	suite_add_tcase(s, tc);

	tc = tcase_create("root_options");
	tcase_add_unchecked_fixture(tc, setup_root_opts, teardown);
	tcase_add_test(tc, test_root_dir_options);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	harness_require(HARNESS_ROOT | HARNESS_FUSE); /* it switches users */
	return harness_run_suite(perm_suite, "120");
}
