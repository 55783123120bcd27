#!/usr/bin/env bash
# Prints deploy/kubernetes/godocker.yaml: the Helm chart (deploy/helm/godocker) rendered by
# `helm template` with deploy/kubernetes/godocker.values.yaml, for sites without Helm. One source:
# packages/scheduler/test/deploy-helm.test.ts fails when the file is not what this prints.
# Usage: bash scripts/k8s-manifest.sh > deploy/kubernetes/godocker.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
helm=$(bash scripts/helm-build.sh)
cat <<'HEADER'
# The GoDocker daemon in a Kubernetes cluster, with the kubernetes executor, for sites without
# Helm: what the chart deploy/helm/godocker renders with deploy/kubernetes/godocker.values.yaml
# (release `godocker`). Made by `bash scripts/k8s-manifest.sh > deploy/kubernetes/godocker.yaml`:
# change the chart, not this file.
#
#   kubectl create namespace godocker
#   kubectl apply -f deploy/kubernetes/rbac.yaml       # the service account `godocker` and its rights
#   kubectl -n godocker create secret generic godocker --from-literal=admin-token="$(openssl rand -hex 24)"
#     # and for a MongoDB-wire store: --from-literal=mongo-url=mongodb://db.example.org:27017/
#   kubectl -n godocker apply -f deploy/kubernetes/godocker.yaml
#
# The image is local/godocker:0.1.0 as scripts/build-daemon-image.sh builds it: push it to a
# registry the cluster pulls from and name it below. One daemon; several need the chart's checks
# (a MongoDB-wire store, Redis, a ReadWriteMany data folder): see deploy/README.md.
HEADER
"$helm" template godocker deploy/helm/godocker --namespace godocker -f deploy/kubernetes/godocker.values.yaml
