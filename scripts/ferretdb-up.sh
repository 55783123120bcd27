#!/usr/bin/env bash
# Starts FerretDB on loopback, unless it already answers, and prints its MongoDB URL. State in
# STATE_DIR (default /var/lib/godocker-ci/ferretdb).
# Usage: scripts/ferretdb-up.sh [STATE_DIR]
# Env: GODOCKER_FERRETDB_PORT (default 27017), GODOCKER_FERRETDB_BACKEND (postgresql, the default, or
# sqlite), GODOCKER_FERRETDB_PG_PORT (default 5433: the PostgreSQL cluster of its own it starts).
#
# Its backend is PostgreSQL (Debian's postgresql 15, a cluster of its own in STATE_DIR/postgres),
# not its embedded SQLite, for two reasons measured here:
# - the SQLite backend pushes down only a filter that is exactly {_id: value}: every other query
#   (a job by its key and version, a list filter) reads and decodes the whole collection in Go, so
#   each read grows with the store (20 ms at 600 documents) and a site of three daemons ran about
#   one job a second; on PostgreSQL equality filters go to SQL and use the indexes (about 1 ms);
# - under many fresh databases at once (tests make one each) the SQLite backend died with SIGBUS in
#   modernc's _walFindFrame (its WAL-index mapping), taking every test on this server with it.
#
# What was found with the official `mongodb` driver 7.x against FerretDB v1.24.2 (SQLite backend),
# for the MongoDB store (issue 12): buildInfo says 7.0.42; unique indexes refuse duplicates with
# code 11000; findOneAndUpdate with a condition in its filter is a compare-and-set (the second of two
# gets null); $inc with upsert works (sequences); insertMany works. Multi-document transactions do
# not: `withTransaction` fails with code 9, 'insert: unknown field "autocommit"'. Whatever must be
# all-or-nothing across documents (an array's tasks) needs another design than a transaction.
set -euo pipefail
cd "$(dirname "$0")/.."
state=${1:-/var/lib/godocker-ci/ferretdb}
port=${GODOCKER_FERRETDB_PORT:-27017}
url="mongodb://127.0.0.1:$port/"
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
if answers; then echo "$url"; exit 0; fi
bin=$(bash scripts/ferretdb-build.sh)
backend=${GODOCKER_FERRETDB_BACKEND:-postgresql}
mkdir -p "$state/data"
case "$backend" in
  sqlite) backend_flags=(--handler=sqlite --sqlite-url="file:$state/data/") ;;
  postgresql)
    pg_port=${GODOCKER_FERRETDB_PG_PORT:-5433}
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -x "$pg_bin/postgres" ] || { echo "PostgreSQL not found: apt-get install postgresql (or GODOCKER_FERRETDB_BACKEND=sqlite)" >&2; exit 1; }
    pg="$state/postgres"
    mkdir -p "$pg"
    chown postgres: "$pg"
    pg_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; }
    if ! pg_answers; then
      if [ ! -s "$pg/data/PG_VERSION" ]; then
        runuser -u postgres -- "$pg_bin/initdb" -D "$pg/data" -A trust -U postgres --no-sync >"$pg/initdb.log"
      fi
      # A test cluster: a commit is not waited to disk (a crash of the machine may lose the last
      # ones; a crash of FerretDB or of the daemon loses nothing), room for every test's connections.
      runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg/data" -l "$pg/postgres.log" -w -t 60 start \
        -o "-p $pg_port -k $pg -c listen_addresses=127.0.0.1 -c max_connections=400 -c synchronous_commit=off" >/dev/null
      runuser -u postgres -- "$pg_bin/psql" -qAt -h 127.0.0.1 -p "$pg_port" -U postgres -c 'SELECT 1' >/dev/null
      if ! runuser -u postgres -- "$pg_bin/psql" -qAt -h 127.0.0.1 -p "$pg_port" -U postgres -c "SELECT 1 FROM pg_database WHERE datname='ferretdb'" | grep -q 1; then
        runuser -u postgres -- "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres ferretdb
      fi
    fi
    backend_flags=(--handler=postgresql --postgresql-url="postgres://postgres@127.0.0.1:$pg_port/ferretdb")
    ;;
  *) echo "GODOCKER_FERRETDB_BACKEND must be postgresql or sqlite, not $backend" >&2; exit 1 ;;
esac
pidfile="$state/ferretdb.pid"
# A pidfile of an earlier boot names a pid some other process may hold now: only ours counts.
if [ -s "$pidfile" ] && { tr '\0' ' ' <"/proc/$(cat "$pidfile")/cmdline"; } 2>/dev/null | grep -qF -- "$state"; then
  kill "$(cat "$pidfile")" 2>/dev/null || true
  sleep 1
fi
# setsid: it must outlive the shell that started it. No telemetry (no way out of this machine anyway),
# its metrics/debug HTTP handler off.
# shellcheck disable=SC2016 # expanded by the inner shell: its own pid, then the program
setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$bin" "${backend_flags[@]}" \
  --listen-addr="127.0.0.1:$port" --state-dir="$state" --telemetry=disable --debug-addr=- --log-level=warn \
  >>"$state/ferretdb.log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if answers; then echo "$url"; exit 0; fi
  sleep 0.5
done
echo "FerretDB did not answer on 127.0.0.1:$port within 30 s; its log:" >&2
tail -30 "$state/ferretdb.log" >&2
exit 1
