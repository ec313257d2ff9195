#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# dropin_pg.sh: PostgreSQL's dynamic shared memory on shmfs as /dev/shm.
# In the private mount namespace that lib.sh gives root, a fresh tmpfs and
# then shmfs (allow_other) are mounted over /dev/shm in turn; on each, a
# throwaway cluster (initdb'd once, as the user postgres, in a temporary
# directory, listening on a Unix socket there only) is started with
# dynamic_shared_memory_type=posix and parallel query made cheap, and a
# count over 200k rows must launch 2 workers, give the right answer, and
# create and remove PostgreSQL.NNNN segments in /dev/shm while it runs
# (seen by inotify).  Needs root, Debian's postgresql and inotify-tools.
set -u
srcdir=${SHMFS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/lib.sh"

export LC_ALL=C
unset PGDATA PGHOST PGPORT PGUSER PGDATABASE PGOPTIONS PGSERVICE

shmfs_require root # mounts over /dev/shm, runs the server as postgres
shmfs_require fuse
[ -n "${SHMFS_LIB_UNSHARED:-}" ] || shmfs_die "no private mount namespace (unshare missing?)"
shmfs_require cmd inotifywait inotify-tools
shmfs_require cmd setpriv util-linux
# The newest server installed, whatever its version.
pgbin=
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && [ -x "$d/postgres" ] && [ -x "$d/psql" ] &&
		[ -x "$d/pg_isready" ] && pgbin=$d
done
[ -n "$pgbin" ] && PATH=$pgbin:$PATH
shmfs_require cmd initdb postgresql
shmfs_require cmd postgres postgresql
if ! getent passwd postgres >/dev/null; then
	[ "${SHMFS_REQUIRE_ALL:-}" = 1 ] &&
		shmfs_die "no user postgres (package postgresql-common), and SHMFS_REQUIRE_ALL=1"
	echo "SKIP: ${0##*/} needs the user postgres (package postgresql-common)"
	exit 77
fi
pguid=$(id -u postgres) pggid=$(id -g postgres)

work=$(mktemp -d "${TMPDIR:-/tmp}/shmfs-pg.XXXXXX") || shmfs_die mktemp
chmod 755 "$work"
cd "$work" || shmfs_die "cd $work" # a directory the user postgres may read
data=$work/data sock=$work/sock port=5499
pm= watcher=

# Stops the server (fast shutdown, then SIGKILL and the removal of its
# System V segment) and the watcher.
stop_server() {
	local i shmid
	if [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null; then
		kill -INT "$pm"
		for ((i = 0; i < 1500; i++)); do
			kill -0 "$pm" 2>/dev/null || break
			sleep 0.01
		done
		if kill -0 "$pm" 2>/dev/null; then
			echo "# the server ignored a fast shutdown for 15 s: killed" >&2
			shmid=$(sed -n 7p "$data/postmaster.pid" 2>/dev/null | awk '{ print $2 }')
			pkill -KILL -P "$pm"
			kill -KILL "$pm"
			wait "$pm" 2>/dev/null
			[ -n "$shmid" ] && ipcrm -m "$shmid" 2>/dev/null
		fi
		wait "$pm" 2>/dev/null
	fi
	pm=
	if [ -n "$watcher" ]; then
		kill "$watcher" 2>/dev/null
		wait "$watcher" 2>/dev/null
	fi
	watcher=
}
cleanup() {
	local -
	set +e
	stop_server
	grep -q " /dev/shm " /proc/mounts && umount /dev/shm
	rm -rf "$work"
	shmfs_cleanup
}
trap cleanup EXIT
setpriv --reuid="$pguid" --regid="$pggid" --init-groups -- test -x "$work" ||
	shmfs_die "the user postgres cannot reach $work: set TMPDIR to a directory all may traverse"

as_pg() {
	setpriv --reuid="$pguid" --regid="$pggid" --init-groups -- "$@"
}
sql() {
	as_pg timeout 60 psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -d postgres -c "$1"
}

start=$SECONDS
install -d -o postgres -g postgres -m 700 "$data" "$sock" || shmfs_die "install -d"
as_pg timeout 120 initdb --no-sync -A trust -U postgres -D "$data" >"$work/initdb.log" 2>&1 ||
	shmfs_die "initdb: $(tail -n 20 "$work/initdb.log")"
# Forcing parallel mode is debug_parallel_query since 16, force_parallel_mode before.
# (--describe-config leaves developer options out: ask the server with -C.)
if as_pg postgres -D "$data" -C debug_parallel_query >/dev/null 2>&1; then
	force=debug_parallel_query
else
	force=force_parallel_mode
fi
cat >>"$data/postgresql.conf" <<EOF || shmfs_die "writing postgresql.conf"
listen_addresses = ''
unix_socket_directories = '$sock'
port = $port
fsync = off
shared_buffers = 16MB
dynamic_shared_memory_type = posix
min_dynamic_shared_memory = 0
max_parallel_workers_per_gather = 2
parallel_setup_cost = 0
parallel_tuple_cost = 0
min_parallel_table_scan_size = 0
$force = on
EOF
echo "# $(as_pg postgres --version), $force; initdb: $((SECONDS - start)) s"

# run_on WHAT: starts the server on the current /dev/shm, runs the
# parallel query, checks it, and stops the server.
run_on() {
	local what=$1 i n start=$SECONDS explain got made gone
	# A fast shutdown should this shell die without its trap.
	setpriv --reuid="$pguid" --regid="$pggid" --init-groups --pdeathsig INT -- \
		postgres -D "$data" >"$work/$what.log" 2>&1 &
	pm=$!
	for ((i = 0; i < 3000; i++)); do
		as_pg pg_isready -q -h "$sock" -p "$port" && break
		kill -0 "$pm" 2>/dev/null ||
			shmfs_die "$what: the server exited: $(tail -n 20 "$work/$what.log")"
		sleep 0.01
	done
	as_pg pg_isready -q -h "$sock" -p "$port" ||
		shmfs_die "$what: the server is not ready after 30 s: $(tail -n 20 "$work/$what.log")"
	# Started, the server holds its DSM control segment in /dev/shm.
	# Started, the server holds its DSM control segment in /dev/shm (and,
	# since 15, may have more for its statistics).
	n=$(ls -A /dev/shm | grep -c '^PostgreSQL\.[0-9]*$')
	[ "$n" -ge 1 ] || shmfs_die "$what: no PostgreSQL.* segment in /dev/shm once the server is up"
	ok "$what: the running server holds $n PostgreSQL.* segments in /dev/shm"
	expect_eq "$what: dynamic_shared_memory_type" "$(sql 'SHOW dynamic_shared_memory_type')" posix

	sql "SET client_min_messages = warning; DROP TABLE IF EXISTS t; CREATE TABLE t AS SELECT x FROM generate_series(1, 200000) x; ANALYZE t" ||
		shmfs_die "$what: creating the table"
	: >"$work/$what.inotify"
	inotifywait -m -e create,delete --format '%e %f' /dev/shm >"$work/$what.events" \
		2>"$work/$what.inotify" &
	watcher=$!
	for ((i = 0; i < 500; i++)); do
		grep -q "Watches established" "$work/$what.inotify" && break
		sleep 0.01
	done
	grep -q "Watches established" "$work/$what.inotify" ||
		shmfs_die "$what: inotifywait did not start: $(cat "$work/$what.inotify")"
	: >"/dev/shm/shmfs-pg-probe.$$" && rm -f "/dev/shm/shmfs-pg-probe.$$"

	explain=$(sql "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*), sum(x) FROM t") ||
		shmfs_die "$what: EXPLAIN ANALYZE failed: $(tail -n 20 "$work/$what.log")"
	sed "s/^/# $what: /" <<<"$explain"
	grep -q "Workers Launched: 2$" <<<"$explain" ||
		shmfs_die "$what: the query did not launch 2 workers"
	ok "$what: EXPLAIN ANALYZE: Workers Launched: 2"
	got=$(sql "SELECT count(*), sum(x) FROM t") || shmfs_die "$what: the query failed"
	expect_eq "$what: the parallel count and sum" "$got" "200000|20000100000"

	sleep 0.2 # let inotifywait write what it has seen
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	watcher=
	grep -qx "CREATE shmfs-pg-probe.$$" "$work/$what.events" ||
		shmfs_die "$what: inotify saw nothing in /dev/shm: $(cat "$work/$what.events")"
	# A parallel query's segment lives as long as its Gather: one each
	# for EXPLAIN ANALYZE and the query, made and removed while they ran.
	made=$(sed -n 's/^CREATE \(PostgreSQL\.[0-9]*\)$/\1/p' "$work/$what.events" | sort)
	gone=$(sed -n 's/^DELETE \(PostgreSQL\.[0-9]*\)$/\1/p' "$work/$what.events" | sort)
	n=$(comm -12 <(echo "$made") <(echo "$gone") | grep -c .)
	[ "$n" -ge 2 ] || shmfs_die "$what: $n PostgreSQL.* segments were made and removed during the queries, want 2 or more; inotify saw:
$(cat "$work/$what.events")"
	ok "$what: the parallel queries made and removed $n PostgreSQL.* segments in /dev/shm"
	stop_server
	grep -q "database system is shut down" "$work/$what.log" ||
		shmfs_die "$what: no clean shutdown: $(tail -n 20 "$work/$what.log")"
	expect_eq "$what: the server removed its control segment at shutdown" \
		"$(ls -A /dev/shm | grep -c '^PostgreSQL\.')" 0
	# (pg_isready's tries while it started are FATAL "starting up" lines.)
	grep -E "ERROR|FATAL|PANIC" "$work/$what.log" | grep -v "is starting up" |
		sed "s/^/# $what: server: /"
	echo "# $what: $((SECONDS - start)) s"
}

mount -t tmpfs -o size=256m,mode=1777 tmpfs /dev/shm || shmfs_die "mount tmpfs over /dev/shm"
run_on tmpfs
umount /dev/shm || shmfs_die "umount the tmpfs"

shmfs_mount size=256m
mount --bind "$MNT" /dev/shm || shmfs_die "bind the shmfs mount over /dev/shm"
shmfs_is_mounted /dev/shm || shmfs_die "/dev/shm is not the shmfs mount"
run_on shmfs
umount /dev/shm || shmfs_die "umount /dev/shm"
echo "# total: $((SECONDS - start)) s"
echo "all PostgreSQL drop-in checks passed"
