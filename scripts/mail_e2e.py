"""Roster's mail, end to end: the real binary against real SMTP servers (aiosmtpd) on 127.0.0.1.

usage: mail_e2e.py ROSTER_BINARY WORK_DIR [DATABASE_URL]

1. Plain SMTP: invitation, device binding (an Ed25519 key made by the `cryptography` package signs
   the sign-in challenge), recovery, the Beyond Identity dialect's Create and Recover User, an SLC
   Hub invitation acceptance, an Allthenticate invitation, password reset; every mailed link works
   once, and expired, reused and unknown links get one and the same answer.
2. STARTTLS with AUTH (a throwaway CA, a server certificate for 127.0.0.1): an invitation arrives
   over TLS, authenticated.
3. An SMTP outage and a SIGKILL: messages queue while no server listens, roster is killed, the
   server comes up, roster restarts, and every message arrives exactly once.
4. With PostgreSQL: two roster processes share the database and the outbox; each message is sent
   by one of them, once.
No log line of any roster process holds a link token.
Prints one line per check and a count; exits 1 on any failure.
"""

import base64
import datetime
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

import roster_client

BINARY, WORK = sys.argv[1], sys.argv[2]
DATABASE_URL = sys.argv[3] if len(sys.argv) > 3 else ""
KEY = "roster_mail_e2e_key_" + os.urandom(16).hex()
SMTP_USER, SMTP_PASSWORD = "roster", "smtp-" + os.urandom(8).hex()
PASSWORD = "saffron-kettle-orbit-42"
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- SMTP servers ----------------------------------------------------------------------------------

class Sink:
    """Collects what an SMTP server accepted, with whether the session used TLS and AUTH."""

    def __init__(self):
        self.messages, self.lock = [], threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append({
                "to": envelope.rcpt_tos, "subject": str(msg["subject"]), "message_id": str(msg["message-id"]),
                "text": msg.get_body(("plain",)).get_content(), "html": msg.get_body(("html",)) is not None,
                "tls": session.ssl is not None, "auth": bool(session.authenticated),
            })
        return "250 Message accepted for delivery"

    def wait(self, n, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if address in m["to"]]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (SMTP_USER, SMTP_PASSWORD)
    return AuthResult(success=ok)


def make_certificates(directory):
    """A CA and a certificate for 127.0.0.1 signed by it; answers (ca_file, cert_file, key_file)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Roster test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(directory, n) for n in ("ca.pem", "server.pem", "server.key")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


def smtp_server(port, sink, tls_files=None):
    kw = {}
    if tls_files:
        import ssl
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(tls_files[1], tls_files[2])
        kw = dict(tls_context=ctx, require_starttls=True, authenticator=authenticator, auth_required=True,
                  auth_require_tls=True)
    c = Controller(sink, hostname="127.0.0.1", port=port, **kw)
    c.start()
    return c


# --- roster ----------------------------------------------------------------------------------------

RUNNING = []


class Roster:
    def __init__(self, name, data_dir, smtp_port, extra=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, ROSTER_BOOTSTRAP_API_KEY=KEY, ROSTER_LISTEN=f"127.0.0.1:{self.port}",
                   ROSTER_DATA_DIR=data_dir, ROSTER_LOG_LEVEL="info", ROSTER_SMTP_HOST="127.0.0.1",
                   ROSTER_SMTP_PORT=str(smtp_port), ROSTER_SMTP_TLS="none", ROSTER_SMTP_TIMEOUT="5",
                   ROSTER_MAIL_POLL_MS="100", ROSTER_MAIL_RETRY_BASE="1", ROSTER_MAIL_FROM="Roster <roster@example.com>",
                   ROSTER_PUBLIC_URL=f"http://127.0.0.1:{self.port}",
                   # Processes sharing a database share the secret key file, as a deployment must:
                   # it seals the signing keys they all sign with.
                   ROSTER_SECRET_KEY_FILE=os.path.join(WORK, "secret.key"))
        env.update(extra or {})
        if DATABASE_URL:
            env["ROSTER_DATABASE_URL"] = DATABASE_URL
        self.log = open(os.path.join(WORK, f"roster-{name}.log"), "ab")
        self.proc = subprocess.Popen([BINARY, "serve"], env=env, stdout=self.log, stderr=self.log)
        RUNNING.append(self.proc)
        for _ in range(150):
            try:
                if self.call("GET", "/healthz", token=None)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.log.flush()
        with open(os.path.join(WORK, f"roster-{name}.log"), "rb") as f:
            tail = f.read().decode(errors="replace").splitlines()[-20:]
        status = self.proc.poll()
        raise SystemExit(f"roster ({name}) did not start (exit status {status}); its log ends:\n" + "\n".join(tail))

    def call(self, method, path, body=None, token=KEY):
        return roster_client.call(self.base, method, path, body, token)

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=30)
        self.log.close()


def link_of(message):
    for word in message["text"].split():
        if word.startswith("http") and "token=" in word:
            return word
    raise AssertionError("no link in " + message["text"])


def token_of(message):
    return urllib.parse.parse_qs(urllib.parse.urlparse(link_of(message)).query)["token"][0]


def public_pem(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- 1. plain SMTP: every flow ---------------------------------------------------------------------

def flows(r, sink):
    # Invitation.
    status, user = r.call("POST", "/api/v1/invitations", {"email": "ada@example.com", "given_name": "Ada"})
    check("invite answers 201", status == 201, user)
    got = sink.wait(1)
    check("the invitation arrives", len(sink.to("ada@example.com")) == 1, got)
    m = sink.to("ada@example.com")[0]
    check("it has text and HTML parts and a Message-ID", m["html"] and m["message_id"].endswith("@127.0.0.1>"), m)
    check("its link points at this server", link_of(m).startswith(r.base + "/api/v1/invitation?token="), link_of(m))
    status, info = r.call("GET", link_of(m), token=None)
    check("the link opens without a credential", status == 200 and info["purpose"] == "invitation", info)
    token = token_of(m)
    status, avail = r.call("POST", "/api/v1/invitation/user-name-availability", {"token": token, "user_name": "ada"}, token=None)
    check("user name availability", status == 200 and avail == {"available": True}, avail)
    accept = {"token": token, "user_name": "ada", "display_name": "Ada Lovelace", "password": PASSWORD}
    status, body = r.call("POST", "/api/v1/invitation/accept", accept, token=None)
    check("accepting activates the user", status == 200 and body["status"] == "active", body)
    status, body = r.call("POST", "/api/v1/auth/login", {"username": "ada", "password": PASSWORD}, token=None)
    check("the invited user signs in", status == 200 and "access_token" in body, body)
    status, reused = r.call("POST", "/api/v1/invitation/accept", accept, token=None)
    status2, unknown = r.call("GET", "/api/v1/invitation?token=roster_link_" + b64(os.urandom(32)), token=None)
    check("a reused and an unknown link get the same 400", status == status2 == 400 and reused == unknown, (reused, unknown))

    # Device binding (enrollment) and passwordless sign-in.
    uid = user["id"]
    status, _ = r.call("POST", f"/api/v1/users/{uid}/device-binding", {})
    check("binding link is sent", status == 202)
    sink.wait(2)
    binding = sink.to("ada@example.com")[-1]
    check("the binding mail arrives", "device" in binding["subject"].lower(), binding["subject"])
    key = ed25519.Ed25519PrivateKey.generate()
    pem = public_pem(key)
    status, device = r.call("POST", "/api/v1/device-binding", {"token": token_of(binding), "name": "laptop", "public_key": pem}, token=None)
    check("the binding link binds an Ed25519 key", status == 201 and device["algorithm"] == "Ed25519", device)

    def device_login(credential, sign):
        status, ch = r.call("POST", "/api/v1/auth/device/challenge", {"credential_id": credential}, token=None)
        if status != 200:
            return status, ch
        sig = sign(ch["challenge"].encode())
        return r.call("POST", "/api/v1/auth/device/token", {"challenge_id": ch["challenge_id"], "signature": b64(sig)}, token=None)

    status, pair = device_login(device["id"], key.sign)
    check("the device signs in by signing the challenge", status == 200 and "refresh_token" in pair, pair)
    other = ed25519.Ed25519PrivateKey.generate()
    status, _ = device_login(device["id"], other.sign)
    check("another key's signature is refused", status == 401)

    # Recovery: a fresh binding link; the unused earlier one stops working.
    r.call("POST", f"/api/v1/users/{uid}/device-binding", {})
    r.call("POST", f"/api/v1/users/{uid}/device-binding", {})
    sink.wait(4)
    old, new = sink.to("ada@example.com")[-2:]
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = public_pem(ec_key)
    status, replaced = r.call("POST", "/api/v1/device-binding", {"token": token_of(old), "name": "phone", "public_key": ec_pem}, token=None)
    check("recovery replaces the earlier link", status == 400 and replaced == unknown, replaced)
    status, phone = r.call("POST", "/api/v1/device-binding", {"token": token_of(new), "name": "phone", "public_key": ec_pem}, token=None)
    check("the recovery link binds a P-256 key", status == 201 and phone["algorithm"] == "ES256", phone)
    status, _ = device_login(phone["id"], lambda m: ec_key.sign(m, ec.ECDSA(hashes.SHA256())))
    check("the P-256 device signs in (DER signature)", status == 200)

    # The Beyond Identity dialect: a created user's enrollment link binds a key; recovery's link
    # replaces the unused one before it.
    bi = "/compat/beyond-identity/v1/manage"
    grace = {"external_id": "crm-42", "email": "grace@example.com", "user_name": "grace",
             "display_name": "Grace Hopper", "binding_token_delivery_method": "email"}
    status, made = r.call("POST", bi + "/users", grace)
    check("Beyond Identity: Create User answers the active user", status == 200 and made["status"] == "USER_STATUS_ACTIVE", made)
    sink.wait(5)
    enrollment = sink.to("grace@example.com")[-1]
    check("the enrollment mail arrives", "device" in enrollment["subject"].lower(), enrollment["subject"])
    gkey = ed25519.Ed25519PrivateKey.generate()
    gpem = public_pem(gkey)
    status, gdev = r.call("POST", "/api/v1/device-binding", {"token": token_of(enrollment), "name": "laptop", "public_key": gpem}, token=None)
    check("the enrollment link binds a key, which signs in", status == 201 and device_login(gdev["id"], gkey.sign)[0] == 200, gdev)
    recover = {"external_id": "crm-42", "binding_token_delivery_method": "email"}
    status, again = r.call("POST", bi + "/recover-user", recover)
    check("Recover User answers the user", status == 200 and again["internal_id"] == made["internal_id"], again)
    r.call("POST", bi + "/recover-user", recover)
    sink.wait(7)
    old, new = sink.to("grace@example.com")[-2:]
    status, replaced = r.call("POST", "/api/v1/device-binding", {"token": token_of(old), "name": "phone", "public_key": ec_pem}, token=None)
    check("a later recovery replaces the unused recovery link", status == 400 and replaced == unknown, replaced)
    status, gphone = r.call("POST", "/api/v1/device-binding", {"token": token_of(new), "name": "phone", "public_key": ec_pem}, token=None)
    check("the recovery link binds the new device", status == 201 and gphone["user_id"] == made["internal_id"], gphone)

    # The SLC Hub dialect: an invitation accepted through its token, by the dialect's own route.
    status, _ = r.call("POST", "/api/v1/invitations", {"email": "kay@example.com"})
    sink.wait(8)
    invitation = sink.to("kay@example.com")[-1]
    accept = {"token": token_of(invitation), "userName": "kay", "displayName": "Alan Kay", "password": PASSWORD}
    status, kay = r.call("POST", "/compat/slc-hub/invitations/accept", accept, token=None)
    check("SLC Hub: the mailed invitation is accepted", status == 200 and kay["active"] is True and kay["userName"] == "kay", kay)
    status, body = r.call("POST", "/compat/slc-hub/login", {"username": "kay", "password": PASSWORD}, token=None)
    check("and the new user signs in through the dialect", status == 200 and "token" in body, body)

    # The Allthenticate dialect: PUT /invites mails the invitation; once accepted, the user is listed ACTIVE.
    status, body = r.call("PUT", "/compat/allthenticate/invites", {"emails": ["lin@example.com"]})
    check("Allthenticate: PUT /invites answers success", status == 200 and "lin@example.com" in body.get("success", ""), body)
    sink.wait(9)
    invitation = sink.to("lin@example.com")[-1]
    accept = {"token": token_of(invitation), "user_name": "lin", "display_name": "Lin", "password": PASSWORD}
    status, lin = r.call("POST", "/api/v1/invitation/accept", accept, token=None)
    check("the invitation mailed for the dialect is accepted", status == 200 and lin["status"] == "active", lin)
    status, users = r.call("GET", "/compat/allthenticate/multipleusers")
    listed = [u for u in users if u["username"] == "lin"] if status == 200 else []
    check("and the dialect lists the user ACTIVE", len(listed) == 1 and listed[0]["ad_status"] == "ACTIVE", listed)

    # Password reset.
    status, _ = r.call("POST", "/api/v1/password-reset/request", {"username": "ada"}, token=None)
    status2, _ = r.call("POST", "/api/v1/password-reset/request", {"username": "nobody"}, token=None)
    check("reset requests answer 202 whoever asks", status == status2 == 202)
    sink.wait(10)
    reset = sink.to("ada@example.com")[-1]
    check("the reset mail arrives", "password" in reset["subject"].lower(), reset["subject"])
    new_password = "cobalt-meadow-lantern-77"
    status, _ = r.call("POST", "/api/v1/password-reset", {"token": token_of(reset), "password": new_password}, token=None)
    check("the reset link sets the password", status == 204)
    status, _ = r.call("POST", "/api/v1/auth/login", {"username": "ada", "password": new_password}, token=None)
    check("the new password signs in", status == 200)
    status, again = r.call("POST", "/api/v1/password-reset", {"token": token_of(reset), "password": new_password + "x"}, token=None)
    check("a used reset link gets the same 400", status == 400 and again == unknown, again)
    time.sleep(1)
    check("nobody else was mailed", len(sink.wait(10, 0)) == 10, [x["to"] for x in sink.messages])
    return unknown


def expired(r, sink, unknown):
    status, _ = r.call("POST", "/api/v1/invitations", {"email": "late@example.com"})
    sink.wait(len(sink.messages) + 1)
    m = sink.to("late@example.com")[0]
    time.sleep(2.2)
    status, body = r.call("GET", link_of(m), token=None)
    check("an expired link gets the same 400", status == 400 and body == unknown, body)


# --- main ------------------------------------------------------------------------------------------

def main():
    os.makedirs(WORK, exist_ok=True)
    tls_files = make_certificates(WORK)

    # 1. Plain SMTP.
    sink, port = Sink(), free_port()
    plain = smtp_server(port, sink)
    r = Roster("plain", os.path.join(WORK, "data-plain"), port)
    try:
        unknown = flows(r, sink)
    finally:
        r.stop()
    r = Roster("expiry", os.path.join(WORK, "data-plain"), port, {"ROSTER_INVITATION_TTL": "2"})
    try:
        expired(r, sink, unknown)
    finally:
        r.stop()
        plain.stop()

    # 2. STARTTLS with AUTH.
    sink, port = Sink(), free_port()
    secure = smtp_server(port, sink, tls_files)
    r = Roster("starttls", os.path.join(WORK, "data-tls"), port, {
        "ROSTER_SMTP_TLS": "starttls", "ROSTER_SMTP_CA_FILE": tls_files[0],
        "ROSTER_SMTP_USERNAME": SMTP_USER, "ROSTER_SMTP_PASSWORD": SMTP_PASSWORD})
    try:
        status, _ = r.call("POST", "/api/v1/invitations", {"email": "tls@example.com"})
        got = sink.wait(1)
        check("over STARTTLS with AUTH the invitation arrives", len(got) == 1 and got[0]["tls"] and got[0]["auth"], got)
        status, info = r.call("GET", link_of(got[0]), token=None) if got else (0, None)
        check("and its link works", status == 200, info)
    finally:
        r.stop()
        secure.stop()

    # 3. Outage, SIGKILL, recovery: nothing lost, nothing twice.
    sink, port = Sink(), free_port()
    data = os.path.join(WORK, "data-outage")
    r = Roster("outage", data, port)
    people = [f"queued{i}@example.com" for i in range(5)]
    for p in people:
        r.call("POST", "/api/v1/invitations", {"email": p})
    time.sleep(2.5)
    status, events = r.call("GET", "/api/v1/events?event_type=MESSAGE_DELIVERY")
    retries = [e for e in events["events"] if e["data"]["result"] == "RETRY" and e["data"]["recipient"] in people]
    check("while no SMTP server listens, deliveries are retried", len(retries) >= len(people), len(retries))
    r.stop(signal.SIGKILL)
    server = smtp_server(port, sink)
    try:
        r = Roster("restarted", data, port)
        got = sink.wait(len(people), 60)
        time.sleep(3)
        got = sink.wait(len(people), 0)
        counts = {p: len(sink.to(p)) for p in people}
        check("after SIGKILL and the server's return, each message arrives exactly once",
              all(c == 1 for c in counts.values()) and len(got) == len(people), counts)
        ids = [m["message_id"] for m in got]
        check("each under its own Message-ID", len(set(ids)) == len(ids), ids)
        r.stop()
    finally:
        server.stop()

    # 4. Two processes, one PostgreSQL, one outbox.
    if DATABASE_URL:
        sink, port = Sink(), free_port()
        server = smtp_server(port, sink)
        a = Roster("node-a", os.path.join(WORK, "data-a"), port)
        b = Roster("node-b", os.path.join(WORK, "data-b"), port)
        try:
            people = [f"shared{i}@example.com" for i in range(20)]
            for i, p in enumerate(people):
                (a if i % 2 else b).call("POST", "/api/v1/invitations", {"email": p})
            sink.wait(len(people), 60)
            time.sleep(2)
            counts = {p: len(sink.to(p)) for p in people}
            check("two processes on one PostgreSQL send each message once", all(c == 1 for c in counts.values()), counts)
        finally:
            a.stop()
            b.stop()
            server.stop()

    leaks = []
    for name in os.listdir(WORK):
        if name.startswith("roster-") and name.endswith(".log"):
            with open(os.path.join(WORK, name), errors="replace") as f:
                leaks += [f"{name}: {line.strip()}" for line in f if "roster_link_" in line]
    check("no log line holds a link token", not leaks, leaks[:3])

    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


try:
    main()
finally:
    for proc in RUNNING:
        if proc.poll() is None:
            proc.kill()
