/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_mappings.c: unit tests of the /proc walk that finds writable shared
 * mappings (src/mappings.c), on fake procfs trees whose maps and smaps lines
 * are the kernel's formats, and on the real /proc with this process's own
 * mappings of a temporary file; the timed walk, with a FIFO standing for
 * a process whose maps cannot be read.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "mappings.h"

static char root[PATH_MAX];

static void root_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/mappings.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void root_teardown(void)
{
	harness_sh("rm -rf '%s'", root);
}

/* Writes root/pid/file. */
static void put(const char *pid, const char *file, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, pid, file);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

#define DEV makedev(0, 0x34)
#define INO 4611686018427387906ULL /* 1 << 62 | 2: a sealable shmfs object */

static const char *const unrelated =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 fe:01 1835053    /usr/bin/cat\n"
	"7f1c4a000000-7f1c4a021000 rw-p 00000000 00:00 0 \n"
	"7f1c4b000000-7f1c4b001000 rw-s 00000000 00:34 2          /dev/shmfs/other\n"
	"7f1c4c000000-7f1c4c001000 rw-s 00000000 00:35 4611686018427387906 /elsewhere\n";

START_TEST(fake_none)
{
	put("1", "maps", unrelated);
	/* A private writable mapping of the object does not count. */
	put("22", "maps",
	    "7f00000000-7f00001000 rw-p 00000000 00:34 4611686018427387906 /dev/shmfs/%sealable.1 (deleted)\n");
	put("self", "maps", "garbage\n"); /* not a number: not a process */
	ck_assert_int_eq(shmfs_find_writable_mapping(root, DEV, INO), 0);
}
END_TEST

START_TEST(fake_writable)
{
	put("1", "maps", unrelated);
	put("4711", "maps",
	    "7f00000000-7f00001000 rw-s 00000000 00:34 4611686018427387906 /dev/shmfs/%sealable.1 (deleted)\n");
	ck_assert_int_eq(shmfs_find_writable_mapping(root, DEV, INO), 1);
}
END_TEST

/* Read-only and shared: busy only with smaps's "mw" (from a writable descriptor). */
static void check_read_only(const char *vmflags, int want)
{
	char smaps[1024];

	put("9", "maps",
	    "7f00000000-7f00001000 r--s 00000000 00:34 4611686018427387906 /x\n"
	    "7f00002000-7f00003000 r--s 00000000 00:34 4611686018427387906 /x\n");
	/* The first entry never may write; the second's flags are the test's. */
	snprintf(smaps, sizeof(smaps),
		 "7f00000000-7f00001000 r--s 00000000 00:34 4611686018427387906 /x\n"
		 "Size:                  4 kB\n"
		 "VmFlags: rd sh mr me ms \n"
		 "7f00002000-7f00003000 r--s 00000000 00:34 4611686018427387906 /x\n"
		 "Size:                  4 kB\n"
		 "Rss:                   0 kB\n"
		 "VmFlags: %s\n",
		 vmflags);
	put("9", "smaps", smaps);
	ck_assert_int_eq(shmfs_find_writable_mapping(root, DEV, INO), want);
}

START_TEST(fake_read_only)
{
	check_read_only("rd sh mr mw me ms sd", 1);
	check_read_only("rd sh mr me ms sd", 0);
	check_read_only("mw", 1);
}
END_TEST

START_TEST(fake_errors)
{
	char missing[PATH_MAX + 16];

	/* A process whose files cannot be read (gone, or not ours) is passed over. */
	put("5", "status", "");
	ck_assert_int_eq(shmfs_find_writable_mapping(root, DEV, INO), 0);
	snprintf(missing, sizeof(missing), "%s/nonexistent", root);
	ck_assert_int_eq(shmfs_find_writable_mapping(missing, DEV, INO), -ENOENT);
}
END_TEST

/* The real /proc: this process's shared mappings of a temporary file. */
START_TEST(real_proc)
{
	char path[PATH_MAX + 16];
	struct stat st;
	int fd, ro;
	void *p;

	snprintf(path, sizeof(path), "%s/file", root);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ro = open(path, O_RDONLY);
	ck_assert_int_ge(ro, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(shmfs_find_writable_mapping("/proc", st.st_dev, st.st_ino), 0);

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(shmfs_find_writable_mapping("/proc", st.st_dev, st.st_ino), 1);
	ck_assert_int_eq(shmfs_find_writable_mapping("/proc", st.st_dev, st.st_ino + 1), 0);
	munmap(p, 4096);

	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(shmfs_find_writable_mapping("/proc", st.st_dev, st.st_ino), 1);
	munmap(p, 4096);

	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(shmfs_find_writable_mapping("/proc", st.st_dev, st.st_ino), 0);
	munmap(p, 4096);

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(shmfs_find_writable_mapping("/proc", st.st_dev, st.st_ino), 0);
	munmap(p, 4096);
	close(ro);
	close(fd);
}
END_TEST

/* ---- The timed walk ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* root/pid/maps as a FIFO: opening it blocks until someone opens it to write. */
static void put_fifo(const char *pid, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", root, pid);
	mkdir(path, 0755);
	snprintf(path, size, "%s/%s/maps", root, pid);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
}

/* Lets every walker blocked on fifo go (each then reads EOF) until none runs. */
static void release_fifo(const char *fifo)
{
	for (int i = 0; i < 500 && shmfs_mappings_walkers() > 0; i++) {
		int fd = open(fifo,
			      O_WRONLY | O_NONBLOCK); /* ENXIO: no reader yet */

		if (fd >= 0)
			close(fd);
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	ck_assert_uint_eq(shmfs_mappings_walkers(), 0);
}

START_TEST(timed_answers)
{
	put("1", "maps", unrelated);
	ck_assert_int_eq(
		shmfs_find_writable_mapping_timed(root, DEV, INO, 2000), 0);
	put("4711", "maps",
	    "7f00000000-7f00001000 rw-s 00000000 00:34 4611686018427387906 "
	    "/x\n");
	ck_assert_int_eq(
		shmfs_find_writable_mapping_timed(root, DEV, INO, 2000), 1);
	ck_assert_int_eq(shmfs_find_writable_mapping_timed("/nonexistent", DEV,
							   INO, 2000),
			 -ENOENT);
	ck_assert_uint_eq(shmfs_mappings_walkers(), 0);
}
END_TEST

/* A walk stuck on one process gives up at the bound; the walker lives on alone. */
START_TEST(timed_stuck)
{
	char fifo[PATH_MAX + 16];
	double t0, took;
	int r;

	put("1", "maps", unrelated);
	put_fifo("77", fifo, sizeof(fifo));
	t0 = now();
	r = shmfs_find_writable_mapping_timed(root, DEV, INO, 300);
	took = now() - t0;
	ck_assert_int_eq(r, -ETIMEDOUT);
	ck_assert_msg(took >= 0.29 && took < 2.0, "gave up after %.3f s", took);
	ck_assert_uint_eq(shmfs_mappings_walkers(), 1);
	/* The tree it walked may go: the walker holds its own copy of the path. */
	release_fifo(fifo);
}
END_TEST

/* Stuck walkers are capped: the next walk is refused at once. */
START_TEST(timed_cap)
{
	char fifo[PATH_MAX + 16];

	put_fifo("77", fifo, sizeof(fifo));
	for (int i = 0; i < SHMFS_WALKERS_MAX; i++)
		ck_assert_int_eq(shmfs_find_writable_mapping_timed(root, DEV,
								   INO, 1),
				 -ETIMEDOUT);
	ck_assert_uint_eq(shmfs_mappings_walkers(), SHMFS_WALKERS_MAX);
	ck_assert_int_eq(shmfs_find_writable_mapping_timed(root, DEV, INO,
							   1000),
			 -EAGAIN);
	release_fifo(fifo);
	ck_assert_int_eq(unlink(fifo), 0);
	ck_assert_int_eq(
		shmfs_find_writable_mapping_timed(root, DEV, INO, 2000), 0);
}
END_TEST

static Suite *mappings_suite(void)
{
	Suite *s = suite_create("mappings");
	TCase *tc = tcase_create("mappings");

	tcase_add_checked_fixture(tc, root_setup, root_teardown);
	tcase_add_test(tc, fake_none);
	tcase_add_test(tc, fake_writable);
	tcase_add_test(tc, fake_read_only);
	tcase_add_test(tc, fake_errors);
	tcase_add_test(tc, real_proc);
	tcase_add_test(tc, timed_answers);
	tcase_add_test(tc, timed_stuck);
	tcase_add_test(tc, timed_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(mappings_suite, NULL);
}
