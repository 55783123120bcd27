#!/usr/bin/env bash
# Builds a Kubernetes control plane and node (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kubectl) from the Go module proxy, for the Kubernetes executor's
# CI tests: no Kubernetes server is packaged by Debian and no release binary can be downloaded.
# Also installs the Debian packages the one-node cluster needs (etcd, containerd, CNI plugins).
# Prints the bin directory. Idempotent: a second run with the binaries present does nothing.
# Usage: scripts/k8s-build.sh
# Env: GODOCKER_K8S_VERSION (default v1.34.4), GODOCKER_K8S_CACHE (default /var/cache/godocker/k8s),
#      GODOCKER_K8S_SKIP_APT=1 to leave system packages alone.
set -euo pipefail
version=${GODOCKER_K8S_VERSION:-v1.34.4}
cache=${GODOCKER_K8S_CACHE:-/var/cache/godocker/k8s}
bin="$cache/$version/bin"
cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)

ensure_packages() {
  [ "${GODOCKER_K8S_SKIP_APT:-}" = 1 ] && return 0
  # etcd-server: the cluster store; containerd + runc: the CRI runtime the kubelet drives;
  # containernetworking-plugins: bridge/host-local/loopback for pod networking;
  # iptables + conntrack: the bridge plugin's ipMasq/portmap and the kubelet's own checks;
  # openssl: the cluster's certificates; gcc: the static pause program; busybox-static: the test image.
  local want=(etcd-server containerd runc containernetworking-plugins iptables conntrack openssl gcc libc6-dev busybox-static)
  local missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    # etcd-server's postinst would start a system etcd on :2379 where a service manager exists;
    # policy-rc.d keeps package scripts from starting daemons, so ours is the only one.
    local had_policy=0
    [ -e /usr/sbin/policy-rc.d ] && had_policy=1
    [ $had_policy = 1 ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 ||
      { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
    [ $had_policy = 1 ] || rm -f /usr/sbin/policy-rc.d
  fi
}

have_all() {
  for c in "${cmds[@]}"; do [ -x "$bin/$c" ] || return 1; done
}

ensure_packages
if have_all; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "go not found: a Go toolchain is needed to build Kubernetes" >&2; exit 1; }
minor=${version#v1.}; minor=${minor%%.*}
patch=${version##*.}
staging_version="v0.$minor.$patch"

work=$(mktemp -d /tmp/godocker-k8s-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
# k8s.io/kubernetes is not meant to be imported: its go.mod points the k8s.io/* staging modules
# at ./staging/src/..., which a module consumer does not have. Each staging module is published
# on its own as v0.MINOR.PATCH, so a consumer replaces every one of them with that version.
staging=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
  cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
  kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver)
{
  echo "module godocker.local/k8sbuild"
  echo
  # Same language version and GODEBUG defaults as upstream's own build of this release.
  echo "go 1.24.0"
  echo
  echo "godebug default=go1.24"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "replace ("
  for m in "${staging[@]}"; do echo "	k8s.io/$m => k8s.io/$m $staging_version"; done
  echo ")"
} >"$work/go.mod"
# A blank import of each command's package keeps `go mod tidy` from dropping what the build needs.
{
  echo "//go:build tools"
  echo
  echo "package tools"
  echo
  echo "import ("
  for c in "${cmds[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
  echo ")"
} >"$work/tools.go"

cd "$work"
echo "resolving modules for k8s.io/kubernetes $version (staging $staging_version)" >&2
GOFLAGS=-mod=mod go mod tidy -e >&2

# What upstream's hack/lib/version.sh stamps: without it the binaries call themselves
# v0.0.0-master and the API server's emulation-version checks and kubectl's skew warnings misfire.
vpkgs=(k8s.io/component-base/version k8s.io/client-go/pkg/version)
ld="-s -w"
for p in "${vpkgs[@]}"; do
  ld+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ld+=" -X $p.gitTreeState=clean -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done

mkdir -p "$bin.tmp"
pkgs=()
for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
echo "building ${cmds[*]} into $bin (cold: about 8 min on 2 cores, module downloads included)" >&2
start=$(date +%s)
# One invocation: the packages the five commands share compile once. CGO off, as upstream
# builds its server binaries: static, and no C toolchain needed.
CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags="$ld" -o "$bin.tmp/" "${pkgs[@]}" >&2
echo "built in $(( $(date +%s) - start )) s" >&2
rm -rf "$bin"
mv "$bin.tmp" "$bin"
echo "$bin"
