"""The HTTP calls Roster's Python checks make: JSON in, (status, JSON or None) out, errors included."""

import json
import urllib.error
import urllib.request


def call(base, method, path, body=None, token=None, timeout=20):
    """Sends one request to `base + path` (or to `path` when it is a whole URL)."""
    url = path if path.startswith("http") else base + path
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            text = resp.read()
            return resp.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None
