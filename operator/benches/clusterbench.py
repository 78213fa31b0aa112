"""What the benchmarks on the real control plane share (cluster.py, admission_load.py): the
repository's root, kubectl on the kubeconfig controlplane/with.sh gives, the CRDs and the
national examples applied, and the operator's /readyz."""

import os
import subprocess
import sys
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = ["00-government-cloud.yaml", "01-data-classes.yaml", "02-ministries.yaml",
            "10-tenancies.yaml", "20-approvals.yaml", "30-links.yaml",
            "40-grants-by-moh.yaml", "41-grants-by-gdt.yaml", "42-grants-by-the-committee.yaml"]


def operator_env():
    """The environment `govkh run` is started with: this one, with the allocator set as the chart
    and the image set it (MIMALLOC_PURGE_DELAY=0) unless it is set here already, so that a
    benchmark measures what is deployed and `MIMALLOC_PURGE_DELAY=10` measures mimalloc's own."""
    return {**os.environ, "MIMALLOC_PURGE_DELAY": os.environ.get("MIMALLOC_PURGE_DELAY", "0")}


def kubeconfig():
    """The control plane's kubeconfig; exits saying how to get one when there is none."""
    path = os.environ.get("GOVKH_E2E_KUBECONFIG")
    if not path:
        sys.exit("GOVKH_E2E_KUBECONFIG is not set: run it under controlplane/with.sh")
    return path


def kubectl(*args, stdin=None):
    """kubectl's standard output; exits with its error when it fails."""
    out = subprocess.run(["kubectl", "--kubeconfig", kubeconfig(), *args],
                         input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"kubectl {' '.join(args[:3])}: {out.stderr.strip()[:2000]}")
    return out.stdout


def install_examples():
    """The CRDs (waited for) and the national examples without workloads/."""
    kubectl("apply", "--server-side", "-f", os.path.join(ROOT, "crds"))
    kubectl("wait", "--for=condition=Established", "--timeout=60s", "-f", os.path.join(ROOT, "crds"))
    for f in EXAMPLES:
        kubectl("apply", "-f", os.path.join(ROOT, "examples", f))


def ready(probe):
    """Whether the operator's /readyz at `probe` answers 200."""
    try:
        with urllib.request.urlopen(f"http://{probe}/readyz", timeout=2) as r:
            return r.status == 200
    except Exception:  # noqa: BLE001 - not up yet
        return False
