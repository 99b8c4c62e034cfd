#!/usr/bin/env python3
"""Validates the bridge's published Ditto envelopes (one MQTT payload per line) against Ditto's
JSON schemas (tests/data/ditto-schemas), handling the three caveats of that folder's README
explicitly; each relaxation is matched by a stricter check of our own:

1. `value: null` is valid Ditto (RFC 7396 deletes, Kanto's empty installedDependencies) but the
   envelope schema omits null: null is allowed, and only where Kanto sends it.
2. `headers.correlation-id` is schema-required, but Kanto's twin commands carry exactly
   {"response-required": false}: the requirement is dropped and the headers are checked to be exactly
   that for twin commands (messages that have a correlation-id must still give it as a string).
3. feature_v2.json's pattern uses ECMAScript named groups `(?<n>...)`; Python's re needs `(?P<n>...)`.

Usage: validate_ditto.py SCHEMA_DIR MESSAGES.jsonl  -> exit 0 and a count, or 1 and the failures."""
import copy
import json
import re
import sys

import jsonschema


def patch_patterns(node):
    if isinstance(node, dict):
        return {k: (v.replace("(?<", "(?P<") if k == "pattern" else patch_patterns(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [patch_patterns(x) for x in node]
    return node


def main():
    schema_dir, messages = sys.argv[1], sys.argv[2]
    envelope = json.load(open(f"{schema_dir}/protocol-envelope.json", encoding="utf-8"))
    feature = patch_patterns(json.load(open(f"{schema_dir}/feature_v2.json", encoding="utf-8")))  # caveat 3

    relaxed = copy.deepcopy(envelope)
    relaxed["properties"]["value"]["type"] = relaxed["properties"]["value"]["type"] + ["null"]  # caveat 1
    relaxed["properties"]["headers"].pop("required", None)  # caveat 2

    env_validator = jsonschema.Draft4Validator(relaxed)
    feature_validator = jsonschema.Draft4Validator(feature)
    failures, count, features = [], 0, 0
    for n, line in enumerate(open(messages, encoding="utf-8"), 1):
        if not line.strip():
            continue
        count += 1
        msg = json.loads(line)
        for err in env_validator.iter_errors(msg):
            failures.append(f"message {n}: envelope: {err.message}")
        topic, path, headers = msg.get("topic", ""), msg.get("path", ""), msg.get("headers")
        if "/things/twin/commands/" in topic and headers != {"response-required": False}:
            failures.append(f"message {n}: twin command headers are {headers!r}")
        if "value" in msg and msg["value"] is None and not path.endswith("/installedDependencies"):
            failures.append(f"message {n}: null value at {path}")
        if topic.endswith("/things/twin/commands/modify") and re.fullmatch(r"/features/[^/]+", path):
            features += 1
            for err in feature_validator.iter_errors(msg["value"]):
                failures.append(f"message {n}: feature {path}: {err.message}")
    if failures:
        print("\n".join(failures))
        return 1
    print(f"{count} envelopes valid ({features} feature values checked against feature_v2.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
