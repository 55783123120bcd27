#!/usr/bin/env bash
# Brings up a one-host Grid Engine (Debian's gridengine 8.1.9) for the tests of the
# drmaa-forward executor: installs it non-interactively, starts sge_qmaster and
# sge_execd, makes this host admin, submit and execution host with a queue all.q,
# and prints the environment the tests (and a drmaa-forward daemon) need.
# Idempotent: a second run only checks, starts what is not running and reapplies
# the configuration. Needs root (apt-get, the daemons, /etc/init.d).
set -euo pipefail

export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
LIBDRMAA=/usr/lib/gridengine-drmaa/lib/libdrmaa.so
HOST=$(hostname)
COMMON=$SGE_ROOT/$SGE_CELL/common
SPOOL=/var/spool/gridengine
SLOTS=${GRIDENGINE_SLOTS:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- host names: Grid Engine's daemons refuse a peer whose address resolves back to
# another name than the one it gives. Where the host name is an alias of 127.0.0.1
# (that address resolves back to "localhost"), host_aliases makes both one host;
# /etc/hosts is left alone. Written before the packages, whose postinst may start the daemons.
addr=$(getent ahostsv4 "$HOST" | awk 'NR==1 {print $1}' || true)
if [ -z "$addr" ]; then
  # Debian's own answer for a host name nothing resolves: 127.0.1.1 in /etc/hosts.
  echo "127.0.1.1 $HOST" >>/etc/hosts
  addr=$(getent ahostsv4 "$HOST" | awk 'NR==1 {print $1}' || true)
  [ -n "$addr" ] || { echo "gridengine-up: the host name $HOST does not resolve (add it to /etc/hosts)" >&2; exit 1; }
fi
back=$(getent hosts "$addr" | awk 'NR==1 {print $2}' || true)
if [ -n "$back" ] && [ "$back" != "$HOST" ]; then echo "$HOST $back" >"$work/aliases"; else : >"$work/aliases"; fi
aliases_changed=0
if ! cmp -s "$work/aliases" "$COMMON/host_aliases" 2>/dev/null; then
  mkdir -p "$COMMON"
  install -m0644 "$work/aliases" "$COMMON/host_aliases"
  aliases_changed=1
fi

# --- packages: the answers debconf would ask for (configure automatically, cell, master host)
pkgs=(gridengine-master gridengine-exec gridengine-client gridengine-drmaa1.0)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  for p in gridengine-common gridengine-master gridengine-exec gridengine-client; do
    printf '%s shared/%s\n' \
      "$p" "gridengineconfig boolean true" \
      "$p" "gridenginecell string $SGE_CELL" \
      "$p" "gridenginemaster string $HOST"
  done | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; }
fi
# The master package's postinst creates the cluster; a package installed without that answer did not.
if [ ! -f "$SPOOL/spooldb/sge" ]; then
  echo "== creating the cluster"
  mkdir -p "$SPOOL/spooldb" "$SPOOL/qmaster/job_scripts" "$COMMON"
  chown sgeadmin:sgeadmin "$SPOOL/spooldb" "$SPOOL/qmaster" "$SPOOL/qmaster/job_scripts" "$SGE_ROOT/$SGE_CELL" "$COMMON"
  [ -f "$COMMON/bootstrap" ] || install -m0644 -o sgeadmin -g sgeadmin /usr/share/gridengine/default-bootstrap "$COMMON/bootstrap"
  su -s /bin/sh -c "/usr/share/gridengine/scripts/init_cluster $SGE_ROOT $SGE_CELL $SPOOL/spooldb sgeadmin" sgeadmin
fi
echo "$HOST" >"$COMMON/act_qmaster"

qmaster_pid() {
  local pid
  pid=$(cat "$SPOOL/qmaster/qmaster.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sge_qmaster ]; then echo "$pid"; fi
}
# Daemons started before the host aliases changed have the old names: they restart below.
if [ "$aliases_changed" = 1 ]; then
  for pid in $(qmaster_pid) $(pgrep -x sge_execd || true); do
    echo "== stopping $(cat "/proc/$pid/comm" 2>/dev/null) (host aliases changed)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 60); do [ -e "/proc/$pid" ] || break; sleep 0.5; done
  done
fi

# --- daemons: their init scripts, called directly (policy-rc.d may forbid invoke-rc.d in containers)
if [ -z "$(qmaster_pid)" ]; then
  echo "== starting sge_qmaster"
  /etc/init.d/gridengine-master start >/dev/null
fi
for _ in $(seq 60); do qconf -sh >/dev/null 2>&1 && break; sleep 0.5; done
qconf -sh >/dev/null || { tail -5 "$SPOOL/qmaster/messages" >&2; exit 1; }

# --- hosts, queue and configuration (reapplied every run: qconf -M* is idempotent)
# qconf reports success on stderr: shown only when it fails.
q() { local out; out=$(qconf "$@" 2>&1) || { echo "qconf $*: $out" >&2; return 1; }; }
qconf -sh 2>/dev/null | grep -qx "$HOST" || q -ah "$HOST"
qconf -ss 2>/dev/null | grep -qx "$HOST" || q -as "$HOST"

# Scheduling every second and at each submit/end, so a job starts within a second or two.
qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' \
  -e 's/^flush_submit_sec .*/flush_submit_sec 1/' -e 's/^flush_finish_sec .*/flush_finish_sec 1/' >"$work/sconf"
q -Msconf "$work/sconf"
# Jobs of root and of system users allowed (the test daemons submit as root); accounting
# written each second; loads reported every 10 s.
qconf -sconf global | sed -e '/^#/d' -e 's/^min_uid .*/min_uid 0/' -e 's/^min_gid .*/min_gid 0/' \
  -e 's/flush_time=[0-9:]*/flush_time=00:00:01/' -e 's/^load_report_time .*/load_report_time 00:00:10/' >"$work/global"
q -Mconf "$work/global"

# The "smp" parallel environment, for native specifications like "-pe smp {cpu}".
cat >"$work/smp" <<'EOF'
pe_name            smp
slots              9999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    $pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
if qconf -sp smp >/dev/null 2>&1; then q -Mp "$work/smp"; else q -Ap "$work/smp"; fi

# all.q on this host; no load threshold, so a busy machine does not put it in alarm.
qconf -sq | sed -e 's/^qname .*/qname all.q/' -e "s/^hostlist .*/hostlist $HOST/" -e "s/^slots .*/slots $SLOTS/" \
  -e 's/^load_thresholds .*/load_thresholds NONE/' -e 's/^pe_list .*/pe_list smp/' -e 's|^shell .*|shell /bin/sh|' >"$work/all.q"
if qconf -sq all.q >/dev/null 2>&1; then q -Mq "$work/all.q"; else q -Aq "$work/all.q"; fi

if ! pgrep -x sge_execd >/dev/null; then
  echo "== starting sge_execd"
  /etc/init.d/gridengine-exec start >/dev/null
fi

# --- usable: the queue instance reports a load and has no state (alarm, unknown, disabled, error)
usable() { qstat -f -q all.q 2>/dev/null | awk '$1 ~ /^all\.q@/ && NF == 5 && $4 != "-NA-" {found = 1} END {exit !found}'; }
for _ in $(seq 120); do usable && break; sleep 0.5; done
if ! usable; then
  qstat -f >&2 || true
  echo "gridengine-up: all.q did not become usable; see $SPOOL/qmaster/messages" >&2
  exit 1
fi
# One job end to end, as the tests will submit them (root, binary, synchronous).
timeout 60 qsub -b y -sync y -o /dev/null -e /dev/null /bin/true >/dev/null

cat <<EOF
== Grid Engine is up on $HOST (queue all.q, $SLOTS slots)
export SGE_ROOT=$SGE_ROOT
export SGE_CELL=$SGE_CELL
export DRMAA_LIBRARY_PATH=$LIBDRMAA
EOF
