#!/usr/bin/env python3
"""The ValidatingAdmissionPolicy backstop, evaluated with cel-python against the engine.

Usage: test_policy_backstop.py RENDERED_DIR BINARY
  RENDERED_DIR: the overlays .ci/checks/deploy.sh rendered (one <overlay>.yaml each);
  BINARY: the eastwest-guard binary, whose `policy` renders the backstop for each case's rule
  settings and whose `check` judges the real-world corpus.

1. Every overlay carries the backstop exactly as `eastwest-guard policy` prints it (the
   warn-only overlays as `policy --warn-only` prints it: bound with [Warn, Audit]), with the
   validating webhook's matchConditions, and a validation for every rule it covers.
2. Differential, over every case of the rules corpus (tests/data/rules/cases: the review, the
   rule settings and the engine's decision): the policy rendered for the case's settings is
   evaluated as kube-apiserver would (matchConstraints' namespaceSelector, matchConditions,
   variables, validations), and for each rule it covers it denies exactly when the engine
   denies with that rule; a rule it warns about (downgraded by the settings) is one the engine
   reports. No expression may evaluate to an error, and every message expression gives a
   one-line string. The corpus has few cases with other levels, so each default-settings
   case is also evaluated with `--warn-only` and with some rules downgraded by `--warn`: the
   engine's findings do not depend on levels, so the backstop must deny what the engine
   denied but the downgraded rules, and warn about those.
3. The same over the real-world corpus (tests/data/real-world): each Service and Namespace as
   written, and with east-west keys added (right and wrong values, right and wrong places),
   judged by `eastwest-guard check --output json`.

Where CEL cannot follow the engine the case is listed, with the reason, in
policy_backstop_exceptions.yaml; an unlisted disagreement fails, and so does a listed one
that no longer disagrees.

cel-python lacks Kubernetes' strings library: split() and join() are supplied here with
cel-go's semantics (Go's strings.Split). matches() is RE2 in both (cel-python uses google-re2).
has() is the CEL spec's (an error on a missing parent), as test_match_conditions.py sets up.
"""

import copy
import json
import pathlib
import subprocess
import sys
import tempfile

import celpy
import yaml
from celpy import celtypes
from celpy.evaluation import CELEvalError

import test_match_conditions  # noqa: F401  (swaps in the CEL spec's has())
from rendered import Results, load_overlays

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CASES = ROOT / "tests/data/rules/cases"
REAL_WORLD = ROOT / "tests/data/real-world"
EXCEPTIONS = HERE / "policy_backstop_exceptions.yaml"
COVERED = ["EW001", "EW002", "EW003", "EW004", "EW005", "EW006", "EW012", "EW013", "EW020"]
P = "traffic.tetrate.io/"


# --- Kubernetes' CEL strings library, as cel-go implements it ------------------------------


def _split(s, sep, n=None):
    s, sep = str(s), str(sep)
    if n is not None:
        n = int(n)
        if n == 0:
            return celtypes.ListType([])
        if n < 0:
            n = None
    if sep == "":
        parts = list(s)
        if n is not None and len(parts) > n:
            parts = parts[: n - 1] + ["".join(parts[n - 1:])]
    else:
        parts = s.split(sep) if n is None else s.split(sep, n - 1)
    return celtypes.ListType([celtypes.StringType(p) for p in parts])


def _join(items, sep=""):
    return celtypes.StringType(str(sep).join(str(i) for i in items))


FUNCTIONS = {"split": _split, "join": _join}

_programs = {}


def program(expression):
    if expression not in _programs:
        env = celpy.Environment()
        _programs[expression] = env.program(env.compile(expression), functions=FUNCTIONS)
    return _programs[expression]


def evaluate(expression, activation):
    try:
        return program(expression).evaluate(activation)
    except CELEvalError as e:
        return e


# --- the policy as kube-apiserver applies it -----------------------------------------------


class Backstop:
    """The policies and bindings of one rendering of `eastwest-guard policy`."""

    def __init__(self, docs):
        self.docs = [d for d in docs if d]
        policies = {d["metadata"]["name"]: d for d in self.docs if d["kind"] == "ValidatingAdmissionPolicy"}
        bindings = [d for d in self.docs if d["kind"] == "ValidatingAdmissionPolicyBinding"]
        self.policies = []  # (policy, actions)
        for b in bindings:
            self.policies.append((policies[b["spec"]["policyName"]], b["spec"]["validationActions"]))

    @staticmethod
    def rule_of(validation):
        return validation["message"].split(":", 1)[0]

    def judge(self, request, new, old, namespace_labels, results, where):
        """(denied rules, warned rules) for one request; None where the policy is not reached."""
        denied, warned = set(), set()
        reached = False
        for policy, actions in self.policies:
            spec = policy["spec"]
            constraints = spec["matchConstraints"]
            if request["operation"] not in constraints["resourceRules"][0]["operations"]:
                continue
            if not test_match_conditions.selector_matches(constraints.get("namespaceSelector"), namespace_labels):
                continue
            activation = {
                "object": celpy.json_to_cel(new),
                "oldObject": celpy.json_to_cel(old),
                "request": celpy.json_to_cel(request),
            }
            matched = True
            for cond in spec.get("matchConditions", []):
                value = evaluate(cond["expression"], activation)
                results.check(isinstance(value, celtypes.BoolType), f"{where}: matchCondition {cond['name']} gave {value!r}")
                if not (isinstance(value, celtypes.BoolType) and bool(value)):
                    matched = False
            if not matched:
                continue
            reached = True
            variables = {}
            for var in spec.get("variables", []):
                activation["variables"] = celtypes.MapType(variables)
                value = evaluate(var["expression"], activation)
                results.check(not isinstance(value, CELEvalError), f"{where}: variable {var['name']}: {value!r}")
                variables[celtypes.StringType(var["name"])] = value
            activation["variables"] = celtypes.MapType(variables)
            for validation in spec["validations"]:
                rule = self.rule_of(validation)
                value = evaluate(validation["expression"], activation)
                ok = isinstance(value, celtypes.BoolType)
                results.check(ok, f"{where}: {rule} validation gave {value!r}")
                if ok and bool(value):
                    continue
                # A failure, or an error under failurePolicy Fail: the binding's actions apply.
                if "Deny" in actions:
                    denied.add(rule)
                if "Warn" in actions:
                    warned.add(rule)
                message = evaluate(validation["messageExpression"], activation)
                results.check(
                    isinstance(message, str) and "\n" not in message and message.startswith(rule),
                    f"{where}: {rule} messageExpression gave {message!r}",
                )
        return (denied, warned) if reached else None


_renders = {}


def render(binary, args):
    key = tuple(args)
    if key not in _renders:
        out = subprocess.run([binary, "policy", *args], check=True, capture_output=True, text=True).stdout
        _renders[key] = Backstop(yaml.safe_load_all(out))
    return _renders[key]


def flags(config):
    args = []
    if config.get("warnOnly"):
        args.append("--warn-only")
    if config.get("denyExisting"):
        args.append("--deny-existing")
    for rule in config.get("warnRules", []):
        args += ["--warn", rule]
    for k, v in config.get("triggerLabels", []):
        args += ["--trigger-label", f"{k}={v}"]
    for prefix in config.get("cloudAnnotationPrefixes", []):
        args += ["--cloud-annotation-prefix", prefix]
    args += ["--default-gateway-name", config["defaultGatewayName"]]
    args += ["--default-gateway-namespace", config["defaultGatewayNamespace"]]
    return args


def backstop_for(binary, config, extra=()):
    return render(binary, flags(config) + list(extra))


DEFAULT_CONFIG = {
    "triggerLabels": [["tetrate.io/rev", "default"], ["istio-injection", "enabled"], ["istio.io/rev", "default"]],
    "cloudAnnotationPrefixes": ["service.beta.kubernetes.io/", "service.kubernetes.io/", "cloud.google.com/", "networking.gke.io/"],
    "defaultGatewayName": "east-west-gateway",
    "defaultGatewayNamespace": "tetrate-system",
    "warnRules": [],
    "warnOnly": False,
}
# Settings the corpus has few cases of, checked on every default-settings case instead:
# (flags, the covered rules they make warnings).
DERIVED_SETTINGS = [
    (("--warn-only",), COVERED),
    (("--warn", "EW004", "--warn", "EW013", "--warn", "EW020"), ["EW004", "EW013", "EW020"]),
]


def request_for(kind, operation, name, namespace):
    gvk = {"group": "", "version": "v1", "kind": kind}
    resource = {"Namespace": "namespaces", "Service": "services"}[kind]
    gvr = {"group": "", "version": "v1", "resource": resource}
    req = {
        "uid": "00000000-0000-0000-0000-000000000000",
        "kind": gvk,
        "resource": gvr,
        "requestKind": gvk,
        "requestResource": gvr,
        "name": name,
        "operation": operation,
        "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
        "dryRun": False,
    }
    if kind == "Service":
        req["namespace"] = namespace
    return req


class Tally:
    def __init__(self):
        self.disagreements = {}  # (source, case, rule) -> what
        self.evaluated = 0
        self.reached = 0
        self.agreements = 0
        self.engine_denials = 0
        self.derived = 0
        self.skipped = {}

    def skip(self, why):
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def compare_derived(self, case, extra, judged, default_deny, downgraded):
        self.derived += 1
        denied, warned = judged if judged is not None else (set(), set())
        for rule in COVERED:
            want_deny = rule in default_deny and rule not in downgraded
            want_warn = rule in default_deny and rule in downgraded
            if (rule in denied, rule in warned) != (want_deny, want_warn):
                self.disagreements[("derived", f"{case} {' '.join(extra)}", rule)] = (
                    f"the backstop denies={rule in denied} warns={rule in warned}, "
                    f"the engine denies={want_deny} warns={want_warn}"
                )

    def compare(self, source, case, judged, engine_deny, engine_any):
        self.evaluated += 1
        denied, warned = judged if judged is not None else (set(), set())
        if judged is not None:
            self.reached += 1
        for rule in COVERED:
            vap = rule in denied
            eng = rule in engine_deny
            self.engine_denials += eng
            if vap == eng:
                self.agreements += 1
            else:
                what = "the backstop denies, the engine does not" if vap else "the engine denies, the backstop does not"
                if judged is None:
                    what += " (the policy is not reached: matchConditions or namespaceSelector)"
                self.disagreements[(source, case, rule)] = what
            if rule in warned and rule not in engine_any:
                self.disagreements[(source, case, rule + " warn")] = "the backstop warns, the engine reports nothing"


def corpus_cases(binary, results, tally):
    files = sorted(CASES.glob("*.json"))
    results.check(len(files) > 100, f"{CASES}: expected the rules corpus, found {len(files)} cases")
    for path in files:
        case = json.loads(path.read_text())
        if "inputOmitted" in case:
            tally.skip("input not kept (megabyte annotations)")
            continue
        kind, op = case["kind"], case["operation"]
        if kind not in ("Namespace", "Service") or op not in ("CREATE", "UPDATE") or case["object"] is None:
            # Outside matchConstraints: the policy is never called, and the engine allows.
            results.check(not any(v["level"] == "deny" for v in case["decision"]), f"{path.name}: {kind} {op} denied")
            tally.skip(f"{kind} {op}: outside matchConstraints")
            continue
        new, old = case["object"], case["oldObject"] if op == "UPDATE" else None
        name = (new.get("metadata") or {}).get("name") or case["name"]
        namespace = case["namespace"] or (new.get("metadata") or {}).get("namespace") or ""
        selector_ns = name if kind == "Namespace" else namespace
        backstop = backstop_for(binary, case["config"])
        where = f"case {path.stem}"
        judged = backstop.judge(
            request_for(kind, op, name, namespace), new, old,
            {"kubernetes.io/metadata.name": selector_ns}, results, where,
        )
        engine_deny = {v["rule"] for v in case["decision"] if v["level"] == "deny"}
        engine_any = {v["rule"] for v in case["decision"]}
        tally.compare("case", path.stem, judged, engine_deny, engine_any)
        if flags(case["config"]) != flags(DEFAULT_CONFIG):
            continue
        # Other levels, derived from the engine's decision with default settings: a rule at
        # warn makes the same findings (levels only change what a finding does), so with
        # `--warn W` the engine denies what it denied before but W, and warns about W where
        # it denied it before; the backstop must deny and warn the same.
        for extra, downgraded in DERIVED_SETTINGS:
            judged = backstop_for(binary, case["config"], extra).judge(
                request_for(kind, op, name, namespace), new, old,
                {"kubernetes.io/metadata.name": selector_ns}, results, f"{where} {extra}",
            )
            tally.compare_derived(path.stem, extra, judged, engine_deny, set(downgraded))


def variants(doc):
    """A real-world object as written, then with east-west keys written right and wrong."""
    yield "as-written", doc

    def with_keys(labels=None, annotations=None):
        d = copy.deepcopy(doc)
        md = d.setdefault("metadata", {})
        if labels:
            md.setdefault("labels", {}).update(labels)
        if annotations:
            md.setdefault("annotations", {}).update(annotations)
        return d

    g = P + "global"
    if doc["kind"] == "Service":
        yield "label-true", with_keys(labels={g: "true"})
        yield "label-True", with_keys(labels={g: "True"})
        yield "annotation", with_keys(annotations={g: "true"})
        yield "both-places", with_keys(labels={g: "true"}, annotations={g: "true"})
        yield "gateway-key", with_keys(annotations={P + "eastwest-gateway-name": "gw"})
    else:
        yield "annotation-true", with_keys(annotations={g: "true"})
        yield "annotation-yes", with_keys(annotations={g: "yes"})
        yield "label", with_keys(labels={g: "true"})
        yield "selector", with_keys(annotations={P + "eastwest-gateway-workload-selector": "app=9gw,tier="})


def real_world(binary, results, tally):
    files = sorted(REAL_WORLD.glob("*.yaml"))
    results.check(bool(files), f"{REAL_WORLD}: no real-world manifests")
    backstop = render(binary, [])
    objects = []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("apiVersion") != "v1" or doc.get("kind") not in ("Namespace", "Service"):
                continue
            for variant, obj in variants(doc):
                obj = copy.deepcopy(obj)
                base = obj["metadata"]["name"]
                # A name per variant, so check's findings say which object they are about.
                obj["metadata"]["name"] = f"{base}-{variant.lower()}-{len(objects)}"
                if obj["kind"] == "Service":
                    obj["metadata"].setdefault("namespace", "default")
                objects.append((f"{path.stem}/{base}/{variant}", obj))
    results.check(len(objects) > 10, f"real-world corpus: expected objects, found {len(objects)}")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump_all([o for _, o in objects], f)
        f.flush()
        run = subprocess.run([binary, "check", "--output", "json", f.name], capture_output=True, text=True)
    results.check(run.returncode in (0, 1), f"eastwest-guard check failed: {run.stderr}")
    report = json.loads(run.stdout)
    engine = {}
    for finding in report["findings"]:
        o = finding["object"]
        engine.setdefault((o["kind"], o["name"]), []).append(finding)
    for label, obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        namespace = obj["metadata"].get("namespace", "")
        findings = engine.get((kind, name), [])
        judged = backstop.judge(
            request_for(kind, "CREATE", name, namespace), obj, None,
            {"kubernetes.io/metadata.name": name if kind == "Namespace" else namespace}, results, label,
        )
        engine_deny = {f["rule"] for f in findings if f["level"] == "error"}
        engine_any = {f["rule"] for f in findings}
        tally.compare("real-world", label, judged, engine_deny, engine_any)


# --- the rendered overlays ----------------------------------------------------------------


def strip(doc):
    d = copy.deepcopy(doc)
    md = d["metadata"]
    # kustomize's namespace transformer does not know these cluster-scoped kinds and sets a
    # namespace, which kube-apiserver drops for a cluster-scoped object; and the base's
    # common labels.
    md.pop("namespace", None)
    for k in ("app.kubernetes.io/part-of", "app.kubernetes.io/managed-by"):
        md.get("labels", {}).pop(k, None)
    return d


def check_overlays(argv, binary, results):
    for overlay in load_overlays(argv):
        want = render(binary, ["--warn-only"] if overlay.warn_only else [])
        got = [
            strip(d) for d in overlay.docs
            if d.get("kind") in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
        ]
        results.check(
            sorted(json.dumps(d, sort_keys=True) for d in got)
            == sorted(json.dumps(d, sort_keys=True) for d in want.docs),
            f"{overlay.name}: the backstop differs from `eastwest-guard policy{' --warn-only' if overlay.warn_only else ''}`",
        )
        actions = [d["spec"]["validationActions"] for d in got if d["kind"] == "ValidatingAdmissionPolicyBinding"]
        expected = [["Warn", "Audit"]] if overlay.warn_only else [["Deny"]]
        results.check(actions == expected, f"{overlay.name}: binding actions {actions}, expected {expected}")
        webhook = overlay.one("ValidatingWebhookConfiguration")["webhooks"][0]
        squeeze = " ".join
        wanted = [(c["name"], squeeze(c["expression"].split())) for c in webhook["matchConditions"]]
        for policy in overlay.all("ValidatingAdmissionPolicy"):
            got_conditions = [(c["name"], squeeze(c["expression"].split())) for c in policy["spec"]["matchConditions"]]
            results.check(got_conditions == wanted, f"{overlay.name}: the policy's matchConditions are not the webhook's")
            rules = sorted({Backstop.rule_of(v) for v in policy["spec"]["validations"]})
            results.check(rules == COVERED, f"{overlay.name}: validations for {rules}, expected {COVERED}")


def main(argv):
    if len(argv) != 3:
        sys.exit(f"usage: {argv[0]} RENDERED_DIR BINARY")
    binary = argv[2]
    results = Results("policy-backstop")
    check_overlays(argv[:2], binary, results)
    tally = Tally()
    corpus_cases(binary, results, tally)
    real_world(binary, results, tally)

    listed = {}
    for entry in yaml.safe_load(EXCEPTIONS.read_text()) or []:
        results.check(bool(entry.get("reason")), f"{EXCEPTIONS.name}: {entry} has no reason")
        listed[(entry["source"], entry["case"], entry["rule"])] = entry["reason"]
    def listing(key):
        # A case listed for a rule covers its evaluations under the derived settings too.
        source, case, rule = key
        return ("case", case.split(" ")[0], rule) if source == "derived" else key

    for key, what in sorted(tally.disagreements.items()):
        results.check(listing(key) in listed, f"unlisted disagreement: {key[0]} {key[1]} {key[2]}: {what}")
    for key in sorted(listed):
        results.check(key in tally.disagreements, f"{EXCEPTIONS.name} lists {key}, which agrees now: remove it")

    print(
        f"policy-backstop: {tally.evaluated} reviews evaluated ({tally.reached} reaching the policy), "
        f"{tally.agreements} of {tally.evaluated * len(COVERED)} rule verdicts agree "
        f"({tally.engine_denials} engine denials among them), {len(tally.disagreements)} disagreements, each to be listed; "
        f"{tally.derived} evaluations under other levels derived from default-settings cases"
    )
    for why, n in sorted(tally.skipped.items()):
        print(f"policy-backstop: skipped {n}: {why}")
    return results.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
