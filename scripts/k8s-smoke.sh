#!/usr/bin/env bash
# Proves the one-node cluster of scripts/k8s-up.sh runs real pods the way the Kubernetes
# executor will use them: a batch/v1 Job as uid 1000 with cpu/memory limits whose exit code
# and logs come back and whose failure fails the Job, a pod killed for memory reported as
# OOMKilled, the ttl-after-finished controller deleting a finished Job, a pod reachable on its
# pod IP from the host, and exec into that pod, whose cgroup holds its limits.
# Exits non-zero on the first failure.
# Usage: scripts/k8s-smoke.sh   (starts the cluster if it is not up; leaves it running)
# Env: GODOCKER_K8S_SMOKE_KEEP=1 keeps the test namespace for a look afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kc=$("$here/k8s-up.sh")
bin=$("$here/k8s-build.sh")
k() { "$bin/kubectl" --kubeconfig "$kc" "$@"; }
ns=godocker-smoke-$$
passed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() {
  echo "FAILED: $*" >&2
  echo "--- what the namespace holds:" >&2
  k -n "$ns" get jobs,pods -o wide >&2 || true
  k -n "$ns" get events --sort-by=.lastTimestamp >&2 || true
  echo "$passed passed, 1 failed"
  exit 1
}
cleanup() { [ "${GODOCKER_K8S_SMOKE_KEEP:-}" = 1 ] || k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT
start=$(date +%s)

k create namespace "$ns" >/dev/null
# Pods are refused until the namespace's default service account exists.
for _ in $(seq 1 60); do k -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.5; done

# ---- 1. a Job that fails with exit code 3, as uid/gid 1000, cpu and memory limited
k -n "$ns" apply -f - >/dev/null <<'EOF'
apiVersion: batch/v1
kind: Job
metadata: {name: exit3}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      securityContext: {runAsUser: 1000, runAsGroup: 1000}
      containers:
      - name: main
        image: local/busybox:latest
        imagePullPolicy: Never
        command: [sh, -c, 'id; echo hello; exit 3']
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {cpu: 100m, memory: 64Mi}
EOF
k -n "$ns" wait --for=condition=Failed job/exit3 --timeout=120s >/dev/null || fail "job exit3 did not fail within 120 s"
reason=$(k -n "$ns" get job exit3 -o 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}')
ok "job exit3 is Failed (reason $reason)"
pod=$(k -n "$ns" get pods -l batch.kubernetes.io/job-name=exit3 -o 'jsonpath={.items[0].metadata.name}')
[ -n "$pod" ] || fail "job exit3 has no pod"
term() { k -n "$ns" get pod "$1" -o "jsonpath={.status.containerStatuses[0].state.terminated.$2}"; }
[ "$(term "$pod" exitCode)" = 3 ] || fail "pod $pod: terminated exitCode is '$(term "$pod" exitCode)', not 3"
[ -n "$(term "$pod" startedAt)" ] || fail "pod $pod: its container never started"
ok "pod $pod ran on node $(k -n "$ns" get pod "$pod" -o 'jsonpath={.spec.nodeName}'), terminated with exitCode 3 (reason $(term "$pod" reason))"
logs=$(k -n "$ns" logs "$pod")
while read -r line; do echo "    log: $line"; done <<<"$logs"
echo "$logs" | grep -qx hello || fail "pod $pod: log has no line 'hello'"
echo "$logs" | grep -q '^uid=1000 gid=1000' || fail "pod $pod: log does not show uid=1000 gid=1000"
ok "logs say hello and uid=1000 gid=1000"
qos=$(k -n "$ns" get pod "$pod" -o 'jsonpath={.status.qosClass}')
[ "$qos" = Guaranteed ] || fail "pod $pod: qosClass $qos, expected Guaranteed (requests = limits)"
ok "qosClass Guaranteed"

# ---- 2. a pod that goes over its 16Mi memory limit
k -n "$ns" apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: local/busybox:latest
    imagePullPolicy: Never
    command: [sh, -c, 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived ${#x}']
    resources:
      limits: {cpu: 500m, memory: 16Mi}
EOF
k -n "$ns" wait --for=jsonpath='{.status.phase}'=Failed pod/oom --timeout=120s >/dev/null ||
  fail "pod oom did not fail within 120 s"
[ "$(term oom reason)" = OOMKilled ] || fail "pod oom: terminated reason is '$(term oom reason)', not OOMKilled"
ok "pod oom terminated with reason OOMKilled, exitCode $(term oom exitCode)"

# ---- 3. the ttl-after-finished controller deletes a finished Job
k -n "$ns" apply -f - >/dev/null <<'EOF'
apiVersion: batch/v1
kind: Job
metadata: {name: ttl}
spec:
  ttlSecondsAfterFinished: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: local/busybox:latest
        imagePullPolicy: Never
        command: ["true"]
EOF
k -n "$ns" wait --for=condition=Complete job/ttl --timeout=120s >/dev/null || fail "job ttl did not complete within 120 s"
k -n "$ns" wait --for=delete job/ttl --timeout=60s >/dev/null 2>&1 || fail "job ttl was not deleted by its TTL within 60 s"
ok "job ttl completed and was deleted 2 s later by the ttl-after-finished controller"

# ---- 4. pod network: the host reaches a pod on its pod IP
k -n "$ns" apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: local/busybox:latest
    imagePullPolicy: Never
    command: [sh, -c, 'mkdir -p /tmp/www && echo pod-network-ok >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www']
    resources:
      limits: {cpu: 200m, memory: 32Mi}
EOF
k -n "$ns" wait --for=condition=Ready pod/web --timeout=120s >/dev/null || fail "pod web not Ready within 120 s"
ip=$(k -n "$ns" get pod web -o 'jsonpath={.status.podIP}')
body=""
for _ in $(seq 1 20); do body=$(curl -fsS --max-time 2 "http://$ip:8080/" 2>/dev/null) && break; sleep 0.5; done
[ "$body" = pod-network-ok ] || fail "GET http://$ip:8080/ from the host answered '$body'"
ok "pod web on pod IP $ip answers the host"

# ---- 5. exec into a running pod, and the limits really set on its cgroup (v1 here)
lim=$(k -n "$ns" exec web -- sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us' | tr '\n' ' ')
[ "$lim" = "33554432 20000 100000 " ] || fail "pod web: memory limit, cfs quota, cfs period are '$lim', expected 33554432 20000 100000"
ok "exec into pod web: its cgroup holds memory 32Mi and cpu 20000/100000 (200m)"

echo "smoke took $(($(date +%s) - start)) s"
echo "$passed passed, 0 failed"
