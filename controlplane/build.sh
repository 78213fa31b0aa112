#!/usr/bin/env bash
# Builds the test control plane's binaries from Go modules (no release binary is downloaded):
# kube-apiserver, kube-controller-manager and kubectl from k8s.io/kubernetes, etcd from
# go.etcd.io/etcd/server/v3, at the versions go.mod pins. They are cached by version outside the
# checkout, so only the first build costs minutes.
#
#   controlplane/build.sh          prints the directory holding the four binaries
#
# Environment: GOVKH_CONTROLPLANE_CACHE (default ~/.cache/govkh-test-cluster).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

die() { echo "controlplane/build.sh: $*" >&2; exit 1; }

command -v go >/dev/null || die "no 'go' on PATH: the control plane is built from Go modules (Go 1.26)"
gov="$(go env GOVERSION)"
case "$gov" in
  go1.26*) ;;
  # Go 1.27's encoding/json default breaks kube-apiserver's /openapi/v2 (kubectl cannot apply).
  *) die "Go $gov found; the control plane must be built with Go 1.26 (Go 1.27's JSON breaks /openapi/v2)" ;;
esac

# The pinned versions, read from go.mod itself (no network).
required() {
  go mod edit -json | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Require") or []:
    if r["Path"] == sys.argv[1]:
        print(r["Version"])' "$1"
}
kube="$(required k8s.io/kubernetes)"
etcd="$(required go.etcd.io/etcd/server/v3)"
[ -n "$kube" ] || die "go.mod requires no k8s.io/kubernetes"
[ -n "$etcd" ] || die "go.mod requires no go.etcd.io/etcd/server/v3"

# The cache key is both versions and a hash of what is built (the module's requirements and
# replacements without comments, go.sum, etcd's main), so a changed pin rebuilds.
key="$kube-etcd$etcd-$( { go mod edit -json; cat go.sum etcd/main.go; } | sha256sum | cut -c1-12)"
cache="${GOVKH_CONTROLPLANE_CACHE:-$HOME/.cache/govkh-test-cluster}/$key"
bins=(etcd kube-apiserver kube-controller-manager kubectl)

complete=1
for b in "${bins[@]}"; do [ -x "$cache/$b" ] || complete=0; done
if [ "$complete" = 1 ]; then
  echo "controlplane: reusing $cache" >&2
  echo "$cache"
  exit 0
fi

echo "controlplane: building Kubernetes $kube and etcd $etcd into $cache (minutes on 2 cores, once)" >&2
start=$(date +%s)
tmp="$cache.partial.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

# Fetch every module first, so a module the proxy lacks (or a proxy out of reach) is named:
# `go mod download -json` prints one object per module, with an Error where it failed.
if ! out="$(go mod download -json 2>"$tmp/download.err")"; then
  failed="$(printf '%s' "$out" | python3 -c '
import json, sys
text, dec, i = sys.stdin.read(), json.JSONDecoder(), 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    obj, i = dec.raw_decode(text, i)
    if obj.get("Error"):
        print(f"  {obj.get(\"Path\")}@{obj.get(\"Version\")}: {obj[\"Error\"]}")' 2>/dev/null | sed -n 1,10p || true)"
  die "Go modules could not be fetched (is the Go module proxy, $(go env GOPROXY), reachable?):
${failed:-$(head -5 "$tmp/download.err")}"
fi

# What `kubectl version` and Helm's .Capabilities.KubeVersion read; without it the binaries call
# themselves v0.0.0-master and the API server's compatibility version is wrong.
minor="$(echo "$kube" | cut -d. -f2)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$kube -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

export CGO_ENABLED=0 GOFLAGS=-mod=readonly
go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kubectl \
  || die "go build of Kubernetes $kube failed"
go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" ./etcd || die "go build of etcd $etcd failed"

for b in "${bins[@]}"; do [ -x "$tmp/$b" ] || die "the build left no $b"; done
rm -rf "$cache"
mv "$tmp" "$cache"
trap - EXIT
echo "controlplane: built in $(( $(date +%s) - start )) s" >&2
echo "$cache"
