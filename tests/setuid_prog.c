/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * setuid_prog.c: a program linked with libshmfs that check_security.c makes
 * setuid and runs as an unprivileged user, to show that the shim ignores
 * SHMFS_MOUNT and SHMFS_NATIVE_MEMFD in a setuid program.  Linked with
 * -no-install, so that the binary itself (not a libtool wrapper) finds the
 * library through its run path.
 *
 *   setuid_prog shm NAME   shm_open(NAME, O_CREAT | O_EXCL): exit 0 if made
 *   setuid_prog memfd      memfd_create: exit 0 if the kernel's own memfd
 *
 * Any other outcome exits 1.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shmfs.h"

int main(int argc, char *argv[])
{
	char link[64], target[256];
	ssize_t len;
	int fd;

	if (argc == 3 && strcmp(argv[1], "shm") == 0)
		return shm_open(argv[2], O_RDWR | O_CREAT | O_EXCL, 0600) < 0;
	if (argc != 2 || strcmp(argv[1], "memfd") != 0)
		return 1;
	fd = memfd_create("setuid_prog", 0);
	if (fd < 0)
		return 1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, target, sizeof(target) - 1);
	return !(len > 0 && strncmp(target, "/memfd:", 7) == 0);
}
