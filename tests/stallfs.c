/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stallfs.c: the never-answering FUSE filesystem of stallfs.h, on libfuse's
 * low-level API: a root directory holding one regular file, "f", whose
 * LOOKUP, GETATTR and OPEN are answered and whose READs never are.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "stallfs.h"

static void stall_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_nlink = ino == FUSE_ROOT_ID ? 2 : 1;
	st->st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0644;
	st->st_size = ino == FUSE_ROOT_ID ? 0 : STALLFS_FILE_SIZE;
}

static void stall_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .ino = 2,
				      .attr_timeout = 3600,
				      .entry_timeout = 3600 };

	if (parent != FUSE_ROOT_ID || strcmp(name, "f") != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	stall_attr(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void stall_getattr(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	stall_attr(ino, &st);
	fuse_reply_attr(req, &st, 3600);
}

static void stall_open(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_open(req, fi);
}

/* Never answered: the request stays in flight until the connection goes. */
static void stall_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)req, (void)ino, (void)size, (void)off, (void)fi;
}

static const struct fuse_lowlevel_ops stall_ops = {
	.lookup = stall_lookup,
	.getattr = stall_getattr,
	.open = stall_open,
	.read = stall_read,
};

int stallfs_mount(struct stallfs *s, const char *mnt)
{
	int ready[2];
	char ok = 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->mnt, sizeof(s->mnt), "%s", mnt);
	snprintf(s->file, sizeof(s->file), "%s/f", mnt);
	if (mkdir(s->mnt, 0755) != 0 || pipe(ready) != 0) {
		perror("stallfs: mkdir or pipe");
		return -1;
	}
	s->server = fork();
	if (s->server < 0) {
		perror("stallfs: fork");
		return -1;
	}
	if (s->server == 0) {
		char *argv[] = { "stallfs", NULL };
		struct fuse_args args = FUSE_ARGS_INIT(1, argv);
		struct fuse_session *se;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		se = fuse_session_new(&args, &stall_ops, sizeof(stall_ops),
				      NULL);
		if (!se || fuse_session_mount(se, s->mnt) != 0)
			_exit(1);
		if (write(ready[1], "1", 1) != 1)
			_exit(1);
		close(ready[1]);
		fuse_session_loop(se);
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &ok, 1) != 1 || ok != '1') {
		fprintf(stderr, "stallfs: the server did not mount %s\n",
			s->mnt);
		close(ready[0]);
		stallfs_release(s);
		return -1;
	}
	close(ready[0]);
	return 0;
}

void stallfs_release(struct stallfs *s)
{
	if (s->server > 0) {
		kill(s->server, SIGKILL);
		waitpid(s->server, NULL, 0);
		s->server = 0;
	}
	if (s->mnt[0]) {
		umount2(s->mnt, MNT_DETACH);
		rmdir(s->mnt);
		s->mnt[0] = '\0';
	}
}
