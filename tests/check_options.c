/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_options.c: unit tests of the daemon's option parsing
 * (src/options.c): size= and its suffixes, percentages, bounds and
 * rounding; nr_objects=, mode=, uid=, gid=, oom_score_adj=, user_size=,
 * user_nr_objects=; defaults; what is left in the
 * argument list for libfuse (unknown options, FUSE's own, the mountpoint)
 * and what is dropped (fstab noise, mount.fuse3's source).  No mount.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "harness.h"
#include "options.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define TIB (GIB * 1024)
#define RAM (8 * GIB) /* the RAM size the tests pretend to have */

static uint64_t page;

static void setup(void)
{
	page = (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t round_up(uint64_t n)
{
	return (n + page - 1) / page * page;
}

/*
 * shmfs_parse_size(): the value, the RAM size for percentages, and the
 * number of bytes it stands for before rounding up to pages; 0 for values
 * that are malformed, zero or beyond 2^64.  Any value above SHMFS_SIZE_MAX
 * must give -EINVAL too.
 */
static const struct {
	const char *text;
	uint64_t ram;
	uint64_t bytes;
} sizes[] = {
	{ "1", RAM, 1 },
	{ "4096", RAM, 4096 },
	{ "4097", RAM, 4097 },
	{ "1000000", RAM, 1000000 },
	{ "007", RAM, 7 },
	{ "1k", RAM, KIB },
	{ "1K", RAM, KIB },
	{ "3k", RAM, 3 * KIB },
	{ "64k", RAM, 64 * KIB },
	{ "1m", RAM, MIB },
	{ "1M", RAM, MIB },
	{ "100m", RAM, 100 * MIB },
	{ "1g", RAM, GIB },
	{ "1G", RAM, GIB },
	{ "20g", RAM, 20 * GIB },
	{ "1t", RAM, TIB },
	{ "1T", RAM, TIB },
	{ "8t", RAM, 8 * TIB }, /* SHMFS_SIZE_MAX when written */
	{ "8192g", RAM, 8 * TIB },
	{ "8796093022208", RAM, 8 * TIB },
	{ "50%", RAM, 4 * GIB },
	{ "100%", RAM, RAM },
	{ "1%", RAM, RAM / 100 },
	{ "25%", RAM, 2 * GIB },
	{ "200%", RAM, 16 * GIB }, /* more than RAM, like tmpfs */
	{ "1%", 100 * 4096, 4096 },
	{ "33%", 1000, 330 }, /* rounds up to one page */
	{ "100%", 8 * TIB, 8 * TIB },
	/* Malformed. */
	{ "", RAM, 0 },
	{ "k", RAM, 0 },
	{ "12q", RAM, 0 },
	{ "1kb", RAM, 0 },
	{ "1KiB", RAM, 0 },
	{ "1kk", RAM, 0 },
	{ "1 k", RAM, 0 },
	{ " 1", RAM, 0 },
	{ "1 ", RAM, 0 },
	{ "+1", RAM, 0 },
	{ "-1", RAM, 0 },
	{ "-1k", RAM, 0 },
	{ "0x10", RAM, 0 },
	{ "1.5g", RAM, 0 },
	{ "1e6", RAM, 0 },
	{ "1p", RAM, 0 },
	{ "g1", RAM, 0 },
	{ "%", RAM, 0 },
	{ "50%%", RAM, 0 },
	{ "%50", RAM, 0 },
	{ "-5%", RAM, 0 },
	{ "+5%", RAM, 0 },
	{ "5.5%", RAM, 0 },
	{ "5k%", RAM, 0 },
	{ "5%k", RAM, 0 },
	{ " 5%", RAM, 0 },
	/* Zero. */
	{ "0", RAM, 0 },
	{ "0k", RAM, 0 },
	{ "0%", RAM, 0 },
	{ "1%", 99, 0 }, /* 0.99 bytes */
	/* Above SHMFS_SIZE_MAX. */
	{ "9t", RAM, 9 * TIB },
	{ "8193g", RAM, 8193 * GIB },
	{ "8796093022209", RAM, 8 * TIB + 1 },
	{ "101%", 8 * TIB, 8 * TIB / 100 * 101 },
	{ "18446744073709551615", RAM, UINT64_MAX },
	/* Overflow. */
	{ "18446744073709551616", RAM, 0 },
	{ "99999999999999999999999k", RAM, 0 },
	{ "16777216t", RAM, 0 },    /* 2^64 */
	{ "17179869184g", RAM, 0 }, /* 2^64 */
	{ "2%", UINT64_C(1) << 63, 0 },
	{ "18446744073709551617%", RAM, 0 },
};

START_TEST(test_parse_size)
{
	const uint64_t untouched = 0x1234;
	uint64_t out = untouched;
	int ret = shmfs_parse_size(sizes[_i].text, sizes[_i].ram, &out);

	if (sizes[_i].bytes == 0 || sizes[_i].bytes > SHMFS_SIZE_MAX) {
		ck_assert_msg(ret == -EINVAL, "\"%s\": %d, not -EINVAL",
			      sizes[_i].text, ret);
		ck_assert_msg(out == untouched, "\"%s\" changed the result",
			      sizes[_i].text);
	} else {
		ck_assert_msg(ret == 0, "\"%s\": %d", sizes[_i].text, ret);
		ck_assert_msg(out == round_up(sizes[_i].bytes),
			      "\"%s\": %llu, not %llu", sizes[_i].text,
			      (unsigned long long)out,
			      (unsigned long long)round_up(sizes[_i].bytes));
	}
}
END_TEST

/* Rounding, spelled out in pages so that it does not hide in round_up(). */
START_TEST(test_parse_size_rounds_to_pages)
{
	char text[32];
	uint64_t out;

	ck_assert_int_eq(shmfs_parse_size("1", RAM, &out), 0);
	ck_assert_uint_eq(out, page);
	snprintf(text, sizeof(text), "%llu", (unsigned long long)page - 1);
	ck_assert_int_eq(shmfs_parse_size(text, RAM, &out), 0);
	ck_assert_uint_eq(out, page);
	snprintf(text, sizeof(text), "%llu", (unsigned long long)page);
	ck_assert_int_eq(shmfs_parse_size(text, RAM, &out), 0);
	ck_assert_uint_eq(out, page);
	snprintf(text, sizeof(text), "%llu", (unsigned long long)page + 1);
	ck_assert_int_eq(shmfs_parse_size(text, RAM, &out), 0);
	ck_assert_uint_eq(out, 2 * page);
	/* The maximum is a page multiple: just under it rounds up to it. */
	ck_assert_uint_eq(SHMFS_SIZE_MAX % page, 0);
	snprintf(text, sizeof(text), "%llu",
		 (unsigned long long)SHMFS_SIZE_MAX - 1);
	ck_assert_int_eq(shmfs_parse_size(text, RAM, &out), 0);
	ck_assert_uint_eq(out, SHMFS_SIZE_MAX);
	snprintf(text, sizeof(text), "%llu",
		 (unsigned long long)SHMFS_SIZE_MAX);
	ck_assert_int_eq(shmfs_parse_size(text, RAM, &out), 0);
	ck_assert_uint_eq(out, SHMFS_SIZE_MAX);
	snprintf(text, sizeof(text), "%llu",
		 (unsigned long long)SHMFS_SIZE_MAX + 1);
	ck_assert_int_eq(shmfs_parse_size(text, RAM, &out), -EINVAL);
	/* 100% of a RAM that large is the maximum; 1 byte more is not. */
	ck_assert_int_eq(shmfs_parse_size("100%", SHMFS_SIZE_MAX, &out), 0);
	ck_assert_uint_eq(out, SHMFS_SIZE_MAX);
	ck_assert_int_eq(shmfs_parse_size("100%", SHMFS_SIZE_MAX + 100, &out),
			 -EINVAL);
}
END_TEST

/* Builds a fuse_args from a NULL-terminated list; argv[0] is "shmfs". */
static struct fuse_args make_args(const char *const *list)
{
	static char *argv[64];
	int argc = 0;

	argv[argc++] = "shmfs";
	while (*list)
		argv[argc++] = (char *)*list++;
	argv[argc] = NULL;
	return (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
}

/* The arguments after argv[0], space-separated, in a static buffer. */
static const char *joined(const struct fuse_args *args)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 1; i < args->argc; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i > 1 ? " " : "", args->argv[i]);
	return buf;
}

/* What shmfs_options_parse() wrote to stderr, captured. */
static char errbuf[4096];

/*
 * Parses list with RAM; returns the result, leaves the remaining arguments
 * in *rest (a static buffer) and the messages in errbuf.
 */
static int parse(struct shmfs_options *opts, const char **rest,
		 const char *const *list)
{
	struct fuse_args args = make_args(list);
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO), ret;
	size_t n;

	ck_assert_ptr_nonnull(tmp);
	ck_assert_int_ge(saved, 0);
	fflush(stderr);
	ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
	ret = shmfs_options_parse(&args, opts, RAM);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	rewind(tmp);
	n = fread(errbuf, 1, sizeof(errbuf) - 1, tmp);
	errbuf[n] = '\0';
	fclose(tmp);
	*rest = joined(&args);
	fuse_opt_free_args(&args);
	return ret;
}

#define PARSE(opts, rest, ...) \
	parse(opts, rest, (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_defaults)
{
	struct shmfs_options o;
	const char *rest;

	memset(&o, 0xff, sizeof(o));
	ck_assert_int_eq(PARSE(&o, &rest, "/mnt"), 0);
	ck_assert_str_eq(rest, "/mnt");
	ck_assert_str_eq(errbuf, "");
	ck_assert_uint_eq(o.size, RAM / 2);
	ck_assert_uint_eq(o.nr_objects, RAM / page / 2);
	ck_assert_uint_eq(o.mode, 0777);
	ck_assert_uint_eq(o.uid, geteuid());
	ck_assert_uint_eq(o.gid, getegid());
	ck_assert_int_eq(o.oom_score_adj, SHMFS_OOM_SCORE_ADJ_DEFAULT);
	ck_assert(!o.oom_score_adj_set);
	ck_assert(!o.show_help);
	ck_assert(!o.show_version);
}
END_TEST

/* Defaults come out as page multiples whatever the RAM size. */
START_TEST(test_defaults_odd_ram)
{
	struct fuse_args args = make_args((const char *const[]){ NULL });
	struct shmfs_options o;
	uint64_t ram = 9 * page; /* half is 4.5 pages */

	ck_assert_int_eq(shmfs_options_parse(&args, &o, ram), 0);
	ck_assert_uint_eq(o.size, 5 * page);
	ck_assert_uint_eq(o.nr_objects, 4);
	fuse_opt_free_args(&args);
}
END_TEST

START_TEST(test_all_options)
{
	struct shmfs_options o;
	const char *rest;

	ck_assert_int_eq(PARSE(&o, &rest, "-o",
			       "size=1g,nr_objects=10k,mode=0750,uid=1000,"
			       "gid=100",
			       "/mnt"),
			 0);
	ck_assert_str_eq(rest, "/mnt");
	ck_assert_str_eq(errbuf, "");
	ck_assert_uint_eq(o.size, GIB);
	ck_assert_uint_eq(o.nr_objects, 10 * 1024);
	ck_assert_uint_eq(o.mode, 0750);
	ck_assert_uint_eq(o.uid, 1000);
	ck_assert_uint_eq(o.gid, 100);
}
END_TEST

/* Separate -o's, "-oX" without a space, and the last value winning. */
START_TEST(test_option_forms)
{
	struct shmfs_options o;
	const char *rest;

	ck_assert_int_eq(PARSE(&o, &rest, "-osize=1m", "/mnt", "-o", "mode=700",
			       "-o", "size=3m,mode=711"),
			 0);
	ck_assert_str_eq(rest, "/mnt");
	ck_assert_uint_eq(o.size, 3 * MIB);
	ck_assert_uint_eq(o.mode, 0711);
}
END_TEST

/* FUSE's own options and flags stay, in a form libfuse parses. */
START_TEST(test_fuse_options_kept)
{
	struct shmfs_options o;
	struct fuse_cmdline_opts co;
	struct fuse_args args = make_args((const char *const[]){
		"-f", "-o", "allow_other,size=2m,max_read=65536", "-d", "-s",
		"/mnt", NULL });

	ck_assert_int_eq(shmfs_options_parse(&args, &o, RAM), 0);
	ck_assert_str_eq(joined(&args), "-o allow_other,max_read=65536 -f -d "
					"-s /mnt");
	ck_assert_uint_eq(o.size, 2 * MIB);
	/* What main() does next must accept the remainder. */
	memset(&co, 0, sizeof(co));
	ck_assert_int_eq(fuse_parse_cmdline(&args, &co), 0);
	ck_assert_str_eq(co.mountpoint, "/mnt");
	ck_assert_int_eq(co.foreground, 1);
	ck_assert_int_eq(co.debug, 1);
	ck_assert_int_eq(co.singlethread, 1);
	free(co.mountpoint);
	fuse_opt_free_args(&args);
}
END_TEST

START_TEST(test_fstab_noise_dropped)
{
	struct shmfs_options o;
	const char *rest;

	ck_assert_int_eq(PARSE(&o, &rest, "/mnt", "-o",
			       "auto,noauto,nofail,_netdev,defaults,user,"
			       "nouser,users,rw,dev,suid,x-systemd.automount,"
			       "comment=systemd.automount,size=1m"),
			 0);
	/* rw, dev, suid are mount flags that libfuse applies. */
	ck_assert_str_eq(rest, "-o rw,dev,suid /mnt");
	ck_assert_str_eq(errbuf, "");
	ck_assert_uint_eq(o.size, MIB);
}
END_TEST

/* Left for fuse_session_new(), which refuses them by name. */
START_TEST(test_unknown_options_kept)
{
	struct shmfs_options o;
	const char *rest;

	ck_assert_int_eq(PARSE(&o, &rest, "-o",
			       "bogus,size=1m,also_bogus=3,sizes=1,size_=2,"
			       "mode2=1",
			       "--frobnicate", "/mnt"),
			 0);
	ck_assert_str_eq(rest, "-o bogus,also_bogus=3,sizes=1,size_=2,mode2=1 "
			       "--frobnicate /mnt");
	ck_assert_str_eq(errbuf, "");
	ck_assert_uint_eq(o.size, MIB);
}
END_TEST

/*
 * mount.fuse3 runs "shmfs SOURCE MOUNTPOINT -o OPTIONS": the source is
 * dropped, the mountpoint kept; a third word is left for libfuse to refuse.
 */
START_TEST(test_mount_helper_source)
{
	struct shmfs_options o;
	const char *rest;

	ck_assert_int_eq(PARSE(&o, &rest, "shmfs", "/dev/shmfs", "-o",
			       "size=1g,allow_other,dev,suid"),
			 0);
	ck_assert_str_eq(rest, "-o allow_other,dev,suid /dev/shmfs");
	ck_assert_uint_eq(o.size, GIB);
	ck_assert_int_eq(PARSE(&o, &rest, "none", "/m"), 0);
	ck_assert_str_eq(rest, "/m");
	ck_assert_int_eq(PARSE(&o, &rest, "a", "b", "c"), 0);
	ck_assert_str_eq(rest, "b c");
	ck_assert_int_eq(PARSE(&o, &rest, "-f"), 0);
	ck_assert_str_eq(rest, "-f");
}
END_TEST

START_TEST(test_help_and_version)
{
	static const char *const help[] = { "-h", "--help" };
	static const char *const version[] = { "-V", "--version" };
	struct shmfs_options o;
	const char *rest;

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(PARSE(&o, &rest, help[i]), 0);
		ck_assert(o.show_help);
		ck_assert(!o.show_version);
		/* Kept, so that fuse_parse_cmdline() sees it too. */
		ck_assert_str_eq(rest, help[i]);
		ck_assert_int_eq(PARSE(&o, &rest, version[i], "/mnt"), 0);
		ck_assert(!o.show_help);
		ck_assert(o.show_version);
		ck_assert_int_eq(strncmp(rest, version[i], strlen(version[i])),
				 0);
		ck_assert_str_eq(rest + strlen(version[i]), " /mnt");
	}
}
END_TEST

START_TEST(test_nr_objects)
{
	static const struct {
		const char *text;
		uint64_t want; /* 0: refused */
	} cases[] = {
		{ "1", 1 },
		{ "7", 7 },
		{ "1000", 1000 },
		{ "1k", 1024 },
		{ "1K", 1024 },
		{ "2m", 2 * MIB },
		{ "2M", 2 * MIB },
		{ "0", 0 },
		{ "0k", 0 },
		{ "-1", 0 },
		{ "+1", 0 },
		{ "", 0 },
		{ "1g", 0 },
		{ "1t", 0 },
		{ "1%", 0 },
		{ "x", 0 },
		{ "1.5k", 0 },
		{ " 1", 0 },
		{ "18446744073709551616", 0 },
		{ "18014398509481984k", 0 },
	};
	char opt[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shmfs_options o;
		const char *rest;
		int ret;

		snprintf(opt, sizeof(opt), "nr_objects=%s", cases[i].text);
		ret = PARSE(&o, &rest, "-o", opt, "/mnt");
		if (cases[i].want) {
			ck_assert_msg(ret == 0, "%s: %d", opt, ret);
			ck_assert_uint_eq(o.nr_objects, cases[i].want);
			ck_assert_str_eq(errbuf, "");
		} else {
			ck_assert_msg(ret == -1, "%s: %d", opt, ret);
			ck_assert_msg(strstr(errbuf, "bad value for "
						     "nr_objects=") != NULL,
				      "%s: message \"%s\"", opt, errbuf);
		}
	}
}
END_TEST

START_TEST(test_user_limits)
{
	struct shmfs_options o;
	const char *rest;

	ck_assert_int_eq(PARSE(&o, &rest, "/mnt"), 0);
	ck_assert_uint_eq(o.user_size, 0); /* no limit */
	ck_assert_uint_eq(o.user_nr_objects, 0);
	ck_assert_int_eq(PARSE(&o, &rest, "-o",
			       "user_size=1m,user_nr_objects=2k", "/mnt"),
			 0);
	ck_assert_str_eq(rest, "/mnt");
	ck_assert_str_eq(errbuf, "");
	ck_assert_uint_eq(o.user_size, MIB);
	ck_assert_uint_eq(o.user_nr_objects, 2048);
	ck_assert_int_eq(PARSE(&o, &rest, "-o",
			       "user_size=10%,user_nr_objects=1", "/mnt"),
			 0);
	ck_assert_uint_eq(o.user_size, round_up(RAM / 10));
	ck_assert_uint_eq(o.user_nr_objects, 1);
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "user_size=4097", "/mnt"), 0);
	ck_assert_uint_eq(o.user_size, round_up(4097));

	ck_assert_int_eq(PARSE(&o, &rest, "-o", "user_size=0,user_nr_objects=0",
			       "/mnt"),
			 -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "bad value for user_size=: '0'"));
	ck_assert_ptr_nonnull(strstr(errbuf, "bad value for user_nr_objects=: "
					     "'0'"));
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "user_size=9t", "/mnt"), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "bad value for user_size=: '9t'"));
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "user_nr_objects=1g", "/mnt"),
			 -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "bad value for user_nr_objects=: "
					     "'1g'"));
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "user_size", "/mnt"), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "user_size="));
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "user_nr_objects", "/mnt"), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "user_nr_objects="));
}
END_TEST

START_TEST(test_oom_score_adj)
{
	static const struct {
		const char *text;
		bool ok;
		int want;
	} cases[] = {
		{ "0", true, 0 },	  { "-900", true, -900 },
		{ "-1000", true, -1000 }, { "1000", true, 1000 },
		{ "17", true, 17 },	  { "-0", true, 0 },
		{ "1001", false, 0 },	  { "-1001", false, 0 },
		{ "+5", false, 0 },	  { "", false, 0 },
		{ "-", false, 0 },	  { "--5", false, 0 },
		{ "5k", false, 0 },	  { "x", false, 0 },
		{ " 5", false, 0 },	  { "18446744073709551617", false, 0 },
	};
	char opt[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shmfs_options o;
		const char *rest;
		int ret;

		snprintf(opt, sizeof(opt), "oom_score_adj=%s", cases[i].text);
		ret = PARSE(&o, &rest, "-o", opt, "/mnt");
		if (cases[i].ok) {
			ck_assert_msg(ret == 0, "%s: %d", opt, ret);
			ck_assert_int_eq(o.oom_score_adj, cases[i].want);
			ck_assert(o.oom_score_adj_set);
			ck_assert_str_eq(rest, "/mnt");
			ck_assert_str_eq(errbuf, "");
		} else {
			ck_assert_msg(ret == -1, "%s: %d", opt, ret);
			ck_assert_msg(strstr(errbuf, "bad value for "
						     "oom_score_adj=") != NULL,
				      "%s: message \"%s\"", opt, errbuf);
		}
	}
	{
		struct shmfs_options o;
		const char *rest;

		ck_assert_int_eq(
			PARSE(&o, &rest, "-o", "oom_score_adj", "/mnt"), -1);
		ck_assert_ptr_nonnull(strstr(errbuf, "oom_score_adj="));
	}
}
END_TEST

START_TEST(test_mode)
{
	static const struct {
		const char *text;
		int want; /* -1: refused */
	} cases[] = {
		{ "0", 0 },
		{ "0777", 0777 },
		{ "777", 0777 },
		{ "755", 0755 },
		{ "0700", 0700 },
		{ "1", 01 },
		{ "00000750", 0750 },
		{ "1777", -1 },
		{ "01777", -1 },
		{ "4755", -1 },
		{ "2775", -1 },
		{ "7777", -1 },
		{ "10000", -1 },
		{ "778", -1 },
		{ "8", -1 },
		{ "0x1ff", -1 },
		{ "-1", -1 },
		{ "+755", -1 },
		{ "", -1 },
		{ "rwx", -1 },
		{ "755 ", -1 },
		{ " 755", -1 },
		{ "99999999999999999999999", -1 },
	};
	char opt[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shmfs_options o;
		const char *rest;
		int ret;

		snprintf(opt, sizeof(opt), "mode=%s", cases[i].text);
		ret = PARSE(&o, &rest, "-o", opt, "/mnt");
		if (cases[i].want >= 0) {
			ck_assert_msg(ret == 0, "%s: %d", opt, ret);
			ck_assert_uint_eq(o.mode, (mode_t)cases[i].want);
		} else {
			ck_assert_msg(ret == -1, "%s: %d", opt, ret);
			ck_assert_msg(strstr(errbuf, "bad value for mode=") !=
					      NULL,
				      "%s: message \"%s\"", opt, errbuf);
		}
	}
	/* The sticky bit gets a message of its own. */
	{
		struct shmfs_options o;
		const char *rest;

		ck_assert_int_eq(PARSE(&o, &rest, "-o", "mode=1777", "/m"), -1);
		ck_assert_ptr_nonnull(strstr(errbuf, "sticky"));
	}
}
END_TEST

START_TEST(test_uid_gid)
{
	static const struct {
		const char *text;
		long long want; /* -1: refused */
	} cases[] = {
		{ "0", 0 },
		{ "1000", 1000 },
		{ "65534", 65534 },
		{ "4294967294", 4294967294LL },
		{ "root", 0 },	      /* names: root exists everywhere */
		{ "4294967295", -1 }, /* (uid_t)-1 means "unchanged" */
		{ "4294967296", -1 },
		{ "-1", -1 },
		{ "+1", -1 },
		{ "", -1 },
		{ "1k", -1 },
		{ "12x", -1 },
		{ "no-such-user-or-group-here", -1 },
	};
	static const char *const which[] = { "uid", "gid" };
	char opt[64], msg[64];

	for (size_t w = 0; w < 2; w++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct shmfs_options o;
			const char *rest;
			int ret;

			snprintf(opt, sizeof(opt), "%s=%s", which[w],
				 cases[i].text);
			ret = PARSE(&o, &rest, "-o", opt, "/mnt");
			if (cases[i].want < 0) {
				ck_assert_msg(ret == -1, "%s: %d", opt, ret);
				snprintf(msg, sizeof(msg),
					 "shmfs: bad value for %s=: '%s'",
					 which[w], cases[i].text);
				ck_assert_msg(strstr(errbuf, msg) != NULL,
					      "%s: message \"%s\"", opt,
					      errbuf);
				continue;
			}
			ck_assert_msg(ret == 0, "%s: %d", opt, ret);
			ck_assert_uint_eq(w ? (uint64_t)o.gid : (uint64_t)o.uid,
					  (uint64_t)cases[i].want);
			/* The other one keeps its default. */
			ck_assert_uint_eq(w ? o.uid : o.gid,
					  w ? geteuid() : getegid());
		}
	}
}
END_TEST

/* passthrough=auto (the default), on or off; anything else is refused. */
START_TEST(test_passthrough)
{
	static const struct {
		const char *text;
		int want; /* enum shmfs_passthrough, or -1: refused */
	} cases[] = {
		{ "auto", SHMFS_PASSTHROUGH_AUTO }, { "on", SHMFS_PASSTHROUGH_ON },
		{ "off", SHMFS_PASSTHROUGH_OFF },   { "", -1 },
		{ "yes", -1 },			    { "On", -1 },
		{ "1", -1 },
	};
	struct shmfs_options o;
	const char *rest;
	char opt[64];

	ck_assert_int_eq(PARSE(&o, &rest, "/mnt"), 0);
	ck_assert_int_eq(o.passthrough, SHMFS_PASSTHROUGH_AUTO);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(opt, sizeof(opt), "passthrough=%s", cases[i].text);
		if (cases[i].want < 0) {
			ck_assert_int_eq(PARSE(&o, &rest, "-o", opt, "/mnt"), -1);
			ck_assert_ptr_nonnull(strstr(errbuf, "bad value for passthrough="));
			continue;
		}
		ck_assert_int_eq(PARSE(&o, &rest, "-o", opt, "/mnt"), 0);
		ck_assert_int_eq(o.passthrough, cases[i].want);
		ck_assert_str_eq(rest, "/mnt");
	}
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "passthrough", "/mnt"), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "passthrough="));
}
END_TEST

/* Each bad value is named with the option and quoted. */
START_TEST(test_bad_values_reported)
{
	struct shmfs_options o;
	const char *rest;

	ck_assert_int_eq(PARSE(&o, &rest, "-o", "size=12q", "/mnt"), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "shmfs: bad value for size=: "
					     "'12q'"));
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "size=", "/mnt"), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "shmfs: bad value for size=: ''"));
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "size=0", "/mnt"), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "shmfs: bad value for size=: "
					     "'0'"));
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "size=17t", "/mnt"), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "shmfs: bad value for size=: "
					     "'17t'"));

	/* All of them at once, not just the first. */
	ck_assert_int_eq(PARSE(&o, &rest, "-o",
			       "size=1x,nr_objects=0,mode=1777,uid=-1,gid=-2",
			       "/mnt"),
			 -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "for size=: '1x'"));
	ck_assert_ptr_nonnull(strstr(errbuf, "for nr_objects=: '0'"));
	ck_assert_ptr_nonnull(strstr(errbuf, "for mode=: '1777'"));
	ck_assert_ptr_nonnull(strstr(errbuf, "for uid=: '-1'"));
	ck_assert_ptr_nonnull(strstr(errbuf, "for gid=: '-2'"));

	/* An option of ours without its value. */
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "size", "/mnt"), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "size="));
	ck_assert_int_eq(PARSE(&o, &rest, "-o", "allow_other,mode", "/mnt"),
			 -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "mode="));

	/* libfuse's own complaint: -o without an argument. */
	ck_assert_int_eq(PARSE(&o, &rest, "/mnt", "-o"), -1);
}
END_TEST

START_TEST(test_usage_lists_options)
{
	static const char *const names[] = {
		"size=", "nr_objects=",	   "mode=",	 "uid=",	    "gid=",
		"passthrough=", "oom_score_adj=", "user_size=", "user_nr_objects="
	};
	char out[4096];
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	size_t n;

	ck_assert_ptr_nonnull(tmp);
	fflush(stdout);
	ck_assert_int_ge(dup2(fileno(tmp), STDOUT_FILENO), 0);
	shmfs_options_usage();
	fflush(stdout);
	ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(strstr(out, names[i]) != NULL, "no %s in usage",
			      names[i]);
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("size");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_parse_size, 0,
			    sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_test(tc, test_parse_size_rounds_to_pages);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_defaults_odd_ram);
	tcase_add_test(tc, test_all_options);
	tcase_add_test(tc, test_option_forms);
	tcase_add_test(tc, test_fuse_options_kept);
	tcase_add_test(tc, test_fstab_noise_dropped);
	tcase_add_test(tc, test_unknown_options_kept);
	tcase_add_test(tc, test_mount_helper_source);
	tcase_add_test(tc, test_help_and_version);
	tcase_add_test(tc, test_nr_objects);
	tcase_add_test(tc, test_mode);
	tcase_add_test(tc, test_oom_score_adj);
	tcase_add_test(tc, test_user_limits);
	tcase_add_test(tc, test_uid_gid);
	tcase_add_test(tc, test_passthrough);
	tcase_add_test(tc, test_bad_values_reported);
	tcase_add_test(tc, test_usage_lists_options);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(options_suite, NULL);
}
