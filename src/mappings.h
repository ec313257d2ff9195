/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mappings.h: finds writable shared mappings of a file in other processes.
 * The daemon never sees mmap(2), yet F_SEAL_WRITE must fail with EBUSY
 * while such a mapping exists; the kernel lists every process's mappings,
 * with their device and inode, in /proc.
 */
#ifndef SHMFS_MAPPINGS_H
#define SHMFS_MAPPINGS_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Looks in procfs (normally "/proc") for a shared mapping of the file
 * (dev, ino) that is writable or could be made so with mprotect: one made
 * from a descriptor open for writing, even if mapped read-only.  Processes
 * the caller may not inspect are passed over.  Returns 1 if one exists, 0 if
 * none, or -errno if procfs cannot be listed.
 */
int shmfs_find_writable_mapping(const char *procfs, dev_t dev, uint64_t ino);

/*
 * The walk, bounded in time.  Reading a process's maps or smaps waits for
 * its memory-map lock, which a process can hold indefinitely (a thread
 * stuck in a page fault on an unanswering FUSE mount, another queued to
 * change its mappings), so the walk runs in a detached thread of its own
 * that owns a copy of everything it uses.  Returns the walk's answer if it
 * comes within timeout_ms; else -ETIMEDOUT, and the thread, abandoned,
 * finishes (or stays stuck) on its own, its answer dropped.  -EAGAIN
 * without walking if SHMFS_WALKERS_MAX walks are still running, so that
 * stuck walks cannot pile up threads without limit.
 */
int shmfs_find_writable_mapping_timed(const char *procfs, dev_t dev,
				      uint64_t ino, unsigned timeout_ms);

/* Walks running, abandoned ones included (for tests). */
unsigned shmfs_mappings_walkers(void);

#define SHMFS_WALKERS_MAX 64

#endif
