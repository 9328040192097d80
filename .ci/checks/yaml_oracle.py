"""EW007 against libyaml: every cloud-annotations text libyaml's parser refuses must be refused.

SPEC.md: "The guard rejects every input on which YAML fails (EW007)". The agent parses with
Go's YAML, a port of libyaml; the guard parses with saphyr, whose rules differ at the edges
(tabs, document markers, control characters). This generates texts from pieces near those edges, asks libyaml
(PyYAML's C loader, composing: syntax, anchors and aliases, no constructors) and the guard
(`eastwest-guard check -o json`, every text in one run), and fails on any text libyaml refuses
that the guard lets through. libyaml is the nearest parser to Go's available here, not Go's
itself: where they differ (libyaml 0.2.5 accepts a tab after `key:`, Go's YAML refuses it) the
guard follows Go, so the other direction (the guard stricter) is reported, not failed.

usage: yaml_oracle.py BINARY [TEXTS_PER_SEED] [SEED...]
"""

import json
import random
import subprocess
import sys

import yaml

KEYS = [
    "service.beta.kubernetes.io/aws-load-balancer-type",
    "service.beta.kubernetes.io/aws-load-balancer-scheme",
    "cloud.google.com/l4-rbs",
    "a",
    "b.io/c",
    "'quoted/key'",
    '"dq.io/key"',
]
VALUES = [
    "nlb", "internal", '"nlb"', "'nlb'", "arn:aws:acm:us-east-1:1:certificate/x", "http://x/y",
    "a: b", "", "~", "null", "true", "42", "[a, b]", "{a: b}", '"a\\tb"', "'it''s'", '"x',
    "'x", "|", ">-", "&a nlb", "*a", "#c", "a #c", "a#b", "- x", "@x", "`x", "%x", "!!str 1",
    "? x", ": x", "a\tb", '"\\q"', '"multi', "line\"",
    # Characters Go's reader refuses anywhere (quoted or not), and YAML 1.1's extra breaks.
    "a\x07b", '"a\x01b"', "'a\x7fb'", "a\x9fb", "a\ufffeb", "a\x85b", '"a\x85b"',
    "a\u2028b", "a\x1b[0m", '"\u00a0ok"',
]
SEPARATORS = [": ", ":", ":  ", ":\t", " : ", ": \t"]
INDENTS = ["", "", "", " ", "  ", "\t", " \t", "\t "]
ENDINGS = ["", "", " ", "\t", " # c", "\t# c"]
OTHER_LINES = [
    "", "", "# comment", "\t# c", "---", "...", "... # end", "  ", "\t", "- a", "  more",
    "\tmore", "  - x", "{", "}", "[", "<<: {a: b}", "a: |", "a: |2", "a: >-", "b.io/c: &x |",
    "  block", "\tblock", "  \tblock", " \tblock", "  x\ty", "   deeper", "# bell \x07",
]


def line(rnd):
    if rnd.random() < 0.15:
        return rnd.choice(OTHER_LINES)
    return (
        rnd.choice(INDENTS) + rnd.choice(KEYS) + rnd.choice(SEPARATORS)
        + rnd.choice(VALUES) + rnd.choice(ENDINGS)
    )


def texts(seed, count):
    rnd = random.Random(seed)
    for _ in range(count):
        lines = [line(rnd) for _ in range(rnd.randint(1, 4))]
        yield "\n".join(lines) + rnd.choice(["\n", "", "\n\n"])


def is_empty_document(node):
    """A document with nothing in it (after `---`: nothing, a comment, `~`, `null`)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def libyaml_verdict(text):
    """(refuses, flat_map): whether the text must be refused, because libyaml's parser refuses
    it or a document after the first holds anything (Go's YAML reads the first only, so that
    is lost), and if not, whether the first document is one flat map of distinct scalar keys
    to scalars (what the guard must accept)."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
    except yaml.composer.ComposerError as e:
        # PyYAML's composer refuses a redefined anchor; YAML allows it, and so does Go's.
        if "found duplicate anchor" in str(e):
            return False, False
        return True, False
    except yaml.YAMLError:
        return True, False
    if any(not is_empty_document(n) for n in nodes[1:]):
        return True, False
    node = nodes[0] if nodes else None
    if not isinstance(node, yaml.MappingNode) or not node.value:
        return False, False
    pairs = node.value
    scalars = all(
        isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode) for k, v in pairs
    )
    keys = [k.value for k, _ in pairs]
    return False, scalars and len(set(keys)) == len(keys)


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2500
    seeds = [int(s) for s in sys.argv[3:]] or [1, 2, 3, 4]
    if not getattr(yaml, "__with_libyaml__", False):
        sys.exit("yaml_oracle: PyYAML has no libyaml (CSafeLoader); the oracle needs it")
    all_texts = [t for seed in seeds for t in texts(seed, count)]
    documents = [
        json.dumps({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": f"n{i}",
                "labels": {"tetrate.io/rev": "default"},
                "annotations": {
                    "traffic.tetrate.io/global": "true",
                    "traffic.tetrate.io/eastwest-gateway-cloud-annotations": text,
                },
            },
        })
        for i, text in enumerate(all_texts)
    ]
    run = subprocess.run(
        [binary, "check", "-o", "json", "-"],
        input="\n---\n".join(documents), capture_output=True, text=True, check=False,
    )
    if run.returncode not in (0, 1):
        sys.exit(f"yaml_oracle: check exited {run.returncode}: {run.stderr}")
    report = json.loads(run.stdout)
    refused = {f["object"]["name"] for f in report["findings"] if f["code"] == "EW007"}
    laxer, stricter = [], []
    for i, text in enumerate(all_texts):
        libyaml_refuses, flat = libyaml_verdict(text)
        guard_refuses = f"n{i}" in refused
        if libyaml_refuses and not guard_refuses:
            laxer.append(text)
        elif flat and guard_refuses:
            stricter.append(text)
    print(
        f"yaml_oracle: {len(all_texts)} texts, libyaml {yaml.__version__} (C): "
        f"{len(laxer)} it refuses and the guard lets through, "
        f"{len(stricter)} flat maps the guard refuses (reported only; mostly a tab after ':')"
    )
    for text in stricter[:5]:
        print(f"  guard stricter: {text!r}")
    if laxer:
        for text in laxer[:20]:
            print(f"  libyaml refuses, guard accepts: {text!r}")
        sys.exit("yaml_oracle FAILED: texts YAML refuses passed EW007")


if __name__ == "__main__":
    main()
