//! `roster import`: NDJSON and CSV files of users and groups, checked whole, written in batches.

use crate::*;
use roster::import::{run, Format};
use roster_core::import::Summary;
use roster_core::password::PasswordHasher;

async fn phc(password: &str) -> String {
    let config = roster_crypto::HashConfig {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
        max_concurrent: 1,
        max_waiting: 1,
    };
    roster_crypto::Argon2Hasher::new(config).unwrap().hash(password).await.unwrap()
}

/// Imports `text` as a file of `format`; the summary, or the error's text.
async fn import(srv: &TestServer, text: &str, format: Format, dry_run: bool) -> Result<Summary, String> {
    let path = std::env::temp_dir().join(format!("roster-import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, text).unwrap();
    let caller = srv.directory.operator("default").await.unwrap();
    let import = srv.directory.import(&caller).map_err(|e| e.to_string())?;
    let result = run(import, &path, format, dry_run).await.map_err(|e| e.to_string());
    std::fs::remove_file(&path).unwrap();
    result
}

async fn user_names(srv: &TestServer) -> Vec<String> {
    let page = expect(srv.get("/api/v1/users?sort=user_name&limit=1000").await, 200).await;
    page["items"].as_array().unwrap().iter().map(|u| u["user_name"].as_str().unwrap().to_owned()).collect()
}

both!(ndjson_users_groups_and_hashes, |srv: &TestServer| async move {
    let hash = phc("imported-lantern-42").await;
    let file = [
        json!({"type": "user", "user_name": "ada", "email": "Ada@Example.com", "given_name": "Ada",
               "claims": {"department": "eng", "site": {"city": "Leeds"}}, "groups": ["eng"], "password_hash": hash}),
        json!({"type": "group", "name": "eng", "description": "engineers", "groups": ["staff"]}),
        json!({"type": "group", "name": "staff"}),
        json!({"type": "user", "user_name": "bo", "status": "suspended", "groups": ["staff"],
               "external_id": "hr-2", "id": "0190a1d2-0000-7000-8000-000000000002"}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n\n");
    let dry = import(srv, &file, Format::Ndjson, true).await.unwrap();
    assert_eq!((dry.users, dry.groups, dry.memberships, dry.passwords, dry.batches), (2, 2, 3, 1, 0));
    assert!(user_names(srv).await.iter().all(|n| n != "ada"), "a dry run writes nothing");

    let done = import(srv, &file, Format::Ndjson, false).await.unwrap();
    // The groups and their nesting in one transaction, the users in another.
    assert_eq!((done.users, done.groups, done.memberships, done.passwords, done.batches), (2, 2, 3, 1, 2));
    let ada = &expect(srv.get("/api/v1/users?filter=user_name%20eq%20%22ada%22").await, 200).await["items"][0];
    assert_eq!(ada["email"], "Ada@Example.com");
    assert_eq!(ada["claims"]["site"]["city"], "Leeds");
    assert!(ada["password_changed"].is_string());
    let bo = expect(srv.get("/api/v1/users/0190a1d2-0000-7000-8000-000000000002").await, 200).await;
    assert_eq!((bo["status"].as_str(), bo["external_id"].as_str()), (Some("suspended"), Some("hr-2")));
    // Claims searches find imported users through the claims index.
    let found = expect(srv.get("/api/v1/users?filter=claims.site.city%20eq%20%22Leeds%22").await, 200).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    // Nested membership: ada is in eng, and so in staff.
    let groups = expect(
        srv.get(&format!("/api/v1/users/{}/groups?depth=indirect&sort=name", ada["id"].as_str().unwrap())).await,
        200,
    )
    .await;
    let names: Vec<&str> = groups["items"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["eng", "staff"]);
    // The imported hash signs ada in as it is; a wrong password does not.
    let login = |password: &'static str| async move {
        srv.post("/api/v1/auth/login", &json!({"username": "ada", "password": password})).await
    };
    expect(login("imported-lantern-42").await, 200).await;
    assert_eq!(login("imported-lantern-43").await.status(), 401);
    // One audit event per transaction, saying what it wrote and from which lines.
    let events = expect(srv.get("/api/v1/events?event_type=IMPORT&include_not_attested=true").await, 200).await;
    let mut data: Vec<Value> = events["events"].as_array().unwrap().iter().map(|e| e["data"].clone()).collect();
    data.sort_by_key(|d| d["first_line"].as_u64());
    assert_eq!(data.len(), 2, "{events}");
    assert_eq!(
        (data[0]["users"].as_u64(), data[0]["first_line"].as_u64(), data[0]["last_line"].as_u64()),
        (Some(2), Some(1), Some(7))
    );
    assert_eq!(
        (data[1]["groups"].as_u64(), data[1]["first_line"].as_u64(), data[1]["last_line"].as_u64()),
        (Some(2), Some(3), Some(5))
    );
});

both!(a_refused_file_writes_nothing, |srv: &TestServer| async move {
    srv.user(json!({"user_name": "taken", "email": "taken@example.com"})).await;
    srv.group("existing").await;
    let before = user_names(srv).await;
    let user = |name: &str| json!({"type": "user", "user_name": name});
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (vec![user("a"), json!({"type": "user", "user_name": "A"})], "line 2: user_name: is already used on line 1"),
        (vec![user("a"), user("Taken")], "line 2: user_name is already taken"),
        (
            vec![user("a"), json!({"type": "user", "user_name": "b", "email": "TAKEN@example.com"})],
            "line 2: email is already taken",
        ),
        (
            vec![json!({"type": "user", "user_name": "a", "groups": ["nowhere"]})],
            "line 1: groups: no group named 'nowhere'",
        ),
        (vec![json!({"type": "group", "name": "existing"})], "line 1: group name is already taken"),
        (
            vec![
                json!({"type": "group", "name": "x", "groups": ["y"]}),
                json!({"type": "group", "name": "y", "groups": ["x"]}),
            ],
            "a member of itself",
        ),
        (
            vec![
                json!({"type": "user", "user_name": "a", "password_hash": "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"}),
            ],
            "line 1: password_hash: is not an argon2id hash",
        ),
        (
            vec![user("a"), json!({"type": "user", "user_name": "b", "pasword_hash": "x"})],
            "line 2: file: unknown field `pasword_hash`",
        ),
        (vec![user("a"), json!({"type": "robot", "user_name": "b"})], "line 2: file: unknown variant `robot`"),
        (vec![user("a"), json!({"type": "user", "user_name": ""})], "line 2: user_name:"),
        (vec![user("a"), json!({"type": "user", "user_name": "b", "email": "not-an-email"})], "line 2: email:"),
        (
            vec![json!({"type": "user", "user_name": "g", "guest": true, "groups": ["existing"]})],
            "line 1: groups: a guest cannot",
        ),
    ];
    for (records, wanted) in cases {
        let text: Vec<String> = records.iter().map(Value::to_string).collect();
        let err = import(srv, &text.join("\n"), Format::Ndjson, false).await.unwrap_err();
        assert!(err.contains(wanted) && err.ends_with("nothing was written"), "{wanted}: {err}");
    }
    let err =
        import(srv, "{\"type\": \"user\", \"user_name\": \"a\"}\n{not json", Format::Ndjson, false).await.unwrap_err();
    assert!(err.starts_with("line 2: file: key must be a string"), "{err}");
    assert_eq!(user_names(srv).await, before);
    let groups = expect(srv.get("/api/v1/groups").await, 200).await;
    assert_eq!(groups["items"].as_array().unwrap().len(), 1, "{groups}");
});

both!(csv_and_batches, |srv: &TestServer| async move {
    srv.group("existing").await;
    let hash = phc("csv-lantern-42").await;
    let mut csv = String::from("type,user_name,name,email,given_name,groups,password_hash,claims\n");
    csv.push_str("group,,team,,,existing,,\n");
    // One more batch than fits in one transaction.
    let n = roster_core::import::BATCH + 500;
    for i in 0..n {
        let groups = if i % 2 == 0 { "team" } else { "team;existing" };
        let hash = if i == 7 { format!("\"{hash}\"") } else { String::new() };
        csv.push_str(&format!(
            "user,u{i:04},,u{i}@example.com,\"Given, {i}\",{groups},{hash},\"{{\"\"n\"\": {i}}}\"\n"
        ));
    }
    let done = import(srv, &csv, Format::Csv, false).await.unwrap();
    // One transaction for the group, two for the users.
    let n = n as u64;
    assert_eq!((done.users, done.groups, done.memberships, done.passwords, done.batches), (n, 1, 1 + n + n / 2, 1, 3));
    let u7 = &expect(srv.get("/api/v1/users?filter=user_name%20eq%20%22u0007%22").await, 200).await["items"][0];
    assert_eq!((u7["given_name"].as_str(), u7["claims"]["n"].as_u64()), (Some("Given, 7"), Some(7)));
    expect(srv.post("/api/v1/auth/login", &json!({"username": "u0007", "password": "csv-lantern-42"})).await, 200)
        .await;
    let page = expect(srv.get("/api/v1/users?filter=user_name%20sw%20%22u%22&limit=1&count=true").await, 200).await;
    assert_eq!(page["total"], n);
    // Numbers run on without gaps or repeats.
    let last = &expect(srv.get("/api/v1/users?sort=-number&limit=1").await, 200).await["items"][0];
    let last_name = format!("u{:04}", n - 1);
    assert_eq!((last["user_name"].as_str(), last["number"].as_u64()), (Some(last_name.as_str()), Some(n)));

    // A CSV column the format does not know, and a group row with a user's column, are refused.
    let err = import(srv, "user_name,colour\nz,blue\n", Format::Csv, false).await.unwrap_err();
    assert!(err.starts_with("line 2: file:") && err.contains("colour"), "{err}");
    let err = import(srv, "type,name,email\ngroup,g2,g@example.com\n", Format::Csv, false).await.unwrap_err();
    assert!(err.starts_with("line 2: email: is for users, not groups"), "{err}");
});
