/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * codec.c: shm name <-> file name mapping; the format is described in
 * codec.h.  Pure functions, no allocation: used on the shim's hot path.
 *
 * Encoding is two steps, each one-to-one: the body step writes every '/'
 * (and each '%'-run before a '/' or a literal "2F") by the parity rule; the
 * whole-name step then replaces the rests "", "." and "..", and shifts the
 * look-alikes of those codes and of the reserved names by one '%'.  Neither
 * step changes the leading '%'-run and the byte after it, except for
 * '/' -> "%2F", so the whole-name step can look at the rest or at the body
 * alike.  Decoding undoes the whole-name step first, then the body step.
 */
#include <errno.h>
#include <string.h>

#include "codec.h"

/* The rests of a name that are not usable file names, and their codes. */
static const struct {
	const char *rest;
	const char *file;
} codec_specials[] = {
	{ "", "%00" },
	{ ".", "%2E" },
	{ "..", "%2E%2E" },
};
#define N_SPECIALS (sizeof(codec_specials) / sizeof(codec_specials[0]))

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

/* The number of '%' at the start of s (at most len). */
static size_t pct_run(const char *s, size_t len)
{
	size_t k = 0;

	while (k < len && s[k] == '%')
		k++;
	return k;
}

/*
 * Does s (len bytes) start with a '%'-run of length k >= 1 followed by a
 * lowercase letter, or by exactly the tail of a special code?  Such a rest
 * gets one more '%'; such a file name with k == 1 is reserved or special.
 */
static bool shifted_family(const char *s, size_t len, size_t *k)
{
	*k = pct_run(s, len);
	if (*k == 0 || *k == len)
		return false;
	if (is_lower(s[*k]))
		return true;
	for (size_t i = 0; i < N_SPECIALS; i++) {
		const char *tail = codec_specials[i].file + 1;

		if (len - *k == strlen(tail) &&
		    memcmp(s + *k, tail, len - *k) == 0)
			return true;
	}
	return false;
}

/* Appends n copies of c to out[*n...], within limit; false if no room. */
static bool put(char *out, size_t *n, size_t limit, char c, size_t count)
{
	if (count > limit - *n)
		return false;
	memset(out + *n, c, count);
	*n += count;
	return true;
}

/* Does s[j...] (len bytes in all) start with the text "2F"? */
static bool at_2F(const char *s, size_t len, size_t j)
{
	return len - j >= 2 && s[j] == '2' && s[j + 1] == 'F';
}

/* Appends count '%' and then "2F". */
static bool put_pct_2F(char *out, size_t *n, size_t limit, size_t count)
{
	return put(out, n, limit, '%', count) && put(out, n, limit, '2', 1) &&
	       put(out, n, limit, 'F', 1);
}

int shmfs_name_encode(const char *name, size_t len, char *out, size_t outsz)
{
	const char *rest = name + 1;
	size_t rest_len = len - 1, n = 0, limit, k;

	if (outsz == 0)
		return -ENAMETOOLONG;
	limit = outsz - 1 < SHMFS_FILE_NAME_MAX ? outsz - 1 :
						  SHMFS_FILE_NAME_MAX;
	for (size_t i = 0; i < N_SPECIALS; i++) {
		if (rest_len == strlen(codec_specials[i].rest) &&
		    memcmp(rest, codec_specials[i].rest, rest_len) == 0) {
			if (strlen(codec_specials[i].file) > limit)
				return -ENAMETOOLONG;
			strcpy(out, codec_specials[i].file);
			return (int)strlen(out);
		}
	}
	if (shifted_family(rest, rest_len, &k) && !put(out, &n, limit, '%', 1))
		return -ENAMETOOLONG;
	for (size_t i = 0; i < rest_len;) {
		size_t m = pct_run(rest + i, rest_len - i), j = i + m;
		bool ok;

		if (j < rest_len && rest[j] == '/') {
			/* m '%' and a '/': 2m+1 '%' and "2F". */
			ok = put_pct_2F(out, &n, limit, 2 * m + 1);
			i = j + 1;
		} else if (m > 0 && at_2F(rest, rest_len, j)) {
			/* m >= 1 '%' and a literal "2F": 2m '%' and "2F". */
			ok = put_pct_2F(out, &n, limit, 2 * m);
			i = j + 2;
		} else if (m > 0) {
			ok = put(out, &n, limit, '%', m);
			i = j;
		} else {
			ok = put(out, &n, limit, rest[i], 1);
			i++;
		}
		if (!ok)
			return -ENAMETOOLONG;
	}
	out[n] = '\0';
	return (int)n;
}

/* -EINVAL, -EPERM or 0, as shmfs_file_name_check; *start: the body. */
static int check_file(const char *file, size_t len, size_t *start)
{
	size_t k;

	*start = 0;
	if (len == 0 || len > SHMFS_FILE_NAME_MAX || memchr(file, '/', len) ||
	    strcmp(file, ".") == 0 || strcmp(file, "..") == 0)
		return -EINVAL;
	if (shifted_family(file, len, &k)) {
		/* With one '%' it is a special code (handled before) or reserved. */
		if (k == 1)
			return -EPERM;
		*start = 1;
	}
	return 0;
}

int shmfs_name_decode(const char *file, char *out, size_t outsz)
{
	size_t len = strnlen(file, SHMFS_FILE_NAME_MAX + 1), n = 0, i, limit;
	int err;

	for (size_t s = 0; s < N_SPECIALS; s++) {
		if (strcmp(file, codec_specials[s].file) == 0) {
			size_t rl = strlen(codec_specials[s].rest);

			if (rl + 2 > outsz)
				return -ENAMETOOLONG;
			out[0] = '/';
			memcpy(out + 1, codec_specials[s].rest, rl + 1);
			return (int)rl + 1;
		}
	}
	err = check_file(file, len, &i);
	if (err)
		return err;
	if (outsz == 0)
		return -ENAMETOOLONG;
	limit = outsz - 1;
	if (!put(out, &n, limit, '/', 1))
		return -ENAMETOOLONG;
	while (i < len) {
		size_t k = pct_run(file + i, len - i), j = i + k;
		bool ok;

		if (k > 0 && at_2F(file, len, j)) {
			/* Odd k: (k-1)/2 '%' and '/'.  Even: k/2 '%' and "2F". */
			ok = put(out, &n, limit, '%', k / 2);
			if (k % 2)
				ok = ok && put(out, &n, limit, '/', 1);
			else
				ok = ok && put(out, &n, limit, '2', 1) &&
				     put(out, &n, limit, 'F', 1);
			i = j + 2;
		} else if (k > 0) {
			ok = put(out, &n, limit, '%', k);
			i = j;
		} else {
			ok = put(out, &n, limit, file[i], 1);
			i++;
		}
		if (!ok)
			return -ENAMETOOLONG;
	}
	out[n] = '\0';
	return (int)n;
}

int shmfs_file_name_check(const char *file)
{
	size_t start;

	for (size_t s = 0; s < N_SPECIALS; s++)
		if (strcmp(file, codec_specials[s].file) == 0)
			return 0;
	return check_file(file, strnlen(file, SHMFS_FILE_NAME_MAX + 1), &start);
}

bool shmfs_file_name_valid(const char *file)
{
	return shmfs_file_name_check(file) == 0;
}
