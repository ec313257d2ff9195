/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * options.h: the daemon's own mount options (size=, nr_objects=, mode=,
 * uid=, gid=, passthrough=, oom_score_adj=, user_size=, user_nr_objects=),
 * parsed out of the FUSE argument list before libfuse sees it.
 */
#ifndef SHMFS_OPTIONS_H
#define SHMFS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct fuse_args;

/* The daemon's OOM score adjustment when root mounts without oom_score_adj=. */
#define SHMFS_OOM_SCORE_ADJ_DEFAULT (-900)

/* Largest size= accepted: the page pool names pages with 32 bits, 0 reserved. */
#define SHMFS_SIZE_MAX (UINT64_C(1) << 43) /* 8 TiB */

/* passthrough=: whether opens hand the object's memfd to the kernel (passthrough.c). */
enum shmfs_passthrough {
	SHMFS_PASSTHROUGH_AUTO, /* where libfuse, the kernel and CAP_SYS_ADMIN allow */
	SHMFS_PASSTHROUGH_ON,	/* or refuse to run */
	SHMFS_PASSTHROUGH_OFF,	/* the daemon serves every read and write */
};

struct shmfs_options {
	uint64_t size;	     /* bytes the mount may promise, page multiple */
	uint64_t nr_objects; /* objects the mount may hold */
	bool nr_objects_given; /* by the user, not the default */
	uint64_t user_size;	  /* bytes each uid may promise; 0: none */
	uint64_t user_nr_objects; /* objects each uid may own; 0: none */
	mode_t mode;	     /* root directory permission bits (<= 0777) */
	uid_t uid;	     /* root directory owner */
	gid_t gid;
	enum shmfs_passthrough passthrough;
	int oom_score_adj;	/* for /proc/self/oom_score_adj, -1000..1000 */
	bool oom_score_adj_set; /* given: write it whoever runs the daemon */
	bool show_help;	   /* -h / --help was given */
	bool show_version; /* -V / --version was given */
};

/*
 * Parses a size: a number of bytes with an optional k, m, g or t suffix
 * (either case, powers of 1024) or a percentage of ram_bytes ("50%").  The
 * result is rounded up to a multiple of the page size.  Returns 0, or
 * -EINVAL if malformed, zero, or above SHMFS_SIZE_MAX.
 */
int shmfs_parse_size(const char *text, uint64_t ram_bytes, uint64_t *out);

/*
 * Fills opts with the defaults (size 50% of ram_bytes, nr_objects half of
 * ram_bytes' pages like tmpfs, mode 0777, the caller's uid and gid,
 * oom_score_adj SHMFS_OOM_SCORE_ADJ_DEFAULT but not set), then
 * takes shmfs's own options out of args, leaving the rest (mountpoint,
 * -f, -d, -s, allow_other, ...) for libfuse.  Drops fstab noise (auto,
 * noauto, nofail, _netdev, defaults, user, users).  On a malformed value
 * prints a message naming the option to stderr and returns -1; else 0.
 * Unknown options are left in args, for libfuse to refuse.
 */
int shmfs_options_parse(struct fuse_args *args, struct shmfs_options *opts,
			uint64_t ram_bytes);

/* Prints the shmfs-specific part of the usage text. */
void shmfs_options_usage(void);

#endif
