"""EW007 against libyaml and an independent model of the agent's line fallback.

SPEC.md: the agent parses the cloud annotations with Go's YAML (a port of libyaml) and, where
that fails, falls back to `key: value` lines split at the first colon. The guard parses with
saphyr, whose rules differ at the edges (tabs, document markers, control characters), and judges
the fallback line by line. This generates texts from pieces near those edges, asks libyaml
(PyYAML's C loader, composing: syntax, anchors and aliases, no constructors) and the guard
(`eastwest-guard check -o json`, every text in one run), and fails on:
- a text libyaml refuses that the guard lets through without EW007, unless it holds only blank
  lines, comments and document markers from which the fallback reads nothing (the agent reads
  no annotation);
- EW007 on a text libyaml reads as nothing (blank lines, comments, `{}`, a null);
- an EW007 *warning* (the fallback keeps every line as written) on a text where this model of
  the fallback skips a line, reads a comment as a key, sets a key twice to two values, or reads
  a line otherwise than libyaml reads that line alone.
libyaml is the nearest parser to Go's available here, not Go's itself: where they differ
(libyaml 0.2.5 accepts a tab after `key:`, Go's YAML refuses it) the guard follows Go, so the
other direction (the guard stricter) is reported, not failed.

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


# Go's strings.TrimSpace trims Unicode White_Space (Python's str.strip() also trims the
# separators U+001C..U+001F, which Go does not).
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def fallback(text):
    """The agent's line fallback: per line (split at LF), trimmed, split at the first colon,
    key and value trimmed, one pair of surrounding quotes removed from the value; lines with no
    colon or an empty key skipped. Returns [(line number, key, value)] and the skipped line
    numbers, blank lines left out of both."""
    entries, skipped = [], []
    for n, line in enumerate(text.split("\n"), start=1):
        t = line.strip(WHITE_SPACE)
        if not t:
            continue
        key, colon, value = t.partition(":")
        key = key.strip(WHITE_SPACE)
        if not colon or not key:
            skipped.append(n)
            continue
        value = value.strip(WHITE_SPACE)
        for q in "\"'":
            if len(value) >= 2 and value[0] == q and value[-1] == q:
                value = value[1:-1]
                break
        entries.append((n, key, value))
    return entries, skipped


def is_comment(line):
    return line.strip(WHITE_SPACE).startswith("#")


def is_marker(line):
    """A document marker (`---`, `...`), alone or before a comment: structure, no setting."""
    t = line.strip(WHITE_SPACE)
    for m in ("---", "..."):
        if t.startswith(m):
            rest = t[len(m):]
            if not rest or (rest[0] in " \t" and rest.strip(WHITE_SPACE).startswith("#")):
                return True
    return False


def no_setting(line):
    return is_comment(line) or is_marker(line)


def reads_nothing(text):
    """Only blank lines, comments and document markers, from which the fallback reads no
    key."""
    entries, skipped = fallback(text)
    lines = text.split("\n")
    return not entries and all(no_setting(lines[n - 1]) for n in skipped)


def line_alone(line):
    """The (key, value) libyaml reads in one line alone, or None if it is no one-pair map of
    plain scalars."""
    try:
        node = yaml.compose(line.strip(WHITE_SPACE), Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        return None
    k, v = node.value[0]
    if not (isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)):
        return None
    if "!" in line or "&" in line or "*" in line:
        return None  # tags, anchors, aliases: left to the guard's own tests
    value = "" if v.tag == "tag:yaml.org,2002:null" else v.value
    return k.value, value


def fallback_loses(text):
    """Why this model of the fallback does not keep every line as written, or None."""
    entries, skipped = fallback(text)
    lines = text.split("\n")
    settings = [n for n, _, _ in entries] + [n for n in skipped if not no_setting(lines[n - 1])]
    for n in skipped:
        if not no_setting(lines[n - 1]):
            return f"skips line {n}"
        if is_marker(lines[n - 1]) and min(settings, default=n) < n < max(settings, default=n):
            return f"skips the document marker on line {n} between settings"
    last = {}
    for n, key, value in entries:
        if no_setting(lines[n - 1]):
            return f"reads the comment on line {n} as the key {key!r}"
        if key in last and last[key] != value:
            return f"sets {key!r} twice to two values"
        last[key] = value
        alone = line_alone(lines[n - 1])
        if alone is not None and alone != (key, value):
            return f"reads line {n} as {(key, value)!r}, libyaml as {alone!r}"
    return None


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
    ew007 = {}
    for f in report["findings"]:
        if f["code"] == "EW007":
            name = f["object"]["name"]
            ew007[name] = "error" if f["level"] == "error" else ew007.get(name, f["level"])
    laxer, stricter, nothing, warned = [], [], [], []
    counts = {"warning": 0, "error": 0, "none": 0}
    for i, text in enumerate(all_texts):
        libyaml_refuses, flat = libyaml_verdict(text)
        level = ew007.get(f"n{i}")
        counts[level or "none"] += 1
        if libyaml_refuses and level is None and not reads_nothing(text):
            laxer.append(text)
        elif flat and level is not None:
            stricter.append(text)
        if not libyaml_refuses and is_nothing(text) and level is not None:
            nothing.append(text)
        if level == "warning":
            why = fallback_loses(text)
            if why:
                warned.append((text, why))
    print(
        f"yaml_oracle: {len(all_texts)} texts, libyaml {yaml.__version__} (C): EW007 warnings "
        f"{counts['warning']}, errors {counts['error']}, none {counts['none']}; "
        f"{len(laxer)} libyaml refuses and the guard lets through, {len(nothing)} read as "
        f"nothing and refused, {len(warned)} warned where the fallback loses a line, "
        f"{len(stricter)} flat maps the guard refuses (reported only; mostly a tab after ':')"
    )
    for text in stricter[:5]:
        print(f"  guard stricter: {text!r}")
    failed = False
    for text in laxer[:20]:
        print(f"  libyaml refuses, guard accepts: {text!r}")
        failed = True
    for text in nothing[:20]:
        print(f"  nothing to read, guard refuses: {text!r}")
        failed = True
    for text, why in warned[:20]:
        print(f"  guard warns, the fallback {why}: {text!r}")
        failed = True
    if failed:
        sys.exit("yaml_oracle FAILED")


def is_nothing(text):
    """libyaml reads no annotation: no document, or a first document that is empty or null,
    or an empty map (and no later document holding anything)."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return False
    if any(not is_empty_document(n) for n in nodes[1:]):
        return False
    node = nodes[0] if nodes else None
    return (
        node is None
        or is_empty_document(node)
        or (isinstance(node, yaml.MappingNode) and not node.value)
    )


if __name__ == "__main__":
    main()
