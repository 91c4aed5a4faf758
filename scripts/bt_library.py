"""Drives Roster's BeyondInsight dialect with the vendor's own Python library, unchanged.

Usage: bt_library.py BASE_URL BOOTSTRAP_KEY

`beyondtrust-bips-library` (module `secrets_safe_library`, from PyPI) signs in as its users do:
with an API key alone (`PS-Auth key=...`), with a key and the user it runs as, and with OAuth
client credentials. Then it creates, lists, looks up, updates, quarantines and deletes users,
makes user groups and their members, recycles a client secret and signs out. Its habits are served
too: it signs out after any error answer, so the next call needs a new sign-in. The setup (keys of
the length the library insists on, a user to run as) goes through Roster's native API.
Every call is checked against what it should have done; the first wrong answer stops the run.
"""

import json
import sys
import urllib.request
import uuid

import requests
from secrets_safe_library import exceptions
from secrets_safe_library.authentication import Authentication
from secrets_safe_library.usergroups import Usergroups
from secrets_safe_library.users import User

BASE, BOOTSTRAP = sys.argv[1].rstrip("/"), sys.argv[2]
API = f"{BASE}/compat/beyondtrust/BeyondTrust/api/public/v3"
CALLS = []


def native(method, path, body=None):
    req = urllib.request.Request(f"{BASE}/api/v1{path}", method=method)
    req.add_header("Authorization", f"Bearer {BOOTSTRAP}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data) as resp:
        text = resp.read()
        return json.loads(text) if text else None


def check(cond, what):
    if not cond:
        raise SystemExit(f"bt_library: FAILED: {what}")


def call(label, fn, *args, **kwargs):
    CALLS.append(label)
    return fn(*args, **kwargs)


def refused(label, fn, *args):
    """The call must fail, and the library must have signed out after it."""
    CALLS.append(label)
    try:
        fn(*args)
    except (exceptions.LookupError, exceptions.CreationError, exceptions.DeletionError,
            exceptions.UpdateError) as e:
        return str(e)
    raise SystemExit(f"bt_library: FAILED: {label} succeeded")


def sign_in(api_key=None, client_id=None, client_secret=None):
    auth = Authentication(req=requests.Session(), api_url=API, api_key=api_key,
                          client_id=client_id, client_secret=client_secret)
    resp = call("Authentication.get_api_access", auth.get_api_access)
    check(resp.status_code == 200, f"sign-in answered {resp.status_code}: {resp.text}")
    return auth, resp.json()


def signed_out(auth):
    """Whether the session the library held has ended (the server answers 401 to it)."""
    return requests.post(f"{API}/Auth/Signout", cookies=auth._req.cookies).status_code == 401


tag = uuid.uuid4().hex[:8]

# --- setup through the native API: keys of 128+ characters, a user to run as ------------------------
admin_key = native("POST", "/api-keys", {"name": f"bips-{tag}", "role": "super-admin", "format": "long"})
user_admin_key = native("POST", "/api-keys", {"name": f"bips-ua-{tag}", "role": "user-admin", "format": "long"})
check(len(admin_key["secret"]) >= 128, "a long key has the 128 characters the library insists on")
runner = native("POST", "/users", {"user_name": f"runner-{tag}", "email": f"runner-{tag}@example.com"})
native("PUT", f"/users/{runner['id']}/roles/super-admin")

# --- a key alone signs in as itself ---------------------------------------------------------------
auth, me = sign_in(api_key=admin_key["secret"])
check(me["UserId"] == 0 and me["UserName"] == f"api-key:{admin_key['id']}" and me["Name"] == f"bips-{tag}",
      f"a key's session describes the key: {me}")
users = User(auth)

alice = call("User.post_user_beyondinsight", users.post_user_beyondinsight,
             f"alice-{tag}", "Alice", f"alice-{tag}@example.com", "violet-harbour-engine-7", "Archer")
check(alice["UserName"] == f"alice-{tag}" and alice["FirstName"] == "Alice", f"created: {alice}")
listed = call("User.get_users", users.get_users)
check(isinstance(listed, list) and any(u["UserID"] == alice["UserID"] for u in listed), "listed")
found = call("User.get_users(username=)", users.get_users, username=f"alice-{tag}")
check(isinstance(found, dict) and found["UserID"] == alice["UserID"], f"one object by user name: {found}")
by_id = call("User.get_user_by_id", users.get_user_by_id, alice["UserID"])
check(by_id["EmailAddress"] == f"alice-{tag}@example.com", f"by id: {by_id}")

updated = call("User.put_user_beyondinsight", users.put_user_beyondinsight, alice["UserID"],
               f"alice-{tag}", "Alicia", f"alicia-{tag}@example.com", "quartz-meadow-signal-9", "Archer")
check(updated["FirstName"] == "Alicia" and updated["EmailAddress"] == f"alicia-{tag}@example.com", f"updated: {updated}")

# The password the library sent works: alice signs in with it (PS-Auth with runas and pwd).
with_pwd, alice_me = sign_in(api_key=f"{admin_key['secret']}; runas=alice-{tag}; pwd=[quartz-meadow-signal-9];")
check(alice_me["UserName"] == f"alice-{tag}", f"signed in as alice: {alice_me}")
check(call("Authentication.sign_app_out", with_pwd.sign_app_out) is True, "alice signed out")

# --- the library signs out after any error; the next call needs a new sign-in -------------------------
err = refused("User.get_user_by_id (unknown)", users.get_user_by_id, 987654321)
check("404" in err, f"an unknown user is 404: {err}")
check(signed_out(auth), "the library signed out after the error")
auth, _ = sign_in(api_key=admin_key["secret"])
users, groups = User(auth), Usergroups(auth)

# --- quarantine -------------------------------------------------------------------------------------
q = call("User.post_user_quarantine", users.post_user_quarantine, alice["UserID"])
check(q["UserID"] == alice["UserID"], f"quarantined: {q}")
check(native("GET", f"/users/{native('GET', f'/users?filter=user_name%20eq%20%22alice-{tag}%22')['items'][0]['id']}")
      ["status"] == "quarantined", "quarantine holds in the directory")

# --- user groups and their members -------------------------------------------------------------------
group = call("Usergroups.post_usergroups_beyondinsight", groups.post_usergroups_beyondinsight,
             f"ops-{tag}", "operations")
check(group["Name"] == f"ops-{tag}", f"group: {group}")
gid = group["GroupID"]
check(any(g["GroupID"] == gid for g in call("Usergroups.get_usergroups", groups.get_usergroups)), "groups listed")
check(call("Usergroups.get_usergroup_by_id", groups.get_usergroup_by_id, gid)["Name"] == f"ops-{tag}", "group by id")
named = call("Usergroups.get_usergroups_by_name", groups.get_usergroups_by_name, f"ops-{tag}")
check((named["GroupID"] if isinstance(named, dict) else named[0]["GroupID"]) == gid, f"group by name: {named}")

bob = call("User.post_user_usergroupid", users.post_user_usergroupid, gid,
           f"bob-{tag}", "Bob", f"bob-{tag}@example.com", "saffron-kettle-orbit-42")
members = call("User.get_users_by_usergroup_id", users.get_users_by_usergroup_id, gid)
check([m["UserID"] for m in members] == [bob["UserID"]], f"bob was made in the group: {members}")
carol = users.post_user_beyondinsight(f"carol-{tag}", "Carol", f"carol-{tag}@example.com", "saffron-kettle-orbit-42")
call("User.post_user_usergroup", users.post_user_usergroup, carol["UserID"], gid)
of_carol = call("User.get_usergroups_by_user_id", users.get_usergroups_by_user_id, carol["UserID"])
check([g["GroupID"] for g in of_carol] == [gid], f"carol's groups: {of_carol}")
call("User.delete_user_usergroup", users.delete_user_usergroup, carol["UserID"], gid)
check(sorted(m["UserID"] for m in users.get_users_by_usergroup_id(gid)) == [bob["UserID"]], "carol left")

# --- an application user, its client secret, and OAuth client credentials ------------------------------
app = call("User.post_user_application", users.post_user_application, f"app-{tag}")
check(app["UserType"].lower() == "application" and app["ClientID"], f"application user: {app}")
native("PUT", f"/users/{app['ClientID']}/roles/user-admin")
secret = call("User.post_user_recycleclient_secret", users.post_user_recycleclient_secret, app["UserID"])
check(isinstance(secret, str) and len(secret) >= 32, "a new client secret")
oauth, app_me = sign_in(client_id=app["ClientID"], client_secret=secret)
check(app_me["UserName"] == f"app-{tag}", f"signed in by client credentials: {app_me}")
check(User(oauth).get_user_by_id(bob["UserID"])["UserName"] == f"bob-{tag}", "the application reads users")
check(call("Authentication.sign_app_out", oauth.sign_app_out) is True, "the application signed out")

# --- a key and the user it runs as -------------------------------------------------------------------
run, run_me = sign_in(api_key=f"{admin_key['secret']}; runas=runner-{tag};")
check(run_me["UserName"] == f"runner-{tag}", f"runs as the runner: {run_me}")
check(User(run).get_user_by_id(bob["UserID"])["UserID"] == bob["UserID"], "the runner reads users")
run.sign_app_out()

# --- a key's role decides: a user-admin key alone may not touch a super-admin ----------------------------
ua, ua_me = sign_in(api_key=user_admin_key["secret"])
check(ua_me["UserName"] == f"api-key:{user_admin_key['id']}", f"the user-admin key: {ua_me}")
ua_users = User(ua)
runner_num = ua_users.get_users(username=f"runner-{tag}")["UserID"]
err = refused("User.delete_user (outranked)", ua_users.delete_user, runner_num)
check("403" in err, f"a user-admin key may not delete a super-admin: {err}")
check(signed_out(ua), "the library signed out after the refusal")

# --- deletions and sign-out -----------------------------------------------------------------------------
call("User.delete_user", users.delete_user, carol["UserID"])
refused("User.get_user_by_id (deleted)", users.get_user_by_id, carol["UserID"])
auth, _ = sign_in(api_key=admin_key["secret"])
users, groups = User(auth), Usergroups(auth)
call("Usergroups.delete_usergroup_by_id", groups.delete_usergroup_by_id, gid)
second = groups.post_usergroups_beyondinsight(f"temp-{tag}", "to delete by name")
call("Usergroups.delete_usergroup_by_name", groups.delete_usergroup_by_name, f"temp-{tag}")
check(not any(g["GroupID"] in (gid, second["GroupID"]) for g in groups.get_usergroups()), "groups deleted")
check(call("Authentication.sign_app_out", auth.sign_app_out) is True, "signed out")
check(signed_out(auth), "the session ended with the sign-out")

# A revoked key's session ends at once.
auth, _ = sign_in(api_key=user_admin_key["secret"])
native("DELETE", f"/api-keys/{user_admin_key['id']}")
refused("User.get_users (revoked key)", User(auth).get_users)

print(f"bt_library: {len(CALLS)} library calls, {len(set(CALLS))} kinds, every one answered as it should:")
print("  " + ", ".join(sorted(set(CALLS))))
