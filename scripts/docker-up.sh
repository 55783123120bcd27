#!/usr/bin/env bash
# Starts a Docker engine if none answers, with flags that work inside this sandbox
# (vfs storage, no iptables, no bridge), and prints the socket path to use.
# Usage: scripts/docker-up.sh [STATE_DIR]
set -euo pipefail
state=${1:-/var/lib/godocker-ci/docker}
sock=${GODOCKER_DOCKER_SOCKET:-/var/run/docker.sock}

if docker -H "unix://$sock" version >/dev/null 2>&1; then
  echo "$sock"; exit 0
fi
command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install docker.io" >&2; exit 1; }
mkdir -p "$state/data" "$state/exec"
nohup dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
  --data-root "$state/data" --exec-root "$state/exec" -H "unix://$sock" \
  --pidfile "$state/dockerd.pid" >"$state/dockerd.log" 2>&1 &
for _ in $(seq 1 120); do
  if docker -H "unix://$sock" version >/dev/null 2>&1; then echo "$sock"; exit 0; fi
  sleep 0.5
done
echo "dockerd did not answer on $sock within 60 s; its log:" >&2
tail -30 "$state/dockerd.log" >&2
exit 1
