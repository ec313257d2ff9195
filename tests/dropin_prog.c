/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dropin_prog.c: glibc's own shm_open/shm_unlink and sem_open/sem_unlink,
 * without the shim, on whatever /dev/shm is: tests/dropin.sh runs it with a
 * tmpfs and with shmfs mounted there.  sem_open creates a semaphore as a
 * temporary file and link(2)s it to its name, so it needs hard links.
 * Prints one line per check; exits 0 if all passed, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

/* Names in /dev/shm starting with prefix. */
static int count_files(const char *prefix)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static int wait_ok(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	       WEXITSTATUS(st) == 0;
}

static void test_shm(void)
{
	const char *name = "/dropin.shm";
	struct stat st;
	int fd, fd2;
	char *p;

	shm_unlink(name);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	check(fd >= 0, "shm_open O_CREAT|O_EXCL");
	if (fd < 0)
		return;
	check(stat("/dev/shm/dropin.shm", &st) == 0, "the object is a file in "
						     "/dev/shm");
	check(shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600) == -1 &&
		      errno == EEXIST,
	      "shm_open O_EXCL of an existing name: EEXIST");
	check(ftruncate(fd, 8192) == 0, "ftruncate");
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED, "mmap");
	if (p == MAP_FAILED)
		return;
	strcpy(p + 4096, "dropin");
	fd2 = shm_open(name, O_RDONLY, 0);
	check(fd2 >= 0, "shm_open of the existing name");
	if (fd2 >= 0) {
		char buf[7] = { 0 };

		check(pread(fd2, buf, 6, 4096) == 6 &&
			      strcmp(buf, "dropin") == 0,
		      "another descriptor reads what the mapping wrote");
		close(fd2);
	}
	check(shm_unlink(name) == 0, "shm_unlink");
	check(shm_open(name, O_RDONLY, 0) == -1 && errno == ENOENT, "shm_open "
								    "after "
								    "shm_"
								    "unlink: "
								    "ENOENT");
	check(strcmp(p + 4096, "dropin") == 0, "the mapping outlives the name");
	munmap(p, 8192);
	close(fd);
}

static void test_sem(void)
{
	const char *name = "/dropin.sem";
	struct timespec ts;
	sem_t *s, *s2;
	pid_t pid;
	int v = -1;

	sem_unlink(name);
	s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	check(s != SEM_FAILED, "sem_open O_CREAT|O_EXCL (link(2) of a "
			       "temporary file)");
	if (s == SEM_FAILED) {
		printf("# sem_open: %s\n", strerror(errno));
		return;
	}
	check(access("/dev/shm/sem.dropin.sem", F_OK) == 0, "the semaphore is "
							    "/dev/shm/"
							    "sem.dropin.sem");
	check(count_files("sem.") == 1, "no temporary file is left");
	check(sem_open(name, O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED &&
		      errno == EEXIST,
	      "sem_open O_EXCL of an existing semaphore: EEXIST");
	pid = fork();
	if (pid == 0) {
		sem_t *c = sem_open(name, 0);

		_exit(c != SEM_FAILED && sem_post(c) == 0 ? 0 : 1);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	check(sem_timedwait(s, &ts) == 0, "a post in another process wakes a "
					  "wait");
	check(wait_ok(pid), "the other process opened the semaphore by name");

	/* Two creators at once: one links first, the other opens its semaphore. */
	s2 = sem_open(name, O_CREAT, 0600, 5);
	check(s2 != SEM_FAILED, "sem_open O_CREAT of an existing semaphore");
	if (s2 != SEM_FAILED) {
		check(sem_getvalue(s2, &v) == 0 && v == 0, "it is the same "
							   "semaphore");
		sem_close(s2);
	}
	check(sem_unlink(name) == 0, "sem_unlink");
	check(sem_open(name, 0) == SEM_FAILED && errno == ENOENT, "sem_open "
								  "after "
								  "sem_unlink: "
								  "ENOENT");
	sem_close(s);

	for (int round = 0; round < 20; round++) {
		pid_t kids[4];
		int all = 1;

		sem_unlink("/dropin.race");
		for (int k = 0; k < 4; k++) {
			kids[k] = fork();
			if (kids[k] == 0) {
				sem_t *c = sem_open("/dropin.race", O_CREAT,
						    0600, 0);

				_exit(c != SEM_FAILED && sem_post(c) == 0 ? 0 :
									    1);
			}
		}
		for (int k = 0; k < 4; k++)
			all &= wait_ok(kids[k]);
		s = sem_open("/dropin.race", 0);
		v = -1;
		if (s != SEM_FAILED) {
			sem_getvalue(s, &v);
			sem_close(s);
		}
		if (!all || v != 4) {
			check(0, "four racing creators share one semaphore");
			printf("# round %d: value %d\n", round, v);
			break;
		}
		if (round == 19)
			check(1, "four racing creators share one semaphore (20 "
				 "rounds)");
	}
	sem_unlink("/dropin.race");
	check(count_files("sem.") == 0, "no semaphore file is left");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_shm();
	test_sem();
	return failures ? 1 : 0;
}
