#!/usr/bin/env bash
# Starts a one-node Kubernetes cluster on 127.0.0.1 for the Kubernetes executor's CI tests,
# unless it already answers, and prints the path of an admin kubeconfig.
# etcd (Debian's), kube-apiserver, kube-controller-manager, kube-scheduler and a kubelet
# (binaries from scripts/k8s-build.sh) and a containerd of its own for the kubelet's CRI,
# so Docker's containerd (CRI plugin disabled, other work on it) is left alone.
# Pods really run: runc under containerd, cgroupfs driver, pod network from Debian's CNI
# plugins on a bridge that reaches nothing but the host. Images cannot be pulled here:
# the pause image is compiled from scripts/k8s/pause.c and local/busybox:latest is copied
# from the Docker engine into containerd's k8s.io namespace; pods use imagePullPolicy Never.
# Usage: scripts/k8s-up.sh          (stop with scripts/k8s-down.sh)
# Env: GODOCKER_K8S_DIR (default /var/lib/godocker-ci/k8s), GODOCKER_K8S_VERSION, GODOCKER_K8S_CACHE,
#      GODOCKER_K8S_API_PORT (6443), GODOCKER_K8S_ETCD_PORT (2479; peer port +1),
#      GODOCKER_K8S_POD_CIDR (10.88.0.0/24), GODOCKER_K8S_IMAGES (Docker images to copy in,
#      default local/busybox:latest local/memhog:latest), GODOCKER_K8S_NODE_IP (198.18.0.1), GODOCKER_DOCKER_SOCKET.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
K=${GODOCKER_K8S_DIR:-/var/lib/godocker-ci/k8s}
api_port=${GODOCKER_K8S_API_PORT:-6443}
# Not etcd's default 2379: the project's own etcd status plugin tests may start one there.
etcd_port=${GODOCKER_K8S_ETCD_PORT:-2479}
pod_cidr=${GODOCKER_K8S_POD_CIDR:-10.88.0.0/24}
svc_cidr=10.96.0.0/24
images=${GODOCKER_K8S_IMAGES:-local/busybox:latest local/memhog:latest}
dsock=${GODOCKER_DOCKER_SOCKET:-/var/run/docker.sock}
# The node is named 127.0.0.1 (tests and job records name it so), but registers node_ip as its
# InternalIP: the API server proxies /api/v1/nodes/NODE/proxy/... (the kubelet's stats summary,
# which the executor samples usage from) only to an address that is not loopback or link-local,
# and answers "address not allowed" otherwise. node_ip sits on lo, as a /32 from the benchmarking
# range (RFC 2544, never routed): the kubelet listens there, nothing off this machine reaches it,
# and no dummy interface is needed (this kernel has no dummy driver). The API server reaches the
# kubelet (logs, exec, proxy) on node_ip:10250, verifying its serving cert against the CA.
node=127.0.0.1
node_ip=${GODOCKER_K8S_NODE_IP:-198.18.0.1}
pki=$K/pki run=$K/run log=$K/log
csock=$K/containerd/containerd.sock
mkdir -p "$pki" "$run" "$log"

bin=$("$here/k8s-build.sh")
kubectl() { "$bin/kubectl" --kubeconfig "$K/admin.kubeconfig" "$@"; }
say() { echo "k8s-up: $*" >&2; }

# ---------------------------------------------------------------- certificates and kubeconfigs
# One CA signs everything: the API server trusts client certs from it (CN = user, O = groups),
# the kubelet trusts the API server's client cert from it, and the API server verifies the
# kubelet's serving cert with it.
sign() { # NAME SUBJECT EXT_KEY_USAGE [SUBJECT_ALT_NAMES]
  local name=$1 subj=$2 eku=$3 san=${4:-}
  # Kept while it still names every address asked for (a new node_ip signs a new one).
  if [ -s "$pki/$name.crt" ]; then
    [ -z "$san" ] && return 0
    local have
    have=$(openssl x509 -in "$pki/$name.crt" -noout -ext subjectAltName 2>/dev/null | tr -d ' \n')
    have=${have//IPAddress:/IP:}
    local want missing=0
    for want in ${san//,/ }; do [[ ",${have#*Name:}," == *",$want,"* ]] || missing=1; done
    [ "$missing" = 0 ] && return 0
  fi
  openssl genrsa -out "$pki/$name.key.new" 2048 2>/dev/null
  openssl req -new -key "$pki/$name.key.new" -subj "$subj" -out "$pki/$name.csr"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -z "$san" ] || echo "subjectAltName=$san"
  } >"$pki/$name.ext"
  openssl x509 -req -sha256 -days 3650 -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -extfile "$pki/$name.ext" -out "$pki/$name.crt.new" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
  mv "$pki/$name.key.new" "$pki/$name.key"
  mv "$pki/$name.crt.new" "$pki/$name.crt"
}
if [ ! -s "$pki/ca.crt" ]; then
  openssl genrsa -out "$pki/ca.key" 2048 2>/dev/null
  openssl req -x509 -new -sha256 -days 3650 -key "$pki/ca.key" -subj "/CN=godocker-k8s-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$pki/ca.crt"
fi
sign apiserver "/CN=kube-apiserver" serverAuth \
  "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
sign admin "/O=system:masters/CN=kubernetes-admin" clientAuth
sign controller-manager "/CN=system:kube-controller-manager" clientAuth
sign scheduler "/CN=system:kube-scheduler" clientAuth
sign kubelet-client "/O=system:nodes/CN=system:node:$node" clientAuth
sign kubelet-serving "/CN=$node" serverAuth "IP:127.0.0.1,IP:$node_ip,DNS:localhost"
# Service-account tokens: the API server signs with the private key, verifies with the public one.
[ -s "$pki/sa.key" ] || openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
[ -s "$pki/sa.pub" ] || openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null

b64() { base64 -w0 <"$1"; }
kubeconfig() { # FILE CERT_NAME ; certs embedded so a test can copy the file anywhere
  cat >"$1.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: godocker
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(b64 "$pki/$2.crt")
    client-key-data: $(b64 "$pki/$2.key")
contexts:
- name: godocker
  context: {cluster: godocker, user: $2}
current-context: godocker
EOF
  chmod 600 "$1.tmp"
  mv "$1.tmp" "$1"
}
kubeconfig "$K/admin.kubeconfig" admin
kubeconfig "$K/controller-manager.kubeconfig" controller-manager
kubeconfig "$K/scheduler.kubeconfig" scheduler
kubeconfig "$K/kubelet.kubeconfig" kubelet-client

# ---------------------------------------------------------------- processes
# A pidfile names each process we started; it counts as running only while that pid still
# runs the same program, so a stale pidfile after a reboot cannot make us skip a start.
running() {
  local pf="$run/$1.pid" pid
  [ -s "$pf" ] || return 1
  pid=$(cat "$pf")
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}
start() { # NAME PROGRAM ARGS... ; detached (own session) so it outlives this script and its caller
  local name=$1
  shift
  if running "$name" "$1"; then return 0; fi
  say "starting $name (log $log/$name.log)"
  echo "--- $(date -u +%FT%TZ) start" >>"$log/$name.log"
  # shellcheck disable=SC2016 # expanded by the inner shell: its own pid, then the program
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$run/$name.pid" "$@" >>"$log/$name.log" 2>&1 </dev/null &
}
wait_for() { # WHAT SECONDS NAME COMMAND... ; NAME is the log to show on failure
  local what=$1 secs=$2 name=$3
  shift 3
  for _ in $(seq 1 $((secs * 2))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  say "$what did not happen within $secs s; last lines of $log/$name.log:"
  tail -40 "$log/$name.log" >&2
  exit 1
}

# ---------------------------------------------------------------- etcd
mkdir -p "$K/etcd"
chmod 700 "$K/etcd"
start etcd /usr/bin/etcd --name godocker-k8s --data-dir "$K/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
  --initial-cluster "godocker-k8s=http://127.0.0.1:$((etcd_port + 1))" \
  --quota-backend-bytes 2147483648 --auto-compaction-retention 1
wait_for "etcd health" 30 etcd curl -fsS "http://127.0.0.1:$etcd_port/health"

# ---------------------------------------------------------------- control plane
# A controller manager that outlived its API server stops creating service accounts (seen here
# after the API server alone was restarted): with a new API server, the controllers start anew too.
if ! running kube-apiserver "$bin/kube-apiserver"; then
  for c in kube-controller-manager kube-scheduler; do
    if running "$c" "$bin/$c"; then
      say "stopping $c: the API server is starting again"
      pid=$(cat "$run/$c.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
  done
fi
start kube-apiserver "$bin/kube-apiserver" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP,Hostname \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range "$svc_cidr" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged=true \
  `# the kubernetes Service's endpoint would be 127.0.0.1, which Endpoints validation rejects` \
  --endpoint-reconciler-type none \
  `# stdout and stderr of a pod's log read apart (alpha through 1.34); the executor falls back without it` \
  --feature-gates PodLogsQuerySplitStreams=true
wait_for "kube-apiserver readiness" 120 kube-apiserver kubectl get --raw /readyz

cm_kc=$K/controller-manager.kubeconfig
mkdir -p "$K/controller-manager/flexvolume"
# Default controllers include job, ttl-after-finished, serviceaccount, root-ca-cert-publisher and
# nodelifecycle (which lifts the not-ready taint); each controller acts with its own service
# account's rights, as in a real cluster.
start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$cm_kc" --authentication-kubeconfig "$cm_kc" --authorization-kubeconfig "$cm_kc" \
  --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --service-cluster-ip-range "$svc_cidr" --cluster-name godocker \
  --flex-volume-plugin-dir "$K/controller-manager/flexvolume"
sch_kc=$K/scheduler.kubeconfig
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$sch_kc" --authentication-kubeconfig "$sch_kc" --authorization-kubeconfig "$sch_kc" \
  --bind-address 127.0.0.1 --leader-elect=false

# ---------------------------------------------------------------- containerd + CNI
mkdir -p "$K/containerd/root" "$K/containerd/state" "$K/cni/net.d" "$K/cni/ipam"
# A bridge with the host at .1 and no default route in the pods: pods reach each other and
# the host, and nothing off this machine. No masquerade, no portmap: no iptables rules added.
cat >"$K/cni/net.d/10-godocker.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "godocker-k8s",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "gdk8s0",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$pod_cidr"}]],
        "dataDir": "$K/cni/ipam"
      }
    }
  ]
}
EOF
# Its own root, state, socket and runc root: Docker's containerd keeps its own, with CRI off.
cat >"$K/containerd/config.toml" <<EOF
version = 2
root = "$K/containerd/root"
state = "$K/containerd/state"

[grpc]
  address = "$csock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$K/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  # Built locally by this script: nothing can be pulled here.
  sandbox_image = "registry.k8s.io/pause:3.10"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  tolerate_missing_hugetlb_controller = true
  # This sandbox takes CAP_SYS_RESOURCE from everyone, root included, so no process may lower
  # an oom_score_adj; CRI asks for -998 (sandboxes) and -997 (Guaranteed pods) and runc then
  # fails with "failed to update /proc/self/oom_score_adj: Permission denied". Clamped to
  # containerd's own score instead, as it does for rootless runs.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # No systemd on this machine: the kubelet uses cgroupfs too.
        SystemdCgroup = false
        Root = "$K/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$K/cni/net.d"
EOF
start containerd /usr/bin/containerd --config "$K/containerd/config.toml"
ctr() { /usr/bin/ctr --address "$csock" -n k8s.io "$@"; }
wait_for "containerd answering" 30 containerd ctr version

# ---------------------------------------------------------------- images
# Copied in only when missing or when Docker's image changed (its id is kept as a stamp).
mkdir -p "$K/images"
import_from_docker() { # DOCKER_IMAGE
  local img=$1 id stamp
  id=$(docker -H "unix://$dsock" image inspect -f '{{.Id}}' "$img")
  stamp="$K/images/$(echo "$img" | tr '/:' '__').id"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$id" ] && ctr images ls -q | grep -qxF "$(normalized "$img")"; then return 0; fi
  say "importing $img into containerd (k8s.io namespace)"
  docker -H "unix://$dsock" save "$img" | ctr images import - >&2
  echo "$id" >"$stamp"
}
normalized() { # what containerd calls a docker-style short name
  case $1 in
    */*/*) echo "$1" ;;
    *.*/* | localhost/*) echo "$1" ;;
    */*) echo "docker.io/$1" ;;
    *) echo "docker.io/library/$1" ;;
  esac
}
if ! docker -H "unix://$dsock" version >/dev/null 2>&1; then
  say "no Docker engine on $dsock; starting one (scripts/docker-up.sh) to build the images"
  GODOCKER_DOCKER_SOCKET=$dsock "$here/docker-up.sh" >/dev/null
fi
GODOCKER_DOCKER_SOCKET=$dsock "$here/build-test-images.sh" >&2
if ! docker -H "unix://$dsock" image inspect registry.k8s.io/pause:3.10 >/dev/null 2>&1 ||
  ! docker -H "unix://$dsock" image inspect -f '{{.Comment}}' registry.k8s.io/pause:3.10 | grep -q godocker; then
  say "building the pause image from scripts/k8s/pause.c"
  pdir=$(mktemp -d)
  gcc -static -Os -s -Wall -Wextra -Werror -o "$pdir/pause" "$here/k8s/pause.c"
  tar -C "$pdir" --owner 0 --group 0 -c pause |
    docker -H "unix://$dsock" import -m "godocker pause, from scripts/k8s/pause.c" \
      -c 'ENTRYPOINT ["/pause"]' -c 'USER 65535:65535' - registry.k8s.io/pause:3.10 >/dev/null
  rm -rf "$pdir"
fi
import_from_docker registry.k8s.io/pause:3.10
for img in $images; do import_from_docker "$img"; done

# ---------------------------------------------------------------- kubelet
ip -4 -o addr show dev lo | grep -qF " $node_ip/32 " || ip addr add "$node_ip/32" dev lo
kdir=$K/kubelet
mkdir -p "$kdir/root" "$kdir/pki" "$kdir/volume-plugins" "$K/pod-logs"
cat >"$kdir/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$csock
# cgroup v1 here, and no systemd as PID 1.
cgroupDriver: cgroupfs
failCgroupV1: false
# The kubelet serves a container's stdout and stderr apart when asked (see the API server's flag).
featureGates:
  PodLogsQuerySplitStreams: true
failSwapOn: false
resolvConf: /etc/resolv.conf
clusterDomain: cluster.local
podLogsDir: $K/pod-logs
volumePluginDir: $kdir/volume-plugins
rotateCertificates: false
serverTLSBootstrap: false
# Images here cannot be pulled back once deleted: never garbage-collect them, and evict
# only when the disk is really full (the Docker engines beside us fill it with vfs layers).
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "2%"
  nodefs.inodesFree: "2%"
  imagefs.available: "2%"
EOF
# A node left Ready by an earlier kubelet stays Ready in the API for a while after that kubelet
# is gone: when this run starts the kubelet, only a heartbeat from after its start counts.
since=1970-01-01T00:00:00Z
running kubelet "$bin/kubelet" || since=$(date -u +%FT%TZ)
start kubelet "$bin/kubelet" --config "$kdir/config.yaml" --kubeconfig "$K/kubelet.kubeconfig" \
  --hostname-override "$node" --node-ip "$node_ip" --root-dir "$kdir/root" --cert-dir "$kdir/pki" --v 2

wait_for "kubelet healthz" 60 kubelet curl -fsS http://127.0.0.1:10248/healthz
node_ready() {
  local r
  r=$(kubectl get node "$node" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}')
  [ "${r%% *}" = True ] && [[ ! "${r#* }" < "$since" ]]
}
wait_for "node $node Ready" 120 kubelet node_ready
# Pods in a namespace need its default service account (made by the controller manager).
wait_for "default service account" 60 kube-controller-manager kubectl get serviceaccount default
say "cluster up: node $node Ready, API https://127.0.0.1:$api_port"
echo "$K/admin.kubeconfig"
