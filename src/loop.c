/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loop.c: the session loop.
 *
 * A FUSE round trip costs ~3 us when the client and the daemon run on one
 * CPU, but 40-60 us when one must wake the other across CPUs (waking an
 * idle CPU is slow, under virtualisation especially), and libfuse's loops
 * leave placement to chance.  Here every CPU gets a worker pinned to it,
 * and all wait in poll() on the device, which wakes them all: the worker
 * on the client's CPU, woken without an interrupt to another CPU, usually
 * reads the request first; the others find nothing and wait again.
 * Measured on 2 CPUs: statfs 3.5-4.5 us against 10-50 us with libfuse's
 * multithreaded loop.  (Polling the device for a while after each request
 * was tried as well, and was slower: it keeps the CPU the client wants.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "loop.h"

#define POLL_MS 500 /* how often a blocked worker looks at the exit flag */

struct worker {
	pthread_t thread;
	struct fuse_session *se;
	int cpu; /* -1: not pinned */
	int result;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct fuse_session *se = w->se;
	struct fuse_buf buf = { .mem = NULL };
	struct pollfd pfd = { .fd = fuse_session_fd(se), .events = POLLIN };

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	while (!fuse_session_exited(se)) {
		int res = fuse_session_receive_buf(se, &buf);

		if (res > 0) {
			fuse_session_process_buf(se, &buf);
			continue;
		}
		/*
		 * Exited or unmounted.  The kernel may also say ECONNABORTED once
		 * the last user of a lazily unmounted mount goes: the end too.
		 */
		if (res == 0 || res == -ENODEV || res == -ECONNABORTED)
			break;
		if (res == -EAGAIN) {
			if (poll(&pfd, 1, POLL_MS) > 0 && (pfd.revents & (POLLERR | POLLHUP)))
				break;
			continue;
		}
		if (res != -EINTR) {
			w->result = res;
			break;
		}
	}
	free(buf.mem);
	/* One worker leaving (unmount, signal) ends them all. */
	fuse_session_exit(se);
	return NULL;
}

int shmfs_session_loop(struct fuse_session *se, unsigned max_workers)
{
	int fd = fuse_session_fd(se), flags = fcntl(fd, F_GETFL), result = 0;
	struct worker *workers;
	unsigned n = 0;
	cpu_set_t allowed;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	workers = calloc(max_workers ? max_workers : 1, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	if (max_workers > 1 && sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
		for (int cpu = 0; cpu < CPU_SETSIZE && n < max_workers; cpu++)
			if (CPU_ISSET(cpu, &allowed))
				workers[n++].cpu = cpu;
	}
	if (n < 2) {
		n = 1;
		workers[0].cpu = -1;
	}
	for (unsigned i = 0; i < n; i++) {
		workers[i].se = se;
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
			result = -EAGAIN;
			fuse_session_exit(se);
			n = i;
			break;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		pthread_join(workers[i].thread, NULL);
		if (!result)
			result = workers[i].result;
	}
	free(workers);
	if (fuse_session_exited(se) && result == -ENODEV)
		result = 0;
	return result;
}
