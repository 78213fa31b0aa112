#!/usr/bin/env bash
# Stops one process of the running test control plane and starts it again with the same
# command line, for the fault tests (operator/tests/chaos.rs):
#
#   controlplane/restart.sh kube-apiserver 20    down for 20 s, then back; waits for /readyz
#   controlplane/restart.sh etcd 0
#
# SIGTERM, SIGKILL after 10 s. Exits non-zero when the process is not one start.sh started, or
# does not come back.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${GOVKH_CONTROLPLANE_DIR:-$here/../target/controlplane}"
name="${1:?usage: controlplane/restart.sh etcd|kube-apiserver|kube-controller-manager [SECONDS-DOWN]}"
down="${2:-0}"
die() { echo "controlplane/restart.sh: $*" >&2; exit 1; }
[ -f "$state/cmd/$name" ] && [ -f "$state/pids/$name" ] || die "no $name started in $state"
state="$(cd "$state" && pwd)"

pid="$(cat "$state/pids/$name")"
# Only a process of this control plane: its command line names the state directory.
if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -cF -- "$state/" >/dev/null; then
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
fi
sleep "$down"
mapfile -d '' args <"$state/cmd/$name"
nohup "${args[@]}" >>"$state/logs/$name.log" 2>&1 &
echo $! >"$state/pids/$name"

if [ "$name" = kube-apiserver ]; then
  bin="$(dirname "${args[0]}")"
  for _ in $(seq 1 240); do
    "$bin/kubectl" --kubeconfig "$state/kubeconfig" get --raw /readyz >/dev/null 2>&1 && exit 0
    kill -0 "$(cat "$state/pids/$name")" 2>/dev/null || die "$name exited after the restart"
    sleep 0.5
  done
  die "$name's /readyz did not answer ok in 120 s after the restart"
fi
sleep 1
kill -0 "$(cat "$state/pids/$name")" 2>/dev/null || die "$name exited after the restart"
