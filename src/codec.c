/*
 * codec.c: shm name <-> file name mapping; the format is described in
 * codec.h.  Pure functions, no allocation: used on the shim's hot path.
 */
#include <errno.h>
#include <string.h>

#include "codec.h"

static const char hexdigits[] = "0123456789ABCDEF";

/* The rests of a name that are not usable file names, and their codes. */
static const struct {
	const char *rest;
	const char *file;
} codec_specials[] = {
	{ "", "%00" },
	{ ".", "%2E" },
	{ "..", "%2E%2E" },
};

int shmfs_name_encode(const char *name, size_t len, char *out, size_t outsz)
{
	const char *rest = name + 1;
	size_t rest_len = len - 1, n = 0, limit;

	if (outsz == 0)
		return -ENAMETOOLONG;
	limit = outsz - 1 < SHMFS_FILE_NAME_MAX ? outsz - 1 : SHMFS_FILE_NAME_MAX;
	for (size_t i = 0; i < sizeof(codec_specials) / sizeof(codec_specials[0]); i++) {
		if (rest_len == strlen(codec_specials[i].rest) &&
		    memcmp(rest, codec_specials[i].rest, rest_len) == 0) {
			if (strlen(codec_specials[i].file) > limit)
				return -ENAMETOOLONG;
			strcpy(out, codec_specials[i].file);
			return (int)strlen(out);
		}
	}
	for (size_t i = 0; i < rest_len; i++) {
		unsigned char c = (unsigned char)rest[i];

		if (c == '/' || c == '%') {
			if (n + 3 > limit)
				return -ENAMETOOLONG;
			out[n++] = '%';
			out[n++] = hexdigits[c >> 4];
			out[n++] = hexdigits[c & 15];
		} else {
			if (n + 1 > limit)
				return -ENAMETOOLONG;
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	return (int)n;
}

static int hexval(char c)
{
	const char *p = c ? strchr(hexdigits, c) : NULL;

	return p ? (int)(p - hexdigits) : -1;
}

int shmfs_name_decode(const char *file, char *out, size_t outsz)
{
	size_t n = 0;

	if (outsz < 2)
		return -ENAMETOOLONG;
	out[n++] = '/';
	for (size_t i = 0; i < sizeof(codec_specials) / sizeof(codec_specials[0]); i++) {
		if (strcmp(file, codec_specials[i].file) == 0) {
			size_t rl = strlen(codec_specials[i].rest);

			if (rl + 2 > outsz)
				return -ENAMETOOLONG;
			memcpy(out + 1, codec_specials[i].rest, rl + 1);
			return (int)rl + 1;
		}
	}
	/* Encodings never exceed the limit: a longer file name is no name's. */
	if (*file == '\0' || strlen(file) > SHMFS_FILE_NAME_MAX)
		return -EINVAL;
	for (const char *p = file; *p; p++) {
		char c = *p;

		if (c == '/')
			return -EINVAL;
		if (c == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);

			c = (char)(hi * 16 + lo);
			/* Only "%25" and "%2F" are canonical escapes. */
			if (lo < 0 || (c != '%' && c != '/'))
				return -EINVAL;
			p += 2;
		}
		if (n + 2 > outsz)
			return -ENAMETOOLONG;
		out[n++] = c;
	}
	/* A rest equal to "." or ".." must have come through its special code. */
	if ((n == 2 && out[1] == '.') || (n == 3 && out[1] == '.' && out[2] == '.'))
		return -EINVAL;
	out[n] = '\0';
	return (int)n;
}

bool shmfs_file_name_valid(const char *file)
{
	char name[SHMFS_NAME_MAX + 2];

	return strlen(file) <= SHMFS_FILE_NAME_MAX &&
	       shmfs_name_decode(file, name, sizeof(name)) > 0;
}
