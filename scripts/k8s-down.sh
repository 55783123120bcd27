#!/usr/bin/env bash
# Stops the one-node cluster that scripts/k8s-up.sh started: only the processes named by its
# pidfiles, and the pod containers of its own containerd. Docker and its containerd are untouched.
# Usage: scripts/k8s-down.sh [--purge]
#   --purge also deletes the cluster's state (etcd data, certificates, images, pod network
#   leftovers), so the next k8s-up starts from nothing. Without it, the next k8s-up finds the
#   same cluster again, and the kubelet tears down whatever pods were stopped here.
set -euo pipefail
K=${GODOCKER_K8S_DIR:-/var/lib/godocker-ci/k8s}
run=$K/run
csock=$K/containerd/containerd.sock
purge=0
[ "${1:-}" = --purge ] && purge=1
say() { echo "k8s-down: $*" >&2; }
ctr() { /usr/bin/ctr --address "$csock" -n k8s.io "$@"; }

pid_of() { # NAME -> pid if its pidfile names a live process
  local pf="$run/$1.pid" pid
  [ -s "$pf" ] || return 1
  pid=$(cat "$pf")
  kill -0 "$pid" 2>/dev/null || { rm -f "$pf"; return 1; }
  echo "$pid"
}
stop() { # NAME ; TERM, then KILL after 20 s
  local pid
  pid=$(pid_of "$1") || return 0
  say "stopping $1 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$run/$1.pid"; return 0; }
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$run/$1.pid"
}

# The kubelet first, so it does not restart the pod containers stopped next.
stop kubelet

netns=() ids=()
if pid_of containerd >/dev/null && ctr version >/dev/null 2>&1; then
  # The pods' network namespaces, read before their sandboxes go, to remove them on --purge.
  for c in $(ctr containers ls -q); do
    ids+=("$c")
    while read -r ns; do netns+=("$ns"); done < <(ctr containers info "$c" 2>/dev/null |
      grep -o '/var/run/netns/cni-[0-9a-f-]*' | sort -u)
  done
  # Pod containers live in shims that outlive containerd: end them through containerd.
  for t in $(ctr tasks ls -q); do ctr tasks kill -a -s SIGKILL "$t" >/dev/null 2>&1 || true; done
  for _ in $(seq 1 20); do
    ctr tasks ls | awk 'NR > 1 && $3 != "STOPPED"' | grep -q . || break
    sleep 0.5
  done
  for t in $(ctr tasks ls -q); do ctr tasks delete "$t" >/dev/null 2>&1 || true; done
fi

for c in kube-scheduler kube-controller-manager kube-apiserver etcd containerd; do stop "$c"; done

# A shim that still runs belongs to our containerd only if it was started with our socket.
for p in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
  case $cmd in
    *containerd-shim*"-address $csock "*) say "ending leftover shim ${p#/proc/}"; kill -KILL "${p#/proc/}" 2>/dev/null || true ;;
  esac
done

if [ $purge = 1 ]; then
  for ns in "${netns[@]}"; do ip netns delete "$(basename "$ns")" 2>/dev/null || true; done
  # What the kubelet and the CNI library keep at paths they hard-code, outside the state dir:
  # CNI result caches of our sandboxes, /var/log/containers links into our pod logs, and the
  # device-plugin socket.
  for id in "${ids[@]}"; do rm -f /var/lib/cni/results/*-"$id"-*; done
  for l in /var/log/containers/*.log; do
    [ -L "$l" ] && [[ $(readlink "$l") == "$K"/* ]] && rm -f "$l"
  done
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock /var/lib/kubelet/device-plugins/kubelet_internal_checkpoint
  rmdir /var/lib/kubelet/device-plugins /var/lib/kubelet 2>/dev/null || true
  # Pod volumes (tmpfs service-account tokens) and container rootfs mounts under the state dir.
  grep -oE " $K/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  ip link delete gdk8s0 2>/dev/null || true
  # The node's address that k8s-up.sh put on lo.
  ip addr delete "${GODOCKER_K8S_NODE_IP:-198.18.0.1}/32" dev lo 2>/dev/null || true
  # The chains every kubelet makes (a hint chain, canaries, and KUBE-FIREWALL, which drops
  # packets to 127.0.0.0/8 that do not come from it): ours were the only kubelet here.
  for ipt in iptables ip6tables; do
    command -v $ipt >/dev/null || continue
    for chain in INPUT OUTPUT; do
      while $ipt -w -D $chain -j KUBE-FIREWALL 2>/dev/null; do :; done
    done
    for tc in filter:KUBE-FIREWALL mangle:KUBE-IPTABLES-HINT mangle:KUBE-KUBELET-CANARY \
      nat:KUBE-KUBELET-CANARY filter:KUBE-KUBELET-CANARY; do
      $ipt -w -t "${tc%%:*}" -F "${tc#*:}" 2>/dev/null || true
      $ipt -w -t "${tc%%:*}" -X "${tc#*:}" 2>/dev/null || true
    done
  done
  say "deleting $K"
  rm -rf "$K"
fi
say "stopped"
