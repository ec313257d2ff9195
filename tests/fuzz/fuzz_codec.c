/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_codec.c: libFuzzer harness of the name codec (src/codec.c).
 *
 * The first byte picks the output buffer size, the rest is used twice: as
 * the rest of a shm name (after its '/', up to the first NUL) and as a
 * file name.  Checked, against rules stated here rather than the codec's
 * own code, that the codec is a bijection between shm names (whose file
 * names fit) and the file names the kernel accepts, minus the reserved ones:
 *  - encoding succeeds exactly when the expected file name (see
 *    expected_file_len) fits in SHMFS_FILE_NAME_MAX and the buffer, and
 *    then has that length, no '/', and decodes back to the name;
 *  - decoding fails exactly for what is no file name (EINVAL: "", ".",
 *    "..", a '/', over 255 bytes) and for the reserved names ('%' and a
 *    lowercase letter: EPERM), so every other file name is creatable;
 *  - every decode that succeeds re-encodes to the file name it came from
 *    (no two file names alias one shm name), gives a name starting with
 *    '/' of the returned length, and never writes past the buffer;
 *  - shmfs_file_name_valid() and _check() agree with decode.
 * Buffers are heap blocks of the exact size, so ASan sees any overrun.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                            \
	do {                                                 \
		fprintf(stderr, "fuzz_codec: " __VA_ARGS__); \
		fputc('\n', stderr);                         \
		abort();                                     \
	} while (0)

/* Does s (len bytes) match a run of >= 1 '%' then exactly tail? */
static bool pct_then(const char *s, size_t len, const char *tail)
{
	size_t k = 0, tl = strlen(tail);

	while (k < len && s[k] == '%')
		k++;
	return k > 0 && len - k == tl && memcmp(s + k, tail, tl) == 0;
}

/*
 * The file name length the format prescribes for a name's rest: "", "."
 * and ".." have codes of 3, 3 and 6 bytes; a '/' after m '%' costs m + 2
 * bytes more (2m + 1 '%' and "2F"), a literal "2F" after m >= 1 '%' m more
 * (2m '%'); a rest that is '%'s then "00", "2E" or "2E%2E", or that starts
 * with '%'s and a lowercase letter, one more.
 */
static size_t expected_file_len(const char *rest, size_t len)
{
	size_t n = len, m = 0, lead = 0;

	if (len == 0)
		return 3; /* "%00" */
	if (len == 1 && rest[0] == '.')
		return 3; /* "%2E" */
	if (len == 2 && rest[0] == '.' && rest[1] == '.')
		return 6; /* "%2E%2E" */
	while (lead < len && rest[lead] == '%')
		lead++;
	if ((lead > 0 && lead < len && rest[lead] >= 'a' && rest[lead] <= 'z') ||
	    pct_then(rest, len, "00") || pct_then(rest, len, "2E") ||
	    pct_then(rest, len, "2E%2E"))
		n++;
	for (size_t i = 0; i < len; i++) {
		if (rest[i] == '%') {
			m++;
			continue;
		}
		if (rest[i] == '/') {
			n += m + 2;
		} else if (m > 0 && rest[i] == '2' && i + 1 < len && rest[i + 1] == 'F') {
			n += m;
			i++;
		}
		m = 0;
	}
	return n;
}

/* What decoding must answer for a file name: 0 (a shm name), -EINVAL or -EPERM. */
static int expected_file_class(const char *file, size_t len)
{
	if (len == 0 || len > SHMFS_FILE_NAME_MAX || memchr(file, '/', len) ||
	    strcmp(file, ".") == 0 || strcmp(file, "..") == 0)
		return -EINVAL;
	if (file[0] == '%' && file[1] >= 'a' && file[1] <= 'z')
		return -EPERM;
	return 0;
}

/* Encodes a name into an outsz-byte heap buffer; returns the result and the buffer. */
static int encode_exact(const char *name, size_t len, size_t outsz, char **out)
{
	*out = malloc(outsz ? outsz : 1);
	if (!*out)
		abort();
	return shmfs_name_encode(name, len, *out, outsz);
}

static void check_name(const char *rest, size_t rest_len, size_t outsz)
{
	char *name = malloc(rest_len + 2), *file, *back;
	size_t want = expected_file_len(rest, rest_len);
	size_t limit = outsz == 0 ? 0 : outsz - 1;
	int n, m;

	if (!name)
		abort();
	name[0] = '/';
	memcpy(name + 1, rest, rest_len);
	name[rest_len + 1] = '\0';
	if (limit > SHMFS_FILE_NAME_MAX)
		limit = SHMFS_FILE_NAME_MAX;

	n = encode_exact(name, rest_len + 1, outsz, &file);
	if (want > limit) {
		if (n != -ENAMETOOLONG)
			FAIL("encode of a %zu-byte name into %zu bytes: %d, "
			     "expected "
			     "-ENAMETOOLONG (file name %zu bytes)",
			     rest_len + 1, outsz, n, want);
		goto out;
	}
	if (n < 0 || (size_t)n != want || strlen(file) != want)
		FAIL("encode of a %zu-byte name: %d (strlen %zu), expected %zu",
		     rest_len + 1, n, n >= 0 ? strlen(file) : 0, want);
	if (memchr(file, '/', want))
		FAIL("file name '%s' contains a slash", file);
	if (!shmfs_file_name_valid(file))
		FAIL("the encoding '%s' is not a valid file name", file);

	/* Round trip, into a buffer exactly large enough for the name. */
	back = malloc(rest_len + 2);
	if (!back)
		abort();
	m = shmfs_name_decode(file, back, rest_len + 2);
	if (m != (int)rest_len + 1 || memcmp(back, name, rest_len + 2) != 0)
		FAIL("'%s' decodes to %d bytes, not back to its %zu-byte name",
		     file, m, rest_len + 1);
	/* One byte less cannot hold it. */
	m = shmfs_name_decode(file, back, rest_len + 1);
	if (m != -ENAMETOOLONG)
		FAIL("decode of '%s' into %zu bytes: %d, expected "
		     "-ENAMETOOLONG",
		     file, rest_len + 1, m);
	free(back);
out:
	free(file);
	free(name);
}

static void check_file(const char *file, size_t file_len, size_t outsz)
{
	char *name = malloc(outsz ? outsz : 1), *again;
	char full[SHMFS_NAME_MAX * 3 + 2];
	int n, full_n, m, want;
	bool valid;

	if (!name)
		abort();
	/* What the file name means, whatever buffer the caller brings. */
	full_n = shmfs_name_decode(file, full, sizeof(full));
	want = expected_file_class(file, file_len);
	if (full_n < 0 ? full_n != want : want != 0)
		FAIL("decode of the %zu-byte file name '%s' into a large "
		     "buffer: %d, expected %s",
		     file_len, file, full_n, want ? "that error" : "a name");
	/* Decoding never lengthens: "/" and at most the file name. */
	if (full_n > (int)file_len + 1)
		FAIL("'%s' decodes to %d bytes", file, full_n);
	valid = shmfs_file_name_valid(file);
	if (valid != (full_n > 0) || shmfs_file_name_check(file) != (full_n > 0 ? 0 : full_n))
		FAIL("file_name_valid('%s') = %d, check %d, but decode gives %d",
		     file, valid, shmfs_file_name_check(file), full_n);

	n = shmfs_name_decode(file, name, outsz);
	if (full_n < 0) {
		/* Not a shm name's; a small buffer may be reported first. */
		if (n != full_n && n != -ENAMETOOLONG)
			FAIL("decode of invalid '%s': %d", file, n);
		goto out;
	}
	if ((size_t)full_n + 1 > outsz) {
		if (n != -ENAMETOOLONG)
			FAIL("decode of '%s' (%d bytes) into %zu bytes: %d",
			     file, full_n, outsz, n);
		goto out;
	}
	if (n != full_n || name[0] != '/' || strlen(name) != (size_t)n)
		FAIL("decode of '%s': %d, name of %zu bytes", file, n,
		     strlen(name));
	if (memcmp(name, full, (size_t)n + 1) != 0)
		FAIL("decode of '%s' depends on the buffer size", file);

	/* Canonical: the name encodes back to exactly this file name. */
	m = encode_exact(name, (size_t)n, file_len + 1, &again);
	if (m != (int)file_len || strcmp(again, file) != 0)
		FAIL("'%s' decodes to a name that encodes to '%s' (%d)", file,
		     m >= 0 ? again : "", m);
	free(again);
out:
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t outsz, len;
	char *text;

	if (size < 1)
		return 0;
	/* Mostly roomy buffers, sometimes tight ones. */
	outsz = data[0] < 0xf0 ? (size_t)data[0] * 5 : (size_t)(data[0] - 0xf0);
	data++;
	size--;
	if (size > SHMFS_NAME_MAX - 1)
		size = SHMFS_NAME_MAX - 1;
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text);
	check_name(text, len, outsz);
	check_file(text, len, outsz);
	free(text);
	return 0;
}
