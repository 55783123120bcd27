#!/usr/bin/env bash
# Starts a Docker engine if none answers, with flags that work inside this sandbox
# (vfs storage, no iptables, no bridge), and prints the socket path to use.
# Usage: scripts/docker-up.sh [STATE_DIR]
# A second engine (the many-hosts tests) gets its own STATE_DIR and socket
# (GODOCKER_DOCKER_SOCKET); GODOCKER_DOCKER_TCP=127.0.0.1:PORT with GODOCKER_DOCKER_TLS_DIR
# (from scripts/docker-tls-certs.sh) also serves it over TCP with TLS, client certificates required;
# GODOCKER_DOCKERD_ARGS adds flags (--live-restore: containers outlive a stop of the engine).
set -euo pipefail
state=${1:-/var/lib/godocker-ci/docker}
sock=${GODOCKER_DOCKER_SOCKET:-/var/run/docker.sock}

if docker -H "unix://$sock" version >/dev/null 2>&1; then
  echo "$sock"; exit 0
fi
command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install docker.io" >&2; exit 1; }
mkdir -p "$state/data" "$state/exec"
# A pidfile left by an engine of an earlier boot (a machine restored from a snapshot) names a pid
# that some other process may hold now; dockerd then believes its containerd still runs and waits
# for it until it gives up. Such a file is removed; one that names a live dockerd or containerd of
# this state (hung: it did not answer above) has that process stopped first.
for pf in "$state/dockerd.pid" "$state/exec/containerd/containerd.pid"; do
  [ -f "$pf" ] || continue
  pid=$(cat "$pf" 2>/dev/null || true)
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  if [ -n "$pid" ] && { [ "$comm" = dockerd ] || [ "$comm" = containerd ]; } &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$state"; then
    echo "stopping $comm (pid $pid) of $state: it did not answer" >&2
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 60); do [ -e "/proc/$pid" ] || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pf"
done
tcp=()
if [ -n "${GODOCKER_DOCKER_TCP:-}" ]; then
  tls=${GODOCKER_DOCKER_TLS_DIR:?GODOCKER_DOCKER_TCP needs GODOCKER_DOCKER_TLS_DIR}
  tcp=(--tlsverify --tlscacert "$tls/ca.pem" --tlscert "$tls/server-cert.pem" --tlskey "$tls/server-key.pem"
    -H "tcp://$GODOCKER_DOCKER_TCP")
fi
# setsid: the engine must outlive the shell (and the process group) that started it.
# shellcheck disable=SC2086 # extra flags are words on purpose
setsid nohup dockerd ${GODOCKER_DOCKERD_ARGS:-} --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
  --data-root "$state/data" --exec-root "$state/exec" -H "unix://$sock" "${tcp[@]}" \
  --pidfile "$state/dockerd.pid" >>"$state/dockerd.log" 2>&1 </dev/null &
for _ in $(seq 1 120); do
  if docker -H "unix://$sock" version >/dev/null 2>&1; then echo "$sock"; exit 0; fi
  sleep 0.5
done
echo "dockerd did not answer on $sock within 60 s; its log:" >&2
tail -30 "$state/dockerd.log" >&2
exit 1
