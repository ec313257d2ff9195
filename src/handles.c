/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * handles.c: the open-file table (see handles.h).
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>

#include "handles.h"
#include "perm.h"

int shmfs_open_want(int flags)
{
	int want;

	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		want = SHMFS_MAY_READ;
		break;
	case O_WRONLY:
		want = SHMFS_MAY_WRITE;
		break;
	default:
		want = SHMFS_MAY_READ | SHMFS_MAY_WRITE;
		break;
	}
	if (flags & O_TRUNC)
		want |= SHMFS_MAY_WRITE;
	return want;
}

void shmfs_handle_add_locked(struct shmfs_store *st, struct shmfs_handle **list,
			     struct shmfs_handle *h, struct shmfs_obj *obj, bool nogrow,
			     bool writable)
{
	h->obj = obj;
	h->nogrow = nogrow;
	h->writable = writable;
	h->prev = NULL;
	h->next = *list;
	if (*list)
		(*list)->prev = h;
	*list = h;
	shmfs_obj_hold_open_locked(st, obj, writable);
}

bool shmfs_handle_is_last(const struct shmfs_handle *h)
{
	return shmfs_obj_nopen(h->obj) == 1;
}

bool shmfs_handle_close_locked(struct shmfs_store *st, struct shmfs_handle **list,
			       struct shmfs_handle *h)
{
	struct shmfs_obj *obj = h->obj;
	bool writable = h->writable;

	if (h->prev)
		h->prev->next = h->next;
	else
		*list = h->next;
	if (h->next)
		h->next->prev = h->prev;
	free(h);
	return shmfs_obj_release_open_locked(st, obj, writable);
}

void shmfs_handles_destroy(struct shmfs_handle **list)
{
	while (*list) {
		struct shmfs_handle *h = *list;

		*list = h->next;
		free(h);
	}
}
