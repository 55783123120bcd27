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
tcp=()
if [ -n "${GODOCKER_DOCKER_TCP:-}" ]; then
  tls=${GODOCKER_DOCKER_TLS_DIR:?GODOCKER_DOCKER_TCP needs GODOCKER_DOCKER_TLS_DIR}
  tcp=(--tlsverify --tlscacert "$tls/ca.pem" --tlscert "$tls/server-cert.pem" --tlskey "$tls/server-key.pem"
    -H "tcp://$GODOCKER_DOCKER_TCP")
fi
# shellcheck disable=SC2086 # extra flags are words on purpose
nohup dockerd ${GODOCKER_DOCKERD_ARGS:-} --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
  --data-root "$state/data" --exec-root "$state/exec" -H "unix://$sock" "${tcp[@]}" \
  --pidfile "$state/dockerd.pid" >"$state/dockerd.log" 2>&1 &
for _ in $(seq 1 120); do
  if docker -H "unix://$sock" version >/dev/null 2>&1; then echo "$sock"; exit 0; fi
  sleep 0.5
done
echo "dockerd did not answer on $sock within 60 s; its log:" >&2
tail -30 "$state/dockerd.log" >&2
exit 1
