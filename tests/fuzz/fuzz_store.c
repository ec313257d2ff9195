/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_store.c: libFuzzer harness of the object store and the namespace
 * (src/store.c, src/ns.c), driven the way src/ops.c drives
 * them, against a plain in-memory model.
 *
 * The input is decoded into a sequence of operations on a small store
 * (LIMIT_PAGES pages, LIMIT_OBJECTS objects) and NNAMES possible names:
 * create (exclusive or not), anonymous create, open, close (of an open
 * handle or a kernel lookup), link (a further name), unlink, rename (plain,
 * noreplace, exchange; also between names of one object), listings in
 * steps through directory cursors that stay on the namespace's list,
 * write (growing or not), read,
 * truncate, punch, reserve (fallocate without and with KEEP_SIZE) and
 * SEEK_DATA / SEEK_HOLE, at offsets around the limit and near 2^63 and
 * 2^64.  The model predicts every result and errno (ENOENT, EEXIST, ENOSPC,
 * EFBIG, ENXIO) from its own state; after each operation the harness checks
 * every name's lookup, every object's size, pages held, references (the
 * count of names too) and
 * bytes around what changed (all of them at the end of the input, and a
 * listing of the namespace), and the mount-wide accounts; a cursor's pass
 * over the namespace must return every name that existed throughout it
 * exactly once.  Leaks show at shmfs_store_destroy().
 * Set FUZZ_STORE_TRACE=1 to print the operations of an input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ns.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE ((uint64_t)SHMFS_PAGE_SIZE)
#define LIMIT_PAGES 40
#define LIMIT_OBJECTS 80 /* above 64, so the namespace's table grows */
#define NNAMES 96
#define MAX_OPS 4000
#define NCURSORS 3

#define FAIL(...)                                                 \
	do {                                                      \
		fprintf(stderr, "fuzz_store: op %d: ", op_index); \
		fprintf(stderr, __VA_ARGS__);                     \
		fputc('\n', stderr);                              \
		abort();                                          \
	} while (0)

#define TRACE(...)                                    \
	do {                                          \
		if (trace)                            \
			fprintf(stderr, __VA_ARGS__); \
	} while (0)

/* One object as the model sees it. */
struct mobj {
	struct shmfs_obj *obj;
	uint32_t nlink; /* names of it in name_obj */
	uint64_t size;
	unsigned char *bytes; /* size bytes */
	bool held[LIMIT_PAGES + 1];
	uint32_t opens, lookups;
};

static struct shmfs_store st;
static struct shmfs_ns ns;
static struct mobj objs[LIMIT_OBJECTS];
static int nobjs;
static int name_obj[NNAMES]; /* index into objs, or -1 */
static char names[NNAMES][8];
static uint64_t promised; /* pages */
static int op_index;
static bool trace;

static unsigned char pattern[(LIMIT_PAGES + 2) * SHMFS_PAGE_SIZE];

static uint64_t pages_for(uint64_t bytes)
{
	return bytes / PAGE + (bytes % PAGE != 0);
}

/* ---- Input ---- */

static const uint8_t *in_p;
static size_t in_left;

static unsigned take(void)
{
	if (!in_left)
		return 0;
	in_left--;
	return *in_p++;
}

static unsigned take16(void)
{
	unsigned hi = take();

	return hi << 8 | take();
}

/* Offsets and lengths: mostly around the store's limit, sometimes extreme. */
static uint64_t take_off(void)
{
	static const uint64_t special[] = {
		0,
		PAGE,
		LIMIT_PAGES * PAGE,
		LIMIT_PAGES * PAGE + 1,
		(LIMIT_PAGES + 1) * PAGE,
		UINT64_C(1) << 40,
		(uint64_t)INT64_MAX - 1,
		(uint64_t)INT64_MAX,
		(uint64_t)INT64_MAX + 1,
		UINT64_MAX - PAGE,
		UINT64_MAX,
		PAGE - 1,
	};
	unsigned sel = take();

	if (sel < 0xf0)
		return (uint64_t)take16() * 3 % ((LIMIT_PAGES + 8) * PAGE);
	return special[(sel - 0xf0) % (sizeof(special) / sizeof(special[0]))];
}

static uint64_t take_len(void)
{
	unsigned sel = take();

	if (sel < 0xc0)
		return take16() % (3 * PAGE + 10);
	if (sel < 0xe0)
		return (uint64_t)take16() * 3;
	return take_off();
}

/*
 * A directory stream: its cursor, where its pass over the namespace is, and
 * for each name whether it was there all along since the pass began
 * (stable) and whether the pass returned it.
 */
struct mcursor {
	struct shmfs_name *cur;
	uint64_t pos, prev_pos, hi;
	bool stable[NNAMES];
	unsigned char seen[NNAMES];
};

static struct mcursor cursors[NCURSORS];

/* Name n goes away or changes place: no pass may count on seeing it. */
static void unstable(int n)
{
	for (int c = 0; c < NCURSORS; c++)
		cursors[c].stable[n] = false;
}

/* ---- Model helpers ---- */

static struct mobj *model_new(void)
{
	struct mobj *m = &objs[nobjs++];

	memset(m, 0, sizeof(*m));
	return m;
}

static void model_forget(struct mobj *m)
{
	int last = --nobjs;

	promised -= pages_for(m->size);
	free(m->bytes);
	*m = objs[last];
	for (int n = 0; n < NNAMES; n++)
		if (name_obj[n] == last)
			name_obj[n] = (int)(m - objs);
}

static bool model_unused(const struct mobj *m)
{
	return !m->nlink && !m->opens && !m->lookups;
}

/* Releases obj in the store as ops.c does; the model must agree on whether it went. */
static void release(struct mobj *m)
{
	bool want = model_unused(m),
	     got = shmfs_obj_release_if_unused(&st, m->obj);

	if (got != want)
		FAIL("release_if_unused freed %d, expected %d", got, want);
	if (got)
		model_forget(m);
}

static void model_set_size(struct mobj *m, uint64_t size)
{
	if (size > m->size) {
		unsigned char *b = realloc(m->bytes, size);

		if (!b)
			abort();
		memset(b + m->size, 0, size - m->size);
		m->bytes = b;
	}
	for (uint64_t p = pages_for(size); p <= LIMIT_PAGES; p++)
		m->held[p] = false;
	promised = promised - pages_for(m->size) + pages_for(size);
	m->size = size;
}

/* What shmfs_obj_resize() must return. */
static int model_resize_err(const struct mobj *m, uint64_t size)
{
	uint64_t old_pages = pages_for(m->size), new_pages = pages_for(size);

	if (size == m->size)
		return 0;
	if (size > (uint64_t)INT64_MAX)
		return EFBIG;
	if (new_pages > old_pages &&
	    new_pages - old_pages > LIMIT_PAGES - promised)
		return ENOSPC;
	return 0;
}

static int64_t model_seek(const struct mobj *m, uint64_t off, bool data)
{
	if (off >= m->size)
		return -ENXIO;
	for (uint64_t p = off / PAGE; p < pages_for(m->size); p++)
		if (m->held[p] == data)
			return (int64_t)(p * PAGE > off ? p * PAGE : off);
	return data ? -ENXIO : (int64_t)m->size;
}

/* ---- Checks ---- */

/*
 * The checks run after every operation and loop over every object and
 * name: left without coverage instrumentation, whose comparison tracing
 * made them most of the time, they let the fuzzer try several times more
 * inputs.  Coverage of the code under test is what guides it.
 */
#define UNTRACED __attribute__((noinline, no_sanitize("coverage")))

/* Reads [off, off + len) and checks what comes back against the model; returns the byte count. */
UNTRACED static size_t check_read(const struct mobj *m, uint64_t off, size_t len)
{
	static unsigned char buf[(LIMIT_PAGES + 2) * SHMFS_PAGE_SIZE];
	size_t want, ask = len < sizeof(buf) ? len : sizeof(buf);
	ssize_t got;

	/* Never more than the size, which fits in buf: asking less than len loses nothing. */
	want = off >= m->size	   ? 0 :
	       len < m->size - off ? len :
				     (size_t)(m->size - off);
	got = shmfs_obj_read(m->obj, buf, ask, off);
	if (got < 0 || (size_t)got != want)
		FAIL("read of %zu at %llu (size %llu) gave %zd bytes", len,
		     (unsigned long long)off, (unsigned long long)m->size, got);
	if (want && memcmp(buf, m->bytes + off, want) != 0) {
		size_t j = 0;

		while (buf[j] == m->bytes[off + j])
			j++;
		FAIL("object %llu byte %llu reads %#x, the model says %#x",
		     (unsigned long long)m->obj->ino, (unsigned long long)(off + j), buf[j],
		     m->bytes[off + j]);
	}
	return want;
}

/* Checks the bytes of [from, to) clipped to the size, and the clipping. */
static void check_span(const struct mobj *m, uint64_t from, uint64_t to)
{
	uint64_t off = from;

	if (to > m->size)
		to = m->size + PAGE;
	while (off < to && off < m->size)
		off += check_read(m, off, (size_t)(to - off));
}

/* After an operation at [off, off + len): that range and a page around it. */
static void check_around(const struct mobj *m, uint64_t off, uint64_t len)
{
	uint64_t from = off > PAGE ? off - PAGE : 0;
	uint64_t to = off > UINT64_MAX - 2 * PAGE ||
				      len > UINT64_MAX - 2 * PAGE - off ?
			      UINT64_MAX :
			      off + len + PAGE;

	check_span(m, from, to);
}

static void check_contents(const struct mobj *m)
{
	check_span(m, 0, UINT64_MAX);
}

/* Everything but the bytes, for every object; and the names. */
UNTRACED static void check_state(bool all_names)
{
	uint64_t want_promised = 0;
	size_t linked = 0;

	if (st.nr_objects != (uint64_t)nobjs)
		FAIL("the store counts %llu objects, the model %d",
		     (unsigned long long)st.nr_objects, nobjs);
	for (int i = 0; i < nobjs; i++) {
		const struct mobj *m = &objs[i];
		const struct shmfs_obj *o = m->obj;
		uint64_t held = 0;

		for (uint64_t p = 0; p <= LIMIT_PAGES; p++)
			held += m->held[p];
		if (o->size != m->size || shmfs_obj_blocks(o) / (PAGE / 512) != held)
			FAIL("object %llu: size %llu, %llu pages; expected "
			     "%llu, %llu",
			     (unsigned long long)o->ino,
			     (unsigned long long)o->size,
			     (unsigned long long)(shmfs_obj_blocks(o) / (PAGE / 512)),
			     (unsigned long long)m->size,
			     (unsigned long long)held);
		if (o->nopen != m->opens || o->nlookup != m->lookups ||
		    o->nlink != m->nlink)
			FAIL("object %llu: references differ (names %u, model %u)",
			     (unsigned long long)o->ino, o->nlink, m->nlink);
		want_promised += pages_for(m->size);
		linked += m->nlink;
	}
	if (st.promised_pages != want_promised || promised != want_promised)
		FAIL("%llu pages promised (model %llu), the objects' sizes "
		     "need %llu",
		     (unsigned long long)st.promised_pages,
		     (unsigned long long)promised,
		     (unsigned long long)want_promised);
	if (ns.count != linked)
		FAIL("the namespace counts %zu names, the model %zu", ns.count,
		     linked);
	/*
	 * With the counts equal, the model's names all resolving right means
	 * no other name resolves: every name is tried only at the end.
	 */
	for (int n = 0; n < NNAMES; n++) {
		struct shmfs_obj *o, *want;

		if (!all_names && name_obj[n] < 0)
			continue;
		o = shmfs_ns_lookup(&ns, names[n]);
		want = name_obj[n] >= 0 ? objs[name_obj[n]].obj : NULL;
		if (o != want)
			FAIL("lookup('%s') gives %p, expected %p", names[n],
			     (void *)o, (void *)want);
	}
}

/* The index of a name the harness made ("n<k>"), or -1. */
static int name_index(const char *name)
{
	char *end;
	long k = name[0] == 'n' ? strtol(name + 1, &end, 10) : -1;

	return k >= 0 && k < NNAMES && !*end && strcmp(names[k], name) == 0 ? (int)k : -1;
}

/* A listing: every name once; a non-zero return stops it. */
struct listing {
	size_t seen, stop_after;
	bool listed[NNAMES];
	bool bad;
};

UNTRACED static int list_one(const char *name, struct shmfs_obj *o, void *ctx)
{
	struct listing *l = ctx;
	int n = name_index(name);

	if (n < 0 || name_obj[n] < 0 || objs[name_obj[n]].obj != o || l->listed[n])
		l->bad = true;
	else
		l->listed[n] = true;
	return ++l->seen == l->stop_after;
}

UNTRACED static void check_listing(size_t stop_after)
{
	struct listing l = { .stop_after = stop_after };
	size_t want = stop_after && stop_after < ns.count ? stop_after :
							    ns.count;

	shmfs_ns_foreach(&ns, list_one, &l);
	if (l.bad || l.seen != want)
		FAIL("a listing (stopping after %zu) saw %zu names of %zu, "
		     "or some twice "
		     "or unnamed",
		     stop_after, l.seen, ns.count);
}

/* ---- Operations ---- */

static struct mobj *pick_obj(void)
{
	unsigned i = take();

	return nobjs ? &objs[i % (unsigned)nobjs] : NULL;
}

static void add_ref(struct mobj *m, bool lookup)
{
	if (lookup) {
		m->obj->nlookup++;
		m->lookups++;
	} else {
		m->obj->nopen++;
		m->opens++;
	}
}

static void op_create(void)
{
	int n = (int)(take() % NNAMES);
	unsigned a = take();
	bool excl = a & 1, lookup = a & 2;
	struct shmfs_obj *o = shmfs_ns_lookup(&ns, names[n]);
	int want, err;

	TRACE("create %s excl=%d lookup=%d\n", names[n], excl, lookup);
	want = name_obj[n] >= 0	      ? (excl ? EEXIST : 0) :
	       nobjs >= LIMIT_OBJECTS ? ENOSPC :
					0;
	if (o) {
		err = excl ? EEXIST : 0;
		if (!err)
			add_ref(&objs[name_obj[n]], lookup);
	} else {
		o = shmfs_obj_new(&st, 0600, 0, 0);
		err = o ? shmfs_ns_insert(&ns, names[n], o) : errno;
		if (!err) {
			struct mobj *m = model_new();

			m->obj = o;
			m->nlink = 1;
			name_obj[n] = (int)(m - objs);
			unstable(n);
			add_ref(m, lookup);
		}
	}
	if (err != want)
		FAIL("create('%s', excl %d): %d, expected %d", names[n], excl,
		     err, want);
}

static void op_create_anon(void)
{
	struct shmfs_obj *o = shmfs_obj_new(&st, 0600, 0, 0);
	int want = nobjs >= LIMIT_OBJECTS ? ENOSPC : 0, err = o ? 0 : errno;

	TRACE("create anonymous\n");
	if (err != want)
		FAIL("anonymous create: %d, expected %d", err, want);
	if (o) {
		struct mobj *m = model_new();

		m->obj = o;
		add_ref(m, false);
	}
}

static void op_open(void)
{
	int n = (int)(take() % NNAMES);
	bool lookup = take() & 1;
	struct shmfs_obj *o = shmfs_ns_lookup(&ns, names[n]);

	TRACE("open %s lookup=%d\n", names[n], lookup);
	if (!o != (name_obj[n] < 0))
		FAIL("open('%s'): found %p, the model has %d", names[n],
		     (void *)o, name_obj[n]);
	if (o)
		add_ref(&objs[name_obj[n]], lookup);
}

static void op_close(void)
{
	struct mobj *m = pick_obj();
	bool lookup = take() & 1;

	if (!m)
		return;
	TRACE("close %llu lookup=%d\n", (unsigned long long)m->obj->ino,
	      lookup);
	if (lookup ? !m->lookups : !m->opens)
		return;
	if (lookup) {
		m->obj->nlookup--;
		m->lookups--;
	} else {
		m->obj->nopen--;
		m->opens--;
	}
	release(m);
}

static void op_unlink(void)
{
	int n = (int)(take() % NNAMES);
	struct shmfs_obj *o = shmfs_ns_lookup(&ns, names[n]);
	struct mobj *m;

	TRACE("unlink %s\n", names[n]);
	if (!o != (name_obj[n] < 0))
		FAIL("unlink('%s'): found %p, the model has %d", names[n],
		     (void *)o, name_obj[n]);
	if (!o)
		return;
	m = &objs[name_obj[n]];
	if (shmfs_ns_remove(&ns, names[n]) != o)
		FAIL("unlink('%s') removed another object", names[n]);
	m->nlink--;
	name_obj[n] = -1;
	unstable(n);
	release(m);
}

/* link() as ops.c's link_locked() performs it, with the new dentry's lookup. */
static void op_link(void)
{
	struct mobj *m = pick_obj();
	int t = (int)(take() % NNAMES), want, err;

	if (!m)
		return;
	TRACE("link %llu %s\n", (unsigned long long)m->obj->ino, names[t]);
	want = !m->nlink ? ENOENT : name_obj[t] >= 0 ? EEXIST : 0;
	err = !m->obj->nlink ? ENOENT : shmfs_ns_insert(&ns, names[t], m->obj);
	if (err != want)
		FAIL("link(%llu, '%s'): %d, expected %d", (unsigned long long)m->obj->ino,
		     names[t], err, want);
	if (err)
		return;
	m->nlink++;
	name_obj[t] = (int)(m - objs);
	unstable(t);
	add_ref(m, true);
}

/*
 * A READDIR of up to k names through cursor c: from where it is, from the
 * start (a rewind, which begins a new pass), or again from where the last
 * step began (as the kernel does when the caller took in only part of a
 * reply).  At the end of a pass, every name there throughout was seen once.
 */
UNTRACED static void op_readdir(void)
{
	struct mcursor *c = &cursors[take() % NCURSORS];
	unsigned a = take(), k = a % 8 + 1, got = 0;
	uint64_t off = c->pos;
	struct shmfs_name *n;

	if ((a >> 3) % 8 == 0 || !c->pos) {
		off = 0;
		c->hi = 0;
		memset(c->seen, 0, sizeof(c->seen));
		for (int i = 0; i < NNAMES; i++)
			c->stable[i] = name_obj[i] >= 0;
	} else if ((a >> 3) % 8 == 1) {
		off = c->prev_pos;
	}
	TRACE("readdir cursor %d off=%llu k=%u\n", (int)(c - cursors), (unsigned long long)off, k);
	c->prev_pos = off;
	for (n = shmfs_ns_cursor_seek(&ns, c->cur, off); n && got < k;
	     n = shmfs_ns_cursor_advance(&ns, c->cur, n), got++) {
		int i = name_index(n->name);

		if (i < 0 || name_obj[i] < 0 || objs[name_obj[i]].obj != n->obj)
			FAIL("a listing returns '%s', which names another object or none",
			     n->name);
		if (n->off <= off)
			FAIL("a listing from %llu returns offset %llu", (unsigned long long)off,
			     (unsigned long long)n->off);
		off = n->off;
		if (off > c->hi) {
			c->hi = off;
			c->seen[i]++;
		}
	}
	c->pos = off;
	if (n)
		return;
	/* The pass is over. */
	for (int i = 0; i < NNAMES; i++)
		if (c->stable[i] && c->seen[i] != 1)
			FAIL("a listing saw '%s' %d times, there all along", names[i],
			     c->seen[i]);
	c->pos = 0;
}

enum {
	RENAME_PLAIN,
	RENAME_NOREPLACE,
	RENAME_EXCHANGE
};

/* The rename as ops.c's rename_locked() performs it. */
static int do_rename(const char *name, const char *newname, int how,
		     struct shmfs_obj **replaced)
{
	struct shmfs_obj *from = shmfs_ns_lookup(&ns, name);
	struct shmfs_obj *to = shmfs_ns_lookup(&ns, newname);

	*replaced = NULL;
	if (!from)
		return ENOENT;
	if (how == RENAME_NOREPLACE && to)
		return EEXIST;
	if (from == to)
		return 0;
	if (how == RENAME_EXCHANGE && !to)
		return ENOENT;
	if (how == RENAME_EXCHANGE) {
		shmfs_ns_exchange(&ns, name, newname);
		return 0;
	}
	return shmfs_ns_move(&ns, name, newname, replaced);
}

static void op_rename(void)
{
	int f = (int)(take() % NNAMES), t = (int)(take() % NNAMES),
	    how = (int)(take() % 3);
	int from = name_obj[f], to = name_obj[t], want, err;
	struct shmfs_obj *replaced;

	TRACE("rename %s %s how=%d\n", names[f], names[t], how);
	if (from < 0)
		want = ENOENT;
	else if (how == RENAME_NOREPLACE && to >= 0)
		want = EEXIST;
	else if (from == to) /* one name, or two of one object */
		want = 0;
	else if (how == RENAME_EXCHANGE && to < 0)
		want = ENOENT;
	else
		want = 0;
	err = do_rename(names[f], names[t], how, &replaced);
	if (err != want)
		FAIL("rename('%s', '%s', %d): %d, expected %d", names[f],
		     names[t], how, err, want);
	if (err || from == to)
		return;
	if (how == RENAME_EXCHANGE) {
		/* Both names stay where they are, on other objects. */
		name_obj[t] = from;
		name_obj[f] = to;
		return;
	}
	if ((to >= 0) != (replaced != NULL) ||
	    (to >= 0 && replaced != objs[to].obj))
		FAIL("rename replaced %p, expected object %d", (void *)replaced,
		     to);
	/* Name t keeps its place if it existed; f goes. */
	name_obj[t] = from;
	name_obj[f] = -1;
	unstable(f);
	if (to < 0) {
		unstable(t);
	} else {
		objs[to].nlink--;
		release(&objs[to]);
	}
}

static void op_write(void)
{
	struct mobj *m = pick_obj();
	uint64_t off = take_off(), len = take_len();
	bool grow = take() & 1;
	const unsigned char *src = pattern + op_index % 4093;
	ssize_t want, got;

	if (!m)
		return;
	TRACE("write %llu off=%llu len=%llu grow=%d\n",
	      (unsigned long long)m->obj->ino, (unsigned long long)off,
	      (unsigned long long)len, grow);
	if (len == 0)
		want = 0;
	else if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off)
		want = -EFBIG;
	else if (off + len > m->size && grow)
		want = model_resize_err(m, off + len) ?
			       -model_resize_err(m, off + len) :
			       (ssize_t)len;
	else if (off + len > m->size && off >= m->size)
		want = -EFBIG;
	else if (off + len > m->size)
		want = (ssize_t)(m->size - off);
	else
		want = (ssize_t)len;
	/* The pattern covers every write that can succeed. */
	if (want > 0 && (uint64_t)want > sizeof(pattern) - 4093)
		FAIL("a write of %zd bytes succeeds in a %d-page store", want,
		     LIMIT_PAGES);
	got = shmfs_obj_write(&st, m->obj, src, (size_t)len, off, grow);
	if (got != want)
		FAIL("write(%llu, %llu, grow %d) on size %llu: %zd, expected "
		     "%zd",
		     (unsigned long long)off, (unsigned long long)len, grow,
		     (unsigned long long)m->size, got, want);
	if (want <= 0)
		return;
	if (off + (uint64_t)want > m->size)
		model_set_size(m, off + (uint64_t)want);
	memcpy(m->bytes + off, src, (size_t)want);
	for (uint64_t p = off / PAGE; p <= (off + (uint64_t)want - 1) / PAGE;
	     p++)
		m->held[p] = true;
	check_around(m, off, (uint64_t)want);
}

static void op_read(void)
{
	struct mobj *m = pick_obj();
	uint64_t off = take_off(), len = take_len();
	(void)take(); /* was the iovec count of the page-pool store: keeps the corpus meaningful */
	if (!m)
		return;
	TRACE("read %llu off=%llu len=%llu\n", (unsigned long long)m->obj->ino,
	      (unsigned long long)off, (unsigned long long)len);
	check_read(m, off, (size_t)len);
}

static void op_truncate(void)
{
	struct mobj *m = pick_obj();
	uint64_t size = take() & 1 ? take_off() : take_len();
	int want, err;

	if (!m)
		return;
	TRACE("truncate %llu size=%llu\n", (unsigned long long)m->obj->ino,
	      (unsigned long long)size);
	want = model_resize_err(m, size);
	err = shmfs_obj_resize(&st, m->obj, size);
	if (err != want)
		FAIL("resize(%llu) from %llu: %d, expected %d",
		     (unsigned long long)size, (unsigned long long)m->size, err,
		     want);
	if (!err) {
		model_set_size(m, size);
		check_around(m, size, 0);
	}
}

static void op_punch(void)
{
	struct mobj *m = pick_obj();
	uint64_t off = take_off(), len = take_len(), end;

	if (!m)
		return;
	TRACE("punch %llu off=%llu len=%llu\n", (unsigned long long)m->obj->ino,
	      (unsigned long long)off, (unsigned long long)len);
	if (shmfs_obj_punch(m->obj, off, len) != 0)
		FAIL("punch failed");
	if (off >= m->size || len == 0)
		return;
	end = len > m->size - off ? m->size : off + len;
	memset(m->bytes + off, 0, end - off);
	/* Whole pages in the range are freed; past the size counts as zeros. */
	for (uint64_t p = pages_for(off);
	     p < (end == m->size ? pages_for(end) : end / PAGE); p++)
		m->held[p] = false;
	check_around(m, off, end - off);
}

/* fallocate without PUNCH_HOLE, as ops.c does it: only growth matters. */
static void op_reserve(void)
{
	struct mobj *m = pick_obj();
	uint64_t off = take_off() & INT64_MAX, len = take_len() & INT64_MAX;
	bool keep = take() & 1;
	int want = 0, err = 0;

	if (!m)
		return;
	TRACE("reserve %llu off=%llu len=%llu keep=%d\n",
	      (unsigned long long)m->obj->ino, (unsigned long long)off,
	      (unsigned long long)len, keep);
	if (len == 0 || len > (uint64_t)INT64_MAX - off)
		return; /* EINVAL and EFBIG, refused before the store is asked */
	if (!keep && off + len > m->size) {
		want = model_resize_err(m, off + len);
		err = shmfs_obj_resize(&st, m->obj, off + len);
	}
	if (err != want)
		FAIL("reserve(%llu, %llu) on size %llu: %d, expected %d",
		     (unsigned long long)off, (unsigned long long)len,
		     (unsigned long long)m->size, err, want);
	if (!keep && !err && off + len > m->size) {
		model_set_size(m, off + len);
		check_around(m, off, len);
	}
}

static void op_seek(void)
{
	struct mobj *m = pick_obj();
	uint64_t off = take() & 1 ? take_off() : take16() * 5;
	bool data = take() & 1;
	int64_t got, want;

	if (!m)
		return;
	TRACE("seek %llu off=%llu data=%d\n", (unsigned long long)m->obj->ino,
	      (unsigned long long)off, data);
	got = shmfs_obj_seek(m->obj, off, data);
	want = model_seek(m, off, data);
	if (got != want)
		FAIL("seek(%llu, %s) on size %llu: %lld, expected %lld",
		     (unsigned long long)off, data ? "data" : "hole",
		     (unsigned long long)m->size, (long long)got,
		     (long long)want);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < sizeof(pattern); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pattern[i] = (unsigned char)(x | 1); /* never 0: a hole shows */
	}
	for (int n = 0; n < NNAMES; n++)
		snprintf(names[n], sizeof(names[n]), "n%d", n);
	trace = getenv("FUZZ_STORE_TRACE") != NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const ops[])(void) = {
		op_create,   op_create, op_create_anon, op_open,  op_close,
		op_unlink,   op_rename, op_write,	op_write, op_read,
		op_truncate, op_punch,	op_reserve,	op_seek,  op_link,
		op_readdir,
	};

	if (shmfs_store_init(&st, LIMIT_PAGES * PAGE, LIMIT_OBJECTS) != 0 ||
	    shmfs_ns_init(&ns) != 0)
		abort();
	nobjs = 0;
	promised = 0;
	memset(cursors, 0, sizeof(cursors));
	for (int c = 0; c < NCURSORS; c++)
		if (!(cursors[c].cur = shmfs_ns_cursor_new()))
			abort();
	for (int n = 0; n < NNAMES; n++)
		name_obj[n] = -1;
	in_p = data;
	in_left = size;
	for (op_index = 0; in_left && op_index < MAX_OPS; op_index++) {
		ops[take() % (sizeof(ops) / sizeof(ops[0]))]();
		check_state(false);
	}
	check_state(true);
	for (int i = 0; i < nobjs; i++)
		check_contents(&objs[i]);
	check_listing(0);
	check_listing(size % 7 + 1);
	for (int c = 0; c < NCURSORS; c++)
		shmfs_ns_cursor_free(&ns, cursors[c].cur);
	shmfs_ns_destroy(&ns);
	shmfs_store_destroy(&st);
	while (nobjs)
		free(objs[--nobjs].bytes);
	return 0;
}
