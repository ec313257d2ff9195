/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_options.c: libFuzzer harness of the daemon's option parser
 * (src/options.c): malformed options must never crash it, leak, or be
 * accepted with a value other than the one given.
 *
 * The first byte picks the RAM size and one of two modes:
 *  - raw: the rest, split at newlines, is the argument list after "shmfs".
 *    On success the results must be in range (size a page multiple in
 *    [1 page, SHMFS_SIZE_MAX], nr_objects >= 1, mode <= 0777), nothing is
 *    printed, and the rest of main()'s setup (fuse_parse_cmdline(), then
 *    the store with those limits) must take them; a failure must print
 *    why.
 *  - structured: the rest is decoded into arguments built from shmfs's own
 *    options with fuzzed values, fstab noise, options for mount(8), options
 *    for libfuse, non-options, -h and -V, in one or more -o groups.  A
 *    reference parser here, written from options.h's description, predicts
 *    the outcome: every option and every value the parser accepts must give
 *    the predicted field (the last of repeated options wins, as with
 *    fuse_opt), every refused value must be quoted in a message naming its
 *    option, and the arguments left for libfuse must be exactly the foreign
 *    options and the mountpoint.
 * stderr is swapped for a memory stream around each call, to read the
 * messages (sanitizer reports go to fd 2 and stay visible).
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fuse_lowlevel.h>
#include <fuse_opt.h>

#include "options.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                   \
	do {                                                        \
		fprintf(real_stderr, "fuzz_options: " __VA_ARGS__); \
		fputc('\n', real_stderr);                           \
		abort();                                            \
	} while (0)

static FILE *real_stderr;

static const uint64_t ram_sizes[] = {
	0,
	1,
	4096,
	UINT64_C(1) << 30,
	UINT64_C(16) << 30,
	UINT64_C(1) << 44,
	UINT64_MAX,
	UINT64_C(12345678901),
};

/* ---- Parsing with stderr captured ---- */

struct outcome {
	int ret;
	struct shmfs_options opts;
	char *messages; /* what was printed, NUL-terminated */
	size_t messages_len;
};

static void parse_captured(struct fuse_args *args, uint64_t ram,
			   struct outcome *o)
{
	FILE *mem = open_memstream(&o->messages, &o->messages_len);

	if (!mem)
		abort();
	real_stderr = stderr;
	stderr = mem;
	o->ret = shmfs_options_parse(args, &o->opts, ram);
	stderr = real_stderr;
	fclose(mem);
}

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static void check_ranges(const struct shmfs_options *opts)
{
	if (opts->size == 0 || opts->size % page_size() ||
	    opts->size > SHMFS_SIZE_MAX)
		FAIL("accepted size %llu", (unsigned long long)opts->size);
	if (opts->nr_objects == 0)
		FAIL("accepted nr_objects 0");
	if (opts->mode & ~0777u)
		FAIL("accepted mode %o", (unsigned)opts->mode);
	if (opts->oom_score_adj < -1000 || opts->oom_score_adj > 1000)
		FAIL("accepted oom_score_adj %d", opts->oom_score_adj);
	if (opts->user_size % page_size() || opts->user_size > SHMFS_SIZE_MAX)
		FAIL("accepted user_size %llu",
		     (unsigned long long)opts->user_size);
}

/* ---- Raw mode ---- */

/*
 * What the daemon's main() does with accepted options before mounting:
 * libfuse parses what is left, and the store is set up with the limits,
 * which it must accept (an 8 TiB size= only reserves address space).
 */
static void after_parse(struct fuse_args *args,
			const struct shmfs_options *opts)
{
	struct fuse_cmdline_opts cmd = { 0 };
	struct shmfs_store st;
	char *noise = NULL;
	size_t noise_len;
	FILE *mem = open_memstream(&noise, &noise_len);
	int err;

	if (!mem)
		abort();
	stderr = mem; /* libfuse's complaints are not ours to check */
	fuse_parse_cmdline(args, &cmd);
	stderr = real_stderr;
	fclose(mem);
	free(noise);
	free(cmd.mountpoint);
	err = shmfs_store_init(&st, opts->size, opts->nr_objects);
	if (err)
		FAIL("the store refuses the accepted size %llu and nr_objects "
		     "%llu: %s",
		     (unsigned long long)opts->size,
		     (unsigned long long)opts->nr_objects, strerror(err));
	shmfs_store_destroy(&st);
}

static void fuzz_raw(const uint8_t *data, size_t size, uint64_t ram)
{
	char *text = malloc(size + 1), *p;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct outcome o = { 0 };

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (fuse_opt_add_arg(&args, "shmfs") != 0)
		abort();
	for (p = text; p && size;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		if (fuse_opt_add_arg(&args, p) != 0)
			abort();
		p = nl ? nl + 1 : NULL;
	}
	parse_captured(&args, ram, &o);
	if (o.ret != 0 && o.ret != -1)
		FAIL("returned %d", o.ret);
	if (o.ret == 0) {
		check_ranges(&o.opts);
		if (o.messages_len)
			FAIL("succeeded but printed: %s", o.messages);
		after_parse(&args, &o.opts);
	} else if (!o.messages_len) {
		FAIL("failed without saying why");
	}
	fuse_opt_free_args(&args);
	free(o.messages);
	free(text);
}

/* ---- The reference parser ---- */

/*
 * Decimal digits and at most one suffix from `suffixes` (either case, k =
 * 2^10, m = 2^20 ...); false if malformed or above 2^64 - 1.
 */
static bool ref_number(const char *s, const char *suffixes, uint64_t *out)
{
	static const char units[] = "kmgt";
	uint64_t n = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(n, 10, &n) ||
		    __builtin_add_overflow(n, (uint64_t)(*p - '0'), &n))
			return false;
	if (*p) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		unsigned shift;

		if (p[1] || !strchr(suffixes, c))
			return false;
		shift = 10 * (unsigned)(strchr(units, c) - units + 1);
		if (n > UINT64_MAX >> shift)
			return false;
		n <<= shift;
	}
	*out = n;
	return true;
}

static bool ref_size(const char *s, uint64_t ram, uint64_t *out)
{
	size_t len = strlen(s);
	uint64_t bytes, page = page_size();

	if (len > 1 && s[len - 1] == '%') {
		char digits[64];
		uint64_t pct;

		/* The parser takes at most 31 digits before the '%'. */
		if (len > 32)
			return false;
		memcpy(digits, s, len - 1);
		digits[len - 1] = '\0';
		if (!ref_number(digits, "", &pct) ||
		    __builtin_mul_overflow(ram, pct, &bytes))
			return false;
		bytes /= 100;
	} else if (!ref_number(s, "kmgt", &bytes)) {
		return false;
	}
	if (bytes == 0 || bytes > SHMFS_SIZE_MAX)
		return false;
	*out = (bytes + page - 1) / page * page;
	return true;
}

/* -1000 to 1000, an optional minus sign, stored as the two's complement. */
static bool ref_oom_score_adj(const char *s, uint64_t *out)
{
	bool minus = *s == '-';
	uint64_t n;

	if (!ref_number(s + minus, "", &n) || n > 1000)
		return false;
	*out = minus ? (uint64_t)-(int64_t)n : n;
	return true;
}

static bool ref_mode(const char *s, uint64_t *out)
{
	uint64_t m = 0;

	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '7')
			return false;
		m = m * 8 + (uint64_t)(*p - '0');
		if (m > 0777)
			return false;
	}
	*out = m;
	return true;
}

/* A user or group name, or a number below 2^32 - 1; names only when not starting with a digit. */
static bool ref_id(const char *s, bool group, uint64_t *out)
{
	if (*s < '0' || *s > '9') {
		if (group) {
			struct group *gr = getgrnam(s);

			if (gr)
				*out = gr->gr_gid;
			return gr != NULL;
		}
		struct passwd *pw = getpwnam(s);

		if (pw)
			*out = pw->pw_uid;
		return pw != NULL;
	}
	return ref_number(s, "", out) && *out < UINT32_MAX;
}

/* ---- Structured mode ---- */

enum {
	OPT_SIZE,
	OPT_NR_OBJECTS,
	OPT_MODE,
	OPT_UID,
	OPT_GID,
	OPT_OOM_SCORE_ADJ,
	OPT_USER_SIZE,
	OPT_USER_NR_OBJECTS,
	NOWN
};
static const char *const own_names[NOWN] = { "size",	       "nr_objects",
					     "mode",	       "uid",
					     "gid",	       "oom_score_adj",
					     "user_size",      "user_nr_objects" };

/* Dropped by the parser. */
static const char *const noise[] = {
	"auto",	   "noauto",	    "nofail",
	"_netdev", "defaults",	    "user",
	"nouser",  "users",	    "x-systemd.automount",
	"x-",	   "comment=shmfs", "comment=",
};

/* Left for libfuse, near misses of our own names included. */
static const char *const foreign[] = {
	"rw",
	"ro",
	"allow_other",
	"default_permissions",
	"max_read=4096",
	"fsname=x",
	"sizes",
	"size2=1",
	"Size=1",
	"modes=7",
	"uid_x=0",
	"gid0",
	"nr_object=3",
	"oom_score=1",
	"user_sizes=1",
	"x",
	"comment",
	"suid",
};

static const char *const id_names[] = { "root", "daemon", "nobody",
					"nosuchname", "bin" };

/* Characters of fuzzed values: digits mostly, suffixes, and some noise. */
static const char value_chars[] = "0123456789012345678901234567kKmMgGtT%x -+.e";

struct input {
	const uint8_t *p;
	size_t left;
};

static unsigned take(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* A growing argument-list builder with the current -o group. */
struct builder {
	struct fuse_args args;
	char group[4096];
	size_t group_len;
	bool attached; /* "-oGROUP" rather than "-o" "GROUP" */
};

static void add_arg(struct builder *b, const char *arg)
{
	if (fuse_opt_add_arg(&b->args, arg) != 0)
		abort();
}

static void flush_group(struct builder *b)
{
	char arg[sizeof(b->group) + 3];

	if (!b->group_len)
		return;
	b->group[b->group_len] = '\0';
	if (b->attached) {
		snprintf(arg, sizeof(arg), "-o%s", b->group);
		add_arg(b, arg);
	} else {
		add_arg(b, "-o");
		add_arg(b, b->group);
	}
	b->group_len = 0;
}

static void add_option(struct builder *b, const char *opt)
{
	size_t len = strlen(opt);

	if (b->group_len + len + 2 >= sizeof(b->group))
		flush_group(b);
	if (b->group_len)
		b->group[b->group_len++] = ',';
	memcpy(b->group + b->group_len, opt, len);
	b->group_len += len;
}

/* What the reference expects. */
struct expect {
	char *raw[NOWN];      /* last value given, or NULL */
	const char *novalue;  /* first own option without a value */
	const char *kept[64]; /* foreign options, in order */
	int nkept;
	char nonopt[3][8];
	int nnonopts;
	bool help, version;
};

static void fuzz_structured(const uint8_t *data, size_t size, uint64_t ram)
{
	struct input in = { data, size };
	struct builder b = { .args = FUSE_ARGS_INIT(0, NULL) };
	struct expect e = { 0 };
	struct outcome o = { 0 };
	uint64_t want[NOWN];
	bool valid[NOWN], all_valid = true;

	add_arg(&b, "shmfs");
	while (in.left && e.nkept < 64) {
		unsigned k = take(&in);

		if (k & 0x80) { /* a new group */
			flush_group(&b);
			b.attached = k & 0x40;
		}
		switch (k % 8) {
		case 0:
		case 1:
		case 2: { /* an own option with a fuzzed value */
			unsigned which = take(&in) % NOWN, len = take(&in) % 24;
			char opt[64], *v;
			int n = snprintf(opt, sizeof(opt),
					 "%s=", own_names[which]);

			v = opt + n;
			if ((which == OPT_UID || which == OPT_GID) &&
			    len >= 20) {
				strcpy(v, id_names[take(&in) % 5]);
			} else {
				for (unsigned i = 0; i < len; i++)
					v[i] = value_chars[take(&in) %
							   (sizeof(value_chars) -
							    1)];
				v[len] = '\0';
			}
			add_option(&b, opt);
			free(e.raw[which]);
			e.raw[which] = strdup(v);
			if (!e.raw[which])
				abort();
			break;
		}
		case 3: { /* an own option without a value */
			unsigned which = take(&in) % NOWN;

			add_option(&b, own_names[which]);
			if (!e.novalue)
				e.novalue = own_names[which];
			break;
		}
		case 4:
			add_option(&b, noise[take(&in) % (sizeof(noise) /
							  sizeof(noise[0]))]);
			break;
		case 5: {
			const char *f =
				foreign[take(&in) %
					(sizeof(foreign) / sizeof(foreign[0]))];

			add_option(&b, f);
			e.kept[e.nkept++] = f;
			break;
		}
		case 6: /* a non-option: the source or the mountpoint */
			if (e.nnonopts < 3) {
				snprintf(e.nonopt[e.nnonopts],
					 sizeof(e.nonopt[0]), "w%d",
					 e.nnonopts);
				flush_group(&b);
				add_arg(&b, e.nonopt[e.nnonopts++]);
			}
			break;
		default:
			flush_group(&b);
			if (take(&in) & 1) {
				add_arg(&b, k & 0x20 ? "--version" : "-V");
				e.version = true;
			} else {
				add_arg(&b, k & 0x20 ? "--help" : "-h");
				e.help = true;
			}
			break;
		}
	}
	flush_group(&b);

	parse_captured(&b.args, ram, &o);

	if (e.novalue) {
		char msg[64];

		snprintf(msg, sizeof(msg), "option %s= needs a value",
			 e.novalue);
		if (o.ret != -1 || !strstr(o.messages, msg))
			FAIL("%s without a value: returned %d, printed '%s'",
			     e.novalue, o.ret, o.messages);
		goto out;
	}
	for (int i = 0; i < NOWN; i++) {
		const char *v = e.raw[i];

		if (!v)
			continue;
		switch (i) {
		case OPT_SIZE:
			valid[i] = ref_size(v, ram, &want[i]);
			break;
		case OPT_NR_OBJECTS:
			valid[i] = ref_number(v, "km", &want[i]) &&
				   want[i] != 0;
			break;
		case OPT_MODE:
			valid[i] = ref_mode(v, &want[i]);
			break;
		case OPT_OOM_SCORE_ADJ:
			valid[i] = ref_oom_score_adj(v, &want[i]);
			break;
		case OPT_USER_SIZE:
			valid[i] = ref_size(v, ram, &want[i]);
			break;
		case OPT_USER_NR_OBJECTS:
			valid[i] = ref_number(v, "km", &want[i]) &&
				   want[i] != 0;
			break;
		default:
			valid[i] = ref_id(v, i == OPT_GID, &want[i]);
			break;
		}
		if (!valid[i]) {
			char *msg;

			all_valid = false;
			if (asprintf(&msg, "bad value for %s=: '%s'",
				     own_names[i], v) < 0)
				abort();
			if (!strstr(o.messages, msg))
				FAIL("%s=%s is invalid but the messages are "
				     "'%s'",
				     own_names[i], v, o.messages);
			free(msg);
		}
	}
	if (o.ret != (all_valid ? 0 : -1))
		FAIL("returned %d, expected %d; printed '%s'", o.ret,
		     all_valid ? 0 : -1, o.messages);
	if (!all_valid)
		goto out;
	if (o.messages_len)
		FAIL("succeeded but printed '%s'", o.messages);
	check_ranges(&o.opts);
	for (int i = 0; i < NOWN; i++) {
		uint64_t got;

		if (!e.raw[i])
			continue;
		switch (i) {
		case OPT_SIZE:
			got = o.opts.size;
			break;
		case OPT_NR_OBJECTS:
			got = o.opts.nr_objects;
			break;
		case OPT_MODE:
			got = (uint64_t)o.opts.mode;
			break;
		case OPT_UID:
			got = (uint64_t)o.opts.uid;
			break;
		case OPT_GID:
			got = (uint64_t)o.opts.gid;
			break;
		case OPT_OOM_SCORE_ADJ:
			got = (uint64_t)(int64_t)o.opts.oom_score_adj;
			break;
		case OPT_USER_SIZE:
			got = o.opts.user_size;
			break;
		default:
			got = o.opts.user_nr_objects;
			break;
		}
		if (got != want[i])
			FAIL("%s=%s accepted as %llu, expected %llu",
			     own_names[i], e.raw[i], (unsigned long long)got,
			     (unsigned long long)want[i]);
	}
	if (o.opts.show_help != e.help || o.opts.show_version != e.version)
		FAIL("help %d version %d, expected %d %d", o.opts.show_help,
		     o.opts.show_version, e.help, e.version);

	/*
	 * Left for libfuse: the program name, the foreign options in one -o
	 * group, -h/-V, and the non-options but a leading source.
	 */
	{
		int kept = 0, nonopts = 0, first = e.nnonopts >= 2 ? 1 : 0;

		if (b.args.argc < 1 || strcmp(b.args.argv[0], "shmfs") != 0)
			FAIL("argv[0] lost");
		for (int i = 1; i < b.args.argc; i++) {
			const char *a = b.args.argv[i];

			if (strcmp(a, "-o") == 0 && i + 1 < b.args.argc) {
				char *copy = strdup(b.args.argv[++i]),
				     *save = NULL;

				if (!copy)
					abort();
				for (char *t = strtok_r(copy, ",", &save); t;
				     t = strtok_r(NULL, ",", &save)) {
					if (kept >= e.nkept ||
					    strcmp(t, e.kept[kept]) != 0)
						FAIL("option '%s' left for "
						     "libfuse, expected "
						     "'%s'",
						     t,
						     kept < e.nkept ?
							     e.kept[kept] :
							     "none");
					kept++;
				}
				free(copy);
			} else if (a[0] == 'w') {
				/* With two or more, the first (the source) is dropped. */
				int want_idx = first + nonopts;

				if (e.nnonopts == 1 && nonopts == 0 &&
				    i != b.args.argc - 1)
					FAIL("the mountpoint is not given back "
					     "last");
				if (want_idx >= e.nnonopts ||
				    strcmp(a, e.nonopt[want_idx]) != 0)
					FAIL("non-option '%s' left, expected "
					     "'%s'",
					     a,
					     want_idx < e.nnonopts ?
						     e.nonopt[want_idx] :
						     "none");
				nonopts++;
			} else if (strcmp(a, "-h") != 0 &&
				   strcmp(a, "--help") != 0 &&
				   strcmp(a, "-V") != 0 &&
				   strcmp(a, "--version") != 0) {
				FAIL("unexpected argument '%s' left", a);
			}
		}
		if (kept != e.nkept)
			FAIL("%d options left for libfuse, expected %d", kept,
			     e.nkept);
		if (nonopts != e.nnonopts - first)
			FAIL("%d non-options left, expected %d", nonopts,
			     e.nnonopts - first);
	}
out:
	for (int i = 0; i < NOWN; i++)
		free(e.raw[i]);
	fuse_opt_free_args(&b.args);
	free(o.messages);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned first;
	uint64_t ram;

	real_stderr = stderr;
	if (size < 1)
		return 0;
	first = data[0];
	ram = ram_sizes[first % (sizeof(ram_sizes) / sizeof(ram_sizes[0]))];
	if (first & 0x80)
		fuzz_raw(data + 1, size - 1, ram);
	else
		fuzz_structured(data + 1, size - 1, ram);
	return 0;
}
