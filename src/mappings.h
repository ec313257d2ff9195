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

#endif
