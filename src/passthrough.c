/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * passthrough.c: FUSE passthrough (see passthrough.h).  Without a libfuse
 * that has it (3.17), every function here says no or does nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
#include <linux/fuse.h> /* FUSE_DEV_IOC_BACKING_CLOSE */
#endif

#include "passthrough.h"

/*
 * With passthrough, every open of an object hands the kernel its memfd (the
 * kernel refuses to mix passthrough and cached opens of one inode), under
 * one backing id per object, registered at its first open and closed at its
 * last release: a second backing file for the same inode would be refused.
 * Called with the lock held; 0 or an errno.
 */
int shmfs_passthrough_attach_locked(struct shmfs_fs *fs, fuse_req_t req,
				     struct shmfs_obj *obj)
{
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	int err, id;

	if (!fs->passthrough || obj->backing_id)
		return 0;
	err = shmfs_obj_memfd(obj);
	if (err)
		return err;
	errno = 0;
	id = fuse_passthrough_open(req, obj->memfd);
	if (id <= 0)
		return errno ? errno : EIO;
	obj->backing_id = id;
#endif
	return 0;
}

/*
 * When the last handle goes (or the first open fails): the kernel holds its
 * own reference while it needs the file.  The caller says it is the last.
 */
void shmfs_passthrough_detach_locked(struct shmfs_fs *fs, struct shmfs_obj *obj)
{
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	int id = obj->backing_id;

	if (!id)
		return;
	/* Not fuse_passthrough_close(): a request whose reply failed is gone. */
	ioctl(fuse_session_fd(fs->se), FUSE_DEV_IOC_BACKING_CLOSE, &id);
	obj->backing_id = 0;
#endif
}

/*
 * Read-only opens pass through all the way.  Writable ones keep read and
 * write in the daemon (FOPEN_DIRECT_IO; their mappings still go to the
 * memfd): a passthrough write past the end would grow the memfd unseen,
 * past size= and past the no-grow rule of shm descriptors.
 */
void shmfs_passthrough_open_flags(struct fuse_file_info *fi, const struct shmfs_obj *obj,
				   const struct shmfs_handle *h)
{
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	fi->backing_id = obj->backing_id;
	fi->keep_cache = 0; /* no page cache to keep, and the kernel refuses the flag */
	fi->direct_io = h->writable;
#endif
}

/* Why passthrough cannot be had before the kernel is asked, or NULL. */
const char *shmfs_passthrough_unavailable(void)
{
#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	/* Registering a backing file needs CAP_SYS_ADMIN (21). */
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	if (f)
		fclose(f);
	return caps & (1ULL << 21) ? NULL : "the daemon lacks CAP_SYS_ADMIN";
#else
	return "this shmfs was built against a libfuse without passthrough (3.17 has it)";
#endif
}

/* Decides the data path once the kernel said what it offers, and says which. */
void shmfs_passthrough_init(struct shmfs_fs *fs, struct fuse_conn_info *conn)
{
	const char *why = fs->passthrough_want == SHMFS_PASSTHROUGH_OFF ? "passthrough=off"
									 : shmfs_passthrough_unavailable();

#ifdef HAVE_FUSE_PASSTHROUGH_OPEN
	if (!why && !(conn->capable & FUSE_CAP_PASSTHROUGH))
		why = "the kernel does not offer FUSE passthrough (Linux 6.9 or later, "
		      "CONFIG_FUSE_PASSTHROUGH)";
	if (!why) {
		conn->want |= FUSE_CAP_PASSTHROUGH;
		fs->passthrough = true;
	}
#endif
	if (fs->passthrough)
		fuse_log(FUSE_LOG_NOTICE, "shmfs: data path: passthrough\n");
	else
		fuse_log(FUSE_LOG_NOTICE, "shmfs: data path: the daemon (%s)\n", why);
	if (!fs->passthrough && fs->passthrough_want == SHMFS_PASSTHROUGH_ON) {
		fuse_log(FUSE_LOG_ERR, "shmfs: passthrough=on, but %s\n", why);
		fs->failed = true;
		fuse_session_exit(fs->se);
	}
}
