/*
 * ns.h: the namespace, one flat dictionary from file name to object
 * (FreeBSD's design: chained hashing with 32-bit FNV-1a).  The dictionary
 * holds the objects' `linked` reference: insert sets it, remove clears it.
 * Renames are single calls so that each form is one atomic step under the
 * caller's lock; like the store, nothing here locks by itself.
 */
#ifndef SHMFS_NS_H
#define SHMFS_NS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct shmfs_ns {
	struct shmfs_obj **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

int shmfs_ns_init(struct shmfs_ns *ns);
/* Frees the table only; the objects are the caller's. */
void shmfs_ns_destroy(struct shmfs_ns *ns);

struct shmfs_obj *shmfs_ns_lookup(const struct shmfs_ns *ns, const char *name);

/* Links obj (which has no name) under name.  Returns 0, EEXIST or ENOMEM. */
int shmfs_ns_insert(struct shmfs_ns *ns, const char *name, struct shmfs_obj *obj);

/* Unlinks obj from the namespace; it keeps living while otherwise held. */
void shmfs_ns_remove(struct shmfs_ns *ns, struct shmfs_obj *obj);

/*
 * Moves obj, which must be linked, to name `to`.  An object already there loses its name and is
 * returned in *replaced (else NULL) for the caller to release.  Returns 0
 * or ENOMEM (nothing changed).
 */
int shmfs_ns_move(struct shmfs_ns *ns, struct shmfs_obj *obj, const char *to,
		  struct shmfs_obj **replaced);

/* Swaps the names of two distinct linked objects in one step. */
void shmfs_ns_exchange(struct shmfs_ns *ns, struct shmfs_obj *a, struct shmfs_obj *b);

/* Calls fn for every linked object; fn returns non-zero to stop. */
void shmfs_ns_foreach(const struct shmfs_ns *ns, int (*fn)(struct shmfs_obj *obj, void *ctx),
		      void *ctx);

#endif
