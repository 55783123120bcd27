#!/usr/bin/env bash
# Quick start: installs what is needed, starts the daemon on its embedded
# defaults (zero config) and runs a demo job in a Docker container.
# The daemon keeps running afterwards; stop it with: kill $(cat .godocker/daemon.pid)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

mkdir -p .godocker
godocker() { node packages/cli/dist/godocker.cjs "$@"; }
# A fixed token for this checkout's demo admin, so re-running the quick start works.
if [ ! -s .godocker/demo-token ]; then
  node -e "console.log('gdk_demo_' + require('crypto').randomBytes(24).toString('base64url'))" > .godocker/demo-token
  chmod 600 .godocker/demo-token
fi
export GODOCKER_ADMIN_TOKEN=$(cat .godocker/demo-token)
export GODOCKER_URL=http://127.0.0.1:6543
export GODOCKER_TOKEN=$GODOCKER_ADMIN_TOKEN

# Answers 0 when the daemon is ready (node, not curl: one tool fewer to install).
ready() { node -e "fetch('$GODOCKER_URL/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; }
if ! ready; then
  echo "== starting the daemon (log: .godocker/daemon.log)"
  nohup node packages/cli/dist/godocker.cjs server >.godocker/daemon.log 2>&1 &
  echo $! > .godocker/daemon.pid
  for _ in $(seq 1 100); do ready && break; sleep 0.1; done
fi
ready || { echo "the daemon did not start; its log:"; tail -20 .godocker/daemon.log; exit 1; }

echo "== a demo job: godocker submit --wait --cmd '...'"
godocker submit --name demo --wait --cmd 'echo "Hello from GoDocker: job $GODOCKER_JOB_ID runs as $(id -u):$(id -g) on $(hostname)"; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null | sed "s/^/cpu quota: /"'
echo "== the job list: godocker jobs"
godocker jobs
echo
echo "The daemon is still running at $GODOCKER_URL. Try:"
echo "  export GODOCKER_URL=$GODOCKER_URL GODOCKER_TOKEN=\$(cat .godocker/demo-token)"
echo "  node packages/cli/dist/godocker.cjs submit --cmd 'sleep 5; echo done' --wait"
