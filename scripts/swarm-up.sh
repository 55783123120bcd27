#!/usr/bin/env bash
# Makes a one-node Docker Swarm available for the swarm executor's tests and prints the
# socket of its manager. Idempotent: a second run only checks.
#
# The swarm runs on an engine of its own (its own socket, data root, exec root and pidfile
# under STATE_DIR), so `docker swarm init` never touches the main engine of scripts/docker-up.sh,
# which other tests use. Same sandbox flags as that engine (vfs, no iptables, no bridge).
# Everything listens on 127.0.0.1 only.
#
# What was found on this kind of machine (Debian 12, docker.io 20.10, API 1.41):
# - `docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377` works with
#   --bridge=none and --iptables=false; it creates the `ingress` overlay and a `docker_gwbridge`
#   bridge (172.17.0.0/16 here: the main engine has no docker0 to collide with).
# - A service with no network attachments runs with loopback only here (its container is put on
#   the "default" network, which --bridge=none leaves empty). Swarm has no "none" network:
#   `--network none` is refused ("could not find the corresponding predefined swarm network").
# - Overlay networks (`docker network create -d overlay NAME`) work for tasks, despite
#   --iptables=false (the engine logs failed mangle rules for the load balancer; tasks run).
# - Nothing can be pulled: images are built into this engine by scripts/build-test-images.sh.
# - A second engine on this host can join as a worker when its swarm addresses are on another
#   loopback address (--advertise-addr 127.0.0.2 --listen-addr 127.0.0.2:2377): the gossip port
#   (7946) is bound per address. The swarm executor tests do that to have a second node.
#
# Usage: scripts/swarm-up.sh [STATE_DIR]     (socket: GODOCKER_SWARM_SOCKET, default /var/run/godocker-swarm.sock)
set -euo pipefail
cd "$(dirname "$0")/.."
state=${1:-/var/lib/godocker-ci/swarm}
sock=${GODOCKER_SWARM_SOCKET:-/var/run/godocker-swarm.sock}
d() { docker -H "unix://$sock" "$@"; }

GODOCKER_DOCKER_SOCKET=$sock bash scripts/docker-up.sh "$state" >/dev/null

case "$(d info --format '{{.Swarm.LocalNodeState}}')" in
  active) ;;
  inactive)
    d swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null
    ;;
  *)
    echo "the engine on $sock is in swarm state $(d info --format '{{.Swarm.LocalNodeState}}'); expected active or inactive" >&2
    exit 1
    ;;
esac
# A manager answers node commands; a worker (or a swarm that lost its quorum) does not.
for _ in $(seq 1 60); do
  d node ls >/dev/null 2>&1 && break
  sleep 0.5
done
d node ls >/dev/null || { echo "the engine on $sock is in a swarm but is not a working manager" >&2; exit 1; }
# A worker a test joined and could not remove (the run stopped early) stays Down: remove it, so the
# swarm is one node again and that node keeps its plain host name as its GoDocker name.
for id in $(d node ls --filter role=worker --format '{{.ID}} {{.Status}}' | awk '$2 != "Ready" {print $1}'); do
  d node rm --force "$id" >/dev/null
done

GODOCKER_DOCKER_SOCKET=$sock bash scripts/build-test-images.sh >&2
echo "$sock"
