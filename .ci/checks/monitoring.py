"""Helpers of .ci/checks/monitoring.sh (run with its venv's python: PyYAML, promql-parser).

  objects RENDERED BASELINE OUTDIR   check the rendered monitoring component; write the rule
                                     groups (rules.yaml) and the dashboard (dashboard.json)
  coverage RULES TESTS               every alert has a test that fires it and one that does not
  dashboard DASHBOARD OUT            check the dashboard; write each query as a recording rule
  exported BIN REVIEWS_DIR OUT       run the real server on 127.0.0.1, send it reviews, scrape
                                     /metrics, and write the metric names it exports
  names EXPORTED FILE...             every metric named by the rules (rules files) and the
                                     dashboard's queries (recording rules files) is exported
"""

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import promql_parser
import yaml


def fail(message):
    print(f"monitoring check FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def key(doc):
    meta = doc.get("metadata", {})
    return (doc.get("kind"), meta.get("namespace"), meta.get("name"))


# ---------------------------------------------------------------- the rendered component

NAMESPACE = "eastwest-guard-system"
ADDED = {
    ("PodMonitor", NAMESPACE, "eastwest-guard"),
    ("PrometheusRule", NAMESPACE, "eastwest-guard"),
    ("ConfigMap", NAMESPACE, "eastwest-guard-dashboard"),
}


def objects(rendered, baseline, outdir):
    with_monitoring = {key(d): d for d in load_all(rendered)}
    without = {key(d): d for d in load_all(baseline)}
    added = set(with_monitoring) - set(without)
    if added != ADDED:
        fail(f"the component adds {sorted(map(str, added))}, expected {sorted(map(str, ADDED))}")
    changed = [k for k in without if with_monitoring.get(k) != without[k]]
    if changed:
        fail(f"the component changes objects of the overlay it is added to: {changed}")

    deployment = with_monitoring[("Deployment", NAMESPACE, "eastwest-guard")]
    template = deployment["spec"]["template"]
    pod_labels = template["metadata"]["labels"]
    ports = {p["name"]: p for c in template["spec"]["containers"] for p in c.get("ports", [])}

    monitor = with_monitoring[("PodMonitor", NAMESPACE, "eastwest-guard")]
    selector = monitor["spec"]["selector"]["matchLabels"]
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        fail(f"PodMonitor selector {selector} does not select the pods {pod_labels}")
    endpoints = monitor["spec"]["podMetricsEndpoints"]
    for endpoint in endpoints:
        if endpoint.get("port") not in ports:
            fail(f"PodMonitor port {endpoint.get('port')!r} is not a port of the Deployment: {sorted(ports)}")
        if endpoint.get("path") != "/metrics" or endpoint.get("scheme", "http") != "http":
            fail(f"PodMonitor endpoint {endpoint} is not http /metrics")
    probe_args = [a for c in template["spec"]["containers"] for a in c.get("args", []) if a.startswith("--probe-listen=")]
    port = ports[endpoints[0]["port"]]["containerPort"]
    if not probe_args or not probe_args[0].endswith(f":{port}"):
        fail(f"the PodMonitor's port {port} is not where --probe-listen serves /metrics: {probe_args}")

    rule = with_monitoring[("PrometheusRule", NAMESPACE, "eastwest-guard")]
    with open(os.path.join(outdir, "rules.yaml"), "w") as f:
        yaml.safe_dump({"groups": rule["spec"]["groups"]}, f, sort_keys=False)

    config_map = with_monitoring[("ConfigMap", NAMESPACE, "eastwest-guard-dashboard")]
    if config_map["metadata"].get("labels", {}).get("grafana_dashboard") != "1":
        fail('the dashboard ConfigMap lacks the label grafana_dashboard: "1"')
    data = config_map.get("data", {})
    if list(data) != ["eastwest-guard.json"]:
        fail(f"the dashboard ConfigMap holds {list(data)}, expected eastwest-guard.json")
    with open(os.path.join(outdir, "dashboard.json"), "w") as f:
        f.write(data["eastwest-guard.json"])
    alerts = [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]
    print(f"== monitoring: component adds a PodMonitor (port {endpoints[0]['port']}), "
          f"a PrometheusRule ({len(alerts)} alerts) and the dashboard ConfigMap; changes nothing else")


# ---------------------------------------------------------------- alert tests

def coverage(rules_path, tests_path):
    with open(rules_path) as f:
        rules = yaml.safe_load(f)
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r]
    if len(set(alerts)) != len(alerts):
        fail(f"duplicate alert names: {alerts}")
    with open(tests_path) as f:
        tests = yaml.safe_load(f)
    fires, quiet = set(), set()
    for test in tests["tests"]:
        for case in test.get("alert_rule_test", []):
            name = case["alertname"]
            if name not in alerts:
                fail(f"test {test.get('name')!r} checks {name}, which is not an alert of the rules")
            (fires if case.get("exp_alerts") else quiet).add(name)
    missing = [f"{a} (no test where it fires)" for a in alerts if a not in fires]
    missing += [f"{a} (no test where it does not fire)" for a in alerts if a not in quiet]
    if missing:
        fail("alerts without tests: " + ", ".join(missing))
    print(f"== monitoring: each of the {len(alerts)} alerts has a test that fires it and one that does not")


# ---------------------------------------------------------------- dashboard

# Grafana's built-in variables, with a value each query can be checked with.
BUILTINS = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
}
VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
# Metrics the dashboard must show (the list), by name.
DASHBOARD_MUST_SHOW = [
    "eastwest_guard_admission_requests_total",
    "eastwest_guard_admission_request_duration_seconds_bucket",
    "eastwest_guard_rule_hits_total",
    "eastwest_guard_tls_cert_expiry_timestamp_seconds",
    "eastwest_guard_tls_cert_reloads_total",
    "eastwest_guard_cluster_cache_synced",
    "eastwest_guard_connections_open",
    "process_resident_memory_bytes",
    "process_cpu_seconds_total",
    "process_open_fds",
]


def panels_of(dashboard):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard(path, out):
    with open(path) as f:
        board = json.load(f)
    for field in ("uid", "title", "schemaVersion", "panels", "templating"):
        if field not in board:
            fail(f"dashboard has no {field}")
    variables = {v["name"]: v for v in board["templating"]["list"]}
    source = variables.get("datasource")
    if not source or source.get("type") != "datasource" or source.get("query") != "prometheus":
        fail("dashboard needs a `datasource` variable of type datasource (prometheus)")

    def substitute(expr, where):
        def value(match):
            name = match.group(1) or match.group(2)
            if name in BUILTINS:
                return BUILTINS[name]
            if name in variables and name != "datasource":
                return ".*"
            fail(f"{where}: unknown variable ${name} in {expr!r}")
        return VARIABLE.sub(value, expr)

    queries = []  # (where, expr)
    for name, variable in variables.items():
        if variable.get("type") != "query":
            continue
        if variable.get("datasource", {}).get("uid") != "${datasource}":
            fail(f"variable {name} does not use the datasource variable")
        query = variable.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        match = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", query or "", re.S)
        if not match:
            fail(f"variable {name}: expected label_values(<query>, <label>), got {query!r}")
        queries.append((f"variable {name}", substitute(match.group(1), f"variable {name}")))

    ids = set()
    count = 0
    for panel in panels_of(board):
        where = f"panel {panel.get('id')} {panel.get('title')!r}"
        if panel.get("type") == "row":
            continue
        count += 1
        if panel.get("id") in ids or not isinstance(panel.get("id"), int):
            fail(f"{where}: missing or repeated id")
        ids.add(panel["id"])
        if not panel.get("title"):
            fail(f"{where}: no title")
        if set(panel.get("gridPos", {})) != {"h", "w", "x", "y"}:
            fail(f"{where}: gridPos needs h, w, x, y")
        if panel.get("datasource") != {"type": "prometheus", "uid": "${datasource}"}:
            fail(f"{where}: datasource must be the datasource variable")
        targets = panel.get("targets") or fail(f"{where}: no queries")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs) or not all(refs):
            fail(f"{where}: refIds {refs} must be set and distinct")
        for target in targets:
            expr = target.get("expr") or fail(f"{where} {target.get('refId')}: no expr")
            queries.append((f"{where} {target['refId']}", substitute(expr, where)))

    rules = []
    for i, (where, expr) in enumerate(queries):
        rules.append({"record": f"dashboard:query_{i}", "expr": expr, "labels": {"source": where}})
    with open(out, "w") as f:
        yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, f, sort_keys=False)

    named = set()
    for _, expr in queries:
        named |= metric_names(expr, "dashboard")
    absent = [m for m in DASHBOARD_MUST_SHOW if m not in named]
    if absent:
        fail(f"the dashboard shows none of {absent}")
    text = json.dumps(board)
    for level in ('level=\\"deny\\"', 'level=\\"warn\\"'):
        if level not in text:
            fail(f"the dashboard has no rule hits with {level}")
    print(f"== monitoring: dashboard: {count} panels, {len(queries)} queries written as recording rules")


# ---------------------------------------------------------------- metric names

def metric_names(expr, where):
    try:
        ast = promql_parser.parse(expr)
    except Exception as e:  # the parser raises its own error types
        fail(f"{where}: {expr!r} does not parse: {e}")
    names = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            else:
                by_name = [m for m in node.matchers.matchers if m.name == "__name__"]
                if len(by_name) != 1 or str(by_name[0].op) not in ("MatchOp.Equal", "="):
                    fail(f"{where}: {expr!r} selects series without naming one metric")
                names.add(by_name[0].value)
        return True

    promql_parser.walk(ast, visit)
    return names


# Metrics the rules may name that other exporters serve, each with who.
EXTERNAL = {
    "kube_deployment_status_replicas_available": "kube-state-metrics",
    "apiserver_admission_webhook_rejection_count": "kube-apiserver",
    "apiserver_admission_webhook_fail_open_count": "kube-apiserver",
}
SUFFIXES = {
    "counter": ["_total"],
    "gauge": [""],
    "histogram": ["_bucket", "_sum", "_count"],
    "gaugehistogram": ["_bucket", "_gsum", "_gcount"],
    "summary": ["", "_sum", "_count"],
    "info": ["_info"],
    "stateset": [""],
    "unknown": [""],
}


def exported_names(text):
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ", 3)
            names |= {family + s for s in SUFFIXES.get(kind, [""])}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def exported(binary, reviews_dir, out):
    workdir = os.path.dirname(os.path.abspath(out))
    kubeconfig = os.path.join(workdir, "kubeconfig")
    # --cluster-lookups as deployed, against an API server that is not there (port 9 on
    # loopback): the cache gauges are exported, the cache never syncs.
    with open(kubeconfig, "w") as f:
        f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n"
                "    server: https://127.0.0.1:9\n    insecure-skip-tls-verify: true\n"
                "contexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\n"
                "current-context: gone\nusers:\n- name: u\n  user:\n    token: t\n")
    cert = os.path.join(workdir, "self-signed.pem")
    env = {k: v for k, v in os.environ.items() if k != "KUBERNETES_SERVICE_HOST"}
    env["KUBECONFIG"] = kubeconfig
    server = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--probe-listen", "127.0.0.1:0",
         "--log-format", "text", "--self-signed-cert-out", cert,
         "--cluster-lookups", "--cluster-sync-timeout", "300ms"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    addresses = {}
    log = []
    found = threading.Event()

    def read():
        for line in server.stdout:
            log.append(line)
            for word in line.split():
                for name in ("webhook", "probes"):
                    if word.startswith(name + "="):
                        addresses[name] = word.split("=", 1)[1]
            if len(addresses) == 2:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not found.wait(60):
            fail("the server did not log its addresses in 60s:\n" + "".join(log))
        probes, webhook = addresses["probes"], addresses["webhook"]
        for host_port in (probes, webhook):
            if not host_port.startswith("127.0.0.1:"):
                fail(f"the server listens on {host_port}, not loopback")

        def get(path):
            with urllib.request.urlopen(f"http://{probes}{path}", timeout=10) as r:
                return r.status, r.read().decode()

        deadline = time.monotonic() + 30
        while True:
            try:
                if get("/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                fail("the server was not ready in 30s:\n" + "".join(log))
            time.sleep(0.1)

        # Families with labels appear once a series exists: send every example review to
        # both endpoints (allowed, denied, warned, patched), and one that is not JSON.
        context = ssl.create_default_context(cafile=cert)
        reviews = sorted(f for f in os.listdir(reviews_dir) if f.startswith("review-") and f.endswith(".json"))
        if not reviews:
            fail(f"no review-*.json in {reviews_dir}")
        bodies = [open(os.path.join(reviews_dir, f), "rb").read() for f in reviews] + [b"not json"]
        for endpoint in ("validate", "mutate"):
            for body in bodies:
                request = urllib.request.Request(
                    f"https://{webhook}/{endpoint}", data=body, method="POST",
                    headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, context=context, timeout=10) as r:
                        r.read()
                except urllib.error.HTTPError as e:
                    if e.code != 400:
                        fail(f"/{endpoint} answered {e.code}")
        status, text = get("/metrics")
        if status != 200:
            fail(f"/metrics answered {status}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    names = exported_names(text)
    for must in ("eastwest_guard_admission_requests_total", "eastwest_guard_rule_hits_total",
                 "eastwest_guard_admission_request_duration_seconds_bucket",
                 "eastwest_guard_cluster_cache_objects", "process_resident_memory_bytes"):
        if must not in names:
            fail(f"{must} not in the scrape after the reviews:\n{text}")
    with open(out, "w") as f:
        f.write("\n".join(sorted(names)) + "\n")
    print(f"== monitoring: the server exports {len(names)} metric names "
          f"({len(reviews)} example reviews x 2 endpoints sent first)")


def names(exported_path, rule_files):
    with open(exported_path) as f:
        have = set(f.read().split())
    used_external = set()
    unknown = []
    count = 0
    for path in rule_files:
        with open(path) as f:
            groups = yaml.safe_load(f)["groups"]
        for group in groups:
            for rule in group["rules"]:
                where = f"{os.path.basename(path)}: {rule.get('alert') or rule.get('labels', {}).get('source') or rule.get('record')}"
                for name in metric_names(rule["expr"], where):
                    count += 1
                    if name in have:
                        continue
                    if name in EXTERNAL:
                        used_external.add(name)
                        continue
                    unknown.append(f"{where}: {name}")
    if unknown:
        fail("metrics named but not exported by the server:\n  " + "\n  ".join(unknown))
    stale = set(EXTERNAL) - used_external
    if stale:
        fail(f"EXTERNAL lists metrics nothing uses: {sorted(stale)}")
    print(f"== monitoring: {count} metric references, all exported by the server "
          f"(or by {', '.join(sorted(set(EXTERNAL.values())))}: {', '.join(sorted(used_external))})")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {
        "objects": objects,
        "coverage": coverage,
        "dashboard": dashboard,
        "exported": exported,
        "names": lambda exported_path, *files: names(exported_path, files),
    }[command](*args)
