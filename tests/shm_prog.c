/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shm_prog.c: a plain program bound to glibc's shm_open, shm_unlink,
 * memfd_create and write, never linked to libshmfs; tests/preload.sh runs
 * it with LD_PRELOAD to show that an unmodified binary reaches the shim.
 * The "old-" commands call the GLIBC_2.2.5 versions of shm_open and
 * shm_unlink, which binaries linked before glibc 2.34 (against librt) use.
 *
 *   shm_prog create NAME TEXT      create NAME holding TEXT
 *   shm_prog old-create NAME TEXT  the same through shm_open@GLIBC_2.2.5
 *   shm_prog read NAME             print NAME's contents
 *   shm_prog unlink NAME
 *   shm_prog old-unlink NAME
 *   shm_prog eof NAME              create NAME (4 bytes), print what a
 *                                  write at its end returns ("0" under the
 *                                  shim) and what one crossing it returns
 *   shm_prog memfd                 create a memfd, write to it, print its
 *                                  size and the path /proc shows for it
 *
 * Exit status 0 on success, 1 with a message on failure.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int shm_open_old(const char *name, int oflag, mode_t mode);
int shm_unlink_old(const char *name);
__asm__(".symver shm_open_old, shm_open@GLIBC_2.2.5");
__asm__(".symver shm_unlink_old, shm_unlink@GLIBC_2.2.5");

static int fail(const char *what)
{
	fprintf(stderr, "shm_prog: %s: %s\n", what, strerror(errno));
	return 1;
}

static int create(int (*open_fn)(const char *, int, mode_t), const char *name,
		  const char *text)
{
	size_t len = strlen(text);
	int fd = open_fn(name, O_CREAT | O_EXCL | O_RDWR, 0600);

	if (fd < 0)
		return fail("shm_open");
	if (ftruncate(fd, (off_t)len) != 0)
		return fail("ftruncate");
	if (pwrite(fd, text, len, 0) != (ssize_t)len)
		return fail("pwrite");
	close(fd);
	return 0;
}

static int show(const char *name)
{
	char buf[4096];
	ssize_t n;
	int fd = shm_open(name, O_RDONLY, 0);

	if (fd < 0)
		return fail("shm_open");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? fail("read") : 0;
}

static int eof(const char *name)
{
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ssize_t at_end, crossing;

	if (fd < 0)
		return fail("shm_open");
	if (ftruncate(fd, 4) != 0)
		return fail("ftruncate");
	at_end = pwrite(fd, "abcd", 4, 4);
	if (at_end < 0)
		return fail("pwrite at the end");
	crossing = pwrite(fd, "abcd", 4, 2);
	if (crossing < 0)
		return fail("pwrite across the end");
	printf("%zd %zd\n", at_end, crossing);
	close(fd);
	return 0;
}

static int memfd(void)
{
	char link[64], path[4096];
	struct stat st;
	ssize_t n;
	int fd = memfd_create("shm_prog", MFD_CLOEXEC);

	if (fd < 0)
		return fail("memfd_create");
	if (write(fd, "grows", 5) != 5)
		return fail("write");
	if (fstat(fd, &st) != 0)
		return fail("fstat");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return fail("readlink");
	path[n] = '\0';
	printf("%lld %s\n", (long long)st.st_size, path);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "create") == 0 && argc == 4)
		return create(shm_open, argv[2], argv[3]);
	if (strcmp(cmd, "old-create") == 0 && argc == 4)
		return create(shm_open_old, argv[2], argv[3]);
	if (strcmp(cmd, "read") == 0 && argc == 3)
		return show(argv[2]);
	if (strcmp(cmd, "unlink") == 0 && argc == 3)
		return shm_unlink(argv[2]) == 0 ? 0 : fail("shm_unlink");
	if (strcmp(cmd, "old-unlink") == 0 && argc == 3)
		return shm_unlink_old(argv[2]) == 0 ? 0 : fail("shm_unlink");
	if (strcmp(cmd, "eof") == 0 && argc == 3)
		return eof(argv[2]);
	if (strcmp(cmd, "memfd") == 0 && argc == 2)
		return memfd();
	fprintf(stderr, "usage: shm_prog create|old-create NAME TEXT | "
			"read|unlink|old-unlink|eof NAME | memfd\n");
	return 2;
}
