/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sealer.h: F_ADD_SEALS requests, answered by threads of their own when
 * F_SEAL_WRITE needs the bounded /proc walk (the rules are in seals.h).
 */
#ifndef SHMFS_SEALER_H
#define SHMFS_SEALER_H

#include "fs.h"

/* F_ADD_SEALS on obj: answers req, now or from a sealer thread.  Takes the lock. */
void shmfs_add_seals(fuse_req_t req, struct shmfs_fs *fs, struct shmfs_obj *obj, uint32_t seals);
/* Waits for every sealer thread (each ends within the walk's bound). */
void shmfs_sealers_wait(struct shmfs_fs *fs);

#endif
