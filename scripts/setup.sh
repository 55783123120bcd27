#!/usr/bin/env bash
# Installs what GoDocker and its tests need on a fresh Debian 12 machine, starts a
# Docker engine if none answers, a one-node Docker Swarm on an engine of its own and a
# one-node Kubernetes cluster (built from source once, then cached),
# builds the local test images and the packages.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

# Docker for the executors; libcurl, cJSON and valgrind for libdrmaa.so and its C test;
# Debian's Python drmaa, pytest and snakemake are the unmodified HPC clients its tests drive;
# aiosmtpd is the SMTP server the notification tests read the mail they sent from; prometheus (and its
# promtool) scrapes and lints a live daemon's /metrics in the metrics tests, each run on a port of its own;
# chromium is the real browser the web dashboard's tests drive (playwright-core, no browser download).
pkgs=(docker.io busybox-static build-essential musl-tools wrk pkg-config libcurl4-openssl-dev libcjson-dev valgrind openssh-client python3
  python3-drmaa python3-pytest snakemake redis-server etcd-server debootstrap docker-compose postgresql
  slapd ldap-utils python3-aiosmtpd prometheus chromium)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "== Grid Engine (a real DRMAA system for the drmaa-forward tests)"
bash scripts/gridengine-up.sh
echo "== Docker engine"
bash scripts/docker-up.sh
echo "== test images"
bash scripts/build-test-images.sh
echo "== Docker Swarm (its own engine, for the swarm executor tests)"
bash scripts/swarm-up.sh
echo "== Kubernetes (a one-node cluster for the kubernetes executor tests; built once into /var/cache/godocker/k8s)"
bash scripts/k8s-build.sh >/dev/null
bash scripts/k8s-up.sh >/dev/null
echo "== FerretDB (a MongoDB-wire server for the mongodb store, on PostgreSQL; built once into /var/cache/godocker/ferretdb)"
bash scripts/ferretdb-build.sh >/dev/null
bash scripts/ferretdb-up.sh >/dev/null
echo "== Helm (the chart's test; built once from the Go module proxy into /var/cache/godocker/helm-<version>)"
bash scripts/helm-build.sh >/dev/null

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
fi
echo "== build"
npm run build --silent
echo "== Python venvs of the integration tests (built once into /var/cache/godocker/venv-NAME-KEY)"
bash scripts/python-venvs.sh >/dev/null
echo "== the Snakemake tests' job image (its Debian rootfs with python3 is made once, about 2 min; scripts/build-python-image.sh)"
bash scripts/build-python-image.sh "$(bash scripts/python-venvs.sh snakemake)" local/godocker-snakemake:test
