"""Seeds a directory for fuzzing the dialects that find users by number: users numbered 1 to N
(every fifth a guest), two groups with members, and access policies, one shared and one held
by a single user.

usage: seed_directory.py BASE_URL API_KEY N
"""

import sys

import roster_client

BASE, KEY, N = sys.argv[1], sys.argv[2], int(sys.argv[3])


def call(method, path, body=None):
    status, answer = roster_client.call(BASE, method, path, body, KEY)
    if status >= 300:
        raise SystemExit(f"{method} {path}: {status} {answer}")
    return answer


users = []
for n in range(1, N + 1):
    users.append(call("POST", "/api/v1/users", {
        "user_name": f"seed{n}", "email": f"seed{n}@example.com", "given_name": f"Seed{n}",
        "family_name": "User", "email_verified": n % 2 == 0, "guest": n % 5 == 0,
    }))
members = [u for u in users if not u["guest"]]
groups = [call("POST", "/api/v1/groups", {"name": name}) for name in ("Employees", "Contractors")]
for i, u in enumerate(members):
    call("POST", f"/api/v1/groups/{groups[i % 2]['id']}/members", {"kind": "user", "id": u["id"]})
shared = call("POST", "/api/v1/access-policies", {"name": "office"})
sole = call("POST", "/api/v1/access-policies", {"name": "remote"})
for u in members[:4]:
    call("PUT", f"/api/v1/users/{u['id']}/access-policy", {"access_policy_id": shared["id"]})
call("PUT", f"/api/v1/users/{members[4]['id']}/access-policy", {"access_policy_id": sole["id"]})
call("PUT", f"/api/v1/groups/{groups[0]['id']}/access-policy", {"access_policy_id": shared["id"]})
print(f"seeded {N} users, 2 groups, 2 policies")
