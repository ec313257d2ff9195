/*
 * mappings.c: the /proc walk behind F_SEAL_WRITE's EBUSY (see mappings.h).
 *
 * /proc/PID/maps names each mapping's device, inode and permissions; a
 * shared mapping shows 's'.  A read-only one may still be made writable if
 * its descriptor was open for writing, which only the "mw" (may write) flag
 * in /proc/PID/smaps tells, so smaps is read just for those.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

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
static bool may_write(const char *procfs, const char *pid, unsigned long start,
		      unsigned long end)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	bool in_entry = false, found = false;
	struct mapping m;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/smaps", procfs, pid);
	f = fopen(path, "re");
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
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	struct mapping m;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/maps", procfs, pid);
	f = fopen(path, "re");
	if (!f)
		return 0; /* gone, or not ours to inspect */
	while (!found && getline(&line, &cap, f) > 0) {
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
