#!/usr/bin/env python3
"""Admission through a real API server: creates per second, for a while, with govkh's webhook
registered `failurePolicy: Fail` — so a request the webhook does not answer fails, and is
counted.

    controlplane/with.sh python3 operator/benches/admission_load.py --rate 150 --seconds 600
    controlplane/with.sh python3 operator/benches/admission_load.py --rate 100 --seconds 1800 --keep 3000 --clients 32

The second is the soak: each Service is deleted again --keep creates later, so the cluster (and
govkh's index) holds a constant number of them, and govkh's resident memory, sampled every 10 s,
should stay flat. Each client waits for its answer before it sends again: with the deletes
the soak makes twice the requests, and 8 clients on two cores shared with the API server, etcd
and govkh reached only ~55-66 creates a second; 32 hold 100.

Applies the CRDs and the national examples, starts `govkh run` with its webhook on loopback
(a CA and a serving certificate made for the run; registered by URL), waits until it is ready,
then creates headless Services (labelled open data; a kind the webhook judges) in a ministry's
namespace at --rate per second from --clients connections kept alive (8 unless told), for
--seconds. The API server keeps its own connections to the webhook alive: a webhook that cut
them by age (as govkh did at 60 s) failed a request now and then ("use of closed network
connection", "broken pipe"). Prints the requests, the failures and their messages, and the
latency percentiles as the client saw them.

Needs GOVKH_E2E_KUBECONFIG (controlplane/with.sh sets it), the control plane's kubectl on PATH,
and openssl.
"""

import argparse
import base64
import http.client
import json
import os
import queue
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from clusterbench import ROOT, install_examples, kubeconfig, kubectl, operator_env, ready

PROBE = "127.0.0.1:18091"
WEBHOOK = "127.0.0.1:18444"
NAMESPACE = "mef-tax"




def client_files(tmp):
    """The API server's address and the admin's TLS files, from the kubeconfig."""
    import yaml  # PyYAML, from tests/requirements.txt
    with open(os.environ["GOVKH_E2E_KUBECONFIG"]) as f:
        kc = yaml.safe_load(f)
    cluster, user = kc["clusters"][0]["cluster"], kc["users"][0]["user"]
    files = {}
    for key, name in [("certificate-authority-data", "ca.crt"), ("client-certificate-data", "admin.crt"),
                      ("client-key-data", "admin.key")]:
        source = cluster if key.startswith("certificate-authority") else user
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(source[key]))
        files[name] = path
    return cluster["server"].removeprefix("https://"), files


def webhook_certificate(tmp):
    """A CA and a serving certificate for 127.0.0.1 signed by it."""
    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    ca_key, ca, key, csr, cert, ext = (os.path.join(tmp, n) for n in
                                       ("hook-ca.key", "hook-ca.crt", "hook.key", "hook.csr", "hook.crt", "hook.ext"))
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=bench-ca",
         "-keyout", ca_key, "-out", ca, "-addext", "basicConstraints=critical,CA:TRUE")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    ossl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "1",
         "-out", cert, "-extfile", ext)
    return ca, cert, key




def positive(text):
    """An argument that must be a whole number above zero (no clients, or no requests, would
    leave nothing to measure)."""
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text} is not above zero")
    return n


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rate", type=positive, default=150)
    p.add_argument("--seconds", type=positive, default=130)
    p.add_argument("--keep", type=int, default=0,
                   help="delete each Service again this many creates later (0: keep them all)")
    p.add_argument("--clients", type=positive, default=8,
                   help="client connections, each one request at a time (the soak needs more than 8 "
                        "to keep up at 100/s on two cores)")
    p.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "govkh"))
    a = p.parse_args()
    kubeconfig()
    tmp = tempfile.mkdtemp(prefix="govkh-admission-")
    server, files = client_files(tmp)
    hook_ca, hook_cert, hook_key = webhook_certificate(tmp)
    install_examples()
    log = open(os.path.join(tmp, "operator.log"), "w")
    proc = subprocess.Popen([a.binary, "run", "--kubeconfig", os.environ["GOVKH_E2E_KUBECONFIG"],
                             "--probe-addr", PROBE, "--reports", "none", "--log-format", "json",
                             "--identity", "bench", "--webhook-addr", WEBHOOK,
                             "--webhook-url", f"https://{WEBHOOK}/validate", "--webhook-ca-file", hook_ca,
                             "--tls-cert-file", hook_cert, "--tls-key-file", hook_key],
                            stdout=subprocess.DEVNULL, stderr=log, env=operator_env())
    try:
        started = time.time()
        while not ready(PROBE):
            if proc.poll() is not None or time.time() - started > 300:
                sys.exit(f"govkh run did not become ready (log: {log.name})")
            time.sleep(0.5)
        # The tenancy's namespace exists once the operator has reconciled it.
        while subprocess.run(["kubectl", "--kubeconfig", os.environ["GOVKH_E2E_KUBECONFIG"], "get",
                              "namespace", NAMESPACE], capture_output=True).returncode != 0:
            time.sleep(0.5)
        context = ssl.create_default_context(cafile=files["ca.crt"])
        context.load_cert_chain(files["admin.crt"], files["admin.key"])
        host, port = server.rsplit(":", 1)
        work: "queue.Queue[int | None]" = queue.Queue()
        results, lock = [], threading.Lock()

        def worker():
            conn = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
            while True:
                i = work.get()
                if i is None:
                    return
                # Headless: no address is allocated, so any number can be made.
                body = json.dumps({"apiVersion": "v1", "kind": "Service",
                                   "metadata": {"name": f"load-{i}", "namespace": NAMESPACE,
                                                "labels": {"digital.gov.kh/data-class": "open"}},
                                   "spec": {"clusterIP": "None", "selector": {"app": f"load-{i}"},
                                            "ports": [{"port": 8080}]}})
                t0 = time.perf_counter()
                try:
                    conn.request("POST", f"/api/v1/namespaces/{NAMESPACE}/services", body,
                                 {"Content-Type": "application/json"})
                    r = conn.getresponse()
                    text = r.read().decode(errors="replace")
                    outcome = (r.status, "" if r.status == 201 else json.loads(text).get("message", text)[:300])
                except Exception as e:  # noqa: BLE001 - a client-side failure is counted too
                    outcome = (0, f"client: {e}")
                    conn = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
                with lock:
                    results.append((outcome, time.perf_counter() - t0))
                if a.keep and i >= a.keep:
                    # Churn, not growth: the Service made --keep creates ago goes.
                    try:
                        conn.request("DELETE", f"/api/v1/namespaces/{NAMESPACE}/services/load-{i - a.keep}")
                        conn.getresponse().read()
                    except Exception:  # noqa: BLE001 - a failed delete only leaves one more Service
                        conn = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)

        # govkh's resident memory every 10 s while the load runs, and what its allocator says it
        # holds (govkh_heap_bytes): a leak grows both, the allocator's free pages only the RSS.
        rss, heap, sampling = [], [], threading.Event()

        def sample():
            while not sampling.wait(10):
                with open(f"/proc/{proc.pid}/status") as f:
                    kib = next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
                rss.append(round(kib / 1024))
                try:
                    with urllib.request.urlopen(f"http://{PROBE}/metrics", timeout=5) as r:
                        held = next(float(line.split()[1]) for line in r.read().decode().splitlines()
                                    if line.startswith("govkh_heap_bytes "))
                    heap.append(round(held / 2**20, 1))
                except Exception:  # noqa: BLE001 - a missed scrape is a missing sample, said below
                    pass

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        threads = [threading.Thread(target=worker) for _ in range(a.clients)]
        for t in threads:
            t.start()
        began = time.perf_counter()
        total = a.rate * a.seconds
        for i in range(total):
            # Open loop: request i is due at i/rate, whatever the earlier ones took.
            due = began + i / a.rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            work.put(i)
        for _ in threads:
            work.put(None)
        for t in threads:
            t.join()
        sampling.set()
        took = time.perf_counter() - began
        failures = [o for o, _ in results if o[0] != 201]
        latencies = sorted(d for _, d in results)
        pct = lambda q: round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1)  # noqa: E731
        messages = {}
        for status, message in failures:
            messages[f"{status} {message}"] = messages.get(f"{status} {message}", 0) + 1
        # What the webhook answered, by its own count (the requests did reach it).
        with urllib.request.urlopen(f"http://{PROBE}/metrics", timeout=5) as r:
            metrics = r.read().decode()
        reviewed = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                       if line.startswith("govkh_admission_reviews_total"))
        print(json.dumps({"rate": a.rate, "seconds": a.seconds, "clients": a.clients, "took_s": round(took, 1),
                          "requests": len(results), "failed": len(failures),
                          "failed_calling_the_webhook": sum(n for m, n in messages.items()
                                                            if "failed calling webhook" in m),
                          "reviewed_by_the_webhook": int(reviewed),
                          "failures": messages,
                          "latency_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": round(1000 * latencies[-1], 1)},
                          "rss_mib": rss_summary(rss),
                          "heap_mib": rss_summary(heap),
                          "heap_samples_missed": len(rss) - len(heap),
                          "log": log.name}, indent=1))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        kubectl("delete", "validatingwebhookconfiguration", "govkh-bench", "--ignore-not-found")


def rss_summary(rss):
    """What the RSS (or heap) samples (every 10 s, the first 10 s into the load) say: their range and
    spread, (max - min) / first, sample to sample; and the median of each 5 minutes, with the
    drift between the first full window after the first 5 minutes (the index filling up to
    --keep) and the last — a leak shows there, an allocator's swings between audits do not."""
    if not rss:
        return {}
    windows = [statistics.median(rss[i:i + 30]) for i in range(0, len(rss) - 29, 30)]
    settled = windows[1:] if len(windows) > 1 else windows
    return {"first": rss[0], "last": rss[-1], "min": min(rss), "max": max(rss),
            "spread_percent": round(100 * (max(rss) - min(rss)) / rss[0], 1),
            "median_every_5_minutes": windows,
            "drift_percent_after_5_minutes": round(100 * (settled[-1] - settled[0]) / settled[0], 1)
            if len(settled) > 1 else None,
            "every_minute": rss[::6], "every_10s": rss}


if __name__ == "__main__":
    main()
