#!/usr/bin/env bash
# Build the govkh image with buildah (Debian: apt-get install buildah), write it as an OCI
# archive, and smoke-test it. Usage: image/build.sh [OUTPUT.tar]  (default target/govkh-oci.tar)
#
# The binary is linked statically against glibc (the image holds nothing else). It reaches the
# API server by the address Kubernetes gives in-cluster (an IP), so no name-service library is
# needed there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/govkh-oci.tar}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | sed -n 1p)
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
storage=(--storage-driver vfs --root "${GOVKH_BUILDAH_ROOT:-$PWD/target/buildah}" --runroot "${GOVKH_BUILDAH_RUNROOT:-$PWD/target/buildah-run}")

echo "== static release build"
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --target x86_64-unknown-linux-gnu -p govkh
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp target/x86_64-unknown-linux-gnu/release/govkh "$context/govkh"
cp image/Containerfile "$context/Containerfile"

echo "== buildah bud"
buildah "${storage[@]}" bud --isolation chroot --layers=false \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" \
  -t localhost/govkh:"$version" -f "$context/Containerfile" "$context"
rm -f "$out"
buildah "${storage[@]}" push localhost/govkh:"$version" oci-archive:"$out":govkh:"$version"

echo "== smoke test"
ctr=$(buildah "${storage[@]}" from localhost/govkh:"$version")
cleanup() { buildah "${storage[@]}" rm "$ctr" >/dev/null; rm -rf "$context"; }
trap cleanup EXIT
config=$(buildah "${storage[@]}" inspect --type container "$ctr")
python3 - "$config" <<'PY'
import json, sys
c = json.loads(sys.argv[1])["OCIv1"]["config"]
assert c["User"] == "65532:65532", c["User"]
assert c["Entrypoint"] == ["/govkh"], c["Entrypoint"]
assert c["Labels"]["org.opencontainers.image.title"] == "govkh", c["Labels"]
assert "MIMALLOC_PURGE_DELAY=0" in c.get("Env", []), c.get("Env")
print("config: user", c["User"], "entrypoint", c["Entrypoint"])
PY
# No shell in the image: running one must fail.
if buildah "${storage[@]}" run --isolation chroot "$ctr" -- /bin/sh -c true 2>/dev/null; then
  echo "the image has a shell" >&2
  exit 1
fi
run=(buildah "${storage[@]}" run --isolation chroot --user 65532:65532 "$ctr" --)
"${run[@]}" /govkh --version
# sed reads to the end (head would close the pipe early: SIGPIPE under pipefail).
"${run[@]}" /govkh policy list | sed -n 1,3p
# The examples mounted in, read-only: the same verdicts as outside (exit 1: denials).
set +e
buildah "${storage[@]}" run --isolation chroot --user 65532:65532 \
  --volume "$PWD/examples:/examples:ro" "$ctr" -- \
  /govkh check /examples --now 2026-11-26 -f json > "$context/check.json" 2> "$context/check.err"
code=$?
set -e
if [ "$code" -ne 1 ]; then
  echo "govkh check /examples in the image exited $code, expected 1:" >&2
  cat "$context/check.err" >&2
  exit 1
fi
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("check in the image:", s["objects"], "objects,", s["findings"]); assert s["findings"]["deny"] == 14, s' "$context/check.json"
size=$(stat -c %s "$out")
echo "image: $out, $((size / 1024 / 1024)) MiB (OCI archive), binary $(( $(stat -c %s target/x86_64-unknown-linux-gnu/release/govkh) / 1024 / 1024 )) MiB"
