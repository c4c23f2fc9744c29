#!/usr/bin/env python3
"""Validates the examples against schemas/ironward.v1.schema.json (draft 2020-12) and checks
that the schema rejects the documents in tests/spec/testdata/invalid/.

Usage: validate_examples.py SOURCE_DIR. Exit 0 when all checks pass.

An invalid document whose second line starts with "# schema-accepts" is a loader-only check
(the schema cannot express it) and must instead be *accepted* by the schema, so the marker
stays honest.
"""
import glob
import json
import os
import re
import sys

import jsonschema
import yaml


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML speaks YAML 1.1 (yes/no/on/off are booleans); ironward, yaml-cpp and the
    yaml-language-server use 1.2 core-schema booleans: only true/false."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=Yaml12Loader)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "schemas", "ironward.v1.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = []

    examples = sorted(glob.glob(os.path.join(root, "examples", "*.yaml")))
    if len(examples) < 2:
        failures.append("expected at least two examples in examples/")
    for path in examples:
        for err in validator.iter_errors(load(path)):
            failures.append(f"{path}: {'/'.join(map(str, err.absolute_path))}: {err.message}")
        print(f"ok   {os.path.relpath(path, root)} is valid")

    invalid = sorted(glob.glob(os.path.join(root, "tests", "spec", "testdata", "invalid", "*.yaml")))
    if len(invalid) < 5:
        failures.append("expected at least five documents in tests/spec/testdata/invalid/")
    for path in invalid:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        loader_only = len(lines) > 1 and lines[1].startswith("# schema-accepts")
        errors = list(validator.iter_errors(load(path)))
        name = os.path.relpath(path, root)
        if loader_only and errors:
            failures.append(f"{name}: marked schema-accepts but the schema rejects it: {errors[0].message}")
        elif not loader_only and not errors:
            failures.append(f"{name}: the schema accepts a document the loader rejects")
        else:
            print(f"ok   {name} {'accepted (loader-only check)' if loader_only else 'rejected'}")

    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
