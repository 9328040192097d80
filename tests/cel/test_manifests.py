#!/usr/bin/env python3
"""What the rendered overlays must hold beyond their schema, the facts the matchConditions
argument (test_match_conditions.py) and docs/deploy.md rest on: the webhook configurations'
fixed fields, the wiring between Service, Deployment, Secret and certificate, the pod's
security settings and the NetworkPolicy.

Usage: test_manifests.py RENDERED_DIR   (.ci/checks/deploy.sh renders the overlays)
"""

import base64
import sys

import yaml

from rendered import Results, load_overlays

NAME = "eastwest-guard"
NAMESPACE = "eastwest-guard-system"
EXCLUDED = {"kube-system", "kube-public", "kube-node-lease", NAMESPACE}
SERVICE_DNS_NAMES = [
    NAME,
    f"{NAME}.{NAMESPACE}",
    f"{NAME}.{NAMESPACE}.svc",
    f"{NAME}.{NAMESPACE}.svc.cluster.local",
]


def arg_value(args, flag):
    for a in args:
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


def check_webhooks(o, r):
    deployment = o.one("Deployment", NAME)
    service = o.one("Service", NAME)
    vwc = o.one("ValidatingWebhookConfiguration", NAME)
    mwc = o.one("MutatingWebhookConfiguration", NAME)
    expressions = []
    for config, path in ((vwc, "/validate"), (mwc, "/mutate")):
        kind = config["kind"]
        webhooks = config.get("webhooks") or []
        r.check(len(webhooks) == 1, f"{o.name} {kind}: one webhook")
        if not webhooks:
            continue
        w = webhooks[0]
        where = f"{o.name} {w['name']}"
        r.check(w.get("admissionReviewVersions") == ["v1"], f"{where}: admissionReviewVersions [v1]")
        r.check(w.get("sideEffects") == "None", f"{where}: sideEffects None")
        r.check(w.get("matchPolicy") == "Equivalent", f"{where}: matchPolicy Equivalent")
        r.check(1 <= w.get("timeoutSeconds", 10) <= 5, f"{where}: timeoutSeconds short (<= 5)")
        svc_ref = (w.get("clientConfig") or {}).get("service") or {}
        r.check(
            svc_ref.get("name") == service["metadata"]["name"]
            and svc_ref.get("namespace") == service["metadata"]["namespace"]
            and svc_ref.get("path") == path,
            f"{where}: clientConfig.service is the guard's Service, path {path}",
        )
        ports = {p["port"]: p for p in service["spec"]["ports"]}
        r.check(svc_ref.get("port", 443) in ports, f"{where}: clientConfig port is a Service port")
        if kind == "ValidatingWebhookConfiguration":
            want = "Ignore" if o.warn_only else "Fail"
            r.check(w.get("failurePolicy") == want, f"{where}: failurePolicy {want}")
            # The status and finalize subresources too: kube-apiserver keeps their metadata.
            resources = {
                "namespaces", "namespaces/status", "namespaces/finalize", "services", "services/status"
            }
        else:
            r.check(w.get("failurePolicy") == "Ignore", f"{where}: failurePolicy Ignore")
            r.check(w.get("reinvocationPolicy") == "IfNeeded", f"{where}: reinvocationPolicy IfNeeded")
            resources = {"namespaces"}
        rules = w.get("rules") or []
        r.check(len(rules) == 1, f"{where}: one rule")
        for rule in rules:
            r.check(rule.get("apiGroups") == [""], f"{where}: core group only")
            r.check(rule.get("apiVersions") == ["v1"], f"{where}: v1 only")
            r.check(set(rule.get("operations", [])) == {"CREATE", "UPDATE"}, f"{where}: CREATE and UPDATE only")
            r.check(set(rule.get("resources", [])) == resources, f"{where}: resources {sorted(resources)} (no *)")
        selector = w.get("namespaceSelector") or {}
        excluded = set()
        for e in selector.get("matchExpressions") or []:
            if e.get("key") == "kubernetes.io/metadata.name" and e.get("operator") == "NotIn":
                excluded |= set(e.get("values") or [])
        r.check(excluded == EXCLUDED, f"{where}: namespaceSelector keeps out exactly {sorted(EXCLUDED)}")
        r.check(
            deployment["metadata"]["namespace"] in excluded,
            f"{where}: the guard's own namespace is kept out",
        )
        r.check(not w.get("objectSelector"), f"{where}: no objectSelector (matchConditions select)")
        conds = w.get("matchConditions") or []
        names = [c.get("name") for c in conds]
        r.check(names == CONDITIONS, f"{where}: matchConditions {CONDITIONS}, found {names}")
        expressions.append(tuple(c.get("expression") for c in conds))
    r.check(len(set(expressions)) == 1, f"{o.name}: both webhooks share the same matchConditions")


# What test_match_conditions.py evaluates, in order; all must hold for the guard to be called.
CONDITIONS = [
    "carries-traffic-tetrate-io-key",
    "subresource-write-changes-labels-or-annotations",
    "object-not-being-deleted",
]


def check_certificate_wiring(o, r):
    deployment = o.one("Deployment", NAME)
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    tls_volume = next((v for v in pod.get("volumes", []) if "secret" in v), None)
    r.check(tls_volume is not None, f"{o.name}: the certificate is mounted from a Secret")
    if tls_volume is None:
        return
    secret_name = tls_volume["secret"]["secretName"]
    mount = next((m for m in container.get("volumeMounts", []) if m["name"] == tls_volume["name"]), None)
    r.check(mount is not None and not mount.get("subPath"), f"{o.name}: Secret mounted whole (no subPath: rotation)")
    if mount:
        args = container.get("args", [])
        for flag, file in (("--tls-cert", "tls.crt"), ("--tls-key", "tls.key")):
            r.check(
                arg_value(args, flag) == f"{mount['mountPath']}/{file}",
                f"{o.name}: {flag} points at {file} in the mounted Secret",
            )
    vwc = o.one("ValidatingWebhookConfiguration", NAME)
    mwc = o.one("MutatingWebhookConfiguration", NAME)
    certificates = o.all("Certificate")
    if certificates:  # cert-manager
        serving = [c for c in certificates if c["spec"].get("secretName") == secret_name]
        r.check(len(serving) == 1, f"{o.name}: one Certificate writes the mounted Secret {secret_name}")
        if serving:
            cert = serving[0]
            r.check(cert["spec"].get("dnsNames") == SERVICE_DNS_NAMES, f"{o.name}: Certificate dnsNames are the Service's names")
            r.check(not cert["spec"].get("isCA"), f"{o.name}: serving Certificate is not a CA")
            ref = f"{cert['metadata']['namespace']}/{cert['metadata']['name']}"
            for config in (vwc, mwc):
                ann = config["metadata"].get("annotations", {}).get("cert-manager.io/inject-ca-from")
                r.check(ann == ref, f"{o.name} {config['kind']}: inject-ca-from {ref}")
            issuers = {i["metadata"]["name"] for i in o.all("Issuer")}
            for c in certificates:
                r.check(c["spec"]["issuerRef"]["name"] in issuers, f"{o.name}: Certificate {c['metadata']['name']} names an Issuer in the overlay")
    else:  # self-managed
        secret = o.one("Secret", secret_name)
        r.check(secret.get("type") == "kubernetes.io/tls", f"{o.name}: Secret is kubernetes.io/tls")
        r.check(set(secret.get("data", {})) == {"tls.crt", "tls.key", "ca.crt"}, f"{o.name}: Secret has tls.crt, tls.key, ca.crt")
        for config in (vwc, mwc):
            for w in config["webhooks"]:
                bundle = (w.get("clientConfig") or {}).get("caBundle", "")
                try:
                    pem = base64.b64decode(bundle, validate=True).decode()
                except Exception:
                    pem = ""
                r.check("-----BEGIN CERTIFICATE-----" in pem, f"{o.name} {w['name']}: caBundle is base64 PEM")


def check_deployment(o, r):
    deployment = o.one("Deployment", NAME)
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    c = pod["containers"][0]
    where = o.name
    r.check(spec.get("replicas", 1) >= 2, f"{where}: at least 2 replicas")
    r.check(spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, f"{where}: rolling updates keep every replica")
    spread = [t for t in pod.get("topologySpreadConstraints", []) if t["topologyKey"] == "kubernetes.io/hostname"]
    r.check(bool(spread) and spread[0]["whenUnsatisfiable"] == "DoNotSchedule", f"{where}: replicas spread across nodes")
    # The token is for --cluster-lookups alone: mounted by the pod only when the flag is on.
    args = c.get("args", [])
    lookups = "--cluster-lookups" in args
    r.check(pod.get("automountServiceAccountToken") is lookups, f"{where}: a token exactly when cluster lookups are on")
    sa = o.one("ServiceAccount", pod["serviceAccountName"])
    r.check(sa.get("automountServiceAccountToken") is False, f"{where}: ServiceAccount mounts no token by default")
    role = o.one("ClusterRole", NAME)
    rules = role.get("rules", [])
    r.check(
        rules == [{"apiGroups": [""], "resources": ["namespaces", "services"], "verbs": ["list", "watch"]}],
        f"{where}: ClusterRole is list/watch of namespaces and services, nothing more",
    )
    binding = o.one("ClusterRoleBinding", NAME)
    r.check(
        binding["roleRef"]["name"] == NAME
        and binding["subjects"] == [{"kind": "ServiceAccount", "name": pod["serviceAccountName"], "namespace": "eastwest-guard-system"}],
        f"{where}: the binding gives the role to the guard's ServiceAccount only",
    )
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    r.check(psc.get("runAsNonRoot") is True and csc.get("runAsNonRoot") is True, f"{where}: runAsNonRoot")
    r.check(isinstance(csc.get("runAsUser"), int) and csc["runAsUser"] > 0, f"{where}: numeric non-root runAsUser")
    r.check(csc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem")
    r.check(csc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation false")
    r.check(csc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: all capabilities dropped")
    r.check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp RuntimeDefault")
    r.check("command" not in c, f"{where}: the image's entrypoint (eastwest-guard serve) runs; args add flags")
    # The rule settings are the ConfigMap's file, mounted as a directory (a subPath mount is
    # never updated, and the server reloads the file); warn-only is set there, not as a flag.
    r.check("--warn-only" not in args, f"{where}: no --warn-only flag (the configuration file sets it)")
    config_path = arg_value(args, "--config")
    r.check(config_path is not None, f"{where}: --config is passed")
    configmap = o.one("ConfigMap", "eastwest-guard-config")
    mounts = [m for m in c.get("volumeMounts", []) if config_path and config_path.startswith(m["mountPath"].rstrip("/") + "/")]
    r.check(len(mounts) == 1 and "subPath" not in mounts[0], f"{where}: --config is in a directory mount, without subPath")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    if mounts:
        volume = volumes.get(mounts[0]["name"], {})
        r.check(volume.get("configMap", {}).get("name") == "eastwest-guard-config", f"{where}: the mount is the eastwest-guard-config ConfigMap")
        key = config_path.rsplit("/", 1)[1]
        settings = yaml.safe_load(configmap.get("data", {}).get(key, "")) or {}
        r.check(settings.get("warnOnly", False) is o.warn_only, f"{where}: warnOnly exactly in the warn-only overlays")
    r.check(lookups, f"{where}: cluster lookups on (issue 6)")
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    listen = arg_value(args, "--listen") or "0.0.0.0:8443"
    probe_listen = arg_value(args, "--probe-listen") or "0.0.0.0:8080"
    r.check(listen.rsplit(":", 1)[1] == str(ports.get("https")), f"{where}: --listen port is the https port")
    r.check(probe_listen.rsplit(":", 1)[1] == str(ports.get("probe")), f"{where}: --probe-listen port is the probe port")
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = c.get(probe, {}).get("httpGet", {})
        r.check(get.get("path") == path and get.get("port") in ("probe", ports.get("probe")), f"{where}: {probe} GET {path} on the probe port")
    res = c.get("resources", {})
    r.check("memory" in res.get("limits", {}) and "cpu" in res.get("requests", {}), f"{where}: resource requests and a memory limit")
    r.check(
        res.get("requests", {}).get("memory") == res.get("limits", {}).get("memory"),
        f"{where}: memory request equals the limit (not overcommitted)",
    )
    priority = pod.get("priorityClassName")
    classes = {p["metadata"]["name"]: p for p in o.all("PriorityClass")}
    r.check(priority in classes, f"{where}: priorityClassName {priority!r} is a PriorityClass of the overlay")
    if priority in classes:
        pc = classes[priority]
        r.check(
            0 < pc.get("value", 0) < 1_000_000_000 and not pc.get("globalDefault", False),
            f"{where}: {priority} ranks above default pods, below the system classes, and is no default",
        )
    service = o.one("Service", NAME)
    sel = service["spec"]["selector"]
    r.check(all(labels.get(k) == v for k, v in sel.items()), f"{where}: Service selects the pods")
    https = [p for p in service["spec"]["ports"] if p["port"] == 443]
    r.check(bool(https) and https[0]["targetPort"] in ("https", ports.get("https")), f"{where}: Service 443 goes to the TLS port")
    pdb = o.one("PodDisruptionBudget", NAME)
    psel = pdb["spec"]["selector"]["matchLabels"]
    r.check(all(labels.get(k) == v for k, v in psel.items()), f"{where}: PodDisruptionBudget selects the pods")
    r.check(0 < pdb["spec"].get("minAvailable", 0) < spec["replicas"], f"{where}: PodDisruptionBudget lets one pod go at a time")
    ns = o.one("Namespace", NAMESPACE)
    r.check(ns["metadata"]["name"] == deployment["metadata"]["namespace"], f"{where}: the Deployment is in the guard's Namespace")


def check_network_policy(o, r):
    """The NetworkPolicy selects the guard's pods, opens the webhook port to its callers (any
    source: kube-apiserver's addresses match no selector) and the probe port to a namespace
    selector only, and every port it names is one of the container's."""
    deployment = o.one("Deployment", NAME)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    c = deployment["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    policy = o.one("NetworkPolicy", NAME)
    spec = policy["spec"]
    where = f"{o.name} NetworkPolicy"
    sel = spec["podSelector"]["matchLabels"]
    r.check(bool(sel) and all(labels.get(k) == v for k, v in sel.items()), f"{where}: selects the guard's pods")
    r.check(spec.get("policyTypes") == ["Ingress"], f"{where}: ingress only (the API server watch goes out)")
    rules = spec.get("ingress", [])
    by_port = {}
    for rule in rules:
        for p in rule.get("ports", []):
            r.check(p.get("port") in ports or p.get("port") in ports.values(), f"{where}: port {p.get('port')!r} is a container port")
            by_port.setdefault(p.get("port"), []).append(rule)
    webhook = by_port.get("https", []) + by_port.get(ports.get("https"), [])
    r.check(len(webhook) == 1 and not webhook[0].get("from"), f"{where}: the webhook port open to kube-apiserver (any source)")
    probe = by_port.get("probe", []) + by_port.get(ports.get("probe"), [])
    r.check(
        len(probe) == 1
        and probe[0].get("from")
        and all("namespaceSelector" in f and "ipBlock" not in f for f in probe[0]["from"]),
        f"{where}: the probe port open to the scraper's namespace only",
    )
    r.check(all(rule.get("ports") for rule in rules), f"{where}: every rule names its ports")


def main(argv):
    r = Results("manifests")
    overlays = load_overlays(argv)
    names = {o.name for o in overlays}
    for want in ("cert-manager", "self-managed", "cert-manager-warn-only", "self-managed-warn-only"):
        r.check(want in names, f"overlay {want} rendered")
    for o in overlays:
        for check in (check_webhooks, check_certificate_wiring, check_deployment, check_network_policy):
            try:
                check(o, r)
            except (AssertionError, KeyError, IndexError, TypeError) as e:
                r.check(False, f"{o.name}: {check.__name__}: {type(e).__name__}: {e}")
    return r.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
