#!/usr/bin/env bash
# Builds Helm from the Go module proxy, for the chart's test (deploy/helm/godocker,
# packages/scheduler/test/deploy-helm.test.ts): Debian packages no Helm and no release binary can be
# downloaded here. Prints the binary's path. Idempotent: a second run with the binary present does
# nothing. About 3 min 30 s cold on this 2-core machine (95 module downloads included).
# Usage: scripts/helm-build.sh
# Env: GODOCKER_HELM_VERSION (default v4.3.2), GODOCKER_HELM_CACHE (default /var/cache/godocker).
set -euo pipefail
version=${GODOCKER_HELM_VERSION:-v4.3.2}
cache=${GODOCKER_HELM_CACHE:-/var/cache/godocker}
dir="$cache/helm-$version"
bin="$dir/bin/helm"
# `helm version` reports what the build stamped: a binary from an interrupted or other build is redone.
if [ -x "$bin" ] && [ "$("$bin" version --template '{{.Version}}' 2>/dev/null)" = "$version" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "go not found: Helm is built from source" >&2; exit 1; }
major=${version%%.*}
mkdir -p "$dir"
rm -rf "$dir/bin.tmp"
echo "building helm $version into $dir (cold: about 3 min 30 s on 2 cores)" >&2
start=$(date +%s)
# What Helm's Makefile stamps: without it `helm version` says v4.3 and nothing more. CGO off, as
# upstream builds its release binaries.
CGO_ENABLED=0 GOBIN="$dir/bin.tmp" go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=$version -X helm.sh/helm/$major/internal/version.gitTreeState=clean" \
  "helm.sh/helm/$major/cmd/helm@$version" >&2
echo "built in $(($(date +%s) - start)) s" >&2
rm -rf "$dir/bin"
mv "$dir/bin.tmp" "$dir/bin"
echo "$bin"
