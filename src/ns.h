/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ns.h: the namespace, one flat dictionary from file name to object
 * (FreeBSD's design: chained hashing with 32-bit FNV-1a).  A name is an
 * entry of its own, so one object may have several (hard links); the
 * object counts them in nlink, and the dictionary holds that reference:
 * insert raises it, remove lowers it.  The names are also kept on one list
 * in insertion order, on which an open directory holds a cursor, so that a
 * listing walks it in steps without copying it (Linux's dcache_readdir).
 * Renames are single calls so that each form is one atomic step under the
 * caller's lock; like the store, nothing here locks by itself.
 */
#ifndef SHMFS_NS_H
#define SHMFS_NS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * A name, or a directory cursor (obj NULL, no name, never hashed).  The
 * list is ordered by off: a name gets the next offset when inserted and
 * keeps it through renames; a cursor takes the offset of the name it
 * follows.
 */
struct shmfs_name {
	struct shmfs_name *hash_next;
	struct shmfs_name *prev, *next; /* the list, in insertion order */
	struct shmfs_obj *obj;
	uint64_t off;
	uint32_t hash;
	char name[];
};

struct shmfs_ns {
	struct shmfs_name **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;	 /* names */
	struct shmfs_name *head, *tail;
	uint64_t next_off;
};

/* The first offset a name gets: listings put "." and ".." before. */
#define SHMFS_NS_FIRST_OFF 3

int shmfs_ns_init(struct shmfs_ns *ns);
/* Frees the names (dropping no object's nlink) and the table; the objects are the caller's. */
void shmfs_ns_destroy(struct shmfs_ns *ns);

struct shmfs_obj *shmfs_ns_lookup(const struct shmfs_ns *ns, const char *name);

/* Gives obj (which may have other names) the name.  Returns 0, EEXIST or ENOMEM. */
int shmfs_ns_insert(struct shmfs_ns *ns, const char *name,
		    struct shmfs_obj *obj);

/*
 * Removes a name and returns its object (NULL if there is no such name),
 * which keeps living while otherwise held: the caller releases it.
 */
struct shmfs_obj *shmfs_ns_remove(struct shmfs_ns *ns, const char *name);

/*
 * Renames `from` (which must exist) to `to`.  An object there loses that
 * name and is returned in *replaced (else NULL) for the caller to release.
 * If both names are the same object's, nothing changes (POSIX).  Returns 0
 * or ENOMEM (nothing changed).
 */
int shmfs_ns_move(struct shmfs_ns *ns, const char *from, const char *to,
		  struct shmfs_obj **replaced);

/* Swaps the objects of two existing names in one step. */
void shmfs_ns_exchange(struct shmfs_ns *ns, const char *a, const char *b);

/* Calls fn for every name in insertion order; fn returns non-zero to stop. */
void shmfs_ns_foreach(const struct shmfs_ns *ns,
		      int (*fn)(const char *name, struct shmfs_obj *obj,
				void *ctx),
		      void *ctx);

/*
 * Directory cursors.  A new cursor is not on the list.  seek places it
 * before the first name whose offset is greater than off and returns that
 * name (NULL at the end); it walks from the cursor's place, so the offsets
 * of a reply just sent cost one reply's entries, and only a rewind or a
 * far seek walks further.  advance moves it past n (a name after it) and
 * returns the next name.  Removing names never invalidates a cursor.
 */
struct shmfs_name *shmfs_ns_cursor_new(void);
void shmfs_ns_cursor_free(struct shmfs_ns *ns, struct shmfs_name *cur);
struct shmfs_name *shmfs_ns_cursor_seek(struct shmfs_ns *ns,
					struct shmfs_name *cur, uint64_t off);
struct shmfs_name *shmfs_ns_cursor_advance(struct shmfs_ns *ns,
					   struct shmfs_name *cur,
					   struct shmfs_name *n);

#endif
