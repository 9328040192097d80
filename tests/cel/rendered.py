"""Loads the overlays that .ci/checks/deploy.sh rendered with `kubectl kustomize`.

Every overlay is one file, `<overlay name>.yaml`, in the directory given on the command line,
so the tests read exactly what `kubectl apply -k` would send, never a copy of the manifests.
"""

import pathlib
import sys

import yaml


class Overlay:
    def __init__(self, name, docs):
        self.name = name
        self.docs = [d for d in docs if d]

    @property
    def warn_only(self):
        return self.name.endswith("-warn-only")

    def all(self, kind):
        return [d for d in self.docs if d.get("kind") == kind]

    def one(self, kind, name=None):
        found = [
            d
            for d in self.all(kind)
            if name is None or d.get("metadata", {}).get("name") == name
        ]
        if len(found) != 1:
            raise AssertionError(
                f"{self.name}: expected one {kind}{' ' + name if name else ''}, found {len(found)}"
            )
        return found[0]

    def webhooks(self):
        """(configuration kind, webhook) for every webhook of both configurations."""
        out = []
        for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
            for config in self.all(kind):
                for webhook in config.get("webhooks") or []:
                    out.append((kind, webhook))
        return out


def load_overlays(argv):
    if len(argv) != 2:
        sys.exit(f"usage: {argv[0]} RENDERED_DIR  (one <overlay>.yaml per overlay)")
    directory = pathlib.Path(argv[1])
    overlays = []
    for path in sorted(directory.glob("*.yaml")):
        with path.open() as f:
            overlays.append(Overlay(path.stem, list(yaml.safe_load_all(f))))
    if not overlays:
        sys.exit(f"{directory}: no rendered overlays (*.yaml)")
    return overlays


class Results:
    """Counts checks and prints each failure; the summary line is the runner's closing line."""

    def __init__(self, label):
        self.label = label
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {self.label}: {what}")

    def finish(self):
        print(f"{self.label}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed or not self.passed else 0
