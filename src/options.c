/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * options.c: shmfs's own mount options (size=, nr_objects=, mode=, uid=,
 * gid=, oom_score_adj=, user_size=, user_nr_objects=), taken out of the FUSE argument list with libfuse's fuse_opt before
 * main() hands the rest to fuse_parse_cmdline() and fuse_session_new().
 * The interface is described in options.h; the option list printed by
 * shmfs_options_usage() is mirrored in man/shmfs.8.
 *
 * fuse_opt only stores the raw strings; every value is checked afterwards,
 * so a message can name the option and quote the bad value.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fuse_opt.h>

#include "common.h"
#include "options.h"

/* What fuse_opt fills in: one string per option, NULL when not given. */
struct options_raw {
	char *size;
	char *nr_objects;
	char *mode;
	char *uid;
	char *gid;
	char *passthrough;
	char *oom_score_adj;
	char *user_size;
	char *user_nr_objects;
};

/* Everything the key callback needs besides the raw strings. */
struct options_ctx {
	struct options_raw raw;
	struct shmfs_options *opts;
	char *first_nonopt; /* held back: the source or the mountpoint */
	int nonopts;
};

enum {
	KEY_HELP,
	KEY_VERSION,
	KEY_NOVALUE, /* "size" without '=': libfuse would only say "unknown" */
};

/* One line, though clang-format would spread the braces over four. */
/* clang-format off */
#define OPTION_RAW(t, field) { t, offsetof(struct options_ctx, raw.field), 0 }
/* clang-format on */

static const struct fuse_opt options_table[] = {
	OPTION_RAW("size=%s", size),
	OPTION_RAW("nr_objects=%s", nr_objects),
	OPTION_RAW("mode=%s", mode),
	OPTION_RAW("uid=%s", uid),
	OPTION_RAW("gid=%s", gid),
	OPTION_RAW("passthrough=%s", passthrough),
	OPTION_RAW("oom_score_adj=%s", oom_score_adj),
	OPTION_RAW("user_size=%s", user_size),
	OPTION_RAW("user_nr_objects=%s", user_nr_objects),
	FUSE_OPT_KEY("size", KEY_NOVALUE),
	FUSE_OPT_KEY("nr_objects", KEY_NOVALUE),
	FUSE_OPT_KEY("mode", KEY_NOVALUE),
	FUSE_OPT_KEY("uid", KEY_NOVALUE),
	FUSE_OPT_KEY("gid", KEY_NOVALUE),
	FUSE_OPT_KEY("passthrough", KEY_NOVALUE),
	FUSE_OPT_KEY("oom_score_adj", KEY_NOVALUE),
	FUSE_OPT_KEY("user_size", KEY_NOVALUE),
	FUSE_OPT_KEY("user_nr_objects", KEY_NOVALUE),
	/*
	 * -h and -V are noted here and also kept in args: main() passes them
	 * on to fuse_parse_cmdline(), which sets its own show_help and
	 * show_version, so either flag can drive the help and version text
	 * and a missing mountpoint is not an error for them.
	 */
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	/*
	 * fstab noise: meaningful to mount(8), not to us or the kernel.
	 * mount.fuse3 already drops most of them, but shmfs may be started
	 * with an fstab option string by other means (systemd units,
	 * scripts).  "rw", "ro", "dev", "suid" ... are real mount flags that
	 * libfuse handles, so they stay.
	 */
	FUSE_OPT_KEY("auto", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("noauto", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nofail", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("_netdev", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("defaults", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("user", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nouser", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("users", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_END,
};

/* The page size that sizes are rounded up to. */
static uint64_t options_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

int shmfs_parse_size(const char *text, uint64_t ram_bytes, uint64_t *out)
{
	uint64_t page = options_page_size(), bytes;
	size_t len = text ? strlen(text) : 0;

	if (len > 1 && text[len - 1] == '%') {
		char digits[32];
		uint64_t pct;

		if (len > sizeof(digits))
			return -EINVAL;
		memcpy(digits, text, len - 1);
		digits[len - 1] = '\0';
		if (shmfs_parse_number(digits, "", &pct) != 0)
			return -EINVAL;
		/*
		 * An overflowing product is at least 2^64 / 100 bytes, far
		 * above SHMFS_SIZE_MAX, so it is simply refused.
		 */
		if (__builtin_mul_overflow(ram_bytes, pct, &bytes))
			return -EINVAL;
		bytes /= 100;
	} else if (shmfs_parse_number(text, "kmgt", &bytes) != 0) {
		return -EINVAL;
	}
	/* Checked before rounding, which could otherwise wrap around. */
	if (bytes == 0 || bytes > SHMFS_SIZE_MAX)
		return -EINVAL;
	*out = (bytes + page - 1) / page * page;
	return 0;
}

/* A uid or gid: a number below (id_t)-1, which chown reserves. */
static int options_parse_id(const char *text, uint32_t *out)
{
	uint64_t n;

	if (shmfs_parse_number(text, "", &n) != 0 || n >= UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)n;
	return 0;
}

static void options_bad_value(const char *name, const char *value,
			      const char *why)
{
	fprintf(stderr, "shmfs: bad value for %s=: '%s'%s%s%s\n", name, value,
		why ? " (" : "", why ? why : "", why ? ")" : "");
}

/*
 * Checks every string fuse_opt collected and stores the results; reports
 * each bad value, so one run shows all of them.  Returns 0 or -1.
 */
static int options_validate(const struct options_raw *raw,
			    struct shmfs_options *opts, uint64_t ram_bytes)
{
	int ret = 0;

	if (raw->passthrough) {
		if (strcmp(raw->passthrough, "auto") == 0) {
			opts->passthrough = SHMFS_PASSTHROUGH_AUTO;
		} else if (strcmp(raw->passthrough, "on") == 0) {
			opts->passthrough = SHMFS_PASSTHROUGH_ON;
		} else if (strcmp(raw->passthrough, "off") == 0) {
			opts->passthrough = SHMFS_PASSTHROUGH_OFF;
		} else {
			options_bad_value("passthrough", raw->passthrough,
					  "auto, on or off");
			ret = -1;
		}
	}

	if (raw->size &&
	    shmfs_parse_size(raw->size, ram_bytes, &opts->size) != 0) {
		options_bad_value("size", raw->size,
				  "bytes with an optional k, m, g or t suffix, "
				  "or a percentage of RAM, from 1 byte to 8t");
		ret = -1;
	}
	if (raw->nr_objects) {
		uint64_t n;

		if (shmfs_parse_number(raw->nr_objects, "km", &n) != 0 ||
		    n == 0) {
			options_bad_value("nr_objects", raw->nr_objects,
					  "a positive number, k or m suffix");
			ret = -1;
		} else {
			opts->nr_objects = n;
			opts->nr_objects_given = true;
		}
	}
	if (raw->user_size && shmfs_parse_size(raw->user_size, ram_bytes,
					       &opts->user_size) != 0) {
		options_bad_value("user_size", raw->user_size,
				  "bytes with an optional k, m, g or t suffix, "
				  "or a percentage of RAM, from 1 byte to 8t");
		ret = -1;
	}
	if (raw->user_nr_objects) {
		uint64_t n;

		if (shmfs_parse_number(raw->user_nr_objects, "km", &n) != 0 ||
		    n == 0) {
			options_bad_value("user_nr_objects",
					  raw->user_nr_objects,
					  "a positive number, k or m suffix");
			ret = -1;
		} else {
			opts->user_nr_objects = n;
		}
	}
	if (raw->mode) {
		mode_t m;

		if (shmfs_parse_mode(raw->mode, &m) != 0) {
			options_bad_value("mode", raw->mode,
					  "octal permission bits, at most "
					  "0777");
			ret = -1;
		} else if (m > 0777) {
			/*
			 * The kernel applies sticky-directory rules itself,
			 * and they contradict shmfs(7), Permissions (unlink
			 * needs only write permission on the object).
			 */
			options_bad_value("mode", raw->mode,
					  "the root directory cannot have the "
					  "setuid, setgid or sticky bit");
			ret = -1;
		} else {
			opts->mode = (mode_t)m;
		}
	}
	if (raw->uid) {
		uint32_t id;
		struct passwd *pw = NULL;

		/* Names are tried only for what cannot be a number. */
		if (*raw->uid < '0' || *raw->uid > '9')
			pw = getpwnam(raw->uid);
		if (pw) {
			opts->uid = pw->pw_uid;
		} else if (options_parse_id(raw->uid, &id) == 0) {
			opts->uid = (uid_t)id;
		} else {
			options_bad_value("uid", raw->uid,
					  "a user name or number");
			ret = -1;
		}
	}
	if (raw->gid) {
		uint32_t id;
		struct group *gr = NULL;

		if (*raw->gid < '0' || *raw->gid > '9')
			gr = getgrnam(raw->gid);
		if (gr) {
			opts->gid = gr->gr_gid;
		} else if (options_parse_id(raw->gid, &id) == 0) {
			opts->gid = (gid_t)id;
		} else {
			options_bad_value("gid", raw->gid,
					  "a group name or number");
			ret = -1;
		}
	}
	if (raw->oom_score_adj) {
		const char *p = raw->oom_score_adj;
		bool minus = *p == '-';
		uint64_t n;

		if (shmfs_parse_number(p + minus, "", &n) != 0 || n > 1000) {
			options_bad_value("oom_score_adj", raw->oom_score_adj,
					  "a number from -1000 to 1000");
			ret = -1;
		} else {
			opts->oom_score_adj = minus ? -(int)n : (int)n;
			opts->oom_score_adj_set = true;
		}
	}
	return ret;
}

/*
 * Called by fuse_opt for every key of the table and every argument it does
 * not know.  Returns 1 to keep arg in args, 0 to drop it, -1 to fail.
 */
static int options_proc(void *data, const char *arg, int key,
			struct fuse_args *outargs)
{
	struct options_ctx *ctx = data;

	switch (key) {
	case KEY_HELP:
		ctx->opts->show_help = true;
		return 1;
	case KEY_VERSION:
		ctx->opts->show_version = true;
		return 1;
	case KEY_NOVALUE:
		fprintf(stderr, "shmfs: option %s= needs a value\n", arg);
		return -1;
	case FUSE_OPT_KEY_OPT:
		/*
		 * Options meant for mount(8) and systemd only ("x-systemd.
		 * automount", "comment=...") reach us through mount.fuse3.
		 */
		if (strncmp(arg, "x-", 2) == 0 ||
		    strncmp(arg, "comment=", 8) == 0)
			return 0;
		return 1; /* unknown: fuse_session_new() refuses it */
	case FUSE_OPT_KEY_NONOPT:
		/*
		 * mount.fuse3 runs "shmfs SOURCE MOUNTPOINT -o ...", with the
		 * fstab source (any word, say "shmfs") first.  So the first
		 * non-option is held back until we know whether a second one
		 * follows; a third is kept for fuse_parse_cmdline() to refuse.
		 */
		if (++ctx->nonopts == 1) {
			ctx->first_nonopt = strdup(arg);
			return ctx->first_nonopt ? 0 : -1;
		}
		if (ctx->nonopts == 2) {
			/*
			 * Dropped: /proc/mounts shows libfuse's default
			 * source, the program name "shmfs".
			 */
			free(ctx->first_nonopt);
			ctx->first_nonopt = NULL;
		}
		return 1;
	default:
		return 1;
	}
}

int shmfs_options_parse(struct fuse_args *args, struct shmfs_options *opts,
			uint64_t ram_bytes)
{
	struct options_ctx ctx = { .opts = opts };
	uint64_t page = options_page_size();
	int ret = -1;

	/*
	 * Defaults as tmpfs chooses them: half of RAM, and as many objects
	 * as half of RAM's pages.  The root belongs to whoever mounts.
	 */
	memset(opts, 0, sizeof(*opts));
	if (ram_bytes / 2 > SHMFS_SIZE_MAX)
		opts->size = SHMFS_SIZE_MAX;
	else
		opts->size = (ram_bytes / 2 + page - 1) / page * page;
	if (opts->size == 0)
		opts->size = page;
	opts->nr_objects = ram_bytes / page / 2;
	if (opts->nr_objects == 0)
		opts->nr_objects = 1;
	opts->mode = 0777;
	opts->uid = geteuid();
	opts->gid = getegid();
	opts->oom_score_adj = SHMFS_OOM_SCORE_ADJ_DEFAULT;

	if (fuse_opt_parse(args, &ctx, options_table, options_proc) != 0)
		goto out;
	/* A lone non-option is the mountpoint: give it back. */
	if (ctx.first_nonopt && fuse_opt_add_arg(args, ctx.first_nonopt) != 0)
		goto out;
	ret = options_validate(&ctx.raw, opts, ram_bytes);
out:
	free(ctx.first_nonopt);
	free(ctx.raw.size);
	free(ctx.raw.nr_objects);
	free(ctx.raw.mode);
	free(ctx.raw.uid);
	free(ctx.raw.gid);
	free(ctx.raw.passthrough);
	free(ctx.raw.oom_score_adj);
	free(ctx.raw.user_size);
	free(ctx.raw.user_nr_objects);
	return ret;
}

void shmfs_options_usage(void)
{
	printf("shmfs options:\n"
	       "    -o size=SIZE           bytes the mount may hold: a number "
	       "with an optional\n"
	       "                           k, m, g or t suffix (powers of "
	       "1024) or N%% of RAM\n"
	       "                           (default: 50%%)\n"
	       "    -o nr_objects=N        objects the mount may hold, k or m "
	       "suffix allowed\n"
	       "                           (default: half the pages of RAM)\n"
	       "    -o user_size=SIZE      bytes each user's objects may hold, "
	       "as for size=\n"
	       "                           (default: no limit but size=)\n"
	       "    -o user_nr_objects=N   objects each user may own, k or m "
	       "suffix allowed\n"
	       "                           (default: no limit but "
	       "nr_objects=)\n"
	       "    -o mode=MODE           octal permissions of the root "
	       "directory, at most\n"
	       "                           0777 (default: 0777)\n"
	       "    -o uid=UID             owner of the root directory, name "
	       "or number\n"
	       "                           (default: the user who mounts)\n"
	       "    -o gid=GID             group of the root directory, name "
	       "or number\n"
	       "                           (default: that user's group)\n"
	       "    -o passthrough=WHEN    auto, on or off: let the kernel "
	       "read, write and map\n"
	       "                           objects' memory without the daemon "
	       "(default: auto)\n"
	       "    -o oom_score_adj=N     the daemon's OOM score adjustment, "
	       "-1000 to 1000\n"
	       "                           (default: -900 as root, else "
	       "unchanged)\n");
}
