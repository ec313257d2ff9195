/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proto.h: the contract between the daemon and the shim, beyond ordinary
 * system calls on the mount: reserved file names and ioctl numbers.
 *
 * Reserved names all start with '%' followed by a lowercase letter, so no
 * shm name ever encodes to one (see codec.h).
 */
#ifndef SHMFS_PROTO_H
#define SHMFS_PROTO_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>

/*
 * LOOKUP of this name answers a fixed, never-listed entry whose attributes
 * identify a shmfs mount; the kernel caches it, so the shim's "is this
 * shmfs?" check costs no round trip after the first.  Opening it: EACCES.
 * Its size is the protocol version, raised whenever file names (codec.h) or
 * ioctls change meaning; 2: '%' is written as itself.
 */
#define SHMFS_PROBE_NAME "%shmfs"
#define SHMFS_PROBE_INO 0x73686d6673ULL /* "shmfs" */
#define SHMFS_PROTO_VERSION 2		/* st_size of the probe entry */

/*
 * CREATE of a name starting with one of these prefixes makes an anonymous
 * object that is never linked into the namespace, atomically: no crash of
 * the caller can leave a name behind.  The rest of the name is for
 * debugging only (it shows in /proc/PID/fd).
 *   SHMFS_ANON_PREFIX:  SHM_ANON, descriptors never grow the object.
 *   SHMFS_MEMFD_PREFIX: memfd_create, writes grow the object.
 *   SHMFS_SEALABLE_PREFIX: memfd_create with MFD_ALLOW_SEALING: as
 *     SHMFS_MEMFD_PREFIX, but the object starts without seals.
 * Every other object starts with F_SEAL_SEAL and can never be sealed.
 */
#define SHMFS_ANON_PREFIX "%anon"
#define SHMFS_MEMFD_PREFIX "%memfd"
#define SHMFS_SEALABLE_PREFIX "%sealable"

/*
 * Objects that can take seals have this bit in st_ino, so the shim's mmap
 * wrapper learns from an fstat, without a round trip, that a descriptor
 * needs the seal check.  Inode numbers are counted from 2 and never get
 * near it.
 */
#define SHMFS_INO_SEALABLE (UINT64_C(1) << 62)

/*
 * Marks an open file as a shm descriptor: its writes never extend the
 * object (a write crossing the end is cut short; one starting at or past
 * the end fails with EFBIG, which the shim turns into a return of 0).
 */
#define SHMFS_IOC_NOGROW _IO('S', 1)

/*
 * The same mark, given at open time for no extra round trip: an open or
 * create with this flag makes a shm descriptor.  O_ASYNC does nothing at
 * open(2) on Linux (signal-driven I/O is set up by F_SETFL alone, which
 * FUSE files do not support); it stays visible in F_GETFL, inert.
 */
#define SHMFS_OPEN_NOGROW O_ASYNC

/*
 * Seals (F_ADD_SEALS and F_GET_SEALS, which the kernel refuses on FUSE
 * files, so the shim sends these instead).  GET answers the object's seals,
 * plus SHMFS_SEAL_WRITE_PENDING while an F_SEAL_WRITE is being added: the
 * shim's mmap wrapper treats that as sealed, so no writable mapping slips
 * in while the daemon looks for existing ones.  ADD answers 0 or the errno
 * of F_ADD_SEALS.
 */
#define SHMFS_IOC_GET_SEALS _IOR('S', 2, uint32_t)
#define SHMFS_IOC_ADD_SEALS _IOW('S', 3, uint32_t)
#define SHMFS_SEAL_WRITE_PENDING (UINT32_C(1) << 31)

/*
 * Linux's newer seal and memfd flags, which FreeBSD 13 lacks and older
 * headers do not define (shm_open(3) says what shmfs makes of each).
 */
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/*
 * On the root directory (any open descriptor of it): the number of open
 * file handles the daemon holds on the object with this file name, which
 * counts descriptors and mappings alike (shmfsctl ls).  ENOENT if no object
 * has the name.  An ioctl and not an extended attribute because a daemon
 * that answers GETXATTR at all gets one (security.capability) before every
 * write and truncate from the kernel.
 */
struct shmfs_ioc_nopen {
	char name[256];	 /* in: file name, NUL-terminated */
	uint32_t nopen; /* out */
};
#define SHMFS_IOC_NOPEN _IOWR('S', 4, struct shmfs_ioc_nopen)

/*
 * On the root directory: what a user owns on the mount, anonymous objects
 * included, and the per-user limits (user_size=, user_nr_objects=;
 * UINT64_MAX for none).  Anyone may ask about themselves, root about
 * anyone; EPERM otherwise.
 */
struct shmfs_ioc_usage {
	uint32_t uid; /* in */
	uint32_t reserved;
	uint64_t bytes;	  /* out: bytes promised (whole pages) */
	uint64_t objects; /* out */
	uint64_t limit_bytes, limit_objects; /* out */
};
#define SHMFS_IOC_USAGE _IOWR('S', 5, struct shmfs_ioc_usage)

/*
 * On the root directory: how the mount works (shmfsctl info).
 * SHMFS_INFO_PASSTHROUGH: opens hand the objects' memfds to the kernel, so
 * mappings (and reads of read-only descriptors) bypass the daemon.
 */
struct shmfs_ioc_info {
	uint32_t flags; /* out */
};
#define SHMFS_INFO_PASSTHROUGH (UINT32_C(1) << 0)
#define SHMFS_IOC_INFO _IOR('S', 6, struct shmfs_ioc_info)

#endif
