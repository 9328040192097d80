#!/usr/bin/env python3
"""Builds the fuzz seed corpora (fuzz/corpus/<target>/, not committed) from the repository's
own fixtures: every review under tests/data, examples/ and benches/data for `request`, and
every workload-selector and cloud-annotations value found in the JSON and YAML fixtures for
`selector` and `cloud_annotations`, plus a few hand-written edge cases.

    python3 fuzz/seed.py
"""
import hashlib
import json
import pathlib

try:
    import yaml
except ImportError:  # YAML fixtures are skipped without PyYAML; JSON ones still seed.
    yaml = None

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    out = CORPUS / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)


def documents(path):
    text = path.read_text(errors="replace")
    if path.suffix == ".json":
        try:
            yield json.loads(text)
        except ValueError:
            pass
    elif yaml is not None and path.suffix in (".yaml", ".yml"):
        try:
            yield from yaml.safe_load_all(text)
        except yaml.YAMLError:
            pass


def walk(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, str) and isinstance(v, str):
                if k.endswith("workload-selector"):
                    put("selector", v)
                if k.endswith("cloud-annotations"):
                    put("cloud_annotations", v)
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)


def main():
    for base in ("tests/data", "examples", "benches/data"):
        for path in sorted((ROOT / base).rglob("*")):
            if not path.is_file():
                continue
            if path.suffix == ".json":
                raw = path.read_bytes()
                if b'"AdmissionReview"' in raw:
                    put("request", raw)
            for doc in documents(path):
                walk(doc)
    for s in ["app=gw", "app=gw,tier=edge", "app = gw", "app=", "=x", ",", "a=b,a=c",
              "example.com/app=gw", "app=gw,", "app:gw"]:
        put("selector", s)
    for s in ["a: b\n", "a: 'b'\nc: \"d\"\n", "a: [b\n", "&x a: *x\n", "? a\n: b\n",
              "a: b\r\nc: d\r", "--- \na: b\n...\n---\nc: d\n", "a:\n  b: c\n", "- a\n"]:
        put("cloud_annotations", s)
    put("request", b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}')
    # wire_parsers: its input drives a generator; empty is a plain review, and libFuzzer
    # grows the rest.
    put("wire_parsers", b"")
    for target in ("request", "selector", "cloud_annotations", "review_fields", "wire_parsers"):
        (CORPUS / target).mkdir(parents=True, exist_ok=True)
        print(target, len(list((CORPUS / target).iterdir())), "seeds")


main()
