/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mappings.c: the /proc walk behind F_SEAL_WRITE's EBUSY (see mappings.h).
 *
 * /proc/PID/maps names each mapping's device, inode and permissions; a
 * shared mapping shows 's'.  A read-only one may still be made writable if
 * its descriptor was open for writing, which only the "mw" (may write) flag
 * in /proc/PID/smaps tells, so smaps is read just for those.
 *
 * The timed walk's thread and its caller share a struct walk, freed by
 * whichever lets go last.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "mappings.h"

struct mapping {
	unsigned long start, end;
	char perms[5];
	unsigned major, minor;
	uint64_t ino;
};

/* Parses a maps line, or the header line of an smaps entry. */
static bool parse_mapping(const char *line, struct mapping *m)
{
	return sscanf(line, "%lx-%lx %4s %*x %x:%x %" SCNu64, &m->start, &m->end, m->perms,
		      &m->major, &m->minor, &m->ino) == 6;
}

/* True if smaps shows the mapping at [start, end) with the "mw" flag. */
/*
 * Opens a /proc file for one walker thread.  The stream's lock is left to
 * the caller (no one else ever sees it): a read can block for good on a
 * process whose mm is locked, and glibc's exit() locks every stream, so a
 * stuck walker holding its stream's lock would keep the daemon from exiting.
 */
static FILE *proc_open(const char *path)
{
	FILE *f = fopen(path, "re");

	if (f)
		__fsetlocking(f, FSETLOCKING_BYCALLER);
	return f;
}

static bool may_write(const char *procfs, const char *pid, unsigned long start,
		      unsigned long end)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	bool in_entry = false, found = false;
	struct mapping m;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/smaps", procfs, pid);
	f = proc_open(path);
	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		if (parse_mapping(line, &m)) {
			in_entry = m.start == start && m.end == end;
		} else if (in_entry && strncmp(line, "VmFlags:", 8) == 0) {
			/* Two-letter flags, each preceded by a space. */
			found = strstr(line, " mw") != NULL;
			break;
		}
	}
	free(line);
	fclose(f);
	return found;
}

/* 1 if process pid has such a mapping, else 0 (also when it cannot be read). */
static int process_maps_file(const char *procfs, const char *pid, dev_t dev, uint64_t ino)
{
	char path[PATH_MAX], needle[64], *line = NULL, *hit;
	size_t cap = 0, nlen;
	struct mapping m;
	int found = 0;
	FILE *f;

	/*
	 * The kernel prints " MAJ:MIN INO" as "%02x:%02x %lu": looking for that
	 * first spares sscanf on the many lines (of processes with tens of
	 * thousands of mappings) that cannot match.
	 */
	nlen = (size_t)snprintf(needle, sizeof(needle), " %02x:%02x %" PRIu64,
				major(dev), minor(dev), ino);
	snprintf(path, sizeof(path), "%s/%s/maps", procfs, pid);
	f = proc_open(path);
	if (!f)
		return 0; /* gone, or not ours to inspect */
	while (!found && getline(&line, &cap, f) > 0) {
		hit = strstr(line, needle);
		if (!hit || (hit[nlen] != ' ' && hit[nlen] != '\n' &&
			     hit[nlen] != '\0'))
			continue;
		if (!parse_mapping(line, &m) || m.ino != ino || m.major != major(dev) ||
		    m.minor != minor(dev) || m.perms[3] != 's')
			continue;
		found = m.perms[1] == 'w' || may_write(procfs, pid, m.start, m.end);
	}
	free(line);
	fclose(f);
	return found;
}

int shmfs_find_writable_mapping(const char *procfs, dev_t dev, uint64_t ino)
{
	DIR *d = opendir(procfs);
	struct dirent *de;
	int found = 0;

	if (!d)
		return -errno;
	/* Threads share their process's mappings: the numbered entries suffice. */
	while (!found && (de = readdir(d)) != NULL)
		if (isdigit((unsigned char)de->d_name[0]))
			found = process_maps_file(procfs, de->d_name, dev, ino);
	closedir(d);
	return found;
}

struct walk {
	pthread_mutex_t lock;
	pthread_cond_t done_cond; /* on CLOCK_MONOTONIC */
	int refs;		  /* the walker and the caller */
	bool done;
	int result;
	dev_t dev;
	uint64_t ino;
	char procfs[];
};

static pthread_mutex_t walkers_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned walkers;

/* Small: the walk needs a few path buffers; stuck walkers then cost little. */
#define WALKER_STACK (256 * 1024)

static void walk_put(struct walk *w)
{
	bool last;

	pthread_mutex_lock(&w->lock);
	last = --w->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (!last)
		return;
	pthread_cond_destroy(&w->done_cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void *walk_main(void *arg)
{
	struct walk *w = arg;
	int found = shmfs_find_writable_mapping(w->procfs, w->dev, w->ino);

	/* Uncounted first, so that a caller who sees the answer sees that too. */
	pthread_mutex_lock(&walkers_lock);
	walkers--;
	pthread_mutex_unlock(&walkers_lock);
	pthread_mutex_lock(&w->lock);
	w->result = found;
	w->done = true;
	pthread_cond_signal(&w->done_cond);
	pthread_mutex_unlock(&w->lock);
	walk_put(w);
	return NULL;
}

static struct walk *walk_new(const char *procfs, dev_t dev, uint64_t ino)
{
	size_t len = strlen(procfs);
	struct walk *w = calloc(1, sizeof(*w) + len + 1);
	pthread_condattr_t ca;

	if (!w)
		return NULL;
	memcpy(w->procfs, procfs, len + 1);
	w->dev = dev;
	w->ino = ino;
	w->refs = 2;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->done_cond, &ca);
	pthread_condattr_destroy(&ca);
	return w;
}

/* Starts w's walker, detached; 0 or an errno. */
static int walk_start(struct walk *w)
{
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	pthread_mutex_lock(&walkers_lock);
	if (walkers >= SHMFS_WALKERS_MAX) {
		pthread_mutex_unlock(&walkers_lock);
		return EAGAIN;
	}
	walkers++;
	pthread_mutex_unlock(&walkers_lock);
	err = pthread_attr_init(&attr);
	if (!err) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, WALKER_STACK);
		err = pthread_create(&thread, &attr, walk_main, w);
		pthread_attr_destroy(&attr);
	}
	if (err) {
		pthread_mutex_lock(&walkers_lock);
		walkers--;
		pthread_mutex_unlock(&walkers_lock);
	}
	return err;
}

int shmfs_find_writable_mapping_timed(const char *procfs, dev_t dev,
				      uint64_t ino, unsigned timeout_ms)
{
	struct walk *w = walk_new(procfs, dev, ino);
	struct timespec deadline;
	int err, result;

	if (!w)
		return -ENOMEM;
	err = walk_start(w);
	if (err) {
		w->refs = 1;
		walk_put(w);
		return -err;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	err = 0;
	while (!w->done && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&w->done_cond, &w->lock,
					     &deadline);
	result = w->done ? w->result : -ETIMEDOUT;
	pthread_mutex_unlock(&w->lock);
	walk_put(w);
	return result;
}

unsigned shmfs_mappings_walkers(void)
{
	unsigned n;

	pthread_mutex_lock(&walkers_lock);
	n = walkers;
	pthread_mutex_unlock(&walkers_lock);
	return n;
}
