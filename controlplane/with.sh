#!/usr/bin/env bash
# Runs a command against a fresh test control plane and stops it afterwards, whatever the
# command's outcome:
#
#   controlplane/with.sh cargo test --test e2e
#
# The command sees GOVKH_E2E_KUBECONFIG (the admin kubeconfig) and the control plane's kubectl
# first on PATH. KUBECONFIG is left alone: a test that must not find a cluster still finds none. Exits with the command's status, or 1 when the control plane
# could not be built or started (start.sh says why).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -gt 0 ] || { echo "usage: controlplane/with.sh COMMAND [ARG...]" >&2; exit 2; }

kubeconfig="$("$here/start.sh")" || {
  echo "controlplane/with.sh: the control plane could not be started; '$*' did not run" >&2
  exit 1
}
trap '"$here/stop.sh" --keep-logs' EXIT
bin="$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^bin=/) print substr($i, 5) }' "$(dirname "$kubeconfig")/endpoints")"
GOVKH_E2E_KUBECONFIG="$kubeconfig" PATH="$bin:$PATH" "$@"
