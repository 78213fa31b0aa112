#!/usr/bin/env python3
"""The Helm chart installed for real: install, upgrade and uninstall with the Helm v4 SDK
(PyPI helm-python-sdk) on the cluster that GOVKH_E2E_KUBECONFIG names — in CI, the project's
own control plane (controlplane/with.sh). Without it, it says so and runs nothing (no "test
result" line, so it is never counted as passed).

1. install with the default values: every object the release renders exists afterwards, and
   the chart's CRDs are Established;
2. upgrade with openreports.installCRDs=true (the webhook enabled, as by default): the
   OpenReports CRDs are accepted and Established, the webhook registered with the chart's CA;
3. uninstall: nothing the release rendered is left, but the digital.gov.kh CRDs (Helm never
   deletes what a chart's crds/ installed: deleting them would delete every ministry's objects);
4. a fresh install straight to openreports.installCRDs=true, then uninstall;
5. the release's service account reads no Secret anywhere until it binds its reader role in a
   namespace (as the operator does in each tenancy's), which `bind` alone lets it do.

No kubelet runs, so the pods never start: what is tested is that the API server takes every
object. kubectl (the control plane's, first on PATH) reads the cluster back.
"""

import json
import os
import subprocess
import sys
import time
import traceback

import helm_python as helm
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHART = os.path.join(ROOT, "charts", "govkh")
NAMESPACE = "govkh-chart-test"
RELEASE = "govkh"
KUBECONFIG = os.environ.get("GOVKH_E2E_KUBECONFIG")
OPENREPORTS_CRDS = ["reports.openreports.io", "clusterreports.openreports.io"]


def kubectl(*args, check=True):
    # Bounded: `kubectl delete` otherwise waits a week for objects a finalizer holds.
    try:
        out = subprocess.run(
            ["kubectl", "--kubeconfig", KUBECONFIG, *args], capture_output=True, text=True,
            timeout=180,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"kubectl {' '.join(args)}: did not finish within 180 s") from None
    if check and out.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {out.stderr.strip()}")
    return out


def config():
    return helm.Config(kubeconfig_path=KUBECONFIG, namespace=NAMESPACE)


def rendered(release):
    """The objects a release's manifest holds, as (kind, namespace, name)."""
    objects = []
    for doc in yaml.safe_load_all(release["manifest"]):
        if doc:
            meta = doc["metadata"]
            namespaced = doc["kind"] not in (
                "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                "ValidatingWebhookConfiguration", "Namespace",
                "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
            )
            objects.append((doc["kind"], meta.get("namespace", NAMESPACE) if namespaced else None, meta["name"]))
    assert objects, "the release rendered nothing"
    return objects


def exists(kind, namespace, name):
    args = ["get", kind, name, "-o", "name"]
    if namespace:
        args += ["-n", namespace]
    return kubectl(*args, check=False).returncode == 0


def wait_established(names, timeout=60):
    for name in names:
        kubectl("wait", "--for=condition=Established", f"--timeout={timeout}s", f"crd/{name}")


def chart_crds():
    names = []
    for f in sorted(os.listdir(os.path.join(CHART, "crds"))):
        with open(os.path.join(CHART, "crds", f)) as fh:
            names.append(yaml.safe_load(fh)["metadata"]["name"])
    return names


def wait_gone(objects, timeout=60):
    deadline = time.time() + timeout
    left = objects
    while time.time() < deadline:
        left = [o for o in left if exists(*o)]
        if not left:
            return
        time.sleep(1)
    raise AssertionError(f"left behind after uninstall: {left}")


def uninstall(cfg):
    try:
        cfg.uninstall(RELEASE, ignore_not_found=True, timeout=120)
    except helm.HelmError:
        pass


def test_install_upgrade_uninstall_with_the_defaults_then_the_openreports_crds():
    cfg = config()
    try:
        release = cfg.install(CHART, RELEASE, {}, namespace=NAMESPACE, create_namespace=True, timeout=120)
        objects = rendered(release)
        missing = [o for o in objects if not exists(*o)]
        assert not missing, f"rendered but not in the cluster: {missing}"
        wait_established(chart_crds())
        kinds = {k for k, _, _ in objects}
        # The admission policies too (the API server compiles each CEL expression and checks its
        # cost when it takes them).
        assert {"Deployment", "ClusterRole", "ValidatingWebhookConfiguration",
                "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} <= kinds, kinds
        assert not any(k == "CustomResourceDefinition" for k in kinds), "OpenReports CRDs by default"

        release = cfg.upgrade(
            CHART, RELEASE, {"openreports": {"installCRDs": True}, "webhook": {"enabled": True}},
            namespace=NAMESPACE, timeout=120,
        )
        assert release["revision"] == 2 and release["status"] == "deployed", release["revision"]
        upgraded = rendered(release)
        missing = [o for o in upgraded if not exists(*o)]
        assert not missing, f"rendered but not in the cluster after the upgrade: {missing}"
        wait_established(OPENREPORTS_CRDS)
        # The registration trusts the CA the chart made, and the certificate is kept on upgrade.
        hook = json.loads(kubectl("get", "validatingwebhookconfiguration", RELEASE, "-o", "json").stdout)
        ca = hook["webhooks"][0]["clientConfig"]["caBundle"]
        secret = json.loads(kubectl("get", "secret", "-n", NAMESPACE, f"{RELEASE}-webhook-tls", "-o", "json").stdout)
        assert secret["data"]["ca.crt"] == ca, "the webhook's caBundle is not the chart's CA"

        cfg.uninstall(RELEASE, timeout=120)
        wait_gone(upgraded)
        for crd in chart_crds():
            assert exists("crd", None, crd), f"{crd} was deleted with the release"
    finally:
        uninstall(cfg)
        cfg.close()


def test_a_fresh_install_with_the_openreports_crds_and_uninstall():
    cfg = config()
    try:
        release = cfg.install(
            CHART, RELEASE, {"openreports": {"installCRDs": True}},
            namespace=NAMESPACE, create_namespace=True, timeout=120,
        )
        objects = rendered(release)
        assert [o for o in objects if o[0] == "CustomResourceDefinition"], "no OpenReports CRDs"
        missing = [o for o in objects if not exists(*o)]
        assert not missing, f"rendered but not in the cluster: {missing}"
        wait_established(OPENREPORTS_CRDS)
        cfg.uninstall(RELEASE, timeout=120)
        wait_gone(objects)
    finally:
        uninstall(cfg)
        cfg.close()


def test_the_operator_reads_secrets_only_where_it_binds_its_reader_role():
    """The release's service account reads no Secret anywhere (kube-system's included) until it
    binds its reader role in a namespace — as the operator does in each namespace a tenancy
    provisions — which the API server's escalation check lets it do with `bind` alone."""
    cfg = config()
    sa = f"system:serviceaccount:{NAMESPACE}:{RELEASE}"
    ns = "govkh-chart-tenant"

    def can(*args):
        out = kubectl("auth", "can-i", *args, f"--as={sa}", check=False)
        return out.stdout.strip() == "yes"

    try:
        cfg.install(CHART, RELEASE, {}, namespace=NAMESPACE, create_namespace=True, timeout=120)
        assert not can("get", "secrets", "-n", "kube-system"), "reads kube-system's Secrets"
        assert not can("list", "secrets", "--all-namespaces"), "lists every Secret"
        assert not can("watch", "secrets", "-n", ns)
        assert can("bind", f"clusterroles/{RELEASE}-secrets-reader")
        assert not can("bind", "clusterroles/cluster-admin")
        kubectl("create", "namespace", ns)
        # Made as the operator makes it: by the service account itself.
        kubectl("create", "rolebinding", "govkh-secrets-reader", "-n", ns,
                f"--clusterrole={RELEASE}-secrets-reader", f"--serviceaccount={NAMESPACE}:{RELEASE}",
                f"--as={sa}")
        for verb in ("get", "list", "watch"):
            assert can(verb, "secrets", "-n", ns), f"cannot {verb} Secrets where it bound its role"
        assert not can("get", "secrets", "-n", "kube-system")
        assert not can("create", "secrets", "-n", ns), "the reader role writes Secrets"
    finally:
        kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=false", check=False)
        uninstall(cfg)
        cfg.close()


def main():
    if not KUBECONFIG:
        print("chart_cluster: GOVKH_E2E_KUBECONFIG is not set; the chart was not installed on a cluster")
        return 0
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
    passed = failed = 0
    try:
        for name, fn in tests:
            try:
                fn()
                print(f"test chart_cluster::{name} ... ok", flush=True)
                passed += 1
            except Exception:  # noqa: BLE001 - every failure is reported, then counted
                print(f"test chart_cluster::{name} ... FAILED", flush=True)
                traceback.print_exc()
                failed += 1
    finally:
        try:
            kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false", check=False)
            kubectl("delete", "-f", os.path.join(CHART, "crds"), "--ignore-not-found",
                    "--timeout=120s", check=False)
        except AssertionError as e:
            print(f"chart_cluster: cleanup: {e}", flush=True)
    status = "ok" if failed == 0 else "FAILED"
    print(f"\ntest result: {status}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
