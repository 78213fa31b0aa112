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
   namespace (as the operator does in each tenancy's), which `bind` alone lets it do;
6. the documented install path (docs/install.md): the chart installed with the example set's
   values, `govkh run` with the arguments of the chart's Deployment as the release's service
   account (only its addresses and certificate moved to loopback, and the chart's webhook
   registration pointed there: no pod runs), then install.md's block that applies the examples
   as the roles that write them, run as written; it ends with `kubectl get govkh` listing every
   example object and `kubectl govkh status` every ministry audited.

No kubelet runs, so the pods never start: what is tested is that the API server takes every
object. kubectl (the control plane's, first on PATH) reads the cluster back.
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

import helm_python as helm
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHART = os.path.join(ROOT, "charts", "govkh")
NAMESPACE = "govkh-chart-test"
RELEASE = "govkh"
KUBECONFIG = os.environ.get("GOVKH_E2E_KUBECONFIG")
OPENREPORTS_CRDS = ["reports.openreports.io", "clusterreports.openreports.io"]
INSTALL_MD = os.path.join(ROOT, "docs", "install.md")
INSTALL_BLOCK = "<!-- tests/chart_cluster.py runs this block as written"
EXAMPLES_VALUES = os.path.join(CHART, "ci", "examples-values.yaml")
# Where the install-path test serves govkh's probes and webhook (loopback: no kubelet runs).
PROBE = "127.0.0.1:18082"
WEBHOOK_ADDR = "127.0.0.1:18445"
IDENTITY = "install-path"


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


# === The documented install path ===


def documented_commands():
    """The shell commands of install.md's block that applies the example set, one per command
    (continuation lines joined), comments left out."""
    with open(INSTALL_MD) as fh:
        text = fh.read()
    at = text.index(INSTALL_BLOCK)
    start = text.index("```sh\n", at) + len("```sh\n")
    block = text[start:text.index("```", start)]
    commands, current = [], ""
    for line in block.splitlines():
        if not current and line.lstrip().startswith("#"):
            continue
        current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            commands.append(" ".join(current.split()))
            current = ""
    assert commands, f"no commands under the marker in {INSTALL_MD}"
    return commands


def example_objects(files):
    """(kind, name) of every object in the example files the block applies."""
    objects = []
    for f in files:
        with open(os.path.join(ROOT, f)) as fh:
            objects += [(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(fh) if d]
    return objects


def govkh_binary():
    path = os.environ.get("GOVKH_BIN", os.path.join(ROOT, "target", "debug", "govkh"))
    assert os.access(path, os.X_OK), f"{path}: no govkh binary (cargo build --locked, or set GOVKH_BIN)"
    return path


def loopback_certificate(d):
    cert, key = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
    out = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True)
    assert out.returncode == 0, f"openssl: {out.stderr.strip()}"
    return cert, key


def service_account_kubeconfig(d):
    """A kubeconfig of the release's service account (a TokenRequest token): govkh runs with
    exactly the RBAC the chart gives it."""
    token = kubectl("create", "token", RELEASE, "-n", NAMESPACE, "--duration=2h").stdout.strip()
    q = lambda path: kubectl("config", "view", "--raw", "--minify", "-o", f"jsonpath={path}").stdout
    path = os.path.join(d, "service-account.kubeconfig")
    with open(path, "w") as fh:
        yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "govkh",
            "clusters": [{"name": "c", "cluster": {
                "server": q("{.clusters[0].cluster.server}"),
                "certificate-authority-data": q("{.clusters[0].cluster.certificate-authority-data}")}}],
            "users": [{"name": "govkh", "user": {"token": token}}],
            "contexts": [{"name": "govkh", "context": {"cluster": "c", "user": "govkh"}}],
        }, fh)
    return path


def deployment_args(release, cert, key):
    """The arguments the chart's Deployment gives govkh, its addresses on loopback and its
    serving certificate one for 127.0.0.1 (the chart's names the Service)."""
    moved = {"--probe-addr": PROBE, "--webhook-addr": WEBHOOK_ADDR, "--tls-cert-file": cert,
             "--tls-key-file": key}
    for doc in yaml.safe_load_all(release["manifest"]):
        if doc and doc["kind"] == "Deployment":
            args = doc["spec"]["template"]["spec"]["containers"][0]["args"]
            flags = {a.split("=", 1)[0] for a in args}
            assert set(moved) <= flags, f"the Deployment's arguments lack {set(moved) - flags}: {args}"
            return [f"{a.split('=', 1)[0]}={moved[a.split('=', 1)[0]]}" if a.split("=", 1)[0] in moved
                    else a for a in args]
    raise AssertionError("the release rendered no Deployment")


def route_the_webhook_to_loopback(cert):
    """The chart's ValidatingWebhookConfiguration, each webhook sent to the loopback address
    instead of the Service (whose pods never start here), trusting the loopback certificate."""
    with open(cert, "rb") as fh:
        ca = base64.b64encode(fh.read()).decode()
    hook = json.loads(kubectl("get", "validatingwebhookconfiguration", RELEASE, "-o", "json").stdout)
    for w in hook["webhooks"]:
        path = w["clientConfig"]["service"].get("path", "/")
        w["clientConfig"] = {"url": f"https://{WEBHOOK_ADDR}{path}", "caBundle": ca}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(hook, fh)
    kubectl("replace", "-f", fh.name)
    os.unlink(fh.name)


def wait_for(what, check, timeout=180):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = check()
            if last is True:
                return
        except AssertionError as e:
            last = str(e)
        time.sleep(1)
    raise AssertionError(f"{what}: not so after {timeout} s ({last})")


def ready():
    try:
        with urllib.request.urlopen(f"http://{PROBE}/readyz", timeout=5) as r:
            return r.status == 200 or r.status
    except (urllib.error.URLError, OSError) as e:
        return str(e)


def cleanup_examples(files):
    """Revoke and delete the example objects while govkh runs (its finalizers release the
    namespaces) — as the platform and the committee at once, whose the revocations are."""
    for f in reversed(files):
        kubectl("delete", "--ignore-not-found", "--wait=true", "--timeout=120s", "-f", os.path.join(ROOT, f),
                "--as=install-path-cleanup", "--as-group=system:masters",
                "--as-group=digital-government-committee", check=False)


def test_the_documented_install_path():
    """install.md word for word: the chart with the example set's values, govkh as the chart
    runs it, the examples applied by the roles that write them, then what the docs say shows."""
    commands = documented_commands()
    files = [w for c in commands for w in c.split() if w.startswith("examples/")]
    objects = example_objects(files)
    namespaces = sorted({n for f in files if f.endswith("10-tenancies.yaml")
                         for d in yaml.safe_load_all(open(os.path.join(ROOT, f))) if d
                         for n in (x["name"] for x in d["spec"]["namespaces"])})
    # The real-cluster suites before this one applied the same examples: their namespaces must be
    # gone (the namespace controller deletes them), or the tenancies would find them taken.
    wait_for("the earlier suites' example namespaces are gone",
             lambda: not [n for n in namespaces if exists("namespace", None, n)] or
             [n for n in namespaces if exists("namespace", None, n)], timeout=240)
    cfg = config()
    d = tempfile.mkdtemp(prefix="govkh-install-path-")
    with open(EXAMPLES_VALUES) as fh:
        values = yaml.safe_load(fh)
    operator = None
    try:
        release = cfg.install(CHART, RELEASE, values, namespace=NAMESPACE, create_namespace=True, timeout=120)
        cert, key = loopback_certificate(d)
        route_the_webhook_to_loopback(cert)
        args = deployment_args(release, cert, key) + ["--kubeconfig", service_account_kubeconfig(d)]
        env = dict(os.environ, POD_NAMESPACE=NAMESPACE, POD_NAME=IDENTITY, MIMALLOC_PURGE_DELAY="0")
        env.pop("KUBECONFIG", None)
        log = open(os.path.join(d, "operator.log"), "w")
        operator = subprocess.Popen([govkh_binary(), *args], stdout=subprocess.DEVNULL, stderr=log, env=env)

        def up():
            assert operator.poll() is None, f"govkh run exited {operator.returncode}: {tail(d)}"
            return ready()
        wait_for("govkh /readyz", up)

        # The block, as written, from the repository's root, as the cluster's administrator.
        admin = dict(os.environ, KUBECONFIG=KUBECONFIG)
        out, said = None, ""
        for c in commands:
            out = subprocess.run(["bash", "-c", c], cwd=ROOT, env=admin, capture_output=True, text=True, timeout=180)
            assert out.returncode == 0, f"{c}\n{out.stderr.strip()}\n(govkh: {tail(d)})"
            said += out.stderr
        # The links came before their grant and approval: admitted, each warned that it waits.
        assert "admitted, waiting for its DataAccessGrant" in said, said
        assert "admitted, waiting for its Approval" in said, said
        assert commands[-1] == "kubectl get govkh", commands[-1]
        missing = [o for o in objects if o[1] not in out.stdout]
        assert not missing, f"kubectl get govkh does not show {missing}:\n{out.stdout}"

        # govkh, as the release's service account, reconciles every tenancy.
        def tenancies_ready():
            items = json.loads(kubectl("get", "cloudtenancies", "-o", "json").stdout)["items"]
            waiting = [t["metadata"]["name"] for t in items
                       if not (t.get("status", {}).get("state") and any(
                           c["type"] == "Ready" and c["status"] == "True"
                           for c in t.get("status", {}).get("conditions", [])))]
            return not waiting or waiting
        wait_for("every CloudTenancy has its clock state and is Ready", tenancies_ready)

        # Once their grant, approval and agreement arrived, MEF's links into GDT opened.
        def links_established():
            items = json.loads(kubectl("get", "privatenetworklinks", "-o", "json").stdout)["items"]
            states = {l["metadata"]["name"]: l.get("status", {}).get("state") for l in items}
            want = {"mef-to-gdt": "Established", "mef-gdt-microwave": "Established"}
            return all(states.get(k) == v for k, v in want.items()) or f"states {states}"
        wait_for("MEF's links into GDT are Established", links_established)

        # kubectl govkh status: every ministry, audited.
        plugins = os.path.join(d, "bin")
        os.makedirs(plugins)
        subprocess.run([govkh_binary(), "plugin", "install", "--dir", plugins], check=True, capture_output=True)
        ministries = sorted(n for k, n in objects if k == "Ministry")

        def audited():
            out = subprocess.run(["kubectl", "govkh", "status", "-o", "json"], env=dict(
                admin, PATH=f"{plugins}:{os.environ['PATH']}"), capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, f"kubectl govkh status: {out.stderr.strip()}"
            rows = json.loads(out.stdout)
            shown = sorted(r["ministry"] for r in rows if r["score"] is not None)
            return shown == ministries or f"audited: {shown}"
        wait_for("kubectl govkh status shows every ministry audited", audited)
    finally:
        if operator is not None:
            cleanup_examples(files)
            operator.send_signal(signal.SIGTERM)
            try:
                operator.wait(timeout=30)
            except subprocess.TimeoutExpired:
                operator.kill()
        uninstall(cfg)
        cfg.close()
        for n in namespaces:
            kubectl("delete", "namespace", n, "--ignore-not-found", "--wait=false", check=False)
        shutil.rmtree(d, ignore_errors=True)


def tail(d, lines=15):
    try:
        with open(os.path.join(d, "operator.log")) as fh:
            return "".join(fh.readlines()[-lines:])
    except OSError:
        return "(no log)"


def main():
    if not KUBECONFIG:
        print("chart_cluster: GOVKH_E2E_KUBECONFIG is not set; the chart was not installed on a cluster")
        return 0
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
    # `tests/chart_cluster.py WORD...`: only the tests whose names hold one of the words.
    if sys.argv[1:]:
        tests = [(n, f) for n, f in tests if any(w in n for w in sys.argv[1:])]
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
