#!/usr/bin/env python3
"""What `govkh run` holds and spends on a real API server: the project's own control plane.

    controlplane/with.sh python3 operator/benches/cluster.py --deployments 10000 --configmaps 10000
    controlplane/with.sh python3 operator/benches/cluster.py --deployments 0 --configmaps 0 --cloud-resources 10000 [--cloud-placement undeclared]

Applies the CRDs and the national examples (without workloads/), then N Deployments of 3-6 KB
(20-60 env entries: the shape of the other benchmarks, core/benches/support/
workloads.rs, with replicas 0 so the controller manager makes no pods) spread over eight
ministry namespaces, and M ConfigMaps of 30 keys x 100 B, and K cloud resources (ACK S3 Buckets
of ~1 KB, their CRD installed first; govkh finds the kind through discovery and watches it by
metadata only), and waits until the controller manager is done with them.
Starts `govkh run --reports none
--audit-interval 30` (the release binary by default) and prints, as the process reports them in
/proc: the resident memory once /readyz answers, 30 s later, after two more audits, and the
peak; then the CPU time the process spends over --idle-seconds with nothing changing, and the
LIST requests the API server served in that time: by every client (its apiserver_request_total
metric) and by govkh (its audit log).

Needs GOVKH_E2E_KUBECONFIG (controlplane/with.sh sets it) and the control plane's kubectl on PATH.
"""

import argparse
import calendar
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

from clusterbench import ROOT, install_examples, kubeconfig, kubectl, operator_env, ready

NAMESPACES = ["mef-tax", "mef-portal", "moh-records", "moh-registry", "moeys-elearning",
              "nssf-claims", "gdt-api", "mptc-registry"]
CLASSES = [None, "confidential", "open", "top-secret"]
PROBE = "127.0.0.1:18090"




def deployment(i):
    ns = NAMESPACES[i % len(NAMESPACES)]
    labels = {"app": f"svc-{i}", "tier": "backend", "team": f"team-{i % 17}"}
    if CLASSES[i % 4]:
        labels["digital.gov.kh/data-class"] = CLASSES[i % 4]
    env = [{"name": f"SETTING_{k}", "value": f"value-{i}-{k}-abcdefghij"} for k in range(20 + i % 40)]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": f"svc-{i}", "namespace": ns, "labels": labels,
                     "annotations": {"owner": f"dtu-{i % 7}", "description": "generated for the govkh benchmark"}},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": f"svc-{i}"}},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [
                     {"name": "app", "image": f"registry.mptc.gov.kh/app/svc-{i}:1.{i % 9}", "env": env,
                      "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                                    "limits": {"cpu": "1", "memory": "1Gi"}},
                      "ports": [{"containerPort": 8080}],
                      "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
                     {"name": "sidecar", "image": "registry.mptc.gov.kh/proxy:2.1",
                      "args": ["--listen=:15001", "--upstream=127.0.0.1:8080"]}],
                     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": f"data-{i}"}}]}}},
    }


def configmap(i):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"settings-{i}", "namespace": NAMESPACES[i % len(NAMESPACES)],
                         "labels": {"app": f"svc-{i}"}},
            "data": {f"key-{k}": (f"{i}-{k}-" + "x" * 100)[:100] for k in range(30)}}


BUCKET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "buckets.s3.services.k8s.aws"},
    "spec": {"group": "s3.services.k8s.aws", "scope": "Namespaced",
             "names": {"kind": "Bucket", "plural": "buckets", "singular": "bucket", "listKind": "BucketList"},
             "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]},
}


DECLARED = "mef-open-budget"


def bucket(i, declared):
    """An ACK S3 Bucket of about 1 KB: what govkh reads of it is its metadata. `declared`: in
    MEF's approved AWS tenancy's namespace, compliant (no finding); else spread over the eight
    ministry namespaces, where all but MEF's are undeclared (two findings each: the clock's
    warning and, for a class not allowed outside, a denial)."""
    labels = {"app": f"svc-{i}", "team": f"team-{i % 17}"}
    if not declared and CLASSES[i % 4] and CLASSES[i % 4] != "top-secret":
        labels["digital.gov.kh/data-class"] = CLASSES[i % 4]
    namespace = DECLARED if declared else NAMESPACES[i % len(NAMESPACES)]
    return {"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
            "metadata": {"name": f"bucket-{i}", "namespace": namespace, "labels": labels},
            "spec": {"name": f"govkh-bench-bucket-{i}",
                     "tagging": {"tagSet": [{"key": f"tag-{k}", "value": f"value-{i}-{k}-abcdefghijklmnop"}
                                            for k in range(20)]}}}


def create(objects, what):
    started = time.time()
    for at in range(0, len(objects), 500):
        batch = {"apiVersion": "v1", "kind": "List", "items": objects[at:at + 500]}
        kubectl("create", "-f", "-", "-o", "name", stdin=json.dumps(batch))
    print(f"created {len(objects)} {what} in {time.time() - started:.0f} s", flush=True)


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def mib(fields, key):
    return int(fields[key].split()[0]) / 1024


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def requests(verbs):
    """Requests of `verbs` the API server has served, by resource."""
    text = kubectl("get", "--raw", "/metrics")
    out = {}
    for m in re.finditer(r'apiserver_request_total\{([^}]*)\} (\d+)', text):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if labels.get("verb") in verbs:
            out[labels.get("resource", "")] = out.get(labels.get("resource", ""), 0) + int(m.group(2))
    return out


def lists():
    """LIST requests the API server has served, by resource."""
    return requests({"LIST"})


def lists_by_govkh(since, until):
    """LIST requests govkh made between `since` and `until` (epoch seconds), by resource, as the
    API server's audit log records them (controlplane/ logs every LIST, with the client's user
    agent: `govkh/VERSION (IDENTITY)`). The metric above counts every client's."""
    log = os.path.join(os.path.dirname(os.environ["GOVKH_E2E_KUBECONFIG"]), "logs", "audit.log")
    out = {}
    with open(log) as f:
        for line in f:
            event = json.loads(line)
            if event.get("verb") != "list" or not event.get("userAgent", "").startswith("govkh/"):
                continue
            at = event["requestReceivedTimestamp"]
            seconds = calendar.timegm(time.strptime(at[:19], "%Y-%m-%dT%H:%M:%S"))
            if since <= seconds <= until:
                resource = event.get("objectRef", {}).get("resource", "")
                out[resource] = out.get(resource, 0) + 1
    return out


def settle(quiet=15, timeout=1200):
    """Wait until the API server has taken no write but Leases and Events for `quiet` seconds:
    the controller manager has finished with the new objects (it annotates each Deployment and
    makes its ReplicaSet, at its own 20 requests/s), so what govkh then sees is a cluster at rest."""
    started = time.time()
    writes = {"POST", "PUT", "PATCH", "DELETE", "APPLY"}
    def count():
        return sum(v for k, v in requests(writes).items() if k not in ("leases", "events"))
    last, since = count(), time.time()
    while time.time() - since < quiet:
        if time.time() - started > timeout:
            sys.exit("the cluster did not settle")
        time.sleep(3)
        now = count()
        if now != last:
            last, since = now, time.time()
    print(f"the cluster settled in {time.time() - started:.0f} s", flush=True)




def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--deployments", type=int, default=10000)
    p.add_argument("--configmaps", type=int, default=10000)
    p.add_argument("--cloud-resources", type=int, default=0)
    p.add_argument("--cloud-placement", choices=["declared", "undeclared"], default="declared")
    p.add_argument("--idle-seconds", type=int, default=60)
    p.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "govkh"))
    a = p.parse_args()
    kubeconfig()
    install_examples()
    # The tenancies' namespaces, made here so the objects can be created before govkh runs.
    for ns in NAMESPACES:
        kubectl("create", "namespace", ns)
    create([deployment(i) for i in range(a.deployments)], "Deployments")
    create([configmap(i) for i in range(a.configmaps)], "ConfigMaps")
    if a.cloud_resources:
        kubectl("apply", "-f", "-", stdin=json.dumps(BUCKET_CRD))
        kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/buckets.s3.services.k8s.aws")
        if a.cloud_placement == "declared":
            kubectl("create", "namespace", DECLARED)
        create([bucket(i, a.cloud_placement == "declared") for i in range(a.cloud_resources)],
               f"{a.cloud_placement} cloud resources (ACK Buckets)")
    settle()
    log = tempfile.NamedTemporaryFile(prefix="govkh-bench-", suffix=".log", delete=False)
    started = time.time()
    proc = subprocess.Popen([a.binary, "run", "--kubeconfig", os.environ["GOVKH_E2E_KUBECONFIG"],
                             "--probe-addr", PROBE, "--reports", "none", "--audit-interval", "30",
                             "--log-format", "json"], stdout=subprocess.DEVNULL, stderr=log, env=operator_env())
    try:
        while not ready(PROBE):
            if proc.poll() is not None or time.time() - started > 600:
                sys.exit(f"govkh run did not become ready (log: {log.name})")
            time.sleep(0.5)
        took = time.time() - started
        at_ready = mib(status(proc.pid), "VmRSS")
        time.sleep(30)
        after_30 = mib(status(proc.pid), "VmRSS")
        time.sleep(65)
        s = status(proc.pid)
        after_audits, peak = mib(s, "VmRSS"), mib(s, "VmHWM")
        lists_before, cpu_before, idle_from = lists(), cpu_seconds(proc.pid), time.time()
        time.sleep(a.idle_seconds)
        cpu_idle = cpu_seconds(proc.pid) - cpu_before
        lists_after, idle_until = lists(), time.time()
        listed = {k: v - lists_before.get(k, 0) for k, v in lists_after.items() if v != lists_before.get(k, 0)}
        # The metrics request itself lists nothing; the kubectl call is not a LIST.
        audits = sum(1 for line in open(log.name) if '"audit complete"' in line)
        print(json.dumps({
            "deployments": a.deployments, "configmaps": a.configmaps,
            "cloud_resources": a.cloud_resources, "cloud_placement": a.cloud_placement,
            "ready_s": round(took, 1),
            "rss_mib": {"ready": round(at_ready), "ready_plus_30s": round(after_30),
                        "after_two_audits": round(after_audits), "peak": round(peak)},
            "idle": {"seconds": a.idle_seconds, "cpu_s": round(cpu_idle, 2),
                     "cpu_percent_of_one_core": round(100 * cpu_idle / a.idle_seconds, 2),
                     "lists": listed, "lists_by_govkh": lists_by_govkh(idle_from, idle_until)},
            "audits": audits, "log": log.name,
        }, indent=1))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
