/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ops.h: the libfuse low-level operations table: the request handlers of
 * ops.c (and of dir.c for directory streams).
 */
#ifndef SHMFS_OPS_H
#define SHMFS_OPS_H

#include <fuse_lowlevel.h>

#include "fs.h"

extern const struct fuse_lowlevel_ops shmfs_ll_ops;

#endif
