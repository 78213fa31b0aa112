#!/usr/bin/env bash
# Stops the test control plane that start.sh started in the same state directory: every process
# whose pid it recorded, or whose command line names that directory (a pid file can be lost in a
# crash), SIGTERM first, SIGKILL after 10 s. Never another process. Then removes the state,
# except the logs with --keep-logs.
#
#   controlplane/stop.sh [--keep-logs]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${GOVKH_CONTROLPLANE_DIR:-$here/../target/controlplane}"
[ -d "$state" ] || exit 0
state="$(cd "$state" && pwd)"

ours() {
  # The recorded pids that still run one of our binaries with this directory in its arguments,
  # and any other such process.
  {
    for f in "$state"/pids/*; do [ -f "$f" ] && cat "$f"; done
    pgrep -f -- "$state/" || true
  } | sort -u | while read -r pid; do
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || continue
    if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -cF -- "$state/" >/dev/null; then echo "$pid"; fi
  done
}

pids="$(ours)"
if [ -n "$pids" ]; then
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 100); do
    [ -z "$(ours)" ] && break
    sleep 0.1
  done
  left="$(ours)"
  [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
  for _ in $(seq 1 50); do
    [ -z "$(ours)" ] && break
    sleep 0.1
  done
fi

if [ "${1:-}" = "--keep-logs" ]; then
  rm -rf "$state/etcd" "$state/pids" "$state/cmd"
else
  rm -rf "$state"
fi
echo "controlplane: stopped${pids:+ (pids $(echo $pids))}" >&2
