/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shmfsctl.c: shmfsctl(1), the administration tool for shmfs mounts, after
 * FreeBSD's posixshmcontrol(1): ls, create, rm, rename, truncate, dump and
 * stat of shared-memory objects by their shm names ("/foo"), and usage, what
 * a user owns (anonymous objects included).
 *
 * Everything is an ordinary system call on the mount (openat, renameat2,
 * ftruncate, unlinkat, fstatat; the open count by an ioctl on the root), so the
 * daemon checks the caller's permissions as for any other program.
 *
 * Exit status: 0 success, 1 an operation failed (the others still ran),
 * 2 usage error, 3 no shmfs mount at the directory.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "common.h"
#include "proto.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_NOMOUNT 3

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char *progname = "shmfsctl";
static const char *mount_dir; /* the mount's path, for messages */
static int mount_fd = -1;
static bool json;

/* ---- Output helpers ---- */

static void warn_name(const char *what, const char *name, int err)
{
	fprintf(stderr, "%s: %s %s: %s\n", progname, what, name, strerror(err));
}

/*
 * Prints bytes for a human: printable ASCII as is, backslash and anything
 * else as \\ and \xHH, so one name is always one line.
 */
static void put_human(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			fputs("\\\\", out);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Prints a JSON string: valid UTF-8 as is, control characters, '"' and
 * '\\' escaped, and each byte that is not part of valid UTF-8 as U+FFFD
 * (the exact bytes are in the "name_hex" member).
 */
static void put_json_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	fputc('"', out);
	while (i < len) {
		size_t n = utf8_seq_len(u + i, len - i);

		if (n == 0) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		if (n == 1) {
			unsigned char c = u[i];

			if (c == '"' || c == '\\')
				fprintf(out, "\\%c", c);
			else if (c == '\n')
				fputs("\\n", out);
			else if (c == '\t')
				fputs("\\t", out);
			else if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		} else {
			fwrite(u + i, 1, n, out);
		}
		i += n;
	}
	fputc('"', out);
}

static void put_hex(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02x", (unsigned char)s[i]);
	fputc('"', out);
}

static const char *user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		return pw->pw_name;
	snprintf(buf, size, "%u", (unsigned)uid);
	return buf;
}

static const char *group_name(gid_t gid, char *buf, size_t size)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		return gr->gr_name;
	snprintf(buf, size, "%u", (unsigned)gid);
	return buf;
}

/* ---- The mount and names ---- */

/*
 * Opens the mount (mount_dir) and checks its probe entry, as the shim does.
 * Commands call it after checking their arguments, so that a usage error
 * is reported as one (exit 2) whatever the mount.
 */
static int open_mount(void)
{
	const char *dir = mount_dir;
	struct stat st;

	mount_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mount_fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, dir, strerror(errno));
		return EXIT_NOMOUNT;
	}
	switch (shmfs_probe(mount_fd, &st)) {
	case SHMFS_PROBE_OK:
		break;
	case SHMFS_PROBE_NONE:
		fprintf(stderr, "%s: %s: not a shmfs mount\n", progname, dir);
		return EXIT_NOMOUNT;
	case SHMFS_PROBE_VERSION:
		fprintf(stderr, "%s: %s: shmfs protocol version %jd, this tool speaks %d\n",
			progname, dir, (intmax_t)st.st_size, SHMFS_PROTO_VERSION);
		return EXIT_NOMOUNT;
	}
	return 0;
}

/*
 * The file name of a shm name given by the user, into file (at least
 * SHMFS_FILE_NAME_MAX + 1 bytes).  Returns 0 or an errno, as shm_open
 * would: EINVAL for a name without its leading slash.
 */
static int encode_name(const char *name, char *file)
{
	return shmfs_shm_name_file(name, strlen(name), file, SHMFS_FILE_NAME_MAX + 1);
}

/* The open count from the daemon (SHMFS_IOC_NOPEN), or -1 with errno set. */
static long open_count(const char *file)
{
	struct shmfs_ioc_nopen q;

	memset(&q, 0, sizeof(q));
	snprintf(q.name, sizeof(q.name), "%s", file);
	if (ioctl(mount_fd, SHMFS_IOC_NOPEN, &q) != 0)
		return -1;
	return (long)q.nopen;
}

/* A size: a number with an optional k, m, g or t (powers of 1024). */
static int parse_size(const char *text, off_t *out)
{
	uint64_t n;

	if (shmfs_parse_number(text, "kmgt", &n) != 0 || n > INT64_MAX)
		return -1;
	*out = (off_t)n;
	return 0;
}

/* ---- One object's description, shared by ls and stat ---- */

/* Held for every object while ls sorts, so the strings are on the heap. */
struct entry {
	char *file;
	char *name; /* may hold NUL-free bytes of any kind; name_len counts them */
	size_t name_len;
	struct stat st;
	long nopen; /* -1: unknown */
};

static void print_time_json(FILE *out, const char *key, const struct timespec *ts)
{
	fprintf(out, ",\"%s\":%jd.%09ld", key, (intmax_t)ts->tv_sec, ts->tv_nsec);
}

static void print_entry_json(const struct entry *e)
{
	char ubuf[16], gbuf[16];

	fputs("{\"name\":", stdout);
	put_json_string(stdout, e->name, e->name_len);
	fputs(",\"name_hex\":", stdout);
	put_hex(stdout, e->name, e->name_len);
	fputs(",\"file\":", stdout);
	put_json_string(stdout, e->file, strlen(e->file));
	printf(",\"size\":%jd,\"blocks\":%jd,\"mode\":\"%04o\",\"uid\":%u,\"gid\":%u",
	       (intmax_t)e->st.st_size, (intmax_t)e->st.st_blocks,
	       (unsigned)(e->st.st_mode & 07777), (unsigned)e->st.st_uid,
	       (unsigned)e->st.st_gid);
	fputs(",\"owner\":", stdout);
	const char *u = user_name(e->st.st_uid, ubuf, sizeof(ubuf));
	put_json_string(stdout, u, strlen(u));
	fputs(",\"group\":", stdout);
	const char *g = group_name(e->st.st_gid, gbuf, sizeof(gbuf));
	put_json_string(stdout, g, strlen(g));
	printf(",\"ino\":%ju,\"nlink\":%ju", (uintmax_t)e->st.st_ino, (uintmax_t)e->st.st_nlink);
	print_time_json(stdout, "atime", &e->st.st_atim);
	print_time_json(stdout, "mtime", &e->st.st_mtim);
	print_time_json(stdout, "ctime", &e->st.st_ctim);
	if (e->nopen >= 0)
		printf(",\"open\":%ld}", e->nopen);
	else
		fputs(",\"open\":null}", stdout);
}

static void mode_string(mode_t mode, char *out)
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = '-';
	for (int i = 0; i < 9; i++)
		out[i + 1] = (mode & (0400 >> i)) ? rwx[i] : '-';
	out[10] = '\0';
}

/* Fills e from the file name; 0 or an errno. */
static int entry_load(struct entry *e, const char *file)
{
	char name[SHMFS_NAME_MAX + 2];
	int n = shmfs_name_decode(file, name, sizeof(name));

	if (n < 0)
		return -n;
	if (fstatat(mount_fd, file, &e->st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno;
	e->nopen = open_count(file);
	e->name_len = (size_t)n;
	e->name = malloc((size_t)n + 1);
	e->file = strdup(file);
	if (!e->name || !e->file) {
		free(e->name);
		free(e->file);
		return ENOMEM;
	}
	memcpy(e->name, name, (size_t)n + 1);
	return 0;
}

static void entry_free(struct entry *e)
{
	free(e->name);
	free(e->file);
}

static int entry_compare(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* ---- Commands ---- */

static int cmd_ls(int argc, char **argv)
{
	struct entry *entries = NULL;
	size_t count = 0, cap = 0;
	struct dirent *d;
	int status = 0, fd;
	DIR *dir;

	if (argc > 1) {
		fprintf(stderr, "%s: ls takes no arguments\n", progname);
		return EXIT_USAGE;
	}
	if ((status = open_mount()) != 0)
		return status;
	fd = openat(mount_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		warn_name("ls", mount_dir, errno);
		if (fd >= 0)
			close(fd);
		return EXIT_FAILED;
	}
	errno = 0;
	while ((d = readdir(dir))) {
		int err;

		if (!shmfs_file_name_valid(d->d_name))
			continue; /* "." and ".." */
		if (count == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			struct entry *n = realloc(entries, ncap * sizeof(*n));

			if (!n) {
				warn_name("ls", mount_dir, ENOMEM);
				status = EXIT_FAILED;
				break;
			}
			entries = n;
			cap = ncap;
		}
		err = entry_load(&entries[count], d->d_name);
		if (err == ENOENT)
			continue; /* removed while we listed */
		if (err) {
			warn_name("ls", d->d_name, err);
			status = EXIT_FAILED;
			continue;
		}
		count++;
		errno = 0;
	}
	if (!d && errno) {
		warn_name("ls", mount_dir, errno);
		status = EXIT_FAILED;
	}
	closedir(dir);
	if (count) /* qsort(NULL, 0, ...) is undefined */
		qsort(entries, count, sizeof(*entries), entry_compare);

	if (json) {
		fputc('[', stdout);
		for (size_t i = 0; i < count; i++) {
			if (i)
				fputc(',', stdout);
			print_entry_json(&entries[i]);
		}
		fputs("]\n", stdout);
	} else {
		printf("%-10s %-8s %-8s %12s %4s %s\n", "MODE", "OWNER", "GROUP", "SIZE",
		       "OPEN", "NAME");
		for (size_t i = 0; i < count; i++) {
			struct entry *e = &entries[i];
			char mode[11], ubuf[16], gbuf[16], open_buf[24];

			mode_string(e->st.st_mode, mode);
			if (e->nopen >= 0)
				snprintf(open_buf, sizeof(open_buf), "%ld", e->nopen);
			else
				snprintf(open_buf, sizeof(open_buf), "?");
			printf("%-10s %-8s %-8s %12jd %4s ", mode,
			       user_name(e->st.st_uid, ubuf, sizeof(ubuf)),
			       group_name(e->st.st_gid, gbuf, sizeof(gbuf)),
			       (intmax_t)e->st.st_size, open_buf);
			put_human(stdout, e->name, e->name_len);
			fputc('\n', stdout);
		}
	}
	for (size_t i = 0; i < count; i++)
		entry_free(&entries[i]);
	free(entries);
	return status;
}

/* The mount as a whole: capacity, objects, and how data reaches memory. */
static int cmd_info(int argc, char **argv)
{
	struct shmfs_ioc_info info;
	struct statvfs sv;
	const char *path;
	int status;

	if (argc > 1) {
		fprintf(stderr, "%s: info takes no arguments\n", progname);
		return EXIT_USAGE;
	}
	if ((status = open_mount()) != 0)
		return status;
	if (fstatvfs(mount_fd, &sv) != 0 || ioctl(mount_fd, SHMFS_IOC_INFO, &info) != 0) {
		warn_name("info", mount_dir, errno);
		return EXIT_FAILED;
	}
	path = info.flags & SHMFS_INFO_PASSTHROUGH ? "passthrough" : "daemon";
	if (json) {
		printf("{\"size\":%llu,\"free\":%llu,\"objects\":%llu,\"objects_free\":%llu,"
		       "\"data_path\":\"%s\"}\n",
		       (unsigned long long)sv.f_blocks * sv.f_frsize,
		       (unsigned long long)sv.f_bavail * sv.f_frsize,
		       (unsigned long long)sv.f_files, (unsigned long long)sv.f_ffree, path);
	} else {
		printf("size:         %llu bytes, %llu free\n"
		       "objects:      %llu, %llu free\n"
		       "data path:    %s\n",
		       (unsigned long long)sv.f_blocks * sv.f_frsize,
		       (unsigned long long)sv.f_bavail * sv.f_frsize,
		       (unsigned long long)sv.f_files, (unsigned long long)sv.f_ffree, path);
	}
	return 0;
}

static int cmd_stat(int argc, char **argv)
{
	int status = 0;
	bool first = true;

	if (argc < 2) {
		fprintf(stderr, "%s: stat needs a name\n", progname);
		return EXIT_USAGE;
	}
	if ((status = open_mount()) != 0)
		return status;
	if (json)
		fputc('[', stdout);
	for (int i = 1; i < argc; i++) {
		char file[SHMFS_FILE_NAME_MAX + 1];
		struct entry e;
		int err = encode_name(argv[i], file);

		if (!err)
			err = entry_load(&e, file);
		if (err) {
			warn_name("stat", argv[i], err);
			status = EXIT_FAILED;
			continue;
		}
		if (json) {
			if (!first)
				fputc(',', stdout);
			print_entry_json(&e);
		} else {
			char mode[11], ubuf[16], gbuf[16];

			mode_string(e.st.st_mode, mode);
			fputs("name:    ", stdout);
			put_human(stdout, e.name, e.name_len);
			fputs("\nfile:    ", stdout);
			put_human(stdout, e.file, strlen(e.file));
			printf("\nsize:    %jd\nblocks:  %jd\nmode:    %04o (%s)\n",
			       (intmax_t)e.st.st_size, (intmax_t)e.st.st_blocks,
			       (unsigned)(e.st.st_mode & 07777), mode);
			printf("owner:   %s (%u)\n", user_name(e.st.st_uid, ubuf, sizeof(ubuf)),
			       (unsigned)e.st.st_uid);
			printf("group:   %s (%u)\n", group_name(e.st.st_gid, gbuf, sizeof(gbuf)),
			       (unsigned)e.st.st_gid);
			printf("inode:   %ju\n", (uintmax_t)e.st.st_ino);
			if (e.nopen >= 0)
				printf("open:    %ld\n", e.nopen);
			else
				printf("open:    ?\n");
			printf("atime:   %jd.%09ld\nmtime:   %jd.%09ld\nctime:   %jd.%09ld\n",
			       (intmax_t)e.st.st_atim.tv_sec, e.st.st_atim.tv_nsec,
			       (intmax_t)e.st.st_mtim.tv_sec, e.st.st_mtim.tv_nsec,
			       (intmax_t)e.st.st_ctim.tv_sec, e.st.st_ctim.tv_nsec);
		}
		entry_free(&e);
		first = false;
	}
	if (json)
		fputs("]\n", stdout);
	return status;
}

/* Removes file if the name still leads to the object open as fd. */
static void unlink_if_same(const char *file, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) == 0 && fstatat(mount_fd, file, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_ino == b.st_ino)
		unlinkat(mount_fd, file, 0);
}

static int cmd_create(int argc, char **argv)
{
	mode_t mode = 0600;
	off_t size = -1;
	int flags = O_RDWR | O_CREAT | O_CLOEXEC, status = 0, c;

	optind = 1;
	while ((c = getopt(argc, argv, "+m:s:x")) != -1) {
		switch (c) {
		case 'm':
			if (shmfs_parse_mode(optarg, &mode) != 0) {
				fprintf(stderr, "%s: create: bad mode '%s'\n", progname, optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_size(optarg, &size) != 0) {
				fprintf(stderr, "%s: create: bad size '%s'\n", progname, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'x':
			flags |= O_EXCL;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: create needs a name\n", progname);
		return EXIT_USAGE;
	}
	if ((status = open_mount()) != 0)
		return status;
	for (int i = optind; i < argc; i++) {
		char file[SHMFS_FILE_NAME_MAX + 1];
		int err = encode_name(argv[i], file), fd = -1;

		bool created = false;

		if (!err) {
			fd = openat(mount_fd, file, flags | O_EXCL, mode);
			created = fd >= 0;
			if (fd < 0 && errno == EEXIST && !(flags & O_EXCL))
				fd = openat(mount_fd, file, flags & ~O_CREAT);
			if (fd < 0)
				err = errno;
		}
		if (!err && size >= 0 && ftruncate(fd, size) != 0) {
			err = errno;
			/* Leave nothing behind that we made, if it is still ours. */
			if (created)
				unlink_if_same(file, fd);
		}
		if (fd >= 0)
			close(fd);
		if (err) {
			warn_name("create", argv[i], err);
			status = EXIT_FAILED;
		}
	}
	return status;
}

static int cmd_rm(int argc, char **argv)
{
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "%s: rm needs a name\n", progname);
		return EXIT_USAGE;
	}
	if ((status = open_mount()) != 0)
		return status;
	for (int i = 1; i < argc; i++) {
		char file[SHMFS_FILE_NAME_MAX + 1];
		int err = encode_name(argv[i], file);

		if (!err && unlinkat(mount_fd, file, 0) != 0)
			err = errno;
		if (err) {
			warn_name("rm", argv[i], err);
			status = EXIT_FAILED;
		}
	}
	return status;
}

static int cmd_rename(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "exchange", no_argument, NULL, 'x' },
		{ "noreplace", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	char from[SHMFS_FILE_NAME_MAX + 1], to[SHMFS_FILE_NAME_MAX + 1];
	unsigned flags = 0;
	int c, err, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+xn", longopts, NULL)) != -1) {
		switch (c) {
		case 'x':
			flags |= RENAME_EXCHANGE;
			break;
		case 'n':
			flags |= RENAME_NOREPLACE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (flags == (RENAME_EXCHANGE | RENAME_NOREPLACE)) {
		fprintf(stderr, "%s: rename: --exchange and --noreplace exclude each other\n",
			progname);
		return EXIT_USAGE;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "%s: rename needs two names\n", progname);
		return EXIT_USAGE;
	}
	if ((status = open_mount()) != 0)
		return status;
	err = encode_name(argv[optind], from);
	if (err) {
		warn_name("rename", argv[optind], err);
		return EXIT_FAILED;
	}
	err = encode_name(argv[optind + 1], to);
	if (err) {
		warn_name("rename", argv[optind + 1], err);
		return EXIT_FAILED;
	}
	if (renameat2(mount_fd, from, mount_fd, to, flags) != 0) {
		fprintf(stderr, "%s: rename %s %s: %s\n", progname, argv[optind],
			argv[optind + 1], strerror(errno));
		return EXIT_FAILED;
	}
	return 0;
}

static int cmd_truncate(int argc, char **argv)
{
	off_t size = -1;
	int status = 0, c;

	optind = 1;
	while ((c = getopt(argc, argv, "+s:")) != -1) {
		if (c != 's')
			return EXIT_USAGE;
		if (parse_size(optarg, &size) != 0) {
			fprintf(stderr, "%s: truncate: bad size '%s'\n", progname, optarg);
			return EXIT_USAGE;
		}
	}
	if (size < 0 || optind >= argc) {
		fprintf(stderr, "%s: truncate needs -s SIZE and a name\n", progname);
		return EXIT_USAGE;
	}
	if ((status = open_mount()) != 0)
		return status;
	for (int i = optind; i < argc; i++) {
		char file[SHMFS_FILE_NAME_MAX + 1];
		int err = encode_name(argv[i], file), fd = -1;

		if (!err) {
			fd = openat(mount_fd, file, O_WRONLY | O_CLOEXEC);
			if (fd < 0)
				err = errno;
		}
		if (!err && ftruncate(fd, size) != 0)
			err = errno;
		if (fd >= 0)
			close(fd);
		if (err) {
			warn_name("truncate", argv[i], err);
			status = EXIT_FAILED;
		}
	}
	return status;
}

static int cmd_dump(int argc, char **argv)
{
	char file[SHMFS_FILE_NAME_MAX + 1];
	static char buf[1 << 16];
	int err, fd, status;
	ssize_t n;

	if (argc != 2) {
		fprintf(stderr, "%s: dump needs one name\n", progname);
		return EXIT_USAGE;
	}
	if ((status = open_mount()) != 0)
		return status;
	err = encode_name(argv[1], file);
	if (err) {
		warn_name("dump", argv[1], err);
		return EXIT_FAILED;
	}
	fd = openat(mount_fd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warn_name("dump", argv[1], errno);
		return EXIT_FAILED;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			warn_name("dump", "to standard output", errno);
			close(fd);
			return EXIT_FAILED;
		}
	}
	err = n < 0 ? errno : 0;
	close(fd);
	if (err) {
		warn_name("dump", argv[1], err);
		return EXIT_FAILED;
	}
	return 0;
}

/* ---- usage: what a user owns ---- */

/* A user name or number; 0 or EINVAL. */
static int parse_user(const char *text, uid_t *uid)
{
	struct passwd *pw = getpwnam(text);
	unsigned long n;
	char *end;

	if (pw) {
		*uid = pw->pw_uid;
		return 0;
	}
	errno = 0;
	n = strtoul(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || errno || n >= UINT32_MAX)
		return EINVAL;
	*uid = (uid_t)n;
	return 0;
}

static void print_limit(const char *key, uint64_t limit)
{
	if (limit == UINT64_MAX)
		printf(",\"%s\":null", key);
	else
		printf(",\"%s\":%" PRIu64, key, limit);
}

static int cmd_usage(int argc, char **argv)
{
	int status = open_mount();
	bool first = true;

	if (status)
		return status;
	if (json)
		printf("[");
	for (int i = 1; i < argc || (argc == 1 && i == 1); i++) {
		struct shmfs_ioc_usage q;
		struct passwd *pw;
		uid_t uid = getuid();
		char lim[64];

		if (argc > 1 && parse_user(argv[i], &uid) != 0) {
			fprintf(stderr, "%s: usage: no such user '%s'\n",
				progname, argv[i]);
			status = EXIT_FAILED;
			continue;
		}
		memset(&q, 0, sizeof(q));
		q.uid = (uint32_t)uid;
		if (ioctl(mount_fd, SHMFS_IOC_USAGE, &q) != 0) {
			fprintf(stderr, "%s: usage %u: %s\n", progname,
				(unsigned)uid, strerror(errno));
			status = EXIT_FAILED;
			continue;
		}
		if (json) {
			printf("%s{\"uid\":%u,\"objects\":%" PRIu64 ",\"bytes\""
								    ":%" PRIu64,
			       first ? "" : ",", (unsigned)uid, q.objects,
			       q.bytes);
			print_limit("limit_objects", q.limit_objects);
			print_limit("limit_bytes", q.limit_bytes);
			printf("}");
			first = false;
			continue;
		}
		pw = getpwuid(uid);
		if (pw)
			printf("%s (%u):", pw->pw_name, (unsigned)uid);
		else
			printf("%u:", (unsigned)uid);
		snprintf(lim, sizeof(lim), " of %" PRIu64, q.limit_objects);
		printf(" %" PRIu64 " objects%s,", q.objects,
		       q.limit_objects == UINT64_MAX ? "" : lim);
		snprintf(lim, sizeof(lim), " of %" PRIu64, q.limit_bytes);
		printf(" %" PRIu64 " bytes%s\n", q.bytes,
		       q.limit_bytes == UINT64_MAX ? "" : lim);
	}
	if (json)
		printf("]\n");
	return status;
}

/* ---- main ---- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [-m DIR] [--json] COMMAND [ARGS]\n"
		"  info                               capacity, objects and data path of the mount\n"
		"  ls                                 list the objects\n"
		"  stat NAME...                       describe objects\n"
		"  create [-m MODE] [-s SIZE] [-x] NAME...\n"
		"                                     create objects (-x: must "
		"be new)\n"
		"  rm NAME...                         remove names\n"
		"  rename [--exchange|--noreplace] FROM TO\n"
		"  truncate -s SIZE NAME...           set sizes\n"
		"  dump NAME                          copy the contents to standard output\n"
		"  usage [USER...]                    objects and bytes a user owns\n"
		"Names are shm names (\"/foo\").  -m, --mount DIR: the shmfs mount\n"
		"(default $SHMFS_MOUNT, else /dev/shmfs).  --json: ls, stat, info and usage print\n"
		"JSON.  Exit status: 0 ok, 1 an operation failed, 2 usage, 3 no shmfs mount.\n",
		progname);
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "ls", cmd_ls },	      { "stat", cmd_stat },	    { "create", cmd_create },
	{ "rm", cmd_rm },	      { "rename", cmd_rename },	    { "truncate", cmd_truncate },
	{ "dump", cmd_dump },	      { "info", cmd_info },	    { "usage", cmd_usage },
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mount", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = shmfs_mount_path(false);
	int c, status;

	while ((c = getopt_long(argc, argv, "+m:jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("shmfsctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		mount_dir = dir;
		status = commands[i].run(argc - optind, argv + optind);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "%s: standard output: %s\n", progname, strerror(errno));
			status = EXIT_FAILED;
		}
		if (mount_fd >= 0)
			close(mount_fd);
		return status;
	}
	fprintf(stderr, "%s: unknown command '%s'\n", progname, argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
