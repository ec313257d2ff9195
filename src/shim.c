/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shim.c: libshmfs, FreeBSD's POSIX shared-memory calls on a shmfs mount.
 *
 * shm_open, shm_unlink, shm_rename, SHM_ANON and memfd_create check their
 * arguments in the order shm_open(3) and shm_rename(3) give under ERRORS,
 * encode the name with the codec (codec.h) and do the work with ordinary
 * system calls on the mount named by $SHMFS_MOUNT (default /dev/shmfs,
 * common.h); the daemon enforces permissions and atomicity.  The write
 * family is wrapped too: a shm descriptor never grows and a write at its
 * end must return 0, which a FUSE daemon cannot answer (the kernel turns a
 * zero-byte WRITE reply into EIO), so the daemon answers EFBIG and the
 * wrappers turn that into 0.  The kernel refuses F_ADD_SEALS
 * and F_GET_SEALS on FUSE files, so fcntl is wrapped to ask the daemon, and
 * mmap to refuse writable shared mappings of write-sealed objects.  syscall
 * is wrapped for SYS_memfd_create, and glibc's named semaphores (sem_open,
 * sem_close, sem_unlink) are objects on the mount too.
 *
 * Sections: real symbols, reading names safely, the mount, the shm calls,
 * named semaphores, the write wrappers, seals.  Which symbols are exported, under which versions:
 * libshmfs.map.  The library works preloaded or linked; every entry point
 * may be called before its constructors ran and from any thread.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "shmfs.h"
#include "codec.h"
#include "common.h"
#include "proto.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_FUSE_MAGIC 0x65735546
#define SHIM_OPEN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC)
#define SHIM_MFD_FLAGS \
	(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC)
#define SHIM_MEMFD_NAME_MAX 249 /* NAME_MAX minus Linux's "memfd:" */
#define SHIM_ANON_TRIES 64
#define SHIM_EXCHANGE_TRIES 1000

/* ---- Real symbols ------------------------------------------------------- */

/*
 * syscall() itself is wrapped (memfds made through SYS_memfd_create), so
 * the library's own raw system calls cannot go through it: they are made
 * here, by instruction, on the architectures where syscall is wrapped.
 */
#if defined(__x86_64__) || defined(__aarch64__)
#define SHIM_WRAP_SYSCALL 1

static long shim_raw_syscall(long nr, long a, long b, long c, long d, long e,
			     long f)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
#else
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	long ret;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	ret = x0;
#endif
	if ((unsigned long)ret > -4096UL) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

/* Takes up to six arguments as longs: syscall()'s own convention. */
#define SHIM_SYSCALL_N(nr, a, b, c, d, e, f, ...)                   \
	shim_raw_syscall((nr), (long)(a), (long)(b), (long)(c), (long)(d), \
			 (long)(e), (long)(f))
#define shim_syscall(...) SHIM_SYSCALL_N(__VA_ARGS__, 0, 0, 0, 0, 0, 0)

/* syscall()'s six arguments, read as longs whatever the call passed. */
#define SHIM_SYSCALL_ARGS(nr, a)                     \
	do {                                         \
		va_list ap;                          \
                                                     \
		va_start(ap, nr);                    \
		for (int i = 0; i < 6; i++)          \
			(a)[i] = va_arg(ap, long);   \
		va_end(ap);                          \
	} while (0)

static long shim_sys_syscall(long nr, ...)
{
	long a[6];

	SHIM_SYSCALL_ARGS(nr, a);
	return shim_raw_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#else
#define SHIM_WRAP_SYSCALL 0
#define shim_syscall syscall
#endif

/*
 * The wrapped glibc functions, found with dlsym(RTLD_NEXT) on first use.
 * They start as raw system calls so that a write made while dlsym itself
 * runs (a malloc or dlsym hook that logs, say) still works instead of
 * deadlocking in pthread_once; the raw calls also stay in place if libc is
 * not after us in the lookup order.
 */
static ssize_t shim_sys_write(int fd, const void *buf, size_t n)
{
	return shim_syscall(SYS_write, fd, buf, n);
}

static ssize_t shim_sys_writev(int fd, const struct iovec *iov, int cnt)
{
	return shim_syscall(SYS_writev, fd, iov, cnt);
}

static ssize_t shim_sys_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return shim_syscall(SYS_pwrite64, fd, buf, n, off);
}

static ssize_t shim_sys_pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	return shim_syscall(SYS_pwrite64, fd, buf, n, off);
}

/* pwritev's offset travels as two longs; on 64-bit the high one is unused. */
static ssize_t shim_sys_pwritev64v2(int fd, const struct iovec *iov, int cnt,
				    off64_t off, int flags)
{
	unsigned long long pos = (unsigned long long)off;

	return shim_syscall(SYS_pwritev2, fd, iov, cnt, (unsigned long)pos,
		       (unsigned long)(pos >> (sizeof(long) * 4) >>
				       (sizeof(long) * 4)),
		       flags);
}

static ssize_t shim_sys_pwritev(int fd, const struct iovec *iov, int cnt,
				off_t off)
{
	return shim_sys_pwritev64v2(fd, iov, cnt, off, 0);
}

static ssize_t shim_sys_pwritev64(int fd, const struct iovec *iov, int cnt,
				  off64_t off)
{
	return shim_sys_pwritev64v2(fd, iov, cnt, off, 0);
}

static ssize_t shim_sys_pwritev2(int fd, const struct iovec *iov, int cnt,
				 off_t off, int flags)
{
	return shim_sys_pwritev64v2(fd, iov, cnt, off, flags);
}

static int shim_sys_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (int)shim_syscall(SYS_fcntl, fd, cmd, arg);
}

static void *shim_sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
			   off_t off)
{
	return (void *)shim_syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static struct {
	__typeof__(fcntl) *fcntl;
	__typeof__(fcntl64) *fcntl64;
	__typeof__(mmap) *mmap;
	__typeof__(mmap64) *mmap64;
	__typeof__(write) *write;
	__typeof__(writev) *writev;
	__typeof__(pwrite) *pwrite;
	__typeof__(pwrite64) *pwrite64;
	__typeof__(pwritev) *pwritev;
	__typeof__(pwritev64) *pwritev64;
	__typeof__(pwritev2) *pwritev2;
	__typeof__(pwritev64v2) *pwritev64v2;
	__typeof__(sem_close) *sem_close; /* NULL until found */
#if SHIM_WRAP_SYSCALL
	__typeof__(syscall) *syscall;
#endif
} shim_real = {
	.fcntl = shim_sys_fcntl,
	.fcntl64 = shim_sys_fcntl,
	.mmap = shim_sys_mmap,
	.mmap64 = shim_sys_mmap,
	.write = shim_sys_write,
	.writev = shim_sys_writev,
	.pwrite = shim_sys_pwrite,
	.pwrite64 = shim_sys_pwrite64,
	.pwritev = shim_sys_pwritev,
	.pwritev64 = shim_sys_pwritev64,
	.pwritev2 = shim_sys_pwritev2,
	.pwritev64v2 = shim_sys_pwritev64v2,
#if SHIM_WRAP_SYSCALL
	.syscall = shim_sys_syscall,
#endif
};

static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
static int shim_resolved; /* shim_real is final (release/acquire) */
static __thread int shim_resolving __attribute__((tls_model("initial-exec")));

#define SHIM_RESOLVE(name)                                        \
	do {                                                      \
		void *sym = dlsym(RTLD_NEXT, #name);              \
		if (sym)                                          \
			shim_real.name = (__typeof__(name) *)sym; \
	} while (0)

static void shim_resolve_once(void)
{
	int saved = errno;

	shim_resolving = 1;
	SHIM_RESOLVE(fcntl);
	SHIM_RESOLVE(fcntl64);
	SHIM_RESOLVE(mmap);
	SHIM_RESOLVE(mmap64);
	SHIM_RESOLVE(write);
	SHIM_RESOLVE(writev);
	SHIM_RESOLVE(pwrite);
	SHIM_RESOLVE(pwrite64);
	SHIM_RESOLVE(pwritev);
	SHIM_RESOLVE(pwritev64);
	SHIM_RESOLVE(pwritev2);
	SHIM_RESOLVE(pwritev64v2);
	SHIM_RESOLVE(sem_close);
#if SHIM_WRAP_SYSCALL
	SHIM_RESOLVE(syscall);
#endif
	shim_resolving = 0;
	__atomic_store_n(&shim_resolved, 1, __ATOMIC_RELEASE);
	errno = saved;
}

/* One load and a predicted branch once resolved. */
static inline void shim_resolve(void)
{
	if (__builtin_expect(!__atomic_load_n(&shim_resolved, __ATOMIC_ACQUIRE),
			     0) &&
	    !shim_resolving)
		pthread_once(&shim_once, shim_resolve_once);
}

/* ---- Reading names safely ----------------------------------------------- */

/*
 * Copies len bytes at addr, which lie within one 4 KiB-aligned block and so
 * within one page, into buf.  A bad pointer must give EFAULT, not SIGSEGV:
 * process_vm_readv on ourselves reports it, costs one system call and is
 * thread-safe.  Where it is forbidden (seccomp, an old kernel) a pipe write
 * reports EFAULT just as well.  Returns 0 or an errno.
 */
static int shim_peek_pipe(void *buf, const void *addr, size_t len)
{
	int p[2], err = 0;

	if (pipe2(p, O_CLOEXEC) != 0)
		return errno;
	if (shim_syscall(SYS_write, p[1], addr, len) != (long)len)
		err = EFAULT;
	else if (read(p[0], buf, len) != (ssize_t)len)
		err = EIO;
	close(p[0]);
	close(p[1]);
	return err;
}

static int shim_peek(void *buf, const void *addr, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (n >= 0 || errno == EFAULT)
		return EFAULT;
	return shim_peek_pipe(buf, addr, len);
}

/*
 * Copies the string at src into buf, reading no page past the one holding
 * its NUL.  Returns its length, -EFAULT, or -ENAMETOOLONG when the first
 * size bytes hold no NUL.
 */
static ssize_t shim_copy_str(const char *src, char *buf, size_t size)
{
	size_t done = 0;

	if (!src)
		return -EFAULT;
	while (done < size) {
		uintptr_t addr = (uintptr_t)src + done;
		size_t chunk = 4096 - (addr & 4095);
		char *nul;

		if (chunk > size - done)
			chunk = size - done;
		if (shim_peek(buf + done, (const void *)addr, chunk) != 0)
			return -EFAULT;
		nul = memchr(buf + done, '\0', chunk);
		if (nul)
			return nul - buf;
		done += chunk;
	}
	return -ENAMETOOLONG;
}

struct shim_name {
	char name[SHMFS_NAME_MAX + 1]; /* the shm name, copied */
	size_t len;
	char file[SHMFS_FILE_NAME_MAX + 1]; /* its file name on the mount */
};

/*
 * The name checks of shm_open(3), ERRORS, in order: EFAULT, ENAMETOOLONG (more
 * than 1023 bytes, before the slash check), EINVAL (no leading slash), then
 * ENAMETOOLONG if the file name would not fit.  Returns 0 or an errno.
 */
static int shim_name_parse(const char *name, struct shim_name *n)
{
	ssize_t len = shim_copy_str(name, n->name, sizeof(n->name));

	if (len < 0)
		return (int)-len;
	n->len = (size_t)len;
	return shmfs_shm_name_file(n->name, n->len, n->file, sizeof(n->file));
}

/* ---- The mount ---------------------------------------------------------- */

/*
 * Opens dir (O_PATH, no FUSE request) if it is the root of a shmfs mount,
 * which the probe entry proves; the kernel caches the probe, so this costs
 * no round trip.  Working relative to this descriptor guarantees that the
 * directory checked is the one used.  Returns the descriptor, -ENOTCONN if
 * dir is a mount whose daemon is gone, or -ENOSYS if dir is missing,
 * unreachable or not shmfs (glibc's shm_open said ENOSYS
 * when no shm filesystem was mounted), or the errno of running out of
 * descriptors or memory.  *dev, if wanted, gets the mount's device.
 */
static int shim_mount_open(const char *dir, dev_t *dev)
{
	struct stat st;
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return errno == EMFILE || errno == ENFILE || errno == ENOMEM ?
			       -errno :
			       -ENOSYS;
	if (shmfs_probe(dfd, &st) != SHMFS_PROBE_OK) {
		/*
		 * A FUSE mount whose daemon died: say so, as every later call
		 * would once the probe is cached, rather than "no shmfs".
		 */
		int err = errno == ENOTCONN ? -ENOTCONN : -ENOSYS;

		close(dfd);
		return err;
	}
	if (dev)
		*dev = st.st_dev;
	return dfd;
}

/*
 * The device of $SHMFS_MOUNT as last found, so that the fcntl wrapper can
 * tell a shmfs descriptor from an fstat alone: 0 until looked for,
 * SHIM_NO_DEV if it was not a shmfs mount then.  Every call that opens the
 * mount refreshes it (a restarted daemon has a new device).
 */
#define SHIM_NO_DEV ((dev_t)-1)
static dev_t shim_mount_dev;

static int shim_mount_open_default(dev_t *dev)
{
	dev_t d = 0;
	int dfd = shim_mount_open(shmfs_mount_path(true), &d);

	if (dfd >= 0 || dfd == -ENOSYS || dfd == -ENOTCONN)
		__atomic_store_n(&shim_mount_dev, dfd >= 0 ? d : SHIM_NO_DEV,
				 __ATOMIC_RELAXED);
	if (dev)
		*dev = d;
	return dfd;
}

/* ---- The shm calls ------------------------------------------------------ */

/* Sets errno from a negative result, restores the caller's on success. */
static int shim_return(int r, int saved)
{
	if (r < 0) {
		errno = -r;
		return -1;
	}
	errno = saved;
	return r;
}

static unsigned long shim_anon_seq;

/*
 * Creates an anonymous object: the daemon recognises the prefix and never
 * links the file into the namespace, so no crash of ours can leave a name
 * behind.  The pid and a counter make the name unique for the kernel's
 * lookup; EEXIST (a stale entry, a pid reused in another pid namespace)
 * only means trying the next one.  tag is for debugging (/proc/PID/fd).
 */
static int shim_create_anon(const char *prefix, const char *tag, int flags,
			    mode_t mode)
{
	char file[SHMFS_FILE_NAME_MAX + 1];
	int dfd = shim_mount_open_default(NULL), fd = -EEXIST;

	if (dfd < 0)
		return dfd;
	for (int i = 0; i < SHIM_ANON_TRIES && fd == -EEXIST; i++) {
		unsigned long seq =
			__atomic_add_fetch(&shim_anon_seq, 1, __ATOMIC_RELAXED);

		/* Truncating a long tag is fine: it is only a label. */
		snprintf(file, sizeof(file), "%s.%ld.%lu%s%s", prefix,
			 (long)getpid(), seq, *tag ? "." : "", tag);
		fd = openat(dfd, file, flags | O_CREAT | O_EXCL, mode);
		if (fd < 0)
			fd = -errno;
	}
	close(dfd);
	return fd;
}

static int shim_do_open(const char *name, int oflag, mode_t mode)
{
	struct shim_name n;
	int acc = oflag & O_ACCMODE, flags, dfd, fd, err;

	if ((acc != O_RDONLY && acc != O_RDWR) || (oflag & ~SHIM_OPEN_FLAGS))
		return -EINVAL;
	if (name == SHM_ANON) {
		if (acc == O_RDONLY)
			return -EINVAL;
		/* Created born no-grow by the daemon: no ioctl needed. */
		return shim_create_anon(SHMFS_ANON_PREFIX, "",
					O_RDWR | O_CLOEXEC, mode & 0777);
	}
	err = shim_name_parse(name, &n);
	if (err)
		return -err;
	dfd = shim_mount_open_default(NULL);
	if (dfd < 0)
		return dfd;
	/*
	 * Linux would truncate on O_RDONLY|O_TRUNC, FreeBSD ignores it.  The
	 * kernel applies the umask on create; the daemon keeps mode & 0777 and
	 * lets the creating open through whatever the mode.
	 */
	flags = acc | O_CLOEXEC | (oflag & (O_CREAT | O_EXCL));
	if (acc == O_RDWR)
		flags |= oflag & O_TRUNC;
	/* Opened as a shm descriptor (no growth on write) in the same request. */
	fd = openat(dfd, n.file, flags | SHMFS_OPEN_NOGROW, mode & 0777);
	if (fd < 0)
		fd = -errno;
	close(dfd);
	return fd;
}

static int shim_do_unlink(const char *name)
{
	struct shim_name n;
	int err = shim_name_parse(name, &n), dfd;

	if (err)
		return -err;
	dfd = shim_mount_open_default(NULL);
	if (dfd < 0)
		return dfd;
	err = unlinkat(dfd, n.file, 0) != 0 ? -errno : 0;
	close(dfd);
	return err;
}

/*
 * FreeBSD's exchange onto a missing target is a plain move, where Linux says
 * ENOENT.  A failed exchange is therefore retried as a no-replace move, and
 * if the target appeared in between, as an exchange again: each attempt is
 * atomic in the daemon, so no observer ever sees a name missing that FreeBSD
 * would show.  Only a target created and removed in lock step with us
 * thousands of times in a row ends the loop, with EAGAIN.
 */
static int shim_rename_exchange(int dfd, const char *from, const char *to)
{
	for (int i = 0; i < SHIM_EXCHANGE_TRIES; i++) {
		if (renameat2(dfd, from, dfd, to, RENAME_EXCHANGE) == 0)
			return 0;
		if (errno != ENOENT)
			return -errno;
		/* from missing: ENOENT here too (the VFS checks it first). */
		if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EAGAIN;
}

static int shim_do_rename(const char *from, const char *to, int flags)
{
	struct shim_name f, t;
	int err, dfd;

	if ((flags & ~(SHM_RENAME_NOREPLACE | SHM_RENAME_EXCHANGE)) ||
	    flags == (SHM_RENAME_NOREPLACE | SHM_RENAME_EXCHANGE))
		return -EINVAL;
	if (from == SHM_ANON || to == SHM_ANON)
		return -EINVAL;
	err = shim_name_parse(from, &f);
	if (!err)
		err = shim_name_parse(to, &t);
	if (err)
		return -err;
	if (f.len == t.len && memcmp(f.name, t.name, f.len) == 0)
		return 0;
	dfd = shim_mount_open_default(NULL);
	if (dfd < 0)
		return dfd;
	if (flags == SHM_RENAME_EXCHANGE)
		err = shim_rename_exchange(dfd, f.file, t.file);
	else if (renameat2(dfd, f.file, dfd, t.file,
			   flags == SHM_RENAME_NOREPLACE ? RENAME_NOREPLACE :
							   0) != 0)
		err = -errno;
	close(dfd);
	return err;
}

static int shim_do_memfd(const char *name, unsigned int flags)
{
	char tag[SHIM_MEMFD_NAME_MAX + 1];
	ssize_t len;
	int fd;

	/* FreeBSD's order: the name, then the flags. */
	if (!name)
		return -EBADF;
	len = shim_copy_str(name, tag, sizeof(tag));
	if (len < 0)
		return len == -EFAULT ? -EFAULT : -EINVAL;
	/*
	 * MFD_EXEC asks for an executable memfd; shmfs's have mode 0 and
	 * cannot be one, and EINVAL is what kernels before 6.3 say, after
	 * which programs retry without it.  With MFD_NOEXEC_SEAL: EINVAL on
	 * Linux too.
	 */
	if ((flags & ~SHIM_MFD_FLAGS) || (flags & MFD_EXEC))
		return -EINVAL;
	if (flags & MFD_HUGETLB)
		return -ENOSYS;
	/* Linux's MFD_NOEXEC_SEAL: sealable, not executable, F_SEAL_EXEC set. */
	if (flags & MFD_NOEXEC_SEAL)
		flags |= MFD_ALLOW_SEALING;
	/* The tag becomes part of a file name, where '/' cannot appear. */
	for (char *p = tag; *p; p++)
		if (*p == '/')
			*p = '_';
	fd = shim_create_anon(flags & MFD_ALLOW_SEALING ? SHMFS_SEALABLE_PREFIX :
							  SHMFS_MEMFD_PREFIX,
			      tag, O_RDWR | (flags & MFD_CLOEXEC ? O_CLOEXEC : 0),
			      0);
	if (fd >= 0 && (flags & MFD_NOEXEC_SEAL)) {
		uint32_t seals = F_SEAL_EXEC;

		if (ioctl(fd, SHMFS_IOC_ADD_SEALS, &seals) != 0) {
			int err = errno;

			close(fd);
			return -err;
		}
	}
	return fd;
}

/*
 * SHMFS_NATIVE_MEMFD=1 makes memfd_create the kernel's own, for programs
 * that hand memfds to processes without the shim (a compositor, say),
 * which would see F_GET_SEALS fail on a shmfs descriptor.
 */
static bool shim_native_memfd(void)
{
	const char *v = secure_getenv("SHMFS_NATIVE_MEMFD");

	return v && *v && strcmp(v, "0") != 0;
}

/*
 * The exported entry points.  shm_open and shm_unlink exist in glibc under
 * two versions (GLIBC_2.34 in libc proper, GLIBC_2.2.5 for binaries linked
 * with the old librt); a preloaded library must define both or old binaries
 * bypass it.
 */
extern __typeof__(shm_open) shim_shm_open_2_34 SHIM_EXPORT;
extern __typeof__(shm_open) shim_shm_open_2_2_5 SHIM_EXPORT;
extern __typeof__(shm_unlink) shim_shm_unlink_2_34 SHIM_EXPORT;
extern __typeof__(shm_unlink) shim_shm_unlink_2_2_5 SHIM_EXPORT;

int shim_shm_open_2_34(const char *name, int oflag, mode_t mode)
{
	int saved = errno;

	return shim_return(shim_do_open(name, oflag, mode), saved);
}

int shim_shm_unlink_2_34(const char *name)
{
	int saved = errno;

	return shim_return(shim_do_unlink(name), saved);
}

#define SHIM_ALIAS(target) __attribute__((alias(#target)))
extern __typeof__(shm_open) shim_shm_open_2_2_5 SHIM_ALIAS(shim_shm_open_2_34);
extern __typeof__(shm_unlink)
	shim_shm_unlink_2_2_5 SHIM_ALIAS(shim_shm_unlink_2_34);
__asm__(".symver shim_shm_open_2_34, shm_open@@GLIBC_2.34");
__asm__(".symver shim_shm_open_2_2_5, shm_open@GLIBC_2.2.5");
__asm__(".symver shim_shm_unlink_2_34, shm_unlink@@GLIBC_2.34");
__asm__(".symver shim_shm_unlink_2_2_5, shm_unlink@GLIBC_2.2.5");

SHIM_EXPORT int shm_rename(const char *from, const char *to, int flags)
{
	int saved = errno;

	return shim_return(shim_do_rename(from, to, flags), saved);
}

static int shim_memfd_create(const char *name, unsigned int flags)
{
	int saved = errno;

	if (shim_native_memfd())
		return (int)shim_syscall(SYS_memfd_create, name, flags);
	return shim_return(shim_do_memfd(name, flags), saved);
}

SHIM_EXPORT int memfd_create(const char *name, unsigned int flags)
{
	return shim_memfd_create(name, flags);
}

#if SHIM_WRAP_SYSCALL
/*
 * syscall(SYS_memfd_create, ...) is how programs whose libc predates
 * memfd_create() make memfds (Chromium's only way).  Every other number
 * goes to the real syscall() with six longs, which is what it reads
 * whatever the call: one compare on that path.
 */
SHIM_EXPORT long syscall(long nr, ...)
{
	long a[6];

	SHIM_SYSCALL_ARGS(nr, a);
	if (__builtin_expect(nr == SYS_memfd_create, 0))
		return shim_memfd_create((const char *)a[0], (unsigned int)a[1]);
	shim_resolve();
	return shim_real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif

/* ---- Named semaphores --------------------------------------------------- */

/*
 * sem_open("/foo") is the object "/sem.foo", whose file is sem.foo, the
 * name glibc gives it in /dev/shm: ls, shmfsctl and a shmfs mounted on
 * /dev/shm see the same names.  The object holds a process-shared sem_t.
 * A new one is made under a hidden name, initialised and only then renamed
 * into place without replacing, so no process ever opens a half-made one.
 */
#define SHIM_SEM_PREFIX "sem."
#define SHIM_SEM_TMP_PREFIX ".sem-new."

/*
 * A process maps each semaphore once, as glibc does: opening it again
 * returns the same address, and sem_close() unmaps at the last close.
 */
struct shim_sem {
	struct shim_sem *next;
	dev_t dev;
	ino_t ino;
	sem_t *sem;
	unsigned long refs;
};

static struct shim_sem *shim_sems;
static pthread_mutex_t shim_sems_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * glibc's name rule: leading slashes are skipped, and the rest must be
 * non-empty, hold no '/' and be at most NAME_MAX bytes (else EINVAL); a
 * file name longer than NAME_MAX is ENAMETOOLONG.  Returns 0 or an errno.
 */
static int shim_sem_name(const char *name, char *file, size_t size)
{
	char shm[1 + sizeof(SHIM_SEM_PREFIX) + NAME_MAX];
	size_t len, pre = strlen(SHIM_SEM_PREFIX);
	int r;

	if (!name)
		return EINVAL;
	while (*name == '/')
		name++;
	len = strnlen(name, NAME_MAX + 1);
	if (len == 0 || len > NAME_MAX || memchr(name, '/', len))
		return EINVAL;
	shm[0] = '/';
	memcpy(shm + 1, SHIM_SEM_PREFIX, pre);
	memcpy(shm + 1 + pre, name, len);
	r = shmfs_name_encode(shm, 1 + pre + len, file, size);
	return r < 0 ? -r : 0;
}

/*
 * Returns the process's mapping of the semaphore open at fd, counting one
 * more reference: the existing one, or fresh if not NULL (a new semaphore,
 * mapped already), or a new mapping.  NULL with errno on failure.
 */
static sem_t *shim_sem_get(int fd, sem_t *fresh)
{
	struct shim_sem *s;
	struct stat st;
	sem_t *sem = NULL;

	if (fstat(fd, &st) != 0)
		return NULL;
	pthread_mutex_lock(&shim_sems_lock);
	for (s = shim_sems; s; s = s->next) {
		if (s->dev == st.st_dev && s->ino == st.st_ino) {
			s->refs++;
			sem = s->sem;
			break;
		}
	}
	if (!sem) {
		sem = fresh;
		if (!sem) {
			sem = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
			if (sem == MAP_FAILED)
				sem = NULL;
		}
		s = sem ? malloc(sizeof(*s)) : NULL;
		if (s) {
			*s = (struct shim_sem){ shim_sems, st.st_dev, st.st_ino,
						sem, 1 };
			shim_sems = s;
		} else if (sem) {
			munmap(sem, sizeof(sem_t));
			sem = NULL;
			errno = ENOMEM;
		}
	} else if (fresh) {
		munmap(fresh, sizeof(sem_t));
	}
	pthread_mutex_unlock(&shim_sems_lock);
	return sem;
}

/*
 * Makes a semaphore of the given mode and value under a hidden name and
 * renames it to file unless that exists.  Returns the mapping, or NULL
 * with errno (EEXIST if file existed).
 */
static sem_t *shim_sem_create(int dfd, const char *file, mode_t mode,
			      unsigned int value)
{
	char tmp[SHMFS_FILE_NAME_MAX + 1];
	sem_t *sem = NULL, *res = NULL;
	int fd = -1, err = 0;

	for (int i = 0; i < SHIM_ANON_TRIES && fd < 0; i++) {
		snprintf(tmp, sizeof(tmp), SHIM_SEM_TMP_PREFIX "%ld.%lu",
			 (long)getpid(),
			 __atomic_add_fetch(&shim_anon_seq, 1, __ATOMIC_RELAXED));
		fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
				      O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			return NULL;
	}
	if (fd < 0) {
		errno = EAGAIN;
		return NULL;
	}
	if (ftruncate(fd, sizeof(sem_t)) != 0)
		goto fail;
	sem = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sem == MAP_FAILED) {
		sem = NULL;
		goto fail;
	}
	if (sem_init(sem, 1, value) != 0)
		goto fail;
	if (renameat2(dfd, tmp, dfd, file, RENAME_NOREPLACE) != 0)
		goto fail;
	res = shim_sem_get(fd, sem);
	err = errno;
	close(fd);
	errno = err;
	return res;
fail:
	err = errno;
	if (sem)
		munmap(sem, sizeof(sem_t));
	unlinkat(dfd, tmp, 0);
	close(fd);
	errno = err;
	return NULL;
}

/* sem_open() without its return convention: the mapping, or NULL and errno. */
static sem_t *shim_do_sem_open(const char *name, int oflag, mode_t mode,
			       unsigned int value)
{
	char file[SHMFS_FILE_NAME_MAX + 1];
	int err = shim_sem_name(name, file, sizeof(file)), dfd, fd;
	sem_t *sem = NULL;

	if (err) {
		errno = err;
		return NULL;
	}
	dfd = shim_mount_open_default(NULL);
	if (dfd < 0) {
		errno = -dfd;
		return NULL;
	}
	/* Open or create, until one wins a race with unlinks and creates. */
	for (int i = 0; i < SHIM_EXCHANGE_TRIES; i++) {
		if (!(oflag & O_CREAT) || !(oflag & O_EXCL)) {
			fd = openat(dfd, file, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0) {
				sem = shim_sem_get(fd, NULL);
				err = errno;
				close(fd);
				goto closed;
			}
			if (!(oflag & O_CREAT) || errno != ENOENT)
				goto done;
		}
		if (value > SEM_VALUE_MAX) {
			errno = EINVAL;
			goto done;
		}
		sem = shim_sem_create(dfd, file, mode, value);
		if (sem || errno != EEXIST || (oflag & O_EXCL))
			goto done;
	}
	errno = EAGAIN;
done:
	err = errno;
closed:
	close(dfd);
	errno = err;
	return sem;
}

static int shim_do_sem_close(sem_t *sem)
{
	struct shim_sem **pp, *s = NULL;

	pthread_mutex_lock(&shim_sems_lock);
	for (pp = &shim_sems; *pp; pp = &(*pp)->next) {
		if ((*pp)->sem == sem) {
			s = *pp;
			if (--s->refs == 0)
				*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&shim_sems_lock);
	if (s) {
		if (s->refs == 0) {
			munmap(sem, sizeof(sem_t));
			free(s);
		}
		return 0;
	}
	/* Not ours: a semaphore glibc made (before the preload, say). */
	shim_resolve();
	if (!shim_real.sem_close)
		return -EINVAL;
	return shim_real.sem_close(sem) == 0 ? 0 : -errno;
}

static int shim_do_sem_unlink(const char *name)
{
	char file[SHMFS_FILE_NAME_MAX + 1];
	int err = shim_sem_name(name, file, sizeof(file)), dfd;

	/* glibc: a name sem_open() would refuse is not there. */
	if (err == EINVAL)
		return -ENOENT;
	if (err)
		return -err;
	dfd = shim_mount_open_default(NULL);
	if (dfd < 0)
		return dfd;
	err = unlinkat(dfd, file, 0) != 0 ? -errno : 0;
	close(dfd);
	return err == -EPERM ? -EACCES : err;
}

/*
 * Exported under both of glibc's versions, as shm_open is.  Declared here
 * rather than with __typeof__: glibc's prototypes say nonnull, which would
 * let the compiler drop the NULL checks.
 */
#define SHIM_SEM_OPEN(f) sem_t *f(const char *name, int oflag, ...)
#define SHIM_SEM_CLOSE(f) int f(sem_t *sem)
#define SHIM_SEM_UNLINK(f) int f(const char *name)
extern SHIM_SEM_OPEN(shim_sem_open_2_34) SHIM_EXPORT;
extern SHIM_SEM_CLOSE(shim_sem_close_2_34) SHIM_EXPORT;
extern SHIM_SEM_UNLINK(shim_sem_unlink_2_34) SHIM_EXPORT;

sem_t *shim_sem_open_2_34(const char *name, int oflag, ...)
{
	int saved = errno, state;
	unsigned int value = 0;
	mode_t mode = 0;
	sem_t *sem;

	if (oflag & O_CREAT) {
		va_list ap;

		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		value = va_arg(ap, unsigned int);
		va_end(ap);
	}
	/* As glibc: no cancellation point may leave a half-made semaphore. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	sem = shim_do_sem_open(name, oflag, mode, value);
	if (sem)
		errno = saved;
	saved = errno;
	pthread_setcancelstate(state, NULL);
	errno = saved;
	return sem ? sem : SEM_FAILED;
}

int shim_sem_close_2_34(sem_t *sem)
{
	int saved = errno;

	return shim_return(shim_do_sem_close(sem), saved);
}

int shim_sem_unlink_2_34(const char *name)
{
	int saved = errno;

	return shim_return(shim_do_sem_unlink(name), saved);
}

extern SHIM_SEM_OPEN(shim_sem_open_2_2_5) SHIM_EXPORT SHIM_ALIAS(shim_sem_open_2_34);
extern SHIM_SEM_CLOSE(shim_sem_close_2_2_5) SHIM_EXPORT SHIM_ALIAS(shim_sem_close_2_34);
extern SHIM_SEM_UNLINK(shim_sem_unlink_2_2_5) SHIM_EXPORT SHIM_ALIAS(shim_sem_unlink_2_34);
__asm__(".symver shim_sem_open_2_34, sem_open@@GLIBC_2.34");
__asm__(".symver shim_sem_open_2_2_5, sem_open@GLIBC_2.2.5");
__asm__(".symver shim_sem_close_2_34, sem_close@@GLIBC_2.34");
__asm__(".symver shim_sem_close_2_2_5, sem_close@GLIBC_2.2.5");
__asm__(".symver shim_sem_unlink_2_34, sem_unlink@@GLIBC_2.34");
__asm__(".symver shim_sem_unlink_2_2_5, sem_unlink@GLIBC_2.2.5");

/* ---- The write wrappers ------------------------------------------------- */

/*
 * Decides whether a write's EFBIG is shmfs saying "a shm descriptor does not
 * grow" (then the write returns 0, as on FreeBSD) rather than the kernel's
 * own EFBIG for RLIMIT_FSIZE.  pos is where the write started, -1 for the
 * file position.  Runs only on that error path, so its cost does not matter.
 */
static bool shim_efbig_is_shm(int fd, off64_t pos)
{
	char link[64], path[PATH_MAX + 16], *slash;
	struct rlimit rl;
	struct statfs sf;
	struct stat st;
	dev_t dev;
	ssize_t n;
	int dfd;

	/* The kernel refuses writes starting at or past the limit itself. */
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		if (pos < 0)
			pos = lseek64(fd, 0, SEEK_CUR);
		if (pos < 0 ||
		    (unsigned long long)pos >= (unsigned long long)rl.rlim_cur)
			return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	dfd = shim_mount_open_default(&dev);
	if (dfd >= 0) {
		close(dfd);
		if (dev == st.st_dev)
			return true;
	}
	/*
	 * A descriptor from another mount ($SHMFS_MOUNT changed, or it was
	 * inherited): objects live in the mount's root directory, so the
	 * directory of its path is the mount to probe.
	 */
	if (fstatfs(fd, &sf) != 0 || sf.f_type != SHIM_FUSE_MAGIC)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return false;
	path[n] = '\0';
	/* An unlinked file shows as "name (deleted)": still after the slash. */
	slash = strrchr(path, '/');
	if (!slash)
		return false;
	if (slash == path)
		slash++;
	*slash = '\0';
	dfd = shim_mount_open(path, &dev);
	if (dfd < 0)
		return false;
	close(dfd);
	return dev == st.st_dev;
}

static ssize_t shim_efbig(int fd, off64_t pos, int saved)
{
	if (shim_efbig_is_shm(fd, pos)) {
		errno = saved;
		return 0;
	}
	errno = EFBIG;
	return -1;
}

/* Success costs one predicted branch. */
static inline ssize_t shim_write_result(ssize_t n, int fd, off64_t pos,
					int saved)
{
	if (__builtin_expect(n < 0, 0) && errno == EFBIG)
		return shim_efbig(fd, pos, saved);
	return n;
}

/*
 * A wrapper's body: the real function with the arguments that follow pos,
 * where the write starts (-1: the file position).
 */
#define SHIM_WRITE_BODY(real, pos, ...)                   \
	int saved = errno;                                \
	ssize_t n;                                        \
                                                          \
	shim_resolve();                                   \
	n = shim_real.real(__VA_ARGS__);                  \
	return shim_write_result(n, fd, pos, saved)

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	SHIM_WRITE_BODY(write, -1, fd, buf, count);
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	SHIM_WRITE_BODY(writev, -1, fd, iov, cnt);
}

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	SHIM_WRITE_BODY(pwrite, off, fd, buf, count, off);
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t off)
{
	SHIM_WRITE_BODY(pwrite64, off, fd, buf, count, off);
}

SHIM_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	SHIM_WRITE_BODY(pwritev, off, fd, iov, cnt, off);
}

SHIM_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt,
			      off64_t off)
{
	SHIM_WRITE_BODY(pwritev64, off, fd, iov, cnt, off);
}

SHIM_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt,
			     off_t off, int flags)
{
	SHIM_WRITE_BODY(pwritev2, off, fd, iov, cnt, off, flags);
}

SHIM_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt,
				off64_t off, int flags)
{
	SHIM_WRITE_BODY(pwritev64v2, off, fd, iov, cnt, off, flags);
}

/* ---- Seals --------------------------------------------------------------- */

/*
 * Whether fd may be a shmfs object: a regular file on an anonymous device
 * (FUSE's kind) and, with sealable_only, one whose inode number marks it
 * sealable (proto.h).  The seal ioctls then tell: the daemon of any other
 * filesystem answers ENOTTY.
 */
static bool shim_maybe_shmfs(int fd, bool sealable_only)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && major(st.st_dev) == 0 &&
	       (!sealable_only || (st.st_ino & SHMFS_INO_SEALABLE));
}

/*
 * Whether the seal commands on fd are for the daemon, from one fstat: a
 * sealable shmfs object (its inode number says so, whatever mount it is
 * on) or any object of $SHMFS_MOUNT (whose device is cached).  Native
 * memfds, other files and non-files go straight to the real fcntl, with
 * no ioctl.
 */
static bool shim_seals_for_daemon(int fd)
{
	struct stat st;
	dev_t dev;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || major(st.st_dev) != 0)
		return false;
	if (st.st_ino & SHMFS_INO_SEALABLE)
		return true;
	dev = __atomic_load_n(&shim_mount_dev, __ATOMIC_RELAXED);
	if (!dev) {
		int dfd = shim_mount_open_default(&dev);

		if (dfd >= 0)
			close(dfd);
		else
			dev = SHIM_NO_DEV;
	}
	return dev != SHIM_NO_DEV && dev == st.st_dev;
}

/*
 * F_GET_SEALS and F_ADD_SEALS on a shmfs object: sets *ret (and errno) as
 * fcntl would and returns true; false, with errno unchanged, for any other
 * descriptor.  Runs only after the kernel refused these two commands.
 */
static bool shim_seals_fcntl(int fd, int cmd, void *arg, int *ret)
{
	uint32_t seals = (uint32_t)(uintptr_t)arg;
	int saved = errno;

	if (!shim_seals_for_daemon(fd)) {
		errno = saved;
		return false;
	}
	if (ioctl(fd, cmd == F_GET_SEALS ? SHMFS_IOC_GET_SEALS : SHMFS_IOC_ADD_SEALS,
		  &seals) != 0) {
		if (errno == ENOTTY) {
			errno = saved;
			return false;
		}
		*ret = -1;
	} else {
		*ret = cmd == F_GET_SEALS ? (int)(seals & ~SHMFS_SEAL_WRITE_PENDING) : 0;
	}
	return true;
}

/*
 * fcntl's third argument is an int or a pointer; both travel in the same
 * register, so taking it as a pointer and passing it on loses nothing.
 * The kernel answers first: it knows its own memfds' seals and says EINVAL
 * for every other file, FUSE's included (EPERM first for F_ADD_SEALS on a
 * read-only descriptor), so only after those is the descriptor looked at.
 * A kernel memfd costs nothing more than fcntl.
 */
#define SHIM_FCNTL_BODY(real)                                                  \
	va_list ap;                                                            \
	void *arg;                                                             \
	int ret;                                                               \
                                                                               \
	va_start(ap, cmd);                                                     \
	arg = va_arg(ap, void *);                                              \
	va_end(ap);                                                            \
	shim_resolve();                                                        \
	ret = shim_real.real(fd, cmd, arg);                                    \
	if (__builtin_expect(ret == -1, 0) &&                                  \
	    (cmd == F_GET_SEALS || cmd == F_ADD_SEALS) &&                      \
	    (errno == EINVAL || (errno == EPERM && cmd == F_ADD_SEALS)))       \
		shim_seals_fcntl(fd, cmd, arg, &ret);                          \
	return ret

SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	SHIM_FCNTL_BODY(fcntl);
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	SHIM_FCNTL_BODY(fcntl64);
}

/*
 * A writable shared mapping of a write-sealed object is refused: true, with
 * errno EACCES (FreeBSD's), or EPERM for F_SEAL_FUTURE_WRITE (Linux's; that
 * seal leaves existing mappings alone).  Costs an fstat, answered from the kernel's attribute
 * cache, for writable shared mappings of files, and nothing for any other
 * mapping.
 */
static bool shim_mmap_refused(int prot, int flags, int fd)
{
	int type = flags & MAP_TYPE, saved = errno;
	uint32_t seals;

	if (__builtin_expect(!(prot & PROT_WRITE) || (flags & MAP_ANONYMOUS) || fd < 0 ||
				     (type != MAP_SHARED && type != MAP_SHARED_VALIDATE),
			     1))
		return false;
	if (shim_maybe_shmfs(fd, true) && ioctl(fd, SHMFS_IOC_GET_SEALS, &seals) == 0 &&
	    (seals & (F_SEAL_WRITE | SHMFS_SEAL_WRITE_PENDING | F_SEAL_FUTURE_WRITE))) {
		errno = seals & (F_SEAL_WRITE | SHMFS_SEAL_WRITE_PENDING) ? EACCES : EPERM;
		return true;
	}
	errno = saved;
	return false;
}

SHIM_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		       off_t off)
{
	if (shim_mmap_refused(prot, flags, fd))
		return MAP_FAILED;
	shim_resolve();
	return shim_real.mmap(addr, len, prot, flags, fd, off);
}

SHIM_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
			 off64_t off)
{
	if (shim_mmap_refused(prot, flags, fd))
		return MAP_FAILED;
	shim_resolve();
	return shim_real.mmap64(addr, len, prot, flags, fd, off);
}
