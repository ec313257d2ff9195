/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * handles.h: the open-file table.  A handle is one open file of an object;
 * it holds the object (store.h: nopen, and nwriters if writable) from open
 * to RELEASE.  Handles are listed so that unmount, which sends no RELEASE,
 * frees them.  Nothing here knows about FUSE; every function but
 * shmfs_open_want() needs the filesystem lock.
 */
#ifndef SHMFS_HANDLES_H
#define SHMFS_HANDLES_H

#include <stdbool.h>

#include "store.h"

/* An open file.  Only the flag can change after open, so it lives here. */
struct shmfs_handle {
	struct shmfs_handle *prev, *next;
	struct shmfs_obj *obj;
	bool nogrow;   /* shm descriptor: writes never extend the object */
	bool writable; /* counted in the object's nwriters */
};

/*
 * The SHMFS_MAY_* rights an open with these flags needs: its access mode,
 * and write for O_TRUNC (as Linux, even with O_RDONLY).
 */
int shmfs_open_want(int flags);

/* Lists h, a handle of obj, in *list, and holds obj for it. */
void shmfs_handle_add_locked(struct shmfs_store *st, struct shmfs_handle **list,
			     struct shmfs_handle *h, struct shmfs_obj *obj, bool nogrow,
			     bool writable);
/* Is h its object's last open handle? */
bool shmfs_handle_is_last(const struct shmfs_handle *h);
/* Unlists and frees h and releases its hold; true if that freed the object. */
bool shmfs_handle_close_locked(struct shmfs_store *st, struct shmfs_handle **list,
			       struct shmfs_handle *h);
/* Frees every handle left, holds and all, at unmount (the objects go with the store). */
void shmfs_handles_destroy(struct shmfs_handle **list);

#endif
