#!/usr/bin/env python3
"""The Helm chart, linted and rendered with the real Helm v4 SDK (PyPI helm-python-sdk).

Checks that charts/govkh lints clean (strict), renders with its defaults and with other values,
refuses what it must refuse, carries exactly the generated CRDs and RBAC rules, and passes
`govkh run` only flags the binary accepts. Prints one line per test and a summary in the form
cargo prints ("test result: ok. N passed; M failed"), and exits 1 on any failure.

Run from the repository root after `cargo build` (it reads target/debug/govkh).
"""

import base64
import json
import os
import subprocess
import sys
import tempfile

import helm_python as helm
import yaml

import harness

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHART = os.path.join(ROOT, "charts", "govkh")
BINARY = os.path.join(ROOT, "target", "debug", "govkh")


def render(values=None, namespace="govkh-system"):
    """Render the chart; return its objects by (kind, name)."""
    chart = helm.Chart.load(CHART)
    try:
        out = chart.render(values or {}, name="govkh", namespace=namespace)
    finally:
        chart.close()
    objects = {}
    for path, text in out.items():
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                key = (doc["kind"], doc["metadata"]["name"])
                assert key not in objects, f"{key} rendered twice"
                objects[key] = doc
    return objects


def container(objects):
    return objects[("Deployment", "govkh")]["spec"]["template"]["spec"]["containers"][0]


def test_lints_clean_in_strict_mode():
    report = helm.lint(CHART, strict=True, kube_version="v1.33.0")
    assert report["errors"] == [], report
    serious = [m for m in report["messages"] if m["severity"] >= 2]
    assert serious == [], serious


def test_the_chart_accepts_the_kubernetes_versions_the_docs_name():
    """README and docs/install.md name the oldest Kubernetes supported; the chart's kubeVersion
    is the same range (Helm refuses to install it on an older API server), and the chart lints
    clean as that version."""
    import re
    stated = set()
    for doc in ("README.md", os.path.join("docs", "install.md")):
        text = open(os.path.join(ROOT, doc)).read()
        stated |= set(re.findall(r"Kubernetes \*\*1\.(\d+) or later\*\*", text))
    assert len(stated) == 1, stated
    minor = int(stated.pop())
    chart = yaml.safe_load(open(os.path.join(CHART, "Chart.yaml")))
    assert chart["kubeVersion"] == f">=1.{minor}.0-0", chart["kubeVersion"]
    assert helm.lint(CHART, strict=True, kube_version=f"v1.{minor}.0")["errors"] == []


def test_defaults_run_two_replicas_with_leader_election():
    objects = render()
    deployment = objects[("Deployment", "govkh")]
    assert deployment["spec"]["replicas"] == 2
    c = container(objects)
    assert c["args"][0] == "run"
    assert "--leader-elect" in c["args"], c["args"]
    assert "--leader-election-name=govkh-leader" in c["args"]
    assert "--history-namespace=govkh-system" in c["args"], c["args"]
    env = {e["name"]: e.get("value") or e["valueFrom"]["fieldRef"]["fieldPath"] for e in c["env"]}
    assert env == {"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace",
                   "MIMALLOC_PURGE_DELAY": "0"}, env
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert ("PodDisruptionBudget", "govkh") in objects
    assert objects[("Service", "govkh-metrics")]["spec"]["ports"][0]["targetPort"] == "http"


def test_rbac_is_the_generated_rules_bound_to_the_service_account():
    objects = render()
    with open(os.path.join(CHART, "files", "clusterrole-rules.yaml")) as f:
        cluster_rules = yaml.safe_load(f)
    with open(os.path.join(CHART, "files", "role-rules.yaml")) as f:
        role_rules = yaml.safe_load(f)
    # The generated rules, and `bind` on the Secrets reader role alone (no Secret is read
    # cluster-wide: the operator binds that role in each namespace a tenancy provisions).
    rules = objects[("ClusterRole", "govkh")]["rules"]
    assert rules[:-1] == cluster_rules
    assert rules[-1] == {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
                         "verbs": ["bind"], "resourceNames": ["govkh-secrets-reader"]}
    assert not any("secrets" in r["resources"] for r in cluster_rules)
    with open(os.path.join(CHART, "files", "secrets-reader-rules.yaml")) as f:
        assert objects[("ClusterRole", "govkh-secrets-reader")]["rules"] == yaml.safe_load(f)
    assert "--secrets-reader=govkh-secrets-reader=govkh-system/govkh" in container(objects)["args"]
    role = objects[("Role", "govkh")]
    assert role["metadata"]["namespace"] == "govkh-system"
    assert role["rules"] == role_rules
    assert any("leases" in r["resources"] for r in role_rules)
    for kind, role_kind in (("ClusterRoleBinding", "ClusterRole"), ("RoleBinding", "Role")):
        b = objects[(kind, "govkh")]
        assert b["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": "govkh"}
        assert b["subjects"] == [{"kind": "ServiceAccount", "name": "govkh", "namespace": "govkh-system"}]
    assert objects[("ServiceAccount", "govkh")]["metadata"]["namespace"] == "govkh-system"


def test_the_fences_roles_are_generated_and_bound_to_the_groups_in_the_values():
    objects = render({"authorization": {"ministryGroups": ["mef-dtu", "moh-dtu"],
                                        "committeeGroups": ["dgc-secretariat"]}})
    for role in ("platform", "committee", "ministry", "view"):
        with open(os.path.join(CHART, "files", f"role-{role}-rules.yaml")) as f:
            assert objects[("ClusterRole", f"govkh-{role}")]["rules"] == yaml.safe_load(f), role
    subjects = lambda role: [s["name"] for s in objects[("ClusterRoleBinding", f"govkh-{role}")]["subjects"]]
    assert subjects("platform") == ["govkh-platform", "system:masters"]
    assert subjects("committee") == ["dgc-secretariat"]
    assert subjects("ministry") == ["mef-dtu", "moh-dtu"]
    assert ("ClusterRoleBinding", "govkh-view") not in objects, "reading goes with view, by aggregation"
    labels = objects[("ClusterRole", "govkh-view")]["metadata"]["labels"]
    assert labels["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    args = container(objects)["args"]
    assert "--committee-group=dgc-secretariat" in args and "--platform-group=govkh-platform" in args
    assert "--operator-user=system:serviceaccount:govkh-system:govkh" in args
    # No ministry group: no binding, not an empty one.
    assert ("ClusterRoleBinding", "govkh-ministry") not in render()
    # A system: group is no DTU's.
    try:
        render({"authorization": {"ministryGroups": ["system:authenticated"]}})
    except Exception:  # noqa: BLE001 - the schema's refusal
        pass
    else:
        raise AssertionError("a system: group was accepted as a DTU group")


def test_the_example_sets_values_bind_exactly_the_dtu_groups_its_ministries_name():
    """charts/govkh/ci/examples-values.yaml (docs/install.md installs with it for the examples):
    its ministry groups are the DTU groups of examples/02-ministries.yaml, each bound."""
    with open(os.path.join(CHART, "ci", "examples-values.yaml")) as f:
        values = yaml.safe_load(f)
    with open(os.path.join(ROOT, "examples", "02-ministries.yaml")) as f:
        named = [g for m in yaml.safe_load_all(f) if m
                 for g in m["spec"]["digitalTransformationUnit"]["groups"]]
    assert sorted(values["authorization"]["ministryGroups"]) == sorted(named), (values, named)
    objects = render(values)
    bound = [s["name"] for s in objects[("ClusterRoleBinding", "govkh-ministry")]["subjects"]]
    assert sorted(bound) == sorted(named)


def test_replicas_on_two_nodes_critical_and_only_the_two_ports_let_in():
    objects = render()
    spec = objects[("Deployment", "govkh")]["spec"]["template"]["spec"]
    assert spec["priorityClassName"] == "system-cluster-critical"
    required = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert required[0]["topologyKey"] == "kubernetes.io/hostname"
    assert required[0]["labelSelector"]["matchLabels"] == objects[("Deployment", "govkh")]["spec"]["selector"]["matchLabels"]
    preferred = render({"podAntiAffinity": "preferred"})[("Deployment", "govkh")]["spec"]["template"]["spec"]["affinity"]
    assert "preferredDuringSchedulingIgnoredDuringExecution" in preferred["podAntiAffinity"]
    np = objects[("NetworkPolicy", "govkh")]["spec"]
    assert np["policyTypes"] == ["Ingress"]
    assert [r["ports"][0]["port"] for r in np["ingress"]] == [8443, 8080]
    assert all("from" not in r for r in np["ingress"]), "from anywhere unless told"
    api = [{"ipBlock": {"cidr": "10.0.0.10/32"}}]
    monitoring = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    narrowed = render({"networkPolicy": {"webhookFrom": api, "metricsFrom": monitoring}})[("NetworkPolicy", "govkh")]["spec"]
    assert narrowed["ingress"][0]["from"] == api and narrowed["ingress"][1]["from"] == monitoring
    assert ("NetworkPolicy", "govkh") not in render({"networkPolicy": {"enabled": False}})


def test_cloud_api_groups_are_granted_for_reading_and_checked():
    groups = ["s3.aws.upbound.io", "s3.services.k8s.aws"]
    rules = render({"cloudApiGroups": groups})[("ClusterRole", "govkh")]["rules"]
    with open(os.path.join(CHART, "files", "clusterrole-rules.yaml")) as f:
        generated = yaml.safe_load(f)
    assert rules[:-2] == generated
    assert rules[-1] == {"apiGroups": groups, "resources": ["*"], "verbs": ["get", "list", "watch"]}
    # The catalogue's exact groups (ProviderConfigs, Cluster API, tofu-controller) are generated.
    assert any("infrastructure.cluster.x-k8s.io" in r["apiGroups"] for r in generated)
    # A suffix pattern is not an API group: RBAC would not match it, so it is refused.
    try:
        render({"cloudApiGroups": ["*.aws.upbound.io"]})
    except Exception as e:  # noqa: BLE001 - the SDK's error type
        assert "cloudApiGroups" in str(e), e
    else:
        raise AssertionError("a suffix pattern in cloudApiGroups was accepted")


def test_one_replica_may_run_without_leader_election():
    objects = render({"replicaCount": 1, "leaderElection": {"enabled": False}})
    c = container(objects)
    assert not any(a.startswith("--leader-elect") for a in c["args"]), c["args"]
    assert ("PodDisruptionBudget", "govkh") not in objects


def test_two_replicas_without_leader_election_are_refused():
    try:
        render({"replicaCount": 2, "leaderElection": {"enabled": False}})
    except helm.HelmError as e:
        assert "leaderElection.enabled" in str(e), e
        return
    raise AssertionError("rendered two writers")


def test_unknown_or_invalid_values_are_refused_by_the_schema():
    for bad in ({"replicaCount": 0}, {"log": {"format": "xml"}}, {"leaderElekshun": True},
                {"policyMemoryLimit": "lots"}, {"policyEvaluationMemoryLimit": "lots"}, {"policyEngine": "fast"}):
        try:
            render(bad)
        except helm.HelmError:
            continue
        raise AssertionError(f"accepted {bad}")


def test_values_reach_the_arguments():
    objects = render({"concurrency": 9, "auditIntervalSeconds": 60, "policyMemoryLimit": "1Gi",
                      "policyEvaluationMemoryLimit": "64Mi",
                      "policyEngine": "interpreter",
                      "log": {"format": "text", "level": "debug"},
                      "image": {"repository": "example.org/govkh", "tag": "9.9.9", "pullPolicy": "Always"}})
    c = container(objects)
    for arg in ("--concurrency=9", "--audit-interval=60", "--memory-limit=1Gi",
                "--evaluation-memory-limit=64Mi",
                "--policy-engine=interpreter", "--log-format=text",
                "--log-level=debug"):
        assert arg in c["args"], (arg, c["args"])
    assert c["image"] == "example.org/govkh:9.9.9"


def test_the_binary_accepts_every_flag_the_chart_passes():
    help_text = subprocess.run([BINARY, "run", "--help"], check=True, capture_output=True, text=True).stdout
    everything = {"webhook": {"clientCAConfigMap": "apiserver-client-ca"}}
    for arg in container(render(everything))["args"][1:]:
        flag = arg.split("=", 1)[0]
        assert flag in help_text, f"govkh run does not know {flag}"


def test_the_webhook_is_registered_with_the_certificate_it_serves():
    objects = render()
    secret = objects[("Secret", "govkh-webhook-tls")]
    pem = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    vwc = objects[("ValidatingWebhookConfiguration", "govkh")]
    hook = vwc["webhooks"][0]
    assert hook["admissionReviewVersions"] == ["v1"] and hook["sideEffects"] == "None"
    assert hook["failurePolicy"] == "Fail", "nothing of a ministry's goes in unjudged by default"
    assert "--shutdown-delay=8" in container(objects)["args"], "routing sees the drain first"
    assert base64.b64decode(hook["clientConfig"]["caBundle"]).decode() == pem["ca.crt"]
    assert hook["clientConfig"]["service"] == {"name": "govkh-webhook", "namespace": "govkh-system",
                                               "path": "/validate", "port": 443}
    with open(os.path.join(CHART, "files", "webhook-rules.yaml")) as f:
        assert hook["rules"] == yaml.safe_load(f)
    # The fence: govkh's kinds (created, changed and deleted) and the Namespaces that carry the
    # labels govkh derives, in every namespace, always Fail.
    fence = vwc["webhooks"][1]
    assert fence["name"] == "fence.validate.digital.gov.kh"
    assert fence["failurePolicy"] == "Fail" and "namespaceSelector" not in fence
    assert fence["clientConfig"] == hook["clientConfig"]
    with open(os.path.join(CHART, "files", "webhook-fence-rules.yaml")) as f:
        assert fence["rules"] == yaml.safe_load(f)
    with open(os.path.join(CHART, "files", "webhook-fence-conditions.yaml")) as f:
        assert fence["matchConditions"] == yaml.safe_load(f)
    assert fence["rules"][0]["operations"] == ["CREATE", "UPDATE", "DELETE"]
    assert not any("digital.gov.kh" in r["apiGroups"] for r in hook["rules"])
    # The third webhook: the cloud resources, by the catalogue's groups.
    clouds = vwc["webhooks"][2]
    assert clouds["name"] == "clouds.validate.digital.gov.kh"
    assert clouds["clientConfig"] == hook["clientConfig"]
    with open(os.path.join(CHART, "files", "webhook-cloud-conditions.yaml")) as f:
        assert clouds["matchConditions"] == yaml.safe_load(f)
    assert "request.kind.group.endsWith('.services.k8s.aws')" in clouds["matchConditions"][0]["expression"]
    excluded = hook["namespaceSelector"]["matchExpressions"][0]["values"]
    assert "kube-system" in excluded and "govkh-system" in excluded
    # The serving certificate is signed by the CA in caBundle, for the Service's DNS name.
    with tempfile.TemporaryDirectory() as d:
        for name in ("ca.crt", "tls.crt"):
            with open(os.path.join(d, name), "w") as f:
                f.write(pem[name])
        subprocess.run(["openssl", "verify", "-CAfile", os.path.join(d, "ca.crt"), os.path.join(d, "tls.crt")],
                       check=True, capture_output=True)
        san = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", os.path.join(d, "tls.crt")],
                             check=True, capture_output=True, text=True).stdout
        assert "DNS:govkh-webhook.govkh-system.svc" in san, san
    # The pod serves it: port named as the Service targets, the Secret mounted where the
    # flags point.
    service = objects[("Service", "govkh-webhook")]
    assert service["spec"]["ports"][0]["targetPort"] == "webhook"
    c = container(objects)
    assert any(p["name"] == "webhook" and p["containerPort"] == 8443 for p in c["ports"])
    assert "--webhook-addr=0.0.0.0:8443" in c["args"]
    mount = c["volumeMounts"][0]["mountPath"]
    assert f"--tls-cert-file={mount}/tls.crt" in c["args"] and f"--tls-key-file={mount}/tls.key" in c["args"]
    pod = objects[("Deployment", "govkh")]["spec"]["template"]["spec"]
    assert pod["volumes"][0]["secret"]["secretName"] == "govkh-webhook-tls"


def test_mutual_tls_mounts_the_client_ca_where_the_flag_points():
    assert not any(a.startswith("--webhook-client-ca-file") for a in container(render())["args"])
    objects = render({"webhook": {"clientCAConfigMap": "apiserver-client-ca"}})
    c = container(objects)
    assert "--webhook-client-ca-file=/etc/govkh/client-ca/ca.crt" in c["args"], c["args"]
    mount = next(m for m in c["volumeMounts"] if m["name"] == "webhook-client-ca")
    assert mount["mountPath"] == "/etc/govkh/client-ca" and mount["readOnly"]
    pod = objects[("Deployment", "govkh")]["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == "webhook-client-ca")
    assert volume["configMap"] == {"name": "apiserver-client-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}
    try:
        render({"webhook": {"clientCAConfigMap": "Not A Name"}})
    except helm.HelmError:
        return
    raise AssertionError("accepted a ConfigMap name that cannot be")


def test_without_the_webhook_nothing_of_it_is_rendered():
    objects = render({"webhook": {"enabled": False}})
    assert not any(kind in ("ValidatingWebhookConfiguration", "Secret") for kind, _ in objects)
    c = container(objects)
    assert not any(a.startswith("--webhook-addr") or a.startswith("--tls-") for a in c["args"])
    assert "volumeMounts" not in c


def test_chart_crds_are_the_generated_crds():
    generated = subprocess.run([BINARY, "crds"], check=True, capture_output=True, text=True).stdout
    crd_dir = os.path.join(CHART, "crds")
    files = sorted(os.listdir(crd_dir))
    assert files == sorted(os.listdir(os.path.join(ROOT, "crds"))), files
    for name in files:
        with open(os.path.join(crd_dir, name)) as f:
            text = f.read()
        assert text in generated, f"charts/govkh/crds/{name} is not what `govkh crds` prints"


def test_reports_are_written_by_default_and_their_crds_installed_only_when_asked():
    objects = render()
    args = container(objects)["args"]
    assert "--reports=openreports" in args and "--report-pass=true" in args, args
    assert "--report-max-results=1000" in args, args
    assert not [k for k in objects if k[0] == "CustomResourceDefinition"], "OpenReports CRDs by default"
    rules = objects[("ClusterRole", "govkh")]["rules"]
    granted = {(g, r, v) for rule in rules for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}
    for group, plural in [("openreports.io", "reports"), ("openreports.io", "clusterreports"),
                          ("wgpolicyk8s.io", "policyreports"), ("wgpolicyk8s.io", "clusterpolicyreports")]:
        for verb in ("list", "create", "patch", "delete"):
            assert (group, plural, verb) in granted, (group, plural, verb)
    objects = render({"openreports": {"installCRDs": True}, "reports": {"api": "wgpolicyk8s", "pass": False}})
    crds = sorted(k[1] for k in objects if k[0] == "CustomResourceDefinition")
    assert crds == ["clusterreports.openreports.io", "reports.openreports.io"], crds
    generated = subprocess.run([BINARY, "crds", "--openreports"], check=True, capture_output=True, text=True).stdout
    for doc in yaml.safe_load_all(generated):
        assert objects[("CustomResourceDefinition", doc["metadata"]["name"])] == doc
    args = container(objects)["args"]
    assert "--reports=wgpolicyk8s" in args and "--report-pass=false" in args, args
    try:
        render({"reports": {"api": "policyreports"}})
    except Exception:  # noqa: BLE001 - the schema's refusal is what is tested
        pass
    else:
        raise AssertionError("reports.api=policyreports was accepted")


def test_admission_policies_are_the_generated_ones_with_the_releases_exemptions():
    objects = render({"admissionPolicies": {"exemptNamespaces": ["monitoring"]}}, namespace="gov-system")
    with open(os.path.join(CHART, "files", "admission-policies.yaml")) as f:
        generated = yaml.safe_load(f)
    assert len(generated) >= 8
    for g in generated:
        r = objects[(g["kind"], g["metadata"]["name"])]
        # The chart adds its labels and its namespaces; everything else is as generated.
        assert r["metadata"]["labels"]["app.kubernetes.io/instance"] == "govkh"
        r_spec, g_spec = dict(r["spec"]), dict(g["spec"])
        if g["kind"] == "ValidatingAdmissionPolicyBinding" and "matchResources" in g_spec:
            values = r_spec.pop("matchResources")["namespaceSelector"]["matchExpressions"][0]["values"]
            g_spec.pop("matchResources")
            assert values == ["kube-system", "kube-public", "kube-node-lease", "gov-system", "monitoring"], values
        if g["kind"] == "ValidatingAdmissionPolicy":
            # The fence's twins read the release's authority, set from the values.
            authority = {"platformGroups": ["govkh-platform", "system:masters"],
                         "committeeGroups": ["digital-government-committee"],
                         "operatorUsers": ["system:serviceaccount:gov-system:govkh"],
                         "reservedNamespaces": ["default", "gov-system", "monitoring"]}
            r_vars = {v["name"]: v["expression"] for v in r_spec.pop("variables")}
            g_vars = {v["name"]: v["expression"] for v in g_spec.pop("variables")}
            assert r_vars.keys() == g_vars.keys(), g["metadata"]["name"]
            for name, expression in g_vars.items():
                if name in authority:
                    assert json.loads(r_vars[name]) == authority[name], (name, r_vars[name])
                else:
                    assert r_vars[name] == expression, name
        assert r_spec == g_spec, g["metadata"]["name"]
    deny = objects[("ValidatingAdmissionPolicyBinding", "govkh-data-placement")]
    warn = objects[("ValidatingAdmissionPolicyBinding", "govkh-unclassified-data")]
    assert deny["spec"]["validationActions"] == ["Deny"] and warn["spec"]["validationActions"] == ["Warn"]


def test_admission_policies_can_be_left_out():
    objects = render({"admissionPolicies": {"enabled": False}})
    assert not any(kind.startswith("ValidatingAdmissionPolicy") for kind, _ in objects)


def exposed_metrics():
    """The metric names `govkh run` exposes, read from its registry (operator/src/metrics.rs):
    `govkh_<name>`, counters also as `_total`, histograms as `_bucket`, `_sum`, `_count`."""
    import re
    text = open(os.path.join(ROOT, "operator", "src", "metrics.rs")).read()
    names = set()
    for name in re.findall(r'register\(\s*"([a-z_]+)"', text):
        base = "govkh_" + name
        names |= {base, base + "_total", base + "_bucket", base + "_sum", base + "_count"}
    return names


def test_alerts_are_opt_in_name_only_exposed_metrics_and_speak_both_languages():
    import re
    assert not any(kind == "PrometheusRule" for kind, _ in render())
    objects = render({"metrics": {"prometheusRule": {"enabled": True, "deadlineDays": 45,
                                                     "labels": {"release": "kube-prometheus"}}}})
    rule = objects[("PrometheusRule", "govkh")]
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus"
    alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    assert set(alerts) == {
        "GovkhStatutoryDeadlineNear", "GovkhStatutoryDeadlinePassed", "GovkhWebhookUnreachable",
        "GovkhForgedAdmissionReviews", "GovkhAdmissionRefusals", "GovkhAuditFailing",
        "GovkhAuditNotRunning",
    }, sorted(alerts)
    assert alerts["GovkhStatutoryDeadlineNear"]["expr"].endswith("<= 45"), alerts["GovkhStatutoryDeadlineNear"]
    exposed = exposed_metrics()
    assert "govkh_tenancy_deadline_days" in exposed and "govkh_audits_total" in exposed, sorted(exposed)
    khmer = re.compile("[\u1780-\u17ff]")
    for name, r in alerts.items():
        for metric in re.findall(r"\bgovkh_[a-z_]+", r["expr"]):
            assert metric in exposed, f"{name}: {metric} is not a metric govkh exposes"
        assert r["labels"]["severity"] in ("info", "warning", "critical"), name
        a = r["annotations"]
        assert a["summary"] and a["description"], name
        assert khmer.search(a["summary_km"]), f"{name}: summary_km is not Khmer"
        # Prometheus's templates, left for Prometheus: Helm must not have eaten them.
        if "$labels" in r["expr"] or "{{" in a["summary"]:
            assert "{{ $" in a["summary"] and "{{ $" in a["summary_km"], name
    for bad in ({"deadlineDays": 0}, {"deadlineDays": "soon"}, {"enabled": True, "extra": 1}):
        try:
            render({"metrics": {"prometheusRule": bad}})
        except helm.HelmError:
            continue
        raise AssertionError(f"accepted {bad}")


def main():
    return harness.run("chart", globals())


if __name__ == "__main__":
    sys.exit(main())
