#!/usr/bin/env bash
# Every test, the README's second command: the Rust tests (unit, Rego, drift, CLI, mocked API
# server, webhook over TLS), the real-cluster suites (operator/tests/e2e.rs; the fence,
# operator/tests/authz.rs) and the fault suite (operator/tests/chaos.rs: kube-apiserver
# restarted, etcd compacted, two replicas behind haproxy) on the project's own control plane
# (controlplane/: built from Go modules on first use, cached, started on loopback, stopped
# afterwards), the prerequisites check (tests/prerequisites.py), the advisory check's logic
# (tests/advisories.py), then the Helm chart linted and rendered (tests/chart.py) and installed,
# upgraded and uninstalled on that control plane (tests/chart_cluster.py).
#
# What a fresh machine needs (the README's list, held to this script by tests/prerequisites.py):
# Rust, Go 1.26 and Python 3 with pip, the package registries, and the Debian packages in
# PACKAGES below. Those are checked in the first seconds: installed when this script may (as
# root, or with passwordless sudo, and apt-get), else all named with the command that installs
# them. The Python packages go into a virtual environment of the checkout's own
# (target/test-venv), never the system's. Every suite runs even when one fails; one closing
# line for all ("N passed, M failed"); non-zero when anything failed, when the control plane
# could not be built or started, or when a real-cluster suite did not run.
set -uo pipefail
cd "$(dirname "$0")/.."

# command:Debian package — what the suites run that a fresh Debian may lack.
PACKAGES=(
  "haproxy:haproxy"         # the fault suite's loopback balancer in front of two replicas
  "openssl:openssl"         # the control plane's certificates; the chart's certificate check
  "curl:curl"               # the control plane's health checks
  "pgrep:procps"            # stopping the control plane's processes
  "timeout:coreutils"       # each suite, and each kubectl call of the suites, bounded
)

missing_tools=()
for t in cargo go python3; do
  command -v "$t" >/dev/null || missing_tools+=("$t")
done
if [ ${#missing_tools[@]} -gt 0 ]; then
  echo "tests/all.sh: missing ${missing_tools[*]}: install Rust (https://rustup.rs), Go 1.26 and Python 3 with pip, as the README says" >&2
  exit 2
fi
go_version=$(go env GOVERSION 2>/dev/null)
case "$go_version" in
  go1.26*) ;;
  *) echo "tests/all.sh: Go 1.26 is needed for the control plane (found ${go_version:-none}; Go 1.27's encoding/json breaks kube-apiserver's /openapi/v2)" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  command -v "${p%%:*}" >/dev/null || missing+=("${p#*:}")
done
# The virtual environment needs Python's venv and ensurepip (Debian: python3-venv).
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=("python3-venv")
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || sudo -n true 2>/dev/null; }; then
    echo "tests/all.sh: installing ${missing[*]} (Debian packages)"
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || {
      echo "tests/all.sh: could not install ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}'" >&2
      exit 2
    }
  else
    echo "tests/all.sh: missing ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' (Debian), then this again" >&2
    exit 2
  fi
fi

venv=target/test-venv
if [ ! -x "$venv/bin/python3" ]; then
  python3 -m venv "$venv" || { echo "tests/all.sh: cannot make the virtual environment $venv" >&2; exit 2; }
fi
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt || {
  echo "tests/all.sh: pip could not install tests/requirements.txt into $venv" >&2
  exit 1
}
export GOVKH_TEST_PYTHON="$PWD/$venv/bin/python3"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Each suite is bounded (coreutils timeout, which stops the suite's whole process group): a
# suite that hangs fails with its output so far instead of holding CI until its limit. Cold, the
# Rust tests take ~15 min here, build included. `--no-fail-fast`: a failing test binary does not
# keep the others (the real-cluster suites among them) from running.
controlplane/with.sh bash -c '
  rc=0
  py="$GOVKH_TEST_PYTHON"
  bounded() { timeout --kill-after=30 "$@"; c=$?; [ $c -eq 124 ] && echo "tests/all.sh: ${*:2} did not finish within $1 s" >&2; return $c; }
  bounded 3600 cargo test --workspace --locked --no-fail-fast || rc=1
  bounded 120 "$py" tests/prerequisites.py || rc=1
  bounded 600 "$py" tests/chart.py || rc=1
  bounded 600 "$py" tests/advisories.py || rc=1
  bounded 900 "$py" tests/chart_cluster.py || rc=1
  exit $rc' 2>&1 | tee "$log"
code=${PIPESTATUS[0]}

# One closing line for every suite together.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests/all.sh: %d passed, %d failed\n", p, f }' "$log"
# The suites that need a cluster must have run on one, not said they had none.
ran_all=0
for ran in "test e2e::examples_on_a_real_cluster ... ok" "test authz::the_fence_on_a_real_cluster ... ok" "test chaos::faults_on_the_real_control_plane ... ok" "test chart_cluster::"; do
  if ! grep -qF "$ran" "$log"; then
    echo "tests/all.sh: no '$ran' line: that real-cluster suite did not run or did not pass" >&2
    ran_all=1
  fi
done
[ "$code" -eq 0 ] || exit "$code"
exit "$ran_all"
