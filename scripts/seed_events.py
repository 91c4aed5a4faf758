"""Records one event of every type the Beyond Identity dialect's feed carries, through the API,
so a fuzzer reading the feed sees each payload shape.

usage: seed_events.py BASE_URL API_KEY DATA_DIR
(DATA_DIR is the server's: with no SMTP server configured, mail lands in its outbox folder.)
"""

import email
import email.policy
import glob
import os
import sys
import time
import urllib.parse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

import roster_client

BASE, KEY, DATA = sys.argv[1], sys.argv[2], sys.argv[3]


def call(method, path, body=None, token=KEY):
    status, answer = roster_client.call(BASE, method, path, body, token)
    if status >= 300 and not path.endswith("/auth/login"):
        raise SystemExit(f"{method} {path}: {status} {answer}")
    return answer


def newest_token(seen):
    """The link token of the first message in the outbox that is not in `seen`."""
    for _ in range(100):
        for path in sorted(glob.glob(os.path.join(DATA, "outbox", "*.eml"))):
            if path in seen:
                continue
            seen.add(path)
            with open(path, "rb") as f:
                text = email.message_from_binary_file(f, policy=email.policy.default).get_body(("plain",)).get_content()
            link = next(w for w in text.split() if "token=" in w)
            return urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["token"][0]
        time.sleep(0.1)
    raise SystemExit("no message in the outbox")


seen = set()
bi = "/compat/beyond-identity/v1/manage"
user = call("POST", bi + "/users", {"external_id": "seed-1", "email": "seed@example.com", "user_name": "seed",
                                    "display_name": "Seed User", "binding_token_delivery_method": "email"})
key = ed25519.Ed25519PrivateKey.generate()
pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
device = call("POST", "/api/v1/device-binding", {"token": newest_token(seen), "name": "laptop", "public_key": pem}, token=None)
call("POST", bi + "/recover-user", {"external_id": "seed-1", "binding_token_delivery_method": "email"})
group = call("POST", "/api/v1/groups", {"name": "seeded", "description": "seeded group"})
call("POST", f"/api/v1/groups/{group['id']}/members", {"kind": "user", "id": user["internal_id"]})
call("POST", "/api/v1/auth/login", {"username": "seed", "password": "not-the-password-1"}, token=None)
call("DELETE", f"/api/v1/users/{user['internal_id']}/devices/{device['id']}")
call("DELETE", f"/api/v1/groups/{group['id']}/members/users/{user['internal_id']}")
print("seeded the event feed")
