/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * harness.c: mounting real daemons for the integration tests; see harness.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "harness.h"

#define FUSE_SUPER_MAGIC 0x65735546

static void harness_die(const char *what)
{
	fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
	exit(99); /* automake's "hard error" */
}

/* Returns what of need is missing, as a phrase, or NULL. */
static const char *harness_lacks(enum harness_need need)
{
	static char why[128];
	int fd;

	switch (need) {
	case HARNESS_ROOT:
		if (geteuid() == 0)
			return NULL;
		snprintf(why, sizeof(why), "root (running as uid %d)", (int)geteuid());
		return why;
	case HARNESS_FUSE:
		fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			snprintf(why, sizeof(why), "/dev/fuse (open: %s)", strerror(errno));
			return why;
		}
		close(fd);
		/* Not as root, libfuse mounts through the setuid fusermount3. */
		if (geteuid() != 0 && harness_sh("command -v fusermount3 >/dev/null") != 0)
			return "fusermount3 (package fuse3), to mount FUSE without root";
		return NULL;
	}
	return NULL;
}

void harness_require(unsigned needs)
{
	const char *prog = program_invocation_short_name, *why;

	for (unsigned bit = 1; bit <= needs; bit <<= 1) {
		if (!(needs & bit) || !(why = harness_lacks((enum harness_need)bit)))
			continue;
		if (getenv("SHMFS_REQUIRE_ALL") && strcmp(getenv("SHMFS_REQUIRE_ALL"), "1") == 0) {
			fprintf(stderr, "FAIL: %s needs %s, and SHMFS_REQUIRE_ALL=1 makes that a failure\n",
				prog, why);
			exit(99);
		}
		printf("SKIP: %s needs %s\n", prog, why);
		exit(77);
	}
}

static void harness_private_namespace(void)
{
	static int done;

	if (done || geteuid() != 0)
		return;
	done = 1;
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		harness_die("private mount namespace");
}

/* Any FUSE mount, a dead daemon's included: what must be unmounted. */
static int harness_is_mounted(const char *mnt)
{
	struct statfs sf;

	return statfs(mnt, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC;
}

/* A shmfs daemon answers at mnt: its probe entry is there (common.h). */
static int harness_is_shmfs(const char *mnt)
{
	int dfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC), ok;

	if (dfd < 0)
		return 0;
	ok = shmfs_probe(dfd, NULL) == SHMFS_PROBE_OK;
	close(dfd);
	return ok;
}

void harness_mount(struct shmfs_mount *m, const char *opts)
{
	const char *bin = getenv("SHMFS_BIN"), *tmp = getenv("TMPDIR");
	char optbuf[1024];
	struct timespec pause = { 0, 10 * 1000 * 1000 };

	if (!bin)
		bin = "shmfs";
	if (!tmp || !*tmp)
		tmp = "/tmp";
	harness_require(HARNESS_FUSE);
	harness_private_namespace();
	memset(m, 0, sizeof(*m));
	snprintf(m->dir, sizeof(m->dir), "%s/shmfs-test.XXXXXX", tmp);
	if (!mkdtemp(m->dir))
		harness_die("mkdtemp");
	chmod(m->dir, 0755);
	if (snprintf(m->mnt, sizeof(m->mnt), "%s/mnt", m->dir) >= (int)sizeof(m->mnt)) {
		errno = ENAMETOOLONG;
		harness_die("mountpoint path");
	}
	if (mkdir(m->mnt, 0755) != 0)
		harness_die("mkdir mountpoint");
	snprintf(optbuf, sizeof(optbuf), "%s%s%s",
		 geteuid() == 0 ? "allow_other" : "", opts && *opts && geteuid() == 0 ? "," : "",
		 opts ? opts : "");

	m->daemon = fork();
	if (m->daemon < 0)
		harness_die("fork");
	if (m->daemon == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (*optbuf)
			execlp(bin, bin, "-f", "-o", optbuf, m->mnt, (char *)NULL);
		else
			execlp(bin, bin, "-f", m->mnt, (char *)NULL);
		fprintf(stderr, "harness: exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {
		int status;

		if (harness_is_shmfs(m->mnt))
			return;
		if (waitpid(m->daemon, &status, WNOHANG) == m->daemon) {
			fprintf(stderr, "harness: daemon exited (status %d) before mounting\n", status);
			m->daemon = 0;
			harness_umount(m);
			exit(99);
		}
		nanosleep(&pause, NULL);
	}
	errno = ETIMEDOUT;
	harness_die("waiting for the mount");
}

void harness_mount_shim(struct shmfs_mount *m, const char *opts)
{
	harness_mount(m, opts);
	setenv("SHMFS_MOUNT", m->mnt, 1);
}

bool harness_fd_on_mount(const struct shmfs_mount *m, int fd)
{
	char link[64], target[PATH_MAX];
	size_t len = strlen(m->mnt);
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return strncmp(target, m->mnt, len) == 0 && target[len] == '/';
}

void harness_measure_memory(void)
{
#ifdef __SANITIZE_ADDRESS__
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[1024];

	snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=0", asan ? asan : "",
		 asan && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
#endif
}

void harness_umount(struct shmfs_mount *m)
{
	if (m->mnt[0] && harness_is_mounted(m->mnt)) {
		if (umount2(m->mnt, 0) != 0 && umount2(m->mnt, MNT_DETACH) != 0)
			harness_sh("fusermount3 -u -z '%s' 2>/dev/null", m->mnt);
	}
	if (m->daemon > 0) {
		int status = 0;
		pid_t done = 0;

		/* Under valgrind or ASan the daemon needs a while to exit. */
		for (int i = 0; i < 3000 && (done = waitpid(m->daemon, &status, WNOHANG)) == 0; i++) {
			struct timespec pause = { 0, 10 * 1000 * 1000 };

			nanosleep(&pause, NULL);
		}
		if (done == 0) {
			kill(m->daemon, SIGKILL);
			waitpid(m->daemon, &status, 0);
		}
		m->daemon = 0;
		/* A daemon that did not exit cleanly (a sanitizer report) fails the test. */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "harness: the daemon exited with status 0x%x\n", status);
			exit(1);
		}
	}
	if (m->mnt[0]) {
		rmdir(m->mnt);
		rmdir(m->dir);
		m->mnt[0] = m->dir[0] = '\0';
	}
}

char *harness_path(const struct shmfs_mount *m, const char *file, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", m->mnt, file);
	return buf;
}

int harness_as_user(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
		    int (*fn)(void *arg), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups((size_t)ngroups, groups) != 0 ||
		    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
			_exit(98);
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

long harness_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

int harness_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return status == -1 || !WIFEXITED(status) ? -1 : WEXITSTATUS(status);
}

int harness_send_fd(int sock, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "f", 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

int harness_recv_fd(int sock)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 }, b;
	struct iovec iov = { &b, 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}
