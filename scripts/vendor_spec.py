"""Prepares a vendor's OpenAPI document for schemathesis against a dialect of Roster.

usage: vendor_spec.py IN.json OUT.json BASE_URL

- Every server (top-level and per path) becomes BASE_URL, the dialect's mount point.
- A `oneOf` with a `discriminator` is read as OpenAPI means it: the discriminator's value picks
  the branch. Each branch is pinned to its own value (an `allOf` with an `enum` on the property),
  so a payload is checked against the schema its tag names. Without this, schemas whose branches
  all require only the tag accept any payload in several branches at once, and strict `oneOf`
  refuses every payload (the vendor's own sample event included).
"""

import json
import sys

source, target, base = sys.argv[1], sys.argv[2], sys.argv[3]
with open(source) as f:
    doc = json.load(f)
doc["servers"] = [{"url": base}]
for item in doc.get("paths", {}).values():
    item.pop("servers", None)


def pin(node):
    if isinstance(node, dict):
        d = node.get("discriminator")
        if isinstance(d, dict) and isinstance(node.get("oneOf"), list):
            by_ref = {ref: value for value, ref in (d.get("mapping") or {}).items()}
            prop = d["propertyName"]
            branches = []
            for branch in node["oneOf"]:
                ref = branch.get("$ref", "")
                value = by_ref.get(ref, ref.rsplit("/", 1)[-1])
                branches.append({"allOf": [branch, {"properties": {prop: {"enum": [value]}}}]})
            node["oneOf"] = branches
        for v in node.values():
            pin(v)
    elif isinstance(node, list):
        for v in node:
            pin(v)


pin(doc)
with open(target, "w") as f:
    json.dump(doc, f)
