/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_seals.c: tests of seals (shm_open(3), Seals) through libshmfs on
 * a real mount: the initial seals of each kind of object, F_ADD_SEALS's
 * errnos, EBUSY while a writable shared mapping exists (also one held by a
 * program without the shim), each seal's effect on every call it governs,
 * seals seen through dup, fork and SCM_RIGHTS, data written through a
 * mapping before sealing, refused writes never staying visible in mappings,
 * the fcntl and mmap wrappers' pass-through (no seal ioctl for a native
 * memfd), the SHMFS_NATIVE_MEMFD switch, and Linux's F_SEAL_FUTURE_WRITE,
 * F_SEAL_EXEC and MFD_NOEXEC_SEAL.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "shmfs.h"

#define KIB 1024
#define F_SEAL_FUTURE_WRITE_LINUX 0x10 /* Linux's newer seals, honoured */
#define F_SEAL_EXEC_LINUX 0x20
#define MFD_NOEXEC_SEAL_LINUX 0x8U
#define SHMFS_IOC_GET_SEALS_NR _IOR('S', 2, uint32_t) /* src/proto.h */
#define SHMFS_IOC_ADD_SEALS_NR _IOW('S', 3, uint32_t)

static struct shmfs_mount mnt;

static void mount_setup(void)
{
	harness_mount_shim(&mnt, "size=64m");
	unsetenv("SHMFS_NATIVE_MEMFD");
}

/* One worker: the /proc walk must not hold it (the notify thread does it). */
static void mount_one_worker_setup(void)
{
	harness_mount_shim(&mnt, "size=64m,max_threads=1");
	unsetenv("SHMFS_NATIVE_MEMFD");
}

static void mount_teardown(void)
{
	harness_umount(&mnt);
}

/* A sealable memfd of the given size. */
static int sealable(off_t size)
{
	int fd = (int)ck_ok(memfd_create("seals", MFD_ALLOW_SEALING | MFD_CLOEXEC));

	ck_ok(ftruncate(fd, size));
	return fd;
}

static int get_seals(int fd)
{
	return (int)ck_ok(fcntl(fd, F_GET_SEALS));
}

/* Reopens fd's object through /proc with other flags. */
static int reopen(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags | O_CLOEXEC);
}

static off_t size_of(int fd)
{
	struct stat st;

	ck_ok(fstat(fd, &st));
	return st.st_size;
}

/* ---- Initial seals and F_ADD_SEALS -------------------------------------- */

/* Objects that cannot be sealed: {F_SEAL_SEAL}, and every addition EPERM. */
static void check_unsealable(int fd)
{
	ck_assert_int_eq(get_seals(fd), F_SEAL_SEAL);
	ck_fails(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	ck_fails(fcntl(fd, F_ADD_SEALS, 0), EPERM);
	ck_fails(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), EPERM);
	ck_assert_int_eq(get_seals(fd), F_SEAL_SEAL);
	close(fd);
}

START_TEST(initial_seals)
{
	int fd;

	check_unsealable((int)ck_ok(shm_open("/seal-named", O_RDWR | O_CREAT | O_EXCL, 0600)));
	/* A second descriptor of the named object, read-only. */
	check_unsealable((int)ck_ok(shm_open("/seal-named", O_RDONLY, 0)));
	ck_ok(shm_unlink("/seal-named"));
	check_unsealable((int)ck_ok(shm_open(SHM_ANON, O_RDWR, 0600)));
	check_unsealable((int)ck_ok(memfd_create("plain", 0)));
	fd = (int)ck_ok(memfd_create("sealable", MFD_ALLOW_SEALING));
	ck_assert_int_eq(get_seals(fd), 0);
	close(fd);
}
END_TEST

START_TEST(add_seals)
{
	int fd = sealable(0);

	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	ck_assert_int_eq(get_seals(fd), F_SEAL_GROW);
	/* Present bits and nothing at all: no-ops. */
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	ck_ok(fcntl(fd, F_ADD_SEALS, 0));
	ck_assert_int_eq(get_seals(fd), F_SEAL_GROW);
	/* Unknown bits: EINVAL, nothing added, even with known ones. */
	ck_fails(fcntl(fd, F_ADD_SEALS, 0x40 | F_SEAL_SHRINK), EINVAL);
	ck_fails(fcntl(fd, F_ADD_SEALS, 0x40), EINVAL);
	ck_fails(fcntl(fd, F_ADD_SEALS, -1), EINVAL);
	ck_assert_int_eq(get_seals(fd), F_SEAL_GROW);
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL));
	ck_assert_int_eq(get_seals(fd), F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	ck_fails(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	ck_fails(fcntl(fd, F_ADD_SEALS, 0), EPERM);
	/* The argument is checked first, as on Linux. */
	ck_fails(fcntl(fd, F_ADD_SEALS, 0x40), EINVAL);
	ck_assert_int_eq(get_seals(fd), F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	/* A read-only descriptor of the object sees and adds the same seals. */
	close(fd);
	fd = sealable(0);
	{
		int ro = reopen(fd, O_RDONLY);

		ck_assert_int_ge(ro, 0);
		ck_ok(fcntl(ro, F_ADD_SEALS, F_SEAL_SHRINK));
		ck_assert_int_eq(get_seals(fd), F_SEAL_SHRINK);
		close(ro);
	}
	close(fd);
}
END_TEST

/* ---- F_SEAL_WRITE and mappings ------------------------------------------ */

START_TEST(write_seal_busy)
{
	int fd = sealable(4 * KIB), ro;
	char *p;

	/* A writable shared mapping. */
	p = mmap(NULL, 4 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_fails(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	ck_fails(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW), EBUSY);
	ck_assert_int_eq(get_seals(fd), 0); /* nothing added, nothing pending */
	ck_ok(munmap(p, 4 * KIB));

	/* Read-only, but from a writable descriptor: mprotect could make it writable. */
	p = mmap(NULL, 4 * KIB, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_fails(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	ck_ok(munmap(p, 4 * KIB));

	/* Private mappings, and shared ones from a read-only descriptor, do not count. */
	p = mmap(NULL, 4 * KIB, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ro = reopen(fd, O_RDONLY);
	ck_assert_int_ge(ro, 0);
	{
		char *q = mmap(NULL, 4 * KIB, PROT_READ, MAP_SHARED, ro, 0);

		ck_assert_ptr_ne(q, MAP_FAILED);
		ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
		ck_assert_int_eq(get_seals(fd), F_SEAL_WRITE);
		ck_assert_int_eq(q[0], 0);
		ck_ok(munmap(q, 4 * KIB));
	}
	ck_ok(munmap(p, 4 * KIB));
	close(ro);
	close(fd);
}
END_TEST

/*
 * A program without the shim (python3) holds a writable shared mapping of
 * the object, inherited as descriptor 3: EBUSY until it is gone.
 */
START_TEST(write_seal_busy_foreign)
{
	const char *python = getenv("PYTHON3");
	int fd = sealable(4 * KIB), ready[2], hold[2], status;
	char c;
	pid_t pid;

	ck_ok(pipe(ready));
	ck_ok(pipe(hold));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Descriptors 3 (the object), 4 (ready), 0 (hold). */
		close(hold[1]);
		close(ready[0]);
		if (dup2(fd, 3) != 3 || dup2(ready[1], 4) != 4 || dup2(hold[0], 0) != 0 ||
		    fcntl(3, F_SETFD, 0) != 0 || fcntl(4, F_SETFD, 0) != 0)
			_exit(98);
		unsetenv("LD_PRELOAD");
		execlp(python && *python ? python : "python3", "python3", "-c",
		       "import mmap, os, sys\n"
		       "m = mmap.mmap(3, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)\n"
		       "m[0] = 42\n"
		       "os.write(4, b'r')\n"
		       "sys.stdin.read()\n",
		       (char *)NULL);
		_exit(99);
	}
	close(ready[1]);
	close(hold[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_fails(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	close(hold[1]); /* python reads EOF and exits */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "python3: status %#x",
		      status);
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	/* Its write through the mapping is kept. */
	ck_assert_int_eq(pread(fd, &c, 1, 0), 1);
	ck_assert_int_eq(c, 42);
	close(ready[0]);
	close(fd);
}
END_TEST

/* ---- Each seal's effects ------------------------------------------------ */

START_TEST(write_seal_effects)
{
	int fd = sealable(0);
	char buf[8] = "";
	char *p;

	ck_assert_int_eq(write(fd, "hello", 5), 5);
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	ck_fails(write(fd, "x", 1), EPERM);
	ck_fails(pwrite(fd, "x", 1, 0), EPERM);
	ck_fails(pwrite(fd, "x", 1, 100), EPERM);
	ck_fails(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 5), EPERM);
	ck_fails(mmap(NULL, 4 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	ck_fails(mmap(NULL, 4 * KIB, PROT_WRITE, MAP_SHARED_VALIDATE, fd, 0), EACCES);
	ck_fails(mmap64(NULL, 4 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	/* Shared read-only and private mappings are still allowed. */
	p = mmap(NULL, 4 * KIB, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_mem_eq(p, "hello", 5);
	ck_ok(munmap(p, 4 * KIB));
	p = mmap(NULL, 4 * KIB, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	p[0] = 'J'; /* a private copy */
	ck_ok(munmap(p, 4 * KIB));
	/* The size is not governed by F_SEAL_WRITE. */
	ck_ok(ftruncate(fd, 3));
	ck_ok(ftruncate(fd, 5));
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "hel\0\0", 5);
	close(fd);
}
END_TEST

START_TEST(grow_seal_effects)
{
	int fd = sealable(8 * KIB);
	char buf[4], big[8 * KIB] = "";

	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	ck_fails(ftruncate(fd, 16 * KIB), EPERM);
	ck_fails(fallocate(fd, 0, 0, 16 * KIB), EPERM);
	ck_fails(fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 * KIB, 8 * KIB), EPERM);
	ck_ok(fallocate(fd, 0, 0, 8 * KIB));
	/*
	 * A write that would grow fails as a whole, when it reaches the daemon
	 * as one request: from a page boundary, or on a page in the cache.
	 */
	ck_fails(pwrite(fd, big, sizeof(big), 4 * KIB), EPERM);
	ck_fails(pwrite(fd, "abcd", 4, 8 * KIB), EPERM);
	ck_assert_int_eq(pread(fd, buf, 2, 8 * KIB - 2), 2);
	ck_fails(pwrite(fd, "abcd", 4, 8 * KIB - 2), EPERM);
	ck_assert_int_eq(size_of(fd), 8 * KIB);
	ck_assert_int_eq(pread(fd, buf, 4, 4 * KIB), 4);
	ck_assert_mem_eq(buf, "\0\0\0\0", 4);
	ck_assert_int_eq(pread(fd, buf, 2, 8 * KIB - 2), 2);
	ck_assert_mem_eq(buf, "\0\0", 2);
	ck_assert_int_eq(pwrite(fd, "abcd", 4, 8 * KIB - 4), 4);
	/* Shrinking and punching are allowed. */
	ck_ok(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4 * KIB));
	ck_ok(ftruncate(fd, 4 * KIB));
	ck_assert_int_eq(size_of(fd), 4 * KIB);
	close(fd);
}
END_TEST

START_TEST(shrink_seal_effects)
{
	int fd = sealable(8 * KIB), fd2;

	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	ck_fails(ftruncate(fd, 4 * KIB), EPERM);
	ck_fails(ftruncate(fd, 0), EPERM);
	ck_fails(reopen(fd, O_RDWR | O_TRUNC), EPERM);
	ck_assert_int_eq(size_of(fd), 8 * KIB);
	/* Growing is allowed. */
	ck_ok(ftruncate(fd, 12 * KIB));
	ck_assert_int_eq(pwrite(fd, "x", 1, 12 * KIB), 1);
	ck_assert_int_eq(size_of(fd), 12 * KIB + 1);
	/* With both seals the size is fixed, yet setting it again succeeds. */
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	ck_ok(ftruncate(fd, 12 * KIB + 1));
	ck_fails(ftruncate(fd, 12 * KIB + 2), EPERM);
	fd2 = reopen(fd, O_RDWR | O_TRUNC);
	ck_assert_int_eq(fd2, -1);
	close(fd);
}
END_TEST

/* ---- Seals belong to the object ----------------------------------------- */

START_TEST(seals_shared)
{
	int fd = sealable(0), fd2 = dup(fd), sv[2], status, got;
	pid_t pid;

	ck_ok(fcntl(fd2, F_ADD_SEALS, F_SEAL_GROW));
	ck_assert_int_eq(get_seals(fd), F_SEAL_GROW);
	close(fd2);

	ck_ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Inherited through fork: the same seals; then adds one. */
		close(sv[0]);
		if (fcntl(fd, F_GET_SEALS) != F_SEAL_GROW ||
		    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)
			_exit(1);
		/* A new object, passed back with SCM_RIGHTS and sealed here. */
		fd2 = memfd_create("passed", MFD_ALLOW_SEALING);
		if (fd2 < 0 || fcntl(fd2, F_ADD_SEALS, F_SEAL_WRITE) != 0 ||
		    harness_send_fd(sv[1], fd2) != 0)
			_exit(2);
		_exit(0);
	}
	close(sv[1]);
	fd2 = harness_recv_fd(sv[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status %#x",
		      status);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(get_seals(fd), F_SEAL_GROW | F_SEAL_SHRINK);
	ck_assert_int_eq(get_seals(fd2), F_SEAL_WRITE);
	ck_fails(write(fd2, "x", 1), EPERM);
	got = reopen(fd2, O_RDWR);
	ck_assert_int_ge(got, 0);
	ck_assert_int_eq(get_seals(got), F_SEAL_WRITE);
	close(got);
	close(fd2);
	close(sv[0]);
	close(fd);
}
END_TEST

/*
 * Bytes written through a mapping and unmapped without msync are still only
 * in the kernel's page cache when the seal comes; their writeback must be
 * accepted.  Dropping the cache then makes the reads come from the daemon.
 */
START_TEST(mapped_data_survives_seal)
{
	const size_t len = 1024 * KIB;
	int fd = sealable((off_t)len);
	unsigned char *p, *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + i / 4096);
	ck_ok(munmap(p, len));
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	ck_ok(fsync(fd));
	ck_ok(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	ck_assert_int_eq(pread(fd, buf, len, 0), (ssize_t)len);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(buf[i] == (unsigned char)(i * 7 + i / 4096), "byte %zu lost", i);
	free(buf);
	close(fd);
}
END_TEST

/*
 * The kernel copies a write into its page cache before the daemon can
 * refuse it, and a mapping shows that copy; the daemon then has the pages
 * dropped, so the mapping soon shows the object's true bytes again.  A raw
 * system call, so the shim plays no part.
 */
START_TEST(refused_write_not_visible)
{
	int fd = sealable(0), ro;
	char *p;

	ck_assert_int_eq(pwrite(fd, "original", 8, 0), 8);
	ck_ok(ftruncate(fd, 8 * KIB));
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	ro = reopen(fd, O_RDONLY);
	ck_assert_int_ge(ro, 0);
	p = mmap(NULL, 8 * KIB, PROT_READ, MAP_SHARED, ro, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_mem_eq(p, "original", 8);
	ck_fails(syscall(SYS_pwrite64, fd, "EVILDATA", 8, 0), EPERM);
	ck_fails(syscall(SYS_pwrite64, fd, "EVIL", 4, 4 * KIB), EPERM);
	for (int i = 0; i < 500 && (memcmp(p, "original", 8) != 0 || p[4 * KIB]); i++)
		usleep(10000);
	ck_assert_mem_eq(p, "original", 8);
	ck_assert_int_eq(p[4 * KIB], 0);
	ck_ok(munmap(p, 8 * KIB));
	close(ro);
	close(fd);
}
END_TEST

/* ---- The wrappers pass everything else through -------------------------- */

/* ---- Linux's newer seals and memfd flags -------------------------------- */

START_TEST(future_write_seal_effects)
{
	int fd = sealable(4 * KIB);
	char buf[8] = "", *old, *p;

	/* A writable shared mapping does not stop the seal (no EBUSY)... */
	old = mmap(NULL, 4 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(old, MAP_FAILED);
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE_LINUX));
	ck_assert_int_eq(get_seals(fd), F_SEAL_FUTURE_WRITE_LINUX);
	/* ...and keeps working: its writes reach the object. */
	memcpy(old, "mapped", 6);
	ck_ok(msync(old, 4 * KIB, MS_SYNC));
	ck_assert_int_eq(pread(fd, buf, 6, 0), 6);
	ck_assert_mem_eq(buf, "mapped", 6);
	/* New writes and new writable shared mappings are refused. */
	ck_fails(write(fd, "x", 1), EPERM);
	ck_fails(pwrite(fd, "x", 1, 0), EPERM);
	ck_fails(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 5), EPERM);
	ck_fails(mmap(NULL, 4 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	ck_fails(mmap64(NULL, 4 * KIB, PROT_WRITE, MAP_SHARED_VALIDATE, fd, 0), EPERM);
	p = mmap(NULL, 4 * KIB, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_mem_eq(p, "mapped", 6);
	ck_ok(munmap(p, 4 * KIB));
	p = mmap(NULL, 4 * KIB, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_ok(munmap(p, 4 * KIB));
	/* The size is not governed by it. */
	ck_ok(ftruncate(fd, 8 * KIB));
	/* F_SEAL_WRITE on top still waits for the mapping to go. */
	ck_fails(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	ck_ok(munmap(old, 4 * KIB));
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	ck_assert_int_eq(get_seals(fd), F_SEAL_FUTURE_WRITE_LINUX | F_SEAL_WRITE);
	close(fd);
}
END_TEST

START_TEST(exec_seal_effects)
{
	int fd = sealable(0);
	struct stat st;

	ck_ok(fchmod(fd, 0600));
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC_LINUX));
	ck_assert_int_eq(get_seals(fd), F_SEAL_EXEC_LINUX);
	/* The exec bits are frozen; the others are not. */
	ck_fails(fchmod(fd, 0700), EPERM);
	ck_fails(fchmod(fd, 0601), EPERM);
	ck_ok(fchmod(fd, 0644));
	ck_ok(fstat(fd, &st));
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	/* Contents stay writable. */
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);

	/* On an executable object it seals the contents too, as on Linux. */
	fd = sealable(0);
	ck_ok(fchmod(fd, 0700));
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC_LINUX));
	ck_assert_int_eq(get_seals(fd), F_SEAL_EXEC_LINUX | F_SEAL_WRITE | F_SEAL_SHRINK |
						F_SEAL_GROW | F_SEAL_FUTURE_WRITE_LINUX);
	ck_fails(write(fd, "x", 1), EPERM);
	ck_fails(fchmod(fd, 0600), EPERM);
	close(fd);
}
END_TEST

START_TEST(noexec_seal_memfd)
{
	struct stat st;
	int fd;

	/* Sealable without MFD_ALLOW_SEALING, mode without exec bits, F_SEAL_EXEC. */
	fd = (int)ck_ok(memfd_create("noexec", MFD_NOEXEC_SEAL_LINUX));
	ck_assert_int_eq(get_seals(fd), F_SEAL_EXEC_LINUX);
	ck_ok(fstat(fd, &st));
	ck_assert_uint_eq(st.st_mode & 0111, 0);
	ck_assert(st.st_ino & (UINT64_C(1) << 62)); /* SHMFS_INO_SEALABLE */
	ck_fails(fchmod(fd, 0700), EPERM);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);

	/* Chromium's sequence for every shared-memory region. */
	fd = (int)ck_ok(memfd_create("chromium", MFD_CLOEXEC | MFD_ALLOW_SEALING |
							 MFD_NOEXEC_SEAL_LINUX));
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_ok(ftruncate(fd, 64 * KIB));
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW));
	ck_assert_int_eq(get_seals(fd),
			 F_SEAL_EXEC_LINUX | F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW);
	ck_fails(ftruncate(fd, 128 * KIB), EPERM);
	ck_fails(ftruncate(fd, 4 * KIB), EPERM);
	ck_assert_int_eq(pwrite(fd, "x", 1, 0), 1);
	close(fd);
}
END_TEST

/*
 * In a child: a seccomp filter answers the shim's seal ioctls with
 * EHWPOISON, so any that is made shows in a result.
 */
static void forbid_seal_ioctls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SHMFS_IOC_GET_SEALS_NR, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SHMFS_IOC_ADD_SEALS_NR, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EHWPOISON),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		_exit(90);
}

/* The checks of fcntl_no_ioctl, in the filtered child: 0 or a step number. */
static int native_seals_without_ioctl(void)
{
	uint32_t seals = 0;
	int fd, shm;

	/* The filter works: a seal ioctl on the shmfs memfd fails with it. */
	shm = memfd_create("shmfs", MFD_ALLOW_SEALING);
	if (shm < 0 || ioctl(shm, SHMFS_IOC_GET_SEALS_NR, &seals) == 0 || errno != EHWPOISON)
		return 1;
	/* And the wrapper does ask the daemon for a shmfs descriptor. */
	if (fcntl(shm, F_GET_SEALS) != -1 || errno != EHWPOISON)
		return 2;
	setenv("SHMFS_NATIVE_MEMFD", "1", 1);
	fd = memfd_create("native", MFD_ALLOW_SEALING);
	if (fd < 0)
		return 3;
	/* The kernel's answers, without a seal ioctl. */
	if (fcntl(fd, F_GET_SEALS) != 0)
		return 4;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_WRITE) != 0)
		return 5;
	if (fcntl(fd, F_GET_SEALS) != (F_SEAL_GROW | F_SEAL_WRITE))
		return 6;
	if (fcntl64(fd, F_ADD_SEALS, 0x4000) != -1 || errno != EINVAL)
		return 7;
	close(fd);
	/* A memfd without MFD_ALLOW_SEALING: the kernel's F_SEAL_SEAL. */
	fd = memfd_create("native", 0);
	if (fd < 0 || fcntl(fd, F_GET_SEALS) != F_SEAL_SEAL)
		return 8;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) != -1 || errno != EPERM)
		return 9;
	close(fd);
	/* A pipe and a plain file: the kernel's EINVAL. */
	{
		int p[2];

		if (pipe(p) != 0 || fcntl(p[0], F_GET_SEALS) != -1 || errno != EINVAL)
			return 10;
	}
	return 0;
}

START_TEST(fcntl_no_ioctl)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		forbid_seal_ioctls();
		_exit(native_seals_without_ioctl());
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "step %d failed", WEXITSTATUS(status));
}
END_TEST

START_TEST(fcntl_pass_through)
{
	char path[PATH_MAX + 16];
	int fd = (int)ck_ok(shm_open("/seal-flags", O_RDWR | O_CREAT | O_EXCL, 0600));
	int file, pipes[2];
	char *p;

	ck_ok(shm_unlink("/seal-flags"));
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	ck_ok(fcntl(fd, F_SETFD, 0));
	ck_assert_int_eq(fcntl(fd, F_GETFD), 0);
	ck_ok(fcntl64(fd, F_SETFD, FD_CLOEXEC));
	ck_assert_int_eq(fcntl64(fd, F_GETFD), FD_CLOEXEC);
	ck_assert_int_eq(fcntl64(fd, F_GET_SEALS), F_SEAL_SEAL);
	close(fd);

	/* Not shmfs: the kernel's answers. */
	snprintf(path, sizeof(path), "%s/plain-file", mnt.dir);
	file = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(file, 0);
	ck_ok(unlink(path));
	ck_fails(fcntl(file, F_GET_SEALS), EINVAL);
	ck_fails(fcntl(file, F_ADD_SEALS, F_SEAL_WRITE), EINVAL);
	ck_ok(ftruncate(file, 4 * KIB));
	p = mmap(NULL, 4 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_ok(munmap(p, 4 * KIB));
	close(file);
	ck_ok(pipe(pipes));
	ck_fails(fcntl(pipes[0], F_GET_SEALS), EINVAL);
	close(pipes[0]);
	close(pipes[1]);
	ck_fails(fcntl(-1, F_GET_SEALS), EBADF);
	ck_fails(fcntl(1000000, F_ADD_SEALS, F_SEAL_WRITE), EBADF);
	ck_fails(mmap(NULL, 4 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED, -1, 0), EBADF);
}
END_TEST

START_TEST(native_memfd_switch)
{
	int fd;

	setenv("SHMFS_NATIVE_MEMFD", "1", 1);
	fd = (int)ck_ok(memfd_create("native", MFD_ALLOW_SEALING | MFD_CLOEXEC));
	ck_assert(!harness_fd_on_mount(&mnt, fd));
	/* The kernel's memfd, with the kernel's seals. */
	ck_assert_int_eq(get_seals(fd), 0);
	ck_ok(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	ck_assert_int_eq(get_seals(fd), F_SEAL_WRITE);
	ck_fails(write(fd, "x", 1), EPERM);
	close(fd);
	fd = (int)ck_ok(memfd_create("native", MFD_CLOEXEC));
	ck_assert(!harness_fd_on_mount(&mnt, fd));
	close(fd);
	ck_fails(memfd_create("native", 0x1000), EINVAL);

	setenv("SHMFS_NATIVE_MEMFD", "0", 1);
	fd = (int)ck_ok(memfd_create("shmfs", MFD_ALLOW_SEALING | MFD_CLOEXEC));
	ck_assert(harness_fd_on_mount(&mnt, fd));
	close(fd);
	unsetenv("SHMFS_NATIVE_MEMFD");
	fd = (int)ck_ok(memfd_create("shmfs", MFD_CLOEXEC));
	ck_assert(harness_fd_on_mount(&mnt, fd));
	close(fd);
}
END_TEST

static Suite *seals_suite(void)
{
	Suite *s = suite_create("seals");
	TCase *tc = tcase_create("seals");

	tcase_add_unchecked_fixture(tc, mount_setup, mount_teardown);
	tcase_add_test(tc, initial_seals);
	tcase_add_test(tc, add_seals);
	tcase_add_test(tc, write_seal_busy);
	tcase_add_test(tc, write_seal_busy_foreign);
	tcase_add_test(tc, write_seal_effects);
	tcase_add_test(tc, grow_seal_effects);
	tcase_add_test(tc, shrink_seal_effects);
	tcase_add_test(tc, seals_shared);
	tcase_add_test(tc, mapped_data_survives_seal);
	tcase_add_test(tc, refused_write_not_visible);
	tcase_add_test(tc, fcntl_pass_through);
	tcase_add_test(tc, future_write_seal_effects);
	tcase_add_test(tc, exec_seal_effects);
	tcase_add_test(tc, noexec_seal_memfd);
	tcase_add_test(tc, fcntl_no_ioctl);
	tcase_add_test(tc, native_memfd_switch);
	suite_add_tcase(s, tc);

	tc = tcase_create("one worker");
	tcase_add_unchecked_fixture(tc, mount_one_worker_setup, mount_teardown);
	tcase_add_test(tc, write_seal_busy);
	tcase_add_test(tc, write_seal_busy_foreign);
	tcase_add_test(tc, mapped_data_survives_seal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	harness_require(HARNESS_ROOT | HARNESS_FUSE); /* reopens mode-0 memfds */
	return harness_run_suite(seals_suite, NULL);
}
