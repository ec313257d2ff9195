/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * main.c: the shmfs daemon's entry point: parse, validate, set up the
 * filesystem and the FUSE session, mount, serve, unwind.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "loop.h"
#include "ops.h"
#include "mappings.h"
#include "options.h"

static uint64_t ram_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_C(1) << 30;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape_mountinfo(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] && s[3]) {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static void write_sysfs(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(value, f);
	fclose(f);
}

/*
 * The device of the mount at mountpoint, from mountinfo: asking the mount
 * itself would need the session loop, which is not running yet.  0 if not
 * found.
 */
static dev_t mount_device(const char *mountpoint)
{
	char line[2 * PATH_MAX];
	unsigned maj, min;
	dev_t dev = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX];

		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mnt) != 3)
			continue;
		unescape_mountinfo(mnt);
		if (strcmp(mnt, mountpoint) == 0)
			dev = makedev(maj, min); /* the last one is ours */
	}
	fclose(f);
	return dev;
}

/*
 * A FUSE mount's backing device starts with strict dirty-page limits (about
 * 1% of memory), which makes re-dirtying mapped shared memory ~100x slower
 * than tmpfs, and with 128 KiB of readahead, which splits the first touch
 * of a large mapping into many READs.  Objects live in memory anyway, so as
 * root lift both.
 */
static void tune_backing_device(dev_t dev)
{
	char bdi[64];

	if (geteuid() != 0 || !dev)
		return;
	snprintf(bdi, sizeof(bdi), "/sys/class/bdi/%u:%u", major(dev), minor(dev));
	write_sysfs(bdi, "strict_limit", "0");
	write_sysfs(bdi, "max_ratio", "100");
	write_sysfs(bdi, "read_ahead_kb", "1024"); /* one READ of max_pages */
}

/*
 * Every user's objects live in this one process, so the OOM killer must
 * not take it for the biggest process on the machine: as root, lower its
 * OOM score adjustment to opts->oom_score_adj (-900 unless given: still
 * killable if it alone ran away with memory, unlike -1000), keeping an
 * inherited lower one (systemd's OOMScoreAdjust=, say).  An explicit
 * oom_score_adj= is written whoever runs the daemon, and failing to is an
 * error.  Also mark it an I/O flusher: its allocations then never wait for
 * writeback, which could be writeback of this very mount (needs
 * CAP_SYS_RESOURCE; inherited by every thread made later).  Returns 0 or -1.
 */
static int protect_from_oom(const struct shmfs_options *opts)
{
	int cur = 0, err = 0;
	FILE *f;

	if (!opts->oom_score_adj_set && geteuid() != 0)
		return 0;
	f = fopen("/proc/self/oom_score_adj", "r+e");
	if (f && !opts->oom_score_adj_set && fscanf(f, "%d", &cur) == 1 &&
	    cur <= opts->oom_score_adj) {
		fclose(f);
		f = NULL;
	} else if (f) {
		rewind(f);
		if (fprintf(f, "%d\n", opts->oom_score_adj) < 0 ||
		    fflush(f) != 0)
			err = errno;
		if (fclose(f) != 0 && !err)
			err = errno;
	} else {
		err = errno;
	}
	if (err && opts->oom_score_adj_set) {
		fprintf(stderr, "shmfs: cannot set oom_score_adj=%d: %s\n",
			opts->oom_score_adj, strerror(err));
		return -1;
	}
	/* Fails with EPERM without CAP_SYS_RESOURCE: nothing to do then. */
	if (geteuid() == 0)
		prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);
	return 0;
}

static void usage(const char *prog)
{
	printf("usage: %s [options] MOUNTPOINT\n\n"
	       "Mounts a FreeBSD-style POSIX shared memory namespace.\n\n",
	       prog);
	shmfs_options_usage();
	printf("\n");
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

/* One worker per CPU, up to this many: enough to keep every CPU's clients local. */
#define DEFAULT_WORKERS 8

static int serve(struct fuse_session *se, const struct fuse_cmdline_opts *cmd)
{
	unsigned workers = DEFAULT_WORKERS;

	if (cmd->singlethread)
		workers = 1;
	else if (cmd->max_threads != UINT_MAX && cmd->max_threads > 0)
		workers = cmd->max_threads;
	return shmfs_session_loop(se, workers);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cmd = { 0 };
	struct shmfs_options opts;
	struct fuse_session *se;
	struct shmfs_fs fs;
	int ret = 1, err;

	if (shmfs_options_parse(&args, &opts, ram_bytes()) != 0 ||
	    fuse_parse_cmdline(&args, &cmd) != 0)
		goto out_args;
	if (cmd.show_help || opts.show_help) {
		usage(argv[0]);
		ret = 0;
		goto out_args;
	}
	if (cmd.show_version || opts.show_version) {
		printf("shmfs version %s\n", PACKAGE_VERSION);
		fflush(stdout); /* libfuse writes its own lines with write(2) */
		fuse_lowlevel_version();
		ret = 0;
		goto out_args;
	}
	if (!cmd.mountpoint) {
		fprintf(stderr, "shmfs: no mountpoint given (see %s -h)\n", argv[0]);
		goto out_args;
	}
	if (protect_from_oom(&opts) != 0)
		goto out_args;
	/* Defaults go first so that the user's own fsname= or subtype= win. */
	if (fuse_opt_insert_arg(&args, 1, "-ofsname=shmfs,subtype=shmfs") != 0)
		goto out_args;
	err = shmfs_fs_init(&fs, &opts);
	if (err) {
		fprintf(stderr, "shmfs: cannot set up the filesystem: %s\n", strerror(err));
		goto out_args;
	}
	se = fuse_session_new(&args, &shmfs_ll_ops, sizeof(shmfs_ll_ops), &fs);
	if (!se)
		goto out_fs;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, cmd.mountpoint) != 0)
		goto out_signals;
	fs.dev = mount_device(cmd.mountpoint);
	tune_backing_device(fs.dev);
	fuse_daemonize(cmd.foreground);
	/* After daemonizing: threads do not survive its fork. */
	err = shmfs_fs_start(&fs, se);
	if (err) {
		fprintf(stderr, "shmfs: cannot start: %s\n", strerror(err));
		goto out_unmount;
	}
	ret = serve(se, &cmd) == 0 && !fs.failed ? 0 : 1;
	shmfs_fs_stop(&fs);
out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_fs:
	shmfs_fs_destroy(&fs);
out_args:
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	/*
	 * A /proc walker stuck on a locked mm cannot be interrupted, and
	 * exit() runs handlers that may wait for every thread (LeakSanitizer's
	 * stops them all): with one left, end the process without them.
	 */
	if (shmfs_mappings_walkers())
		_exit(ret);
	return ret;
}
