#!/usr/bin/env bash
# Starts FerretDB on its embedded SQLite backend, on loopback, unless it already answers, and
# prints its MongoDB URL. State in STATE_DIR (default /var/lib/godocker-ci/ferretdb).
# Usage: scripts/ferretdb-up.sh [STATE_DIR]     Env: GODOCKER_FERRETDB_PORT (default 27017)
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
mkdir -p "$state/data"
pidfile="$state/ferretdb.pid"
# A pidfile of an earlier boot names a pid some other process may hold now: only ours counts.
if [ -s "$pidfile" ] && { tr '\0' ' ' <"/proc/$(cat "$pidfile")/cmdline"; } 2>/dev/null | grep -qF -- "$state"; then
  kill "$(cat "$pidfile")" 2>/dev/null || true
  sleep 1
fi
# setsid: it must outlive the shell that started it. No telemetry (no way out of this machine anyway),
# its metrics/debug HTTP handler off.
# shellcheck disable=SC2016 # expanded by the inner shell: its own pid, then the program
setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$bin" --handler=sqlite --sqlite-url="file:$state/data/" \
  --listen-addr="127.0.0.1:$port" --state-dir="$state" --telemetry=disable --debug-addr=- --log-level=warn \
  >>"$state/ferretdb.log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if answers; then echo "$url"; exit 0; fi
  sleep 0.5
done
echo "FerretDB did not answer on 127.0.0.1:$port within 30 s; its log:" >&2
tail -30 "$state/ferretdb.log" >&2
exit 1
