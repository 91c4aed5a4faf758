//! `/api/v1/directories` and what hangs off it, against the real OpenLDAP and Samba AD servers the
//! test command starts (`ROSTER_TEST_LDAP_ENV`, `ROSTER_TEST_AD_ENV`): connections and their
//! test, users created from accounts, sign-in by directory bind, disabled and vanished accounts,
//! and groups that follow directory groups. The directory is changed with the real `ldapmodify`.

use crate::*;
use roster_testkit::{directory_env, ldap_modify};
use std::collections::HashMap;

/// The connection settings of a test server's env file, in a TLS mode.
pub(crate) fn connection(env: &HashMap<String, String>, prefix: &str, tls: &str) -> Value {
    let url = if tls == "ldaps" { &env[&format!("{prefix}_LDAPS_URL")] } else { &env[&format!("{prefix}_URL")] };
    let rest = url.split_once("://").unwrap().1;
    let default_port = if tls == "ldaps" { "636" } else { "389" };
    let (host, port) = rest.rsplit_once(':').unwrap_or((rest, default_port));
    let ad = prefix == "AD";
    json!({
        "name": format!("{prefix}-{tls}"),
        "kind": if ad { "active_directory" } else { "ldap" },
        "host": host,
        "port": port.parse::<u16>().unwrap(),
        "tls": tls,
        "ca_certificate": std::fs::read_to_string(&env[&format!("{prefix}_CA")]).unwrap(),
        "base_dn": env[&format!("{prefix}_BASE")],
        "bind_dn": env[&format!("{prefix}_BIND_DN")],
        "bind_password": env[&format!("{prefix}_BIND_PW")],
        "domain": env.get(&format!("{prefix}_DOMAIN")),
        "forest": env.get(&format!("{prefix}_FOREST")),
        "timeout_seconds": 5,
    })
}

async fn create(srv: &TestServer, body: &Value) -> String {
    expect(srv.post("/api/v1/directories", body).await, 201).await["id"].as_str().unwrap().to_owned()
}

async fn user_count(srv: &TestServer) -> u64 {
    expect(srv.get("/api/v1/users?count=true&limit=1").await, 200).await["total"].as_u64().unwrap()
}

async fn events_of(srv: &TestServer, kind: &str) -> Vec<Value> {
    let path = format!("/api/v1/events?event_type={kind}&page_size=1000&include_not_attested=true");
    expect(srv.get(&path).await, 200).await["events"].as_array().unwrap().clone()
}

/// A unique suffix, so tests on both databases can change the shared directories at once.
fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_owned()
}

both!(openldap_connections_users_and_sign_in, |srv: &TestServer| async move {
    let Some(env) = directory_env("ROSTER_TEST_LDAP_ENV") else { return };
    // Every TLS mode, with the test CA.
    for tls in ["none", "starttls", "ldaps"] {
        let id = create(srv, &connection(&env, "LDAP", tls)).await;
        let shown = expect(srv.get(&format!("/api/v1/directories/{id}")).await, 200).await;
        assert!(shown.get("bind_password").is_none(), "never answered: {shown}");
        assert_eq!(shown["settings"]["tls"], tls);
        assert!(shown["settings"].get("bind_password").is_none(), "never answered: {shown}");
        let check = expect(srv.post(&format!("/api/v1/directories/{id}/test"), &json!({})).await, 200).await;
        assert!(check["accounts_seen"].as_u64().unwrap() >= 500, "{tls}: {check}");
    }
    let mut main = connection(&env, "LDAP", "starttls");
    main["name"] = json!("main");
    let conn = create(srv, &main).await;

    // Each failure names its cause.
    let failing = |change: &dyn Fn(&mut Value)| {
        let mut c = connection(&env, "LDAP", "starttls");
        c["name"] = json!(format!("bad-{}", unique()));
        change(&mut c);
        c
    };
    let bad_password = create(srv, &failing(&|c| c["bind_password"] = json!("not-the-password"))).await;
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable = create(srv, &failing(&|c| c["port"] = json!(dead_port))).await;
    // A server that accepts and never answers: the connection's time limit ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let slow = create(
        srv,
        &failing(&|c| {
            c["port"] = json!(silent_port);
            c["tls"] = json!("none");
            c["timeout_seconds"] = json!(1);
        }),
    )
    .await;
    let started = std::time::Instant::now();
    let r = srv.post(&format!("/api/v1/directories/{slow}/test"), &json!({})).await;
    expect_problem(r, 504, "directory.timeout").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    drop(silent);
    let leaf = std::fs::read_to_string(std::path::Path::new(&env["LDAP_CA"]).with_file_name("server.pem")).unwrap();
    let wrong_ca = create(srv, &failing(&|c| c["ca_certificate"] = json!(leaf))).await;
    for (id, status, code) in [
        (&bad_password, 502, "directory.bind_refused"),
        (&unreachable, 502, "directory.unreachable"),
        (&wrong_ca, 502, "directory.tls"),
    ] {
        let p =
            expect_problem(srv.post(&format!("/api/v1/directories/{id}/test"), &json!({})).await, status, code).await;
        assert!(!p["detail"].as_str().unwrap().contains("not-the-password"), "{p}");
        let before = user_count(srv).await;
        let r = srv.post(&format!("/api/v1/directories/{id}/users"), &json!({"account": "ada"})).await;
        expect_problem(r, status, code).await;
        assert_eq!(user_count(srv).await, before, "nothing created");
    }
    // Settings are checked before anything is stored.
    let mut bad = connection(&env, "LDAP", "starttls");
    bad["port"] = json!(0);
    bad["user_filter"] = json!("objectClass=person");
    bad["bind_password"] = json!("");
    let p = expect_problem(srv.post("/api/v1/directories", &bad).await, 400, "validation").await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["port", "user_filter"], "{p}");

    // Users from accounts, by name and by DN.
    let ada =
        expect(srv.post(&format!("/api/v1/directories/{conn}/users"), &json!({"account": "ada"})).await, 201).await;
    assert_eq!(ada["kind"], "directory");
    assert_eq!(ada["user_name"], "ada");
    assert_eq!((ada["given_name"].as_str(), ada["family_name"].as_str()), (Some("Ada"), Some("Lovelace")));
    assert_eq!(ada["email"], "ada@roster.test");
    assert_eq!(ada["distinguished_name"], format!("uid=ada,ou=people,{}", env["LDAP_BASE"]));
    assert_eq!(ada["directory_id"], conn.as_str());
    assert!(uuid::Uuid::parse_str(ada["external_id"].as_str().unwrap()).is_ok(), "entryUUID: {ada}");
    let grace_dn = format!("uid=grace,ou=people,{}", env["LDAP_BASE"]);
    let grace =
        expect(srv.post(&format!("/api/v1/directories/{conn}/users"), &json!({"account": grace_dn})).await, 201).await;
    assert_eq!(grace["user_name"], "grace");
    let before = user_count(srv).await;
    let r = srv.post(&format!("/api/v1/directories/{conn}/users"), &json!({"account": "nobody"})).await;
    expect_problem(r, 404, "directory.account_not_found").await;
    let r = srv.post(&format!("/api/v1/directories/{conn}/users"), &json!({"account": "ada"})).await;
    expect_problem(r, 409, "conflict.unique").await;
    assert_eq!(user_count(srv).await, before);

    // Directory attributes are not edited locally; the rest is.
    let ada_id = ada["id"].as_str().unwrap();
    let r =
        srv.patch(&format!("/api/v1/users/{ada_id}"), "application/merge-patch+json", &json!({"email": "x@y.z"})).await;
    expect_problem(r, 409, "conflict").await;
    let r = srv
        .patch(&format!("/api/v1/users/{ada_id}"), "application/merge-patch+json", &json!({"claims": {"desk": 7}}))
        .await;
    assert_eq!(expect(r, 200).await["claims"]["desk"], 7);
    let r = srv.post("/api/v1/users", &json!({"user_name": "fake", "kind": "directory"})).await;
    expect_problem(r, 400, "validation").await;

    // Sign-in binds as the account; a wrong password counts like a local one.
    let pw = &env["LDAP_USER_PW"];
    let tokens = expect(login(srv, "ada", pw).await, 200).await;
    let me = srv
        .client
        .get(srv.url("/api/v1/me"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(expect(me, 200).await["user_name"], "ada");
    assert_eq!(login(srv, "ada@roster.test", "wrong").await.status(), 401);
    assert_eq!(login(srv, "ada", "").await.status(), 401);
    let after = expect(srv.get(&format!("/api/v1/users/{ada_id}")).await, 200).await;
    assert_eq!(after["failed_logons"], 2);
    // The user record keeps the sign-in: when, how and through which connection.
    assert!(after["last_sign_in"].is_string(), "{after}");
    assert_eq!((&after["last_sign_in_method"], &after["last_sign_in_source"]), (&json!("directory"), &json!("main")));
    let auth = events_of(srv, "USER_AUTHENTICATION").await;
    assert!(auth.iter().any(|e| e["data"]["method"] == "directory" && e["data"]["result"] == "SUCCESS"), "{auth:?}");
    assert!(auth.iter().any(|e| e["data"]["reason"] == "wrong password"));

    // A connection users come from cannot go; the bind password can change without showing.
    expect_problem(srv.delete(&format!("/api/v1/directories/{conn}")).await, 409, "conflict").await;
    let mut replaced = connection(&env, "LDAP", "ldaps");
    replaced["name"] = json!("main");
    replaced.as_object_mut().unwrap().remove("bind_password");
    let r = expect(srv.put(&format!("/api/v1/directories/{conn}"), &replaced).await, 200).await;
    assert_eq!((r["settings"]["tls"].as_str(), r["version"].as_i64()), (Some("ldaps"), Some(2)));
    expect(srv.post(&format!("/api/v1/directories/{conn}/test"), &json!({})).await, 200).await;
    expect(srv.delete(&format!("/api/v1/directories/{bad_password}")).await, 204).await;
    let changes = events_of(srv, "DIRECTORY_CONNECTION_CHANGE").await;
    assert!(changes
        .iter()
        .all(|e| !e.to_string().contains(pw.as_str()) && !e.to_string().contains(&env["LDAP_BIND_PW"])));
});

both!(openldap_group_sync, |srv: &TestServer| async move {
    let Some(env) = directory_env("ROSTER_TEST_LDAP_ENV") else { return };
    let base = &env["LDAP_BASE"];
    let admin = (env["LDAP_URL"].as_str(), env["LDAP_ADMIN_DN"].as_str(), env["LDAP_ADMIN_PW"].as_str());
    let person = |uid: &str| format!("uid={uid},ou=people,{base}");
    let cn = format!("sync-{}", unique());
    let dn = format!("cn={cn},ou=groups,{base}");
    // A directory group of ada and, through the nested engineers group, grace.
    let ldif = format!(
        "dn: {dn}\nchangetype: add\nobjectClass: groupOfNames\ncn: {cn}\nmember: {}\nmember: cn=engineers,ou=groups,{base}\n",
        person("linus")
    );
    ldap_modify(admin, &env["LDAP_CA"], &ldif);
    let mut c = connection(&env, "LDAP", "starttls");
    c["sync_interval_seconds"] = json!(0);
    let conn = create(srv, &c).await;
    let group = srv.group("staff-mirror").await;
    let gid = group["id"].as_str().unwrap();
    let linked = expect(
        srv.put(&format!("/api/v1/groups/{gid}/directory-source"), &json!({"connection_id": conn, "dn": dn})).await,
        200,
    )
    .await;
    assert_eq!(
        linked["sync"],
        json!({"directory_members": 3, "created": 3, "added": 3, "removed": 0, "deactivated": 0, "reactivated": 0, "updated": 0})
    );
    assert_eq!(linked["group"]["directory_source"]["dn"], dn.as_str());
    let members = || async {
        let list = expect(srv.get(&format!("/api/v1/groups/{gid}/members?sort=name")).await, 200).await;
        names(&list, "name")
    };
    assert_eq!(members().await, ["ada", "grace", "linus"]);

    // Members are the directory's to change.
    let someone = srv.user(json!({"user_name": "local-person"})).await;
    let r = srv.post(&format!("/api/v1/groups/{gid}/members"), &json!({"kind": "user", "id": someone["id"]})).await;
    expect_problem(r, 409, "conflict").await;

    // linus leaves; a second sync removes him and creates nobody, with one event per change.
    ldap_modify(
        admin,
        &env["LDAP_CA"],
        &format!("dn: {dn}\nchangetype: modify\ndelete: member\nmember: {}\n", person("linus")),
    );
    let again = expect(srv.post(&format!("/api/v1/groups/{gid}/sync"), &json!({})).await, 200).await;
    assert_eq!(
        (again["created"].as_u64(), again["added"].as_u64(), again["removed"].as_u64()),
        (Some(0), Some(0), Some(1))
    );
    assert_eq!(members().await, ["ada", "grace"]);
    let changes = events_of(srv, "GROUP_MEMBERSHIP_CHANGE").await;
    let of =
        |action: &str| changes.iter().filter(|e| e["data"]["action"] == action && e["outcome"] == "SUCCESS").count();
    assert_eq!((of("ADD"), of("REMOVE")), (3, 1), "{changes:?}");
    let synced_once = expect(srv.post(&format!("/api/v1/groups/{gid}/sync"), &json!({})).await, 200).await;
    assert_eq!((synced_once["added"].as_u64(), synced_once["removed"].as_u64()), (Some(0), Some(0)));
    let changes = events_of(srv, "GROUP_MEMBERSHIP_CHANGE").await;
    assert_eq!(changes.iter().filter(|e| e["outcome"] == "SUCCESS").count(), 4, "nothing changed, nothing recorded");

    // A soft-deleted user stays out of the group until it is restored.
    let list = expect(srv.get("/api/v1/users?filter=user_name%20eq%20%22grace%22").await, 200).await;
    let grace = list["items"][0]["id"].as_str().unwrap().to_owned();
    expect(srv.delete(&format!("/api/v1/users/{grace}")).await, 200).await;
    let r = expect(srv.post(&format!("/api/v1/groups/{gid}/sync"), &json!({})).await, 200).await;
    assert_eq!((r["removed"].as_u64(), r["created"].as_u64()), (Some(1), Some(0)), "{r}");
    assert_eq!(members().await, ["ada"]);
    expect(srv.post(&format!("/api/v1/users/{grace}/restore"), &json!({})).await, 200).await;
    let r = expect(srv.post(&format!("/api/v1/groups/{gid}/sync"), &json!({})).await, 200).await;
    assert_eq!(r["added"], 1);
    assert_eq!(members().await, ["ada", "grace"]);

    // Over 1,000 members: the whole group, past the server's 500-entry limit.
    let bulk = srv.group("bulk-mirror").await;
    let bulk_dn = format!("cn=everyone-bulk,ou=groups,{base}");
    let r = srv
        .put(
            &format!("/api/v1/groups/{}/directory-source", bulk["id"].as_str().unwrap()),
            &json!({"connection_id": conn, "dn": bulk_dn}),
        )
        .await;
    let report = expect(r, 200).await;
    assert_eq!((report["sync"]["created"].as_u64(), report["sync"]["added"].as_u64()), (Some(1200), Some(1200)));
    let count = expect(
        srv.get(&format!("/api/v1/groups/{}/members?count=true&limit=1", bulk["id"].as_str().unwrap())).await,
        200,
    )
    .await;
    assert_eq!(count["total"], 1200);

    // Scheduled syncs: a linked group falls due after the connection's interval, and one
    // process at a time claims it.
    let mut every_minute = connection(&env, "LDAP", "starttls");
    every_minute["sync_interval_seconds"] = json!(60);
    every_minute.as_object_mut().unwrap().remove("bind_password");
    expect(srv.put(&format!("/api/v1/directories/{conn}"), &every_minute).await, 200).await;
    let timed = srv.group("timed").await;
    let link = json!({"connection_id": conn, "dn": format!("cn=engineers,ou=groups,{base}")});
    expect(srv.put(&format!("/api/v1/groups/{}/directory-source", timed["id"].as_str().unwrap()), &link).await, 200)
        .await;
    let store = srv.directory.store();
    let now = roster_core::model::now();
    assert_eq!(store.claim_group_sync(now, now + chrono::Duration::minutes(10)).await.unwrap(), None, "not due yet");
    let later = now + chrono::Duration::seconds(61);
    let claimed = store.claim_group_sync(later, later + chrono::Duration::minutes(10)).await.unwrap();
    assert_eq!(claimed.map(|(_, g)| g.to_string()), timed["id"].as_str().map(str::to_owned));
    assert_eq!(store.claim_group_sync(later, later + chrono::Duration::minutes(10)).await.unwrap(), None, "held");
    assert_eq!(srv.directory.sync_due_groups(10).await.unwrap(), 0);

    // A group made to follow a directory group from the start: one write, then its first sync.
    // A directory group that cannot be read makes nothing.
    let groups = || async { expect(srv.get("/api/v1/groups?count=true&limit=1").await, 200).await["total"].clone() };
    let before = groups().await;
    let missing = json!({"name": "nowhere", "dn": format!("cn=missing,{}", env["LDAP_BASE"])});
    let r = srv.post(&format!("/api/v1/directories/{conn}/groups"), &missing).await;
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(groups().await, before, "nothing made");
    let made = srv.post(&format!("/api/v1/directories/{conn}/groups"), &json!({"name": "staff-2", "dn": dn})).await;
    let made = expect(made, 201).await;
    assert_eq!(made["group"]["directory_source"]["dn"], dn.as_str());
    assert_eq!(made["sync"]["directory_members"], 2);
    let made_id = made["group"]["id"].as_str().unwrap();
    let created: Vec<Value> = events_of(srv, "GROUP_CHANGE")
        .await
        .into_iter()
        .filter(|e| e["data"]["group"]["id"] == made_id)
        .map(|e| e["data"]["action"].clone())
        .collect();
    assert_eq!(created.len(), 2, "CREATE and LINK: {created:?}");
    assert!(created.contains(&json!("CREATE")) && created.contains(&json!("LINK")), "{created:?}");

    // Unlinked, the members stay and are editable again.
    expect(srv.delete(&format!("/api/v1/groups/{gid}/directory-source")).await, 200).await;
    let r = srv.post(&format!("/api/v1/groups/{gid}/members"), &json!({"kind": "user", "id": someone["id"]})).await;
    expect(r, 200).await;
    ldap_modify(admin, &env["LDAP_CA"], &format!("dn: {dn}\nchangetype: delete\n"));
});

both!(active_directory_users_sign_in_and_disabled_accounts, |srv: &TestServer| async move {
    let Some(env) = directory_env("ROSTER_TEST_AD_ENV") else { return };
    let conn = create(srv, &connection(&env, "AD", "ldaps")).await;
    let check = expect(srv.post(&format!("/api/v1/directories/{conn}/test"), &json!({})).await, 200).await;
    assert!(check["accounts_seen"].as_u64().unwrap() >= 1000, "{check}");
    let starttls = create(srv, &connection(&env, "AD", "starttls")).await;
    expect(srv.post(&format!("/api/v1/directories/{starttls}/test"), &json!({})).await, 200).await;

    // DOMAIN\name and UPN forms.
    let users_path = format!("/api/v1/directories/{conn}/users");
    let add = |account: String| {
        let path = users_path.clone();
        async move { srv.post(&path, &json!({"account": account})).await }
    };
    let alice = expect(add("ROSTER\\alice".into()).await, 201).await;
    assert_eq!(alice["user_principal_name"], "alice@ad.roster.test");
    assert_eq!(alice["domain_name"], "ROSTER");
    assert_eq!(alice["status"], "active");
    let bob = expect(add("bob@ad.roster.test".into()).await, 201).await;
    assert_eq!(bob["user_name"], "bob");
    expect_problem(add("OTHER\\alice".into()).await, 404, "directory.account_not_found").await;

    let pw = &env["AD_USER_PW"];
    expect(login(srv, "alice", pw).await, 200).await;
    assert_eq!(login(srv, "alice", "wrong").await.status(), 401);

    // carol is disabled (userAccountControl 514): created deactivated, and cannot sign in.
    let carol = expect(add("carol".into()).await, 201).await;
    assert_eq!(
        (carol["status"].as_str(), carol["inactive_reason"].as_str()),
        (Some("deactivated"), Some("external_account_disabled"))
    );
    assert_eq!(login(srv, "carol", pw).await.status(), 401);

    // An account of our own, disabled after its user was made, then enabled, then removed.
    let admin = (env["AD_LDAPS_URL"].as_str(), env["AD_BIND_DN"].as_str(), env["AD_BIND_PW"].as_str());
    let name = format!("t{}", unique());
    let dn = format!("CN={name},CN=Users,{}", env["AD_BASE"]);
    let quoted: Vec<u8> = format!("\"{pw}\"").encode_utf16().flat_map(u16::to_le_bytes).collect();
    use base64::Engine;
    let pwd = base64::engine::general_purpose::STANDARD.encode(quoted);
    ldap_modify(admin, &env["AD_CA"], &format!(
        "dn: {dn}\nchangetype: add\nobjectClass: user\nsAMAccountName: {name}\nuserPrincipalName: {name}@ad.roster.test\nunicodePwd:: {pwd}\nuserAccountControl: 512\n"
    ));
    let mine = expect(add(name.clone()).await, 201).await;
    let mine_id = mine["id"].as_str().unwrap();
    expect(login(srv, &name, pw).await, 200).await;
    let uac = |v: u32| format!("dn: {dn}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: {v}\n");
    ldap_modify(admin, &env["AD_CA"], &uac(514));
    assert_eq!(login(srv, &name, pw).await.status(), 401, "the directory says disabled");
    let now = expect(srv.get(&format!("/api/v1/users/{mine_id}")).await, 200).await;
    assert_eq!(
        (now["status"].as_str(), now["inactive_reason"].as_str()),
        (Some("deactivated"), Some("external_account_disabled"))
    );
    ldap_modify(admin, &env["AD_CA"], &uac(512));
    let refreshed =
        expect(srv.post(&format!("/api/v1/users/{mine_id}/directory-refresh"), &json!({})).await, 200).await;
    assert_eq!(refreshed["status"], "active", "enabled again");
    expect(login(srv, &name, pw).await, 200).await;
    ldap_modify(admin, &env["AD_CA"], &format!("dn: {dn}\nchangetype: delete\n"));
    assert_eq!(login(srv, &name, pw).await.status(), 401, "the account is gone");
    let gone = expect(srv.get(&format!("/api/v1/users/{mine_id}")).await, 200).await;
    assert_eq!(
        (gone["status"].as_str(), gone["inactive_reason"].as_str()),
        (Some("deactivated"), Some("external_account_disabled"))
    );

    // Nested and paged groups.
    let group = srv.group("ad-staff").await;
    let staff = format!("CN=staff,CN=Users,{}", env["AD_BASE"]);
    let r = srv
        .put(
            &format!("/api/v1/groups/{}/directory-source", group["id"].as_str().unwrap()),
            &json!({"connection_id": conn, "dn": staff}),
        )
        .await;
    let linked = expect(r, 200).await;
    assert_eq!(
        (linked["sync"]["directory_members"].as_u64(), linked["sync"]["created"].as_u64()),
        (Some(2), Some(0)),
        "alice and bob, through engineers"
    );
    let bulk = srv.group("ad-bulk").await;
    let bulk_dn = format!("CN=bulk,CN=Users,{}", env["AD_BASE"]);
    let r = srv
        .put(
            &format!("/api/v1/groups/{}/directory-source", bulk["id"].as_str().unwrap()),
            &json!({"connection_id": conn, "dn": bulk_dn}),
        )
        .await;
    assert_eq!(expect(r, 200).await["sync"]["added"], 1200);
});

/// The operator's commands, on the embedded database: the bind password is sealed at rest (the
/// database file never holds it) with a key file only the server's user can read.
#[tokio::test]
async fn command_line_connections_and_sealed_passwords() {
    let Some(env) = directory_env("ROSTER_TEST_LDAP_ENV") else { return };
    let dir = std::env::temp_dir().join(format!("roster-dir-cli-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    let roster = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
            .args(args)
            .env("ROSTER_DATA_DIR", &dir)
            .env_remove("ROSTER_DATABASE_URL")
            .env("ROSTER_LOG_LEVEL", "warn")
            .output()
            .unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "roster {args:?}: {stderr}");
        stdout.into_owned()
    };
    roster(&["tenant", "create", "default"]);
    let mut settings = connection(&env, "LDAP", "ldaps");
    let password = settings.as_object_mut().unwrap().remove("bind_password").unwrap();
    let (settings_file, password_file) = (dir.join("ldap.json"), dir.join("bind-password"));
    std::fs::write(&settings_file, settings.to_string()).unwrap();
    std::fs::write(&password_file, format!("{}\n", password.as_str().unwrap())).unwrap();
    let created: Value = serde_json::from_str(&roster(&[
        "directory",
        "create",
        settings_file.to_str().unwrap(),
        "--bind-password-file",
        password_file.to_str().unwrap(),
    ]))
    .unwrap();
    let id = created["id"].as_str().unwrap();
    let check: Value = serde_json::from_str(&roster(&["directory", "test", id])).unwrap();
    assert!(check["accounts_seen"].as_u64().unwrap() >= 500);
    let user: Value = serde_json::from_str(&roster(&["directory", "add-user", id, "linus"])).unwrap();
    assert_eq!(user["user_name"], "linus");
    let listed: Value = serde_json::from_str(&roster(&["directory", "list"])).unwrap();
    assert_eq!(listed[0]["id"], id);

    let db: Vec<u8> =
        ["roster.db", "roster.db-wal"].iter().filter_map(|f| std::fs::read(dir.join(f)).ok()).flatten().collect();
    let secret = password.as_str().unwrap().as_bytes();
    assert!(db.windows(secret.len()).all(|w| w != secret), "the bind password is stored in the clear");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("secret.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
