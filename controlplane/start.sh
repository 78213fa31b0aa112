#!/usr/bin/env bash
# Starts the test control plane on loopback: etcd, kube-apiserver (RBAC on, a CA and a serving
# certificate made for this run) and kube-controller-manager (namespace deletion and garbage
# collection). There is no kubelet: pods never run.
#
#   controlplane/start.sh      builds or reuses the binaries, starts everything, waits for
#                              /readyz and prints the kubeconfig's path on stdout
#
# Everything lives in one state directory (GOVKH_CONTROLPLANE_DIR, default target/controlplane
# of this checkout): pki/, etcd data, logs, pids and the kubeconfig. A start first clears its
# own leftovers there (processes whose command line names this directory, the etcd data) and
# never touches another process; ports are free ones picked for the run.
#
# GOVKH_CONTROLLERS is kube-controller-manager's --controllers (default `*`, all of them): the
# memory benchmark at 50,000 Deployments runs with `*,-deployment-controller`, so the controller
# manager does not spend half an hour making ReplicaSets govkh never reads.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${GOVKH_CONTROLPLANE_DIR:-$here/../target/controlplane}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"

die() {
  echo "controlplane/start.sh: $*" >&2
  for log in "$state"/logs/*.log; do
    [ -f "$log" ] || continue
    echo "--- last lines of $log" >&2
    tail -n 15 "$log" >&2
  done
  exit 1
}

bin="$("$here/build.sh")" || die "the control plane's binaries could not be built (above)"

# Leftovers of an earlier run in this directory (a crash, a killed CI job): stop them first.
"$here/stop.sh" --keep-logs >/dev/null 2>&1 || true
rm -rf "$state/etcd" "$state/pki" "$state/pids" "$state/cmd" "$state/logs" "$state/kubeconfig"
mkdir -p "$state/pki" "$state/pids" "$state/cmd" "$state/logs"

# Three free loopback ports, chosen by the kernel (a fixed port could belong to someone else).
read -r etcd_port peer_port api_port < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
)

# PKI: a CA that signs the API server's serving certificate and the clients' certificates.
# rustls refuses a CA certificate presented as a server's, so the two are kept apart.
pki="$state/pki"
ossl() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"; }
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=govkh-test-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
sign() { # name subject extensions
  ossl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr"
  printf '%s\n' "$3" >"$pki/$1.ext"
  ossl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -out "$pki/$1.crt" -extfile "$pki/$1.ext"
}
sign apiserver "/CN=kube-apiserver" \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
sign admin "/O=system:masters/CN=govkh-test-admin" "$client_ext"
sign controller-manager "/CN=system:kube-controller-manager" "$client_ext"
# The API server's identity toward admission webhooks (mutual TLS), from a CA of its own so a
# webhook that trusts it trusts nobody else the test CA signed: pki/webhook-client-ca.crt is what
# `govkh run --webhook-client-ca-file` is given.
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=govkh-test-webhook-client-ca" \
  -keyout "$pki/webhook-client-ca.key" -out "$pki/webhook-client-ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
ossl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver-webhook-client" \
  -keyout "$pki/webhook-client.key" -out "$pki/webhook-client.csr"
printf '%s\n' "$client_ext" >"$pki/webhook-client.ext"
ossl x509 -req -in "$pki/webhook-client.csr" -CA "$pki/webhook-client-ca.crt" \
  -CAkey "$pki/webhook-client-ca.key" -CAcreateserial -days 2 \
  -out "$pki/webhook-client.crt" -extfile "$pki/webhook-client.ext"
ossl genrsa -out "$pki/sa.key" 2048
ossl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

kubeconfig() { # file user
  local b64="base64 -w0"
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: govkh-test
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $($b64 <"$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 <"$pki/$2.crt")
    client-key-data: $($b64 <"$pki/$2.key")
contexts:
- name: govkh-test
  context: {cluster: govkh-test, user: $2}
current-context: govkh-test
EOF
}
kubeconfig "$state/kubeconfig" admin
kubeconfig "$state/controller-manager.kubeconfig" controller-manager

launch() { # name command...
  local name="$1"
  shift
  # The command line is kept (NUL-separated) so restart.sh can start the process again.
  printf '%s\0' "$@" >"$state/cmd/$name"
  nohup "$@" >"$state/logs/$name.log" 2>&1 &
  echo $! >"$state/pids/$name"
}
alive() { kill -0 "$(cat "$state/pids/$1")" 2>/dev/null; }

launch etcd "$bin/etcd" \
  --name govkh-test --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "govkh-test=http://127.0.0.1:$peer_port" \
  --unsafe-no-fsync --log-level warn

for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$etcd_port/health" >/dev/null 2>&1 && break
  alive etcd || die "etcd exited at start"
  sleep 0.2
done
curl -sf "http://127.0.0.1:$etcd_port/health" >/dev/null 2>&1 || die "etcd did not become healthy in 20 s"

# --enable-aggregator-routing: a webhook or aggregated API behind a Service is reached at its
# endpoints, not its ClusterIP. Nothing routes the service range here (no kube-proxy), and with no
# pods there are no endpoints, so a call to such a webhook (the chart's) fails at once, on this
# machine, instead of being sent toward an address that is not.
# --endpoint-reconciler-type none: the `kubernetes` Service's endpoints would be 127.0.0.1, which
# Endpoints refuse (loopback); nothing in the suite reaches the API server through that Service.
# The audit log (logs/audit.log, JSON lines) records every write and LIST, with its user agent:
# the fault suite counts from it which govkh replica wrote what, and when; the benchmark, who
# listed while nothing changed. GETs, WATCHes and Events are left out.
cat >"$state/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    verbs: [get, watch]
  - level: None
    resources: [{group: "", resources: [events]}, {group: events.k8s.io, resources: [events]}]
  - level: Metadata
POLICY
# The certificate the API server presents to every webhook (user `*`: any host), as a cluster
# whose webhooks require mutual TLS configures it.
cat >"$state/webhook-client.kubeconfig" <<EOF
apiVersion: v1
kind: Config
users:
- name: "*"
  user:
    client-certificate: $pki/webhook-client.crt
    client-key: $pki/webhook-client.key
EOF
cat >"$state/admission-config.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ValidatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: $state/webhook-client.kubeconfig
- name: MutatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: $state/webhook-client.kubeconfig
EOF
launch kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --cert-dir "$pki" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc \
  --service-account-key-file "$pki/sa.pub" \
  --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.0.0.0/24 \
  --allow-privileged \
  --enable-aggregator-routing \
  --endpoint-reconciler-type none \
  --audit-policy-file "$state/audit-policy.yaml" \
  --admission-control-config-file "$state/admission-config.yaml" \
  --audit-log-path "$state/logs/audit.log" --audit-log-format json \
  --audit-log-maxsize 500 --audit-log-maxbackup 1 \
  --v 1

# Ready: /readyz answers ok (etcd reached, the bootstrap RBAC and priority levels in place).
kubectl_() { "$bin/kubectl" --kubeconfig "$state/kubeconfig" "$@"; }
ready=0
for _ in $(seq 1 240); do
  if kubectl_ get --raw /readyz >/dev/null 2>&1; then ready=1; break; fi
  alive kube-apiserver || die "kube-apiserver exited at start"
  sleep 0.5
done
[ "$ready" = 1 ] || die "kube-apiserver's /readyz did not answer ok in 120 s"

launch kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$state/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$state/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$state/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 \
  --leader-elect=false \
  --controllers "${GOVKH_CONTROLLERS:-*}" \
  --kube-api-qps 200 --kube-api-burst 400 \
  --use-service-account-credentials \
  --service-account-private-key-file "$pki/sa.key" \
  --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --v 1

# (--kube-api-qps: at its default of 20 requests/s the controller manager needs ~25 minutes to
# make the ReplicaSets of 10,000 Deployments; the benchmarks wait for it to finish.)
# The controller manager is up when it has made the default namespace's ServiceAccount.
for _ in $(seq 1 120); do
  kubectl_ get serviceaccount default -n default >/dev/null 2>&1 && break
  alive kube-controller-manager || die "kube-controller-manager exited at start"
  sleep 0.5
done
kubectl_ get serviceaccount default -n default >/dev/null 2>&1 \
  || die "kube-controller-manager made no ServiceAccount in 60 s"

echo "api=https://127.0.0.1:$api_port etcd=http://127.0.0.1:$etcd_port bin=$bin" >"$state/endpoints"
echo "controlplane: Kubernetes $("$bin/kubectl" version --client -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])') at https://127.0.0.1:$api_port (state in $state)" >&2
echo "$state/kubeconfig"
