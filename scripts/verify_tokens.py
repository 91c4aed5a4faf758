"""Checks Roster's access tokens with a third-party JWT library (PyJWT), as a relying party would.

usage: verify_tokens.py BASE_URL ADMIN_KEY   (the server's access tokens must live at most 3 s)
Prints one line per check and a count; exits 1 on any failure.
"""

import base64
import json
import sys
import time
import uuid

import jwt
from jwt import PyJWKClient

import roster_client

BASE, KEY = sys.argv[1].rstrip("/"), sys.argv[2]
results = []


def call(method, path, body=None, token=KEY):
    return roster_client.call(BASE, method, path, body, token, timeout=10)


def check(name, ok):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name)


name = "pyjwt-" + uuid.uuid4().hex[:8]
password = "quill-meadow-" + uuid.uuid4().hex
status, user = call("POST", "/api/v1/users", {"user_name": name})
check("create a user", status == 201)
status, _ = call("POST", f"/api/v1/users/{user['id']}/password", {"password": password})
check("set its password", status == 204)
status, pair = call("POST", "/api/v1/auth/login", {"username": name, "password": password}, token=None)
check("sign in", status == 200)
token = pair["access_token"]

status, discovery = call("GET", "/.well-known/openid-configuration", token=None)
check("discovery names this server as issuer", status == 200 and discovery["issuer"] == BASE)
signing_key = PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
claims = jwt.decode(token, signing_key.key, algorithms=["ES256"], audience="roster", issuer=BASE)
check("PyJWT verifies the token against the JWKS", claims["sub"] == name and claims["tenant"] == "default")
check("roster accepts it", call("GET", "/api/v1/me", token=token)[0] == 200)

header, payload, signature = token.split(".")
forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
forged["roles"] = ["super-admin"]
forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
tampered = ".".join([header, forged_payload, signature])
try:
    jwt.decode(tampered, signing_key.key, algorithms=["ES256"], audience="roster", issuer=BASE)
    check("PyJWT refuses a tampered token", False)
except jwt.InvalidSignatureError:
    check("PyJWT refuses a tampered token", True)
check("roster refuses it", call("GET", "/api/v1/me", token=tampered)[0] == 401)

wait = claims["exp"] - time.time() + 1.5
check("the token lives briefly enough to watch it expire", wait < 10)
time.sleep(min(max(wait, 0), 10))
try:
    jwt.decode(token, signing_key.key, algorithms=["ES256"], audience="roster", issuer=BASE)
    check("PyJWT refuses an expired token", False)
except jwt.ExpiredSignatureError:
    check("PyJWT refuses an expired token", True)
check("roster refuses it", call("GET", "/api/v1/me", token=token)[0] == 401)

passed, failed = sum(results), len(results) - sum(results)
print(f"PyJWT: {passed} of {passed + failed} checks passed")
sys.exit(1 if failed else 0)
