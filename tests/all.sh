#!/usr/bin/env bash
# Every test, the README's second command: the Rust tests (unit, Rego, drift, CLI, mocked API
# server, webhook over TLS), the real-cluster suite (operator/tests/e2e.rs) and the fault suite
# (operator/tests/chaos.rs: kube-apiserver restarted, etcd compacted) on the project's own
# control plane (controlplane/: built from Go modules on first use, cached, started on loopback,
# stopped afterwards), the advisory check's logic (tests/advisories.py), then the Helm chart
# linted and rendered (tests/chart.py) and installed, upgraded and uninstalled on that control
# plane (tests/chart_cluster.py).
#
# Needs Rust, Go 1.26, Python 3 with pip, and the package registries. Ends with one closing line
# for all suites ("N passed, M failed"); exits non-zero when anything failed, when the control
# plane could not be built or started, or when a real-cluster suite did not run.
set -uo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt || {
  echo "tests/all.sh: pip could not install tests/requirements.txt" >&2
  exit 1
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Each suite is bounded (coreutils timeout, which stops the suite's whole process group): a
# suite that hangs fails with its output so far instead of holding CI until its limit. Cold, the
# Rust tests take ~15 min here, build included.
controlplane/with.sh bash -c '
  rc=0
  bounded() { timeout --kill-after=30 "$@"; c=$?; [ $c -eq 124 ] && echo "tests/all.sh: ${*:2} did not finish within $1 s" >&2; return $c; }
  bounded 3000 cargo test --workspace --locked || rc=1
  bounded 600 python3 tests/chart.py || rc=1
  bounded 600 python3 tests/advisories.py || rc=1
  bounded 900 python3 tests/chart_cluster.py || rc=1
  exit $rc' 2>&1 | tee "$log"
code=${PIPESTATUS[0]}

# One closing line for every suite together.
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' "$log"
[ "$code" -eq 0 ] || exit "$code"
# The suites that need a cluster must have run on one, not said they had none.
for ran in "test e2e::examples_on_a_real_cluster ... ok" "test authz::the_fence_on_a_real_cluster ... ok" "test chaos::faults_on_the_real_control_plane ... ok" "test chart_cluster::"; do
  if ! grep -qF "$ran" "$log"; then
    echo "tests/all.sh: no '$ran' line: the real-cluster suite did not run" >&2
    exit 1
  fi
done
