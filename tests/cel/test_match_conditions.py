#!/usr/bin/env python3
"""The webhook configurations' matchConditions, evaluated with cel-python over a table of
admission requests, as kube-apiserver would evaluate them before calling the guard.

Usage: test_match_conditions.py RENDERED_DIR   (.ci/checks/deploy.sh renders the overlays)

The expressions are read from the rendered webhook configurations of every overlay, never
copied here. For each request the test decides, like kube-apiserver, whether the guard is
called at all: the rules (operation, group, version, resource), the namespaceSelector, then
every matchCondition (all must be true). It shows that exactly the CREATE and UPDATE writes
whose new or old object carries a `traffic.tetrate.io/` label or annotation key reach the
guard, less the status and finalize writes that leave labels and annotations alone and the
updates of objects being deleted, and that no condition ever evaluates to an error: with
failurePolicy Fail an error would refuse the write.

cel-python's has() returns false where the CEL spec and cel-go (which Kubernetes runs) raise
an error: has(a.b.c) when a has no b. This test swaps in the spec's has(), so an unguarded
has() fails here as it would fail in the API server. A self-test below proves the swap works.
"""

import itertools
import sys

import celpy
import lark
from celpy import celtypes
from celpy.evaluation import CELEvalError, Evaluator

from rendered import Results, load_overlays

PREFIX = "traffic.tetrate.io/"
GUARD_NAMESPACE = "eastwest-guard-system"
ABSENT = object()  # a metadata map (labels, annotations) or metadata itself left out


# --- has() as the CEL spec defines it ----------------------------------------------------


def _strict_has(self, exprlist):
    node = exprlist
    while isinstance(node, lark.Tree) and node.data != "member_dot" and len(node.children) == 1:
        node = node.children[0]
    if not (isinstance(node, lark.Tree) and node.data == "member_dot"):
        return CELEvalError("has() argument must be a field selection", SyntaxError, None)
    target = self.visit(node.children[0])
    field = node.children[1].value
    if isinstance(target, CELEvalError):
        return target
    if isinstance(target, celtypes.MapType):
        return celtypes.BoolType(celtypes.StringType(field) in target)
    return CELEvalError(
        f"has(.{field}) on {type(target).__name__}: no such key", KeyError, None
    )


Evaluator.macro_has_eval = _strict_has


# --- the admission request model --------------------------------------------------------


def metadata(name, labels=ABSENT, annotations=ABSENT, namespace=None, deleting=False):
    md = {"name": name}
    if namespace is not None:
        md["namespace"] = namespace
    if deleting:
        md["deletionTimestamp"] = "2026-12-01T00:00:00Z"
    if labels is not ABSENT:
        md["labels"] = labels
    if annotations is not ABSENT:
        md["annotations"] = annotations
    return md


def obj(kind, name, labels=ABSENT, annotations=ABSENT, namespace=None, meta=True, deleting=False):
    o = {"apiVersion": "v1", "kind": kind}
    if meta:
        o["metadata"] = metadata(name, labels, annotations, namespace, deleting)
    if kind == "Service":
        o["spec"] = {"ports": [{"port": 80}]}
    return o


class Case:
    def __init__(self, title, kind, op, new, old, namespace, cond, validating, mutating, dry_run=False,
                 sub=None):
        self.title = title
        # The subresource written through (status, finalize), None for the object itself.
        self.sub = sub
        self.kind = kind
        self.op = op
        self.new = new
        self.old = old
        # The Namespace's own name for a Namespace write; the Service's namespace otherwise.
        self.namespace = namespace
        self.cond = cond
        self.validating = validating
        self.mutating = mutating
        self.dry_run = dry_run

    def request(self):
        resource = {"Namespace": "namespaces", "Service": "services"}[self.kind]
        gvk = {"group": "", "version": "v1", "kind": self.kind}
        gvr = {"group": "", "version": "v1", "resource": resource}
        req = {
            "uid": "00000000-0000-0000-0000-000000000000",
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": "x",
            "operation": self.op,
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "dryRun": self.dry_run,
        }
        if self.kind == "Service":
            req["namespace"] = self.namespace
        # kube-apiserver's AdmissionRequest has `subResource,omitempty`: absent, not "", on a
        # write of the object itself.
        if self.sub is not None:
            req["subResource"] = self.sub
            req["requestSubResource"] = self.sub
        return req

    def namespace_labels(self):
        # kube-apiserver sets kubernetes.io/metadata.name on every Namespace; the selector is
        # matched against the Namespace's labels (for a Namespace write, the object's own).
        return {"kubernetes.io/metadata.name": self.namespace}


def ns(title, op, new, old, cond, validating=None, mutating=None, name="team-a", **kw):
    v = cond and op in ("CREATE", "UPDATE") if validating is None else validating
    m = v if mutating is None else mutating
    return Case(title, "Namespace", op, new, old, name, cond, v, m, **kw)


def svc(title, op, new, old, cond, validating=None, namespace="team-a", **kw):
    v = cond and op in ("CREATE", "UPDATE") if validating is None else validating
    return Case(title, "Service", op, new, old, namespace, cond, v, False, **kw)


def N(**kw):
    return obj("Namespace", "team-a", **kw)


def S(namespace="team-a", **kw):
    return obj("Service", "web", namespace=namespace, **kw)


G = {PREFIX + "global": "true"}
GW = {PREFIX + "eastwest-gateway-name": "gw"}

# Each row: what the expression alone yields (cond), and whether the validating and the
# mutating webhook are called at all (rules, namespaceSelector and conditions together).
TABLE = [
    # Namespace writes
    ns("ns CREATE, key in object annotations", "CREATE", N(annotations=G), None, True),
    ns("ns CREATE, key in object labels (EW012 territory)", "CREATE", N(labels=G), None, True),
    ns("ns CREATE, key among other keys", "CREATE",
       N(labels={"istio-injection": "enabled", "team": "a"}, annotations={"a": "1", **GW, "z": "2"}), None, True),
    ns("ns CREATE, no traffic key", "CREATE", N(labels={"istio-injection": "enabled"}), None, False),
    ns("ns CREATE, no labels or annotations map", "CREATE", N(), None, False),
    ns("ns CREATE, empty maps", "CREATE", N(labels={}, annotations={}), None, False),
    ns("ns CREATE, no metadata at all", "CREATE", N(meta=False), None, False),
    ns("ns CREATE, dry run, key in annotations", "CREATE", N(annotations=G), None, True, dry_run=True),
    ns("ns UPDATE, key in both", "UPDATE", N(annotations=G), N(annotations=G), True),
    ns("ns UPDATE, key only in old object (EW020: annotation removed)", "UPDATE",
       N(annotations={"a": "b"}), N(annotations=G), True),
    ns("ns UPDATE, key only in old, new has no maps", "UPDATE", N(), N(annotations=G), True),
    ns("ns UPDATE, key only in new object", "UPDATE", N(annotations=GW), N(), True),
    ns("ns UPDATE, key only in old labels", "UPDATE", N(labels={}), N(labels=G), True),
    ns("ns UPDATE, neither", "UPDATE", N(labels={"a": "b"}), N(annotations={"c": "d"}), False),
    ns("ns UPDATE, neither, no maps anywhere", "UPDATE", N(), N(), False),
    ns("ns UPDATE, old object without metadata, key in new", "UPDATE", N(labels=G), N(meta=False), True),
    ns("ns DELETE, key in old object (rules leave DELETE out)", "DELETE", None, N(annotations=G), True),
    ns("ns DELETE, no key", "DELETE", None, N(), False),
    # Service writes: validating only
    svc("svc CREATE, key in labels", "CREATE", S(labels=G), None, True),
    svc("svc CREATE, key in annotations (EW012 territory)", "CREATE", S(annotations=G), None, True),
    svc("svc CREATE, no traffic key", "CREATE", S(labels={"app": "web"}), None, False),
    svc("svc CREATE, no maps", "CREATE", S(), None, False),
    svc("svc UPDATE, label removed", "UPDATE", S(labels={"app": "web"}), S(labels=G), True),
    svc("svc UPDATE, label added", "UPDATE", S(labels=G), S(), True),
    svc("svc UPDATE, neither", "UPDATE", S(labels={"app": "web"}), S(labels={"app": "web"}), False),
    svc("svc DELETE, key in old object", "DELETE", None, S(labels=G), True),
    # Keys that only look like ours
    svc("svc CREATE, traffic.tetrate.io.evil/ prefix", "CREATE",
        S(labels={"traffic.tetrate.io.evil/global": "true"}), None, False),
    ns("ns CREATE, xtraffic.tetrate.io/ prefix", "CREATE",
       N(annotations={"xtraffic.tetrate.io/global": "true"}), None, False),
    ns("ns CREATE, traffic.tetrate.io without slash", "CREATE",
       N(annotations={"traffic.tetrate.io": "true"}), None, False),
    ns("ns CREATE, other case", "CREATE", N(annotations={"Traffic.Tetrate.io/global": "true"}), None, False),
    ns("ns CREATE, trigger label only (tetrate.io/rev)", "CREATE",
       N(labels={"tetrate.io/rev": "default"}), None, False),
    ns("ns CREATE, prefix in a value, not a key", "CREATE",
       N(annotations={"note": "traffic.tetrate.io/global"}), None, False),
    ns("ns CREATE, prefix in the middle of a key", "CREATE",
       N(annotations={"example.com/traffic.tetrate.io/global": "x"}), None, False),
    ns("ns UPDATE, look-alike in old, none in new", "UPDATE",
       N(), N(labels={"traffic.tetrate.io.evil/global": "true"}), False),
    # Namespaces the selector keeps out, whatever they carry
    svc("svc in kube-system with key", "CREATE", S(namespace="kube-system", labels=G), None, True,
        validating=False, namespace="kube-system"),
    svc("svc in the guard's namespace with key", "UPDATE", S(namespace=GUARD_NAMESPACE, labels=G), S(),
        True, validating=False, namespace=GUARD_NAMESPACE),
    ns("ns kube-system with key", "UPDATE", N(annotations=G), N(), True, validating=False, name="kube-system"),
    ns("ns kube-public with key", "CREATE", N(annotations=G), None, True, validating=False, name="kube-public"),
    ns("ns kube-node-lease with key", "CREATE", N(annotations=G), None, True, validating=False,
       name="kube-node-lease"),
    ns("ns eastwest-guard-system with key", "UPDATE", N(annotations=G), N(annotations=G), True,
       validating=False, name=GUARD_NAMESPACE),
    # Writes through subresources: the validating webhook only, and only where labels or
    # annotations change (kube-apiserver keeps a status or finalize write's metadata).
    ns("ns status UPDATE removing global (EW020 through status)", "UPDATE",
       N(annotations={"a": "b"}), N(annotations=G), True, mutating=False, sub="status"),
    ns("ns status UPDATE, metadata unchanged (a controller's status write)", "UPDATE",
       N(annotations=G), N(annotations=G), False, sub="status"),
    ns("ns finalize UPDATE setting a gateway key", "UPDATE",
       N(annotations={**G, **GW}), N(annotations=G), True, mutating=False, sub="finalize"),
    ns("ns finalize UPDATE, metadata unchanged (the namespace controller)", "UPDATE",
       N(labels={"team": "a"}, annotations=G), N(labels={"team": "a"}, annotations=G), False,
       sub="finalize"),
    ns("ns status UPDATE, other label changed on an object with a key", "UPDATE",
       N(labels={"team": "b"}, annotations=G), N(labels={"team": "a"}, annotations=G), True,
       mutating=False, sub="status"),
    ns("ns status UPDATE, empty map against an absent one", "UPDATE",
       N(labels={}, annotations=G), N(annotations=G), False, sub="status"),
    ns("ns status UPDATE, no key anywhere", "UPDATE", N(labels={"a": "b"}), N(), False, sub="status"),
    svc("svc status UPDATE, label unchanged (load balancer ingress)", "UPDATE",
        S(labels=G), S(labels=G), False, sub="status"),
    svc("svc status UPDATE, label changed", "UPDATE",
        S(labels={PREFIX + "global": "True"}), S(labels=G), True, sub="status"),
    svc("svc status UPDATE, no maps on either side", "UPDATE", S(), S(labels=G), True, sub="status"),
    # Updates of objects being deleted (finalizer removals): never sent.
    ns("ns UPDATE, being deleted, key kept", "UPDATE",
       N(annotations=G, deleting=True), N(annotations=G, deleting=True), False),
    ns("ns UPDATE, being deleted, key removed", "UPDATE",
       N(deleting=True), N(annotations=G, deleting=True), False),
    svc("svc UPDATE, being deleted (load-balancer-cleanup finalizer removed)", "UPDATE",
        S(labels=G, deleting=True), S(labels=G, deleting=True), False),
    ns("ns finalize UPDATE, being deleted, key removed", "UPDATE",
       N(deleting=True), N(annotations=G, deleting=True), False, sub="finalize"),
    ns("ns CREATE with a deletionTimestamp (not an update: sent)", "CREATE",
       N(annotations=G, deleting=True), None, True),
]


def generated_cases():
    """Every kind x operation x placement of a key x key shape x empty/absent maps, with the
    expectation computed directly from the objects."""
    keys = {
        "ours": PREFIX + "global",
        "evil-suffix": "traffic.tetrate.io.evil/global",
        "evil-prefix": "xtraffic.tetrate.io/global",
        "plain": "app",
    }
    places = ["new-labels", "new-annotations", "old-labels", "old-annotations"]
    for kind, op, key_name, empty in itertools.product(
        ("Namespace", "Service"), ("CREATE", "UPDATE", "DELETE"), keys, (ABSENT, "empty")
    ):
        for n in range(0, len(places) + 1):
            for chosen in itertools.combinations(places, n):
                key = keys[key_name]

                def maps(side):
                    out = {}
                    for m in ("labels", "annotations"):
                        if f"{side}-{m}" in chosen:
                            out[m] = {key: "true", "other": "x"}
                        elif empty == "empty":
                            out[m] = {}
                    return out

                make = N if kind == "Namespace" else S
                new = make(**maps("new")) if op != "DELETE" else None
                old = make(**maps("old")) if op != "CREATE" else None

                def carries(o):
                    md = (o or {}).get("metadata", {})
                    return any(
                        k.startswith(PREFIX)
                        for m in ("labels", "annotations")
                        for k in md.get(m, {})
                    )

                cond = (op in ("CREATE", "UPDATE") and carries(new)) or (
                    op in ("UPDATE", "DELETE") and carries(old)
                )
                title = f"generated {kind} {op} key={key_name} maps={'empty' if empty == 'empty' else 'absent'} at {','.join(chosen) or 'nowhere'}"
                if kind == "Namespace":
                    yield ns(title, op, new, old, cond)
                else:
                    yield svc(title, op, new, old, cond)
                if op != "UPDATE":
                    continue

                # The same write through status: sent only where labels or annotations differ
                # (an absent map reads as an empty one), to the validating webhook only.
                def meta_maps(o):
                    md = o.get("metadata", {})
                    return [md.get(m) or {} for m in ("labels", "annotations")]

                sub_cond = cond and meta_maps(new) != meta_maps(old)
                if kind == "Namespace":
                    yield ns(title + " (status)", op, new, old, sub_cond, mutating=False, sub="status")
                else:
                    yield svc(title + " (status)", op, new, old, sub_cond, sub="status")


# --- what kube-apiserver does before calling a webhook -----------------------------------


def rules_match(webhook, case):
    resource = {"Namespace": "namespaces", "Service": "services"}[case.kind]
    scope = "Cluster" if case.kind == "Namespace" else "Namespaced"
    if case.sub is not None:
        resource = f"{resource}/{case.sub}"
    for rule in webhook.get("rules") or []:
        if (
            ("*" in rule["operations"] or case.op in rule["operations"])
            and ("*" in rule["apiGroups"] or "" in rule["apiGroups"])
            and ("*" in rule["apiVersions"] or "v1" in rule["apiVersions"])
            and ("*" in rule["resources"] or resource in rule["resources"])
            and rule.get("scope", "*") in ("*", scope)
        ):
            return True
    return False


def selector_matches(selector, labels):
    if selector is None:
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        k, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(k) not in values:
            return False
        if op == "NotIn" and k in labels and labels[k] in values:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


class Condition:
    # Every overlay renders the same expression: compile and evaluate each text once per case.
    _programs = {}
    _results = {}

    def __init__(self, name, expression):
        self.name = name
        self.expression = expression
        if expression not in Condition._programs:
            env = celpy.Environment()
            Condition._programs[expression] = env.program(env.compile(expression))
        self.program = Condition._programs[expression]

    def evaluate(self, case):
        key = (self.expression, id(case))
        if key not in Condition._results:
            Condition._results[key] = self._evaluate(case)
        return Condition._results[key]

    def _evaluate(self, case):
        activation = {
            "object": celpy.json_to_cel(case.new),
            "oldObject": celpy.json_to_cel(case.old),
            "request": celpy.json_to_cel(case.request()),
        }
        try:
            result = self.program.evaluate(activation)
        except CELEvalError as e:  # cel-python raises some errors instead of returning them
            return e
        return result


def self_test(results):
    """The strict has() is in force: an unguarded nested has() is an error, as in cel-go."""
    env = celpy.Environment()
    program = env.program(env.compile("has(object.metadata.labels)"))
    try:
        got = program.evaluate({"object": celpy.json_to_cel({"kind": "Namespace"})})
    except CELEvalError as e:
        got = e
    results.check(isinstance(got, CELEvalError), f"strict has(): expected an error, got {got!r}")
    got = program.evaluate({"object": celpy.json_to_cel({"metadata": {"labels": {}}})})
    results.check(got is True or got == celtypes.BoolType(True), f"strict has(): expected true, got {got!r}")


def main(argv):
    results = Results("cel")
    self_test(results)
    cases = TABLE + list(generated_cases())
    condition_lists = set()
    for overlay in load_overlays(argv):
        webhooks = overlay.webhooks()
        results.check(len(webhooks) == 2, f"{overlay.name}: expected 2 webhooks, found {len(webhooks)}")
        for kind, webhook in webhooks:
            conditions = [
                Condition(c["name"], c["expression"]) for c in webhook.get("matchConditions") or []
            ]
            results.check(bool(conditions), f"{overlay.name}: {webhook['name']} has no matchConditions")
            if not conditions:
                continue
            condition_lists.add(tuple((c.name, c.expression) for c in conditions))
            validating = kind == "ValidatingWebhookConfiguration"
            for case in cases:
                where = f"{overlay.name} {webhook['name']}: {case.title}"
                values = [(c, c.evaluate(case)) for c in conditions]
                errors = [(c.name, v) for c, v in values if not isinstance(v, celtypes.BoolType)]
                results.check(not errors, f"{where}: condition error (failurePolicy would apply): {errors}")
                if errors:
                    continue
                cond = all(bool(v) for _, v in values)
                results.check(cond == case.cond, f"{where}: conditions gave {cond}, expected {case.cond}")
                called = (
                    rules_match(webhook, case)
                    and selector_matches(webhook.get("namespaceSelector"), case.namespace_labels())
                    and cond
                )
                expected = case.validating if validating else case.mutating
                results.check(called == expected, f"{where}: guard called={called}, expected {expected}")
    # The same conditions everywhere: both webhooks and every overlay see the same writes.
    results.check(
        len(condition_lists) == 1, f"expected one list of matchConditions, found {len(condition_lists)}"
    )
    return results.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
