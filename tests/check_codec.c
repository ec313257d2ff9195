/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_codec.c: unit tests of the name codec (src/codec.c): the fixed
 * encodings (every escape and every shifted look-alike), the refusal of
 * strings that are no file names (EINVAL) and of the daemon's reserved names
 * (EPERM), the 255-byte limit and small buffers, and randomized round trips
 * both ways that would find a collision or an alias.  No mount.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "harness.h"
#include "proto.h"

/* Room for any shm name, NUL included. */
#define NAME_BUF (SHMFS_NAME_MAX + 1)
/* Room for any file name, NUL included. */
#define FILE_BUF (SHMFS_FILE_NAME_MAX + 1)

/* Encodes a NUL-terminated shm name into buf; returns the result. */
static int encode(const char *name, char *buf, size_t size)
{
	return shmfs_name_encode(name, strlen(name), buf, size);
}

/* Asserts that shm name encodes to file and that file decodes back. */
static void check_pair(const char *name, const char *file)
{
	char enc[FILE_BUF], dec[NAME_BUF];
	int n;

	n = encode(name, enc, sizeof(enc));
	ck_assert_int_eq(n, (int)strlen(file));
	ck_assert_str_eq(enc, file);
	ck_assert(shmfs_file_name_valid(file));
	n = shmfs_name_decode(file, dec, sizeof(dec));
	ck_assert_int_eq(n, (int)strlen(name));
	ck_assert_str_eq(dec, name);
}

START_TEST(test_ordinary_names_map_to_themselves)
{
	check_pair("/foo", "foo");
	check_pair("/x", "x");
	check_pair("/psm_1a2b3c", "psm_1a2b3c");
	check_pair("/.x", ".x");
	check_pair("/...", "...");
	check_pair("/a.", "a.");
	check_pair("/ spaces and\ttabs ", " spaces and\ttabs ");
	check_pair("/caf\xc3\xa9", "caf\xc3\xa9");
	check_pair("/2E", "2E");
}
END_TEST

START_TEST(test_special_names)
{
	/* The three rests that are no file names. */
	check_pair("/", "%00");
	check_pair("/.", "%2E");
	check_pair("/..", "%2E%2E");
	/* '/' and the runs of '%' before it: odd runs. */
	check_pair("//", "%2F");
	check_pair("//x", "%2Fx");
	check_pair("/a/b", "a%2Fb");
	check_pair("/a/", "a%2F");
	check_pair("///", "%2F%2F");
	check_pair("/%/", "%%%2F");
	check_pair("/%%/", "%%%%%2F");
	check_pair("/a%/b", "a%%%2Fb");
	check_pair("/./", ".%2F");
	check_pair("//..", "%2F..");
	check_pair("//.", "%2F.");
	check_pair("/2F/", "2F%2F");
	/* A literal "2F" after a '%'-run: even runs. */
	check_pair("/%2F", "%%2F");
	check_pair("/%%2F", "%%%%2F");
	check_pair("/a%2F", "a%%2F");
	check_pair("/%2F%2F", "%%2F%%2F");
	check_pair("/%2F2F", "%%2F2F");
	check_pair("/%2F/", "%%2F%2F");
	check_pair("/2F", "2F");
	check_pair("/a2F", "a2F");
	/* '%' elsewhere is itself. */
	check_pair("/%", "%");
	check_pair("/%%", "%%");
	check_pair("/50%", "50%");
	check_pair("/%25", "%25");
	check_pair("/%2f", "%2f");
	check_pair("/%2", "%2");
	check_pair("/%2E.", "%2E.");
	check_pair("/a%2E", "a%2E");
	check_pair("/%2E%2E%2E", "%2E%2E%2E");
	check_pair("/%00x", "%00x");
	check_pair("/%2E2E", "%2E2E");
	check_pair("/%A", "%A");
	check_pair("/%Zz", "%Zz");
	check_pair("/.%", ".%");
	check_pair("/%.", "%.");
	check_pair("/%..", "%..");
	/* Look-alikes of the three codes: one '%' more. */
	check_pair("/%00", "%%00");
	check_pair("/%2E", "%%2E");
	check_pair("/%2E%2E", "%%2E%2E");
	check_pair("/%%00", "%%%00");
	check_pair("/%%2E", "%%%2E");
	check_pair("/%%%2E%2E", "%%%%2E%2E");
	/* Look-alikes of the reserved names: one '%' more. */
	check_pair("/%shmfs", "%%shmfs");
	check_pair("/%anon", "%%anon");
	check_pair("/%anon.1.2", "%%anon.1.2");
	check_pair("/%memfd", "%%memfd");
	check_pair("/%sealable", "%%sealable");
	check_pair("/%%sealable", "%%%sealable");
	check_pair("/%a", "%%a");
	check_pair("/%z/", "%%z%2F");
	check_pair("/%a%2F", "%%a%%2F");
	/* The shift happens only at the start. */
	check_pair("/x%anon", "x%anon");
	check_pair("/.%anon", ".%anon");
	check_pair("/shmfs", "shmfs");
	/* Combinations. */
	check_pair("/%//%", "%%%2F%2F%");
	check_pair("/%%/2F", "%%%%%2F2F");
	check_pair("/%/%2F", "%%%2F%%2F");
}
END_TEST

/* Every byte but NUL and '/' stands for itself. */
START_TEST(test_all_bytes)
{
	char name[300], enc[FILE_BUF], dec[NAME_BUF];
	size_t len = 0;
	int n;

	name[len++] = '/';
	for (int c = 1; c < 256; c++)
		if (c != '/')
			name[len++] = (char)c;
	name[len] = '\0';
	ck_assert_uint_eq(len, 255);
	n = shmfs_name_encode(name, len, enc, sizeof(enc));
	ck_assert_int_eq(n, 254);
	ck_assert_mem_eq(enc, name + 1, 255); /* the NUL too */

	/* One byte at a time, '/' included. */
	for (int c = 1; c < 256; c++) {
		char one[3] = { '/', (char)c, '\0' };

		n = encode(one, enc, sizeof(enc));
		if (c == '/') {
			ck_assert_int_eq(n, 3);
			ck_assert_str_eq(enc, "%2F");
		} else if (c == '.') {
			ck_assert_str_eq(enc, "%2E");
		} else {
			ck_assert_int_eq(n, 1);
			ck_assert_int_eq((unsigned char)enc[0], c);
		}
		ck_assert(shmfs_file_name_valid(enc));
		n = shmfs_name_decode(enc, dec, sizeof(dec));
		ck_assert_int_eq(n, 2);
		ck_assert_str_eq(dec, one);
	}
}
END_TEST

/* Strings that are no file name at all: EINVAL. */
static const char *const not_file_names[] = {
	"", ".", "..", "a/b", "/", "/a", "a/", "%2F/", "%a/",
};

START_TEST(test_not_file_names)
{
	const char *file = not_file_names[_i];
	char dec[NAME_BUF];

	ck_assert_msg(shmfs_name_decode(file, dec, sizeof(dec)) == -EINVAL,
		      "decode accepted \"%s\"", file);
	ck_assert_int_eq(shmfs_file_name_check(file), -EINVAL);
	ck_assert_msg(!shmfs_file_name_valid(file), "\"%s\" called valid",
		      file);
}
END_TEST

/* File names of the daemon's own (proto.h): EPERM, no shm name's. */
static const char *const reserved[] = {
	SHMFS_PROBE_NAME,
	SHMFS_ANON_PREFIX,
	SHMFS_MEMFD_PREFIX,
	SHMFS_SEALABLE_PREFIX,
	SHMFS_ANON_PREFIX ".1234.1",
	SHMFS_MEMFD_PREFIX ".1.2.tag",
	"%a",
	"%z",
	"%zz",
	"%a%2F",
	"%shmfs2",
};

START_TEST(test_reserved_rejected)
{
	const char *file = reserved[_i];
	char dec[NAME_BUF];

	ck_assert_msg(shmfs_name_decode(file, dec, sizeof(dec)) == -EPERM,
		      "decode of \"%s\" not EPERM", file);
	ck_assert_int_eq(shmfs_file_name_check(file), -EPERM);
	ck_assert(!shmfs_file_name_valid(file));
}
END_TEST

/*
 * What used to be refused as non-canonical is now a name of itself, or
 * the name it spells with one '%' less.
 */
START_TEST(test_former_noncanonical)
{
	static const char *const files[] = {
		"%",   "a%",  "%2",	"a%2",	  "%Z1",    "a%z",  "%2f",
		"a%2fb", "%2e", "%41",	"%2G",	  "%%",	    "%%25", "%0",
		"%01", "%FF", "%20",	"x%2E",	  "%2Ex",   "%2E%2Ex", ".%2E",
		"%2E.", "%2E%2E%2E", "x%00", "%00x", "%00%00", "%25", "%%2F",
		"%%%2F", "%%a", "%%shmfs", "%%00", "%%%2E%2E", "%Z", "%.",
	};
	char dec[NAME_BUF], enc[FILE_BUF];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int n = shmfs_name_decode(files[i], dec, sizeof(dec));

		ck_assert_msg(n > 0, "\"%s\" refused: %d", files[i], n);
		ck_assert_int_eq(shmfs_file_name_check(files[i]), 0);
		ck_assert_int_eq(shmfs_name_encode(dec, (size_t)n, enc, sizeof(enc)),
				 (int)strlen(files[i]));
		ck_assert_str_eq(enc, files[i]);
	}
}
END_TEST

/* Writes "/" followed by n copies of c into buf; returns the length. */
static size_t repeat_name(char *buf, char c, size_t n)
{
	buf[0] = '/';
	memset(buf + 1, c, n);
	buf[n + 1] = '\0';
	return n + 1;
}

START_TEST(test_length_limit)
{
	char name[NAME_BUF + 1], enc[FILE_BUF + 16], dec[NAME_BUF];
	size_t len;

	/* 85 slashes encode to exactly 255 bytes, 86 to 258: too long. */
	len = repeat_name(name, '/', 85);
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)), 255);
	ck_assert_uint_eq(strlen(enc), 255);
	ck_assert(shmfs_file_name_valid(enc));
	ck_assert_int_eq(shmfs_name_decode(enc, dec, sizeof(dec)), 86);
	ck_assert_str_eq(dec, name);
	len = repeat_name(name, '/', 86);
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)),
			 -ENAMETOOLONG);

	/* Plain bytes: 255 fit, 256 do not. */
	len = repeat_name(name, 'a', 255);
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)), 255);
	ck_assert(shmfs_file_name_valid(enc));
	len = repeat_name(name, 'a', 256);
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)),
			 -ENAMETOOLONG);

	/* An escape that would straddle the limit: 253 + 3 = 256. */
	len = repeat_name(name, 'a', 253);
	name[len++] = '/';
	name[len] = '\0';
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)),
			 -ENAMETOOLONG);
	/* ... and one that ends exactly on it: 252 + 3 = 255. */
	len = repeat_name(name, 'a', 252);
	name[len++] = '/';
	name[len] = '\0';
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)), 255);
	ck_assert_str_eq(enc + 252, "%2F");
	/* A '%' costs one byte, unless a '/' follows: "/%%%/" is 7 bytes. */
	len = repeat_name(name, '%', 254);
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)), 254);
	ck_assert(shmfs_file_name_valid(enc));
	len = repeat_name(name, '%', 126);
	name[len++] = '/';
	name[len] = '\0';
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)), 255);
	ck_assert_int_eq(shmfs_name_decode(enc, dec, sizeof(dec)), 128);
	ck_assert_str_eq(dec, name);
	len = repeat_name(name, '%', 127);
	name[len++] = '/';
	name[len] = '\0';
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)),
			 -ENAMETOOLONG);
	/* The shifted look-alikes: 254 + 1 fits, 255 + 1 does not. */
	len = repeat_name(name, 'a', 254);
	name[1] = '%';
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)), 255);
	ck_assert_int_eq(memcmp(enc, "%%a", 3), 0);
	len = repeat_name(name, 'a', 255);
	name[1] = '%';
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)),
			 -ENAMETOOLONG);

	/* The longest shm name is far too long for a file name. */
	len = repeat_name(name, 'b', SHMFS_NAME_MAX - 1);
	ck_assert_uint_eq(len, SHMFS_NAME_MAX);
	ck_assert_int_eq(shmfs_name_encode(name, len, enc, sizeof(enc)),
			 -ENAMETOOLONG);

	/*
	 * A file name longer than 255 bytes is never valid, and decodes to
	 * nothing: no name encodes to it.
	 */
	memset(enc, 'a', 256);
	enc[256] = '\0';
	ck_assert(!shmfs_file_name_valid(enc));
	ck_assert_int_eq(shmfs_name_decode(enc, dec, sizeof(dec)), -EINVAL);
	ck_assert_int_eq(shmfs_file_name_check(enc), -EINVAL);
	enc[255] = '\0';
	ck_assert(shmfs_file_name_valid(enc));
	ck_assert_int_eq(shmfs_name_decode(enc, dec, sizeof(dec)), 256);
}
END_TEST

START_TEST(test_small_buffers)
{
	char buf[16];

	/* "foo" needs 4 bytes with its NUL. */
	ck_assert_int_eq(encode("/foo", buf, 4), 3);
	ck_assert_str_eq(buf, "foo");
	ck_assert_int_eq(encode("/foo", buf, 3), -ENAMETOOLONG);
	ck_assert_int_eq(encode("/foo", buf, 1), -ENAMETOOLONG);
	/* The special codes and escapes are checked too. */
	ck_assert_int_eq(encode("/", buf, 4), 3);
	ck_assert_str_eq(buf, "%00");
	ck_assert_int_eq(encode("/", buf, 3), -ENAMETOOLONG);
	ck_assert_int_eq(encode("/..", buf, 6), -ENAMETOOLONG);
	ck_assert_int_eq(encode("/..", buf, 7), 6);
	ck_assert_int_eq(encode("/a/", buf, 4), -ENAMETOOLONG);
	ck_assert_int_eq(encode("/a/", buf, 5), 4);
	ck_assert_str_eq(buf, "a%2F");

	/* "/foo" needs 5 bytes; "/" 2; "/.." 4. */
	ck_assert_int_eq(shmfs_name_decode("foo", buf, 5), 4);
	ck_assert_str_eq(buf, "/foo");
	ck_assert_int_eq(shmfs_name_decode("foo", buf, 4), -ENAMETOOLONG);
	ck_assert_int_eq(shmfs_name_decode("foo", buf, 1), -ENAMETOOLONG);
	ck_assert_int_eq(shmfs_name_decode("%00", buf, 2), 1);
	ck_assert_str_eq(buf, "/");
	ck_assert_int_eq(shmfs_name_decode("%00", buf, 1), -ENAMETOOLONG);
	ck_assert_int_eq(shmfs_name_decode("%2E%2E", buf, 4), 3);
	ck_assert_str_eq(buf, "/..");
	ck_assert_int_eq(shmfs_name_decode("%2E%2E", buf, 3), -ENAMETOOLONG);
	ck_assert_int_eq(shmfs_name_decode("a%2F", buf, 4), 3);
	ck_assert_int_eq(shmfs_name_decode("a%2F", buf, 3), -ENAMETOOLONG);
	ck_assert_int_eq(shmfs_name_decode("%%2F", buf, 5), 4);
	ck_assert_str_eq(buf, "/%2F");
	ck_assert_int_eq(shmfs_name_decode("%%2F", buf, 4), -ENAMETOOLONG);
	ck_assert_int_eq(shmfs_name_decode("%%a", buf, 4), 3);
	ck_assert_str_eq(buf, "/%a");
	ck_assert_int_eq(shmfs_name_decode("%%a", buf, 3), -ENAMETOOLONG);
	ck_assert_int_eq(shmfs_name_decode("foo", buf, 0), -ENAMETOOLONG);
	ck_assert_int_eq(encode("/%a", buf, 4), 3);
	ck_assert_str_eq(buf, "%%a");
	ck_assert_int_eq(encode("/%a", buf, 3), -ENAMETOOLONG);
	ck_assert_int_eq(encode("/%/", buf, 6), 5);
	ck_assert_int_eq(encode("/%/", buf, 5), -ENAMETOOLONG);
	ck_assert_int_eq(encode("/%/", buf, 0), -ENAMETOOLONG);
}
END_TEST

/*
 * A deterministic generator (xorshift64*), so a failure can be replayed;
 * the seed is printed in every failure message.
 */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

/*
 * A random byte, never NUL, with the bytes that matter to the codec
 * ('%', '/', '.', and the hex digits of its escapes) much more likely than
 * the rest.
 */
static char rng_byte(void)
{
	static const char tricky[] = "%/.%/.2EF50a%";

	if (rng_next() % 2)
		return tricky[rng_next() % (sizeof(tricky) - 1)];
	return (char)(1 + rng_next() % 255);
}

/*
 * The file name length the codec must produce, computed independently from
 * the rules: each '/' after m '%' costs m + 2 bytes more, each literal "2F"
 * after m >= 1 '%' m more, and a rest starting with '%'s and a lowercase
 * letter (or exactly "00", "2E", "2E%2E") one more.
 */
static size_t expected_len(const char *name, size_t len)
{
	const char *r = name + 1;
	size_t rl = len - 1, n = rl, m = 0, lead = 0;

	if (rl == 0 || (rl == 1 && r[0] == '.'))
		return 3; /* "%00", "%2E" */
	if (rl == 2 && r[0] == '.' && r[1] == '.')
		return 6; /* "%2E%2E" */
	while (lead < rl && r[lead] == '%')
		lead++;
	if (lead > 0 && lead < rl &&
	    ((r[lead] >= 'a' && r[lead] <= 'z') ||
	     (rl - lead == 2 && (memcmp(r + lead, "00", 2) == 0 ||
				 memcmp(r + lead, "2E", 2) == 0)) ||
	     (rl - lead == 5 && memcmp(r + lead, "2E%2E", 5) == 0)))
		n++;
	for (size_t i = 0; i < rl; i++) {
		if (r[i] == '%') {
			m++;
			continue;
		}
		if (r[i] == '/') {
			n += m + 2;
		} else if (m > 0 && r[i] == '2' && i + 1 < rl && r[i + 1] == 'F') {
			n += m;
			i++;
		}
		m = 0;
	}
	return n;
}

#define RANDOM_NAMES 50000

struct pair {
	char name[16];
	size_t len;
	char file[48];
};

static int pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->file,
		      ((const struct pair *)b)->file);
}

/*
 * Round trips of many short random names: short, over a biased alphabet,
 * so that equal names and near-misses ("%2F" next to "/") are frequent.
 * Then sorted by file name: equal file names must come from equal names.
 */
START_TEST(test_random_round_trip)
{
	const uint64_t seed = UINT64_C(0x5eed5eed12345678);
	struct pair *p = calloc(RANDOM_NAMES, sizeof(*p));
	char dec[NAME_BUF];
	size_t dups = 0;

	ck_assert_ptr_nonnull(p);
	rng_state = seed;
	for (size_t i = 0; i < RANDOM_NAMES; i++) {
		int n;

		p[i].len = 1 + rng_next() % (sizeof(p[i].name) - 1);
		p[i].name[0] = '/';
		for (size_t j = 1; j < p[i].len; j++)
			p[i].name[j] = rng_byte();
		n = shmfs_name_encode(p[i].name, p[i].len, p[i].file,
				      sizeof(p[i].file));
		ck_assert_msg(n == (int)expected_len(p[i].name, p[i].len),
			      "seed %#llx name %zu: length %d",
			      (unsigned long long)seed, i, n);
		ck_assert_msg(shmfs_file_name_valid(p[i].file),
			      "seed %#llx name %zu: \"%s\" invalid",
			      (unsigned long long)seed, i, p[i].file);
		n = shmfs_name_decode(p[i].file, dec, sizeof(dec));
		ck_assert_msg(n == (int)p[i].len &&
				      memcmp(dec, p[i].name, p[i].len) == 0,
			      "seed %#llx name %zu: \"%s\" decodes wrong",
			      (unsigned long long)seed, i, p[i].file);
	}
	qsort(p, RANDOM_NAMES, sizeof(*p), pair_cmp);
	for (size_t i = 1; i < RANDOM_NAMES; i++) {
		if (strcmp(p[i - 1].file, p[i].file) != 0)
			continue;
		ck_assert_msg(p[i - 1].len == p[i].len &&
				      memcmp(p[i - 1].name, p[i].name,
					     p[i].len) == 0,
			      "collision on \"%s\"", p[i].file);
		dups++;
	}
	/* The generator must have produced equal names, or the check above
	 * proved little about near-misses. */
	ck_assert_uint_gt(dups, 0);
	free(p);
}
END_TEST

/* Long random names: encodable ones round trip, others are too long. */
START_TEST(test_random_long_names)
{
	const uint64_t seed = UINT64_C(0x0123456789abcdef);
	char name[NAME_BUF], file[FILE_BUF], dec[NAME_BUF];
	int too_long = 0, fit = 0;

	rng_state = seed;
	for (int i = 0; i < 20000; i++) {
		size_t len = 1 + rng_next() % 300, want;
		int n;

		name[0] = '/';
		for (size_t j = 1; j < len; j++)
			name[j] = rng_byte();
		name[len] = '\0';
		want = expected_len(name, len);
		n = shmfs_name_encode(name, len, file, sizeof(file));
		if (want > SHMFS_FILE_NAME_MAX) {
			ck_assert_msg(n == -ENAMETOOLONG,
				      "seed %#llx case %d: %d for %zu bytes",
				      (unsigned long long)seed, i, n, want);
			too_long++;
			continue;
		}
		ck_assert_msg(n == (int)want, "seed %#llx case %d: %d != %zu",
			      (unsigned long long)seed, i, n, want);
		ck_assert_int_eq(shmfs_name_decode(file, dec, sizeof(dec)),
				 (int)len);
		ck_assert_msg(memcmp(dec, name, len + 1) == 0,
			      "seed %#llx case %d: round trip differs",
			      (unsigned long long)seed, i);
		fit++;
	}
	ck_assert_int_gt(too_long, 1000);
	ck_assert_int_gt(fit, 1000);
}
END_TEST

/*
 * Random file names: whatever decodes must be exactly the encoding of what
 * it decodes to (so no two file names alias one shm name), and validity
 * agrees with decoding.
 */
START_TEST(test_random_decode_is_canonical)
{
	static const char alphabet[] = "%%%2255EEFF00a./";
	const uint64_t seed = UINT64_C(0xfeedfacecafebeef);
	char file[16], dec[NAME_BUF], enc[FILE_BUF];
	int accepted = 0, refused = 0;

	rng_state = seed;
	for (int i = 0; i < 200000; i++) {
		size_t len = rng_next() % (sizeof(file) - 1);
		int n;

		for (size_t j = 0; j < len; j++)
			file[j] = alphabet[rng_next() % (sizeof(alphabet) - 1)];
		file[len] = '\0';
		n = shmfs_name_decode(file, dec, sizeof(dec));
		ck_assert_msg(shmfs_file_name_valid(file) == (n > 0),
			      "seed %#llx: \"%s\" valid disagrees with decode",
			      (unsigned long long)seed, file);
		if (n < 0) {
			/* Only no file names and the reserved ones. */
			ck_assert_msg(n == (len == 0 || strchr(file, '/') ||
						    strcmp(file, ".") == 0 ||
						    strcmp(file, "..") == 0 ?
						    -EINVAL :
						    -EPERM),
				      "seed %#llx: \"%s\" refused with %d",
				      (unsigned long long)seed, file, n);
			if (n == -EPERM)
				ck_assert(file[0] == '%' && file[1] >= 'a' &&
					  file[1] <= 'z');
			refused++;
			continue;
		}
		ck_assert_int_eq(dec[0], '/');
		ck_assert_int_eq(shmfs_name_encode(dec, (size_t)n, enc,
						   sizeof(enc)),
				 (int)len);
		ck_assert_msg(strcmp(enc, file) == 0,
			      "seed %#llx: \"%s\" decodes to a name encoded "
			      "as \"%s\"",
			      (unsigned long long)seed, file, enc);
		accepted++;
	}
	ck_assert_int_gt(accepted, 1000);
	ck_assert_int_gt(refused, 1000);
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("fixed");

	tcase_add_test(tc, test_ordinary_names_map_to_themselves);
	tcase_add_test(tc, test_special_names);
	tcase_add_test(tc, test_all_bytes);
	tcase_add_loop_test(tc, test_not_file_names, 0,
			    sizeof(not_file_names) / sizeof(not_file_names[0]));
	tcase_add_loop_test(tc, test_reserved_rejected, 0,
			    sizeof(reserved) / sizeof(reserved[0]));
	tcase_add_test(tc, test_former_noncanonical);
	tcase_add_test(tc, test_length_limit);
	tcase_add_test(tc, test_small_buffers);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_add_test(tc, test_random_round_trip);
	tcase_add_test(tc, test_random_long_names);
	tcase_add_test(tc, test_random_decode_is_canonical);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(codec_suite, NULL);
}
