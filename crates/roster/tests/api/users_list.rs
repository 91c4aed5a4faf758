//! `/api/v1/users` listings: filters, sorts, keyset cursors and counts.

use crate::*;
use roster_core::model::UserSpec;
use std::collections::HashSet;

both!(filters, |srv: &TestServer| async move {
    for (name, email, display, claims, status) in [
        (
            "alice",
            Some("alice@example.com"),
            Some("Alice Smith"),
            json!({"dept": "sales", "level": 3, "address": {"city": "Paris"}, "remote": true}),
            "active",
        ),
        ("albert", None, Some("Albert"), json!({"dept": "eng", "level": 5, "address": {"city": "Lyon"}}), "suspended"),
        ("bob", Some("bob@corp.example"), None, json!({"dept": "sales", "level": "3"}), "active"),
        ("Carla", Some("carla@example.com"), Some("carla_%x"), json!({}), "deactivated"),
    ] {
        srv.user(
            json!({"user_name": name, "email": email, "display_name": display, "claims": claims, "status": status}),
        )
        .await;
    }
    let run = |f: &str| {
        let path = format!("/api/v1/users?sort=user_name&filter={}", q(f));
        async move {
            let list = expect(srv.get(&path).await, 200).await;
            names(&list, "user_name")
        }
    };
    let cases: &[(&str, &[&str])] = &[
        (r#"user_name sw "al""#, &["albert", "alice"]),
        (r#"user_name eq "CARLA""#, &["Carla"]),
        (r#"user_name sw "AL" and status eq "active""#, &["alice"]),
        (r#"user_name eq "bob" or status eq "suspended""#, &["albert", "bob"]),
        (r#"not (status eq "active")"#, &["albert", "Carla"]),
        (r#"email pr"#, &["alice", "bob", "Carla"]),
        (r#"not (email pr)"#, &["albert"]),
        (r#"email ew "example.com""#, &["alice", "Carla"]),
        (r#"email ne "bob@corp.example""#, &["albert", "alice", "Carla"]),
        (r#"display_name co "Smith""#, &["alice"]),
        (r#"display_name co "smith""#, &[]),
        (r#"display_name co "_%""#, &["Carla"]),
        (r#"status in ["suspended", "deactivated"]"#, &["albert", "Carla"]),
        (r#"claims.dept eq "sales""#, &["alice", "bob"]),
        (r#"claims.level eq 3"#, &["alice"]),
        (r#"claims.level eq "3""#, &["bob"]),
        (r#"claims.level gt 4"#, &["albert"]),
        (r#"claims.address.city eq "Paris""#, &["alice"]),
        (r#"claims.address.city sw "Ly""#, &["albert"]),
        (r#"claims.remote eq true"#, &["alice"]),
        (r#"claims.remote pr"#, &["alice"]),
        (r#"not (claims.dept eq "sales")"#, &["albert", "Carla"]),
        (r#"claims.dept ne "sales""#, &["albert", "Carla"]),
        (r#"claims.dept in ["eng", "ops"]"#, &["albert"]),
        (r#"(user_name sw "a" or user_name sw "b") and not (claims.level pr)"#, &[]),
        (r#"number le 2"#, &["albert", "alice"]),
        (r#"created gt "2000-01-01T00:00:00Z" and guest eq false"#, &["albert", "alice", "bob", "Carla"]),
    ];
    for (f, want) in cases {
        assert_eq!(run(f).await, *want, "filter {f}");
    }
    for (f, code) in [
        (r#"nick eq "x""#, "filter.invalid"),
        (r#"user_name like "x""#, "filter.invalid"),
        (r#"guest co "t""#, "filter.invalid"),
        (r#"status eq "sleeping""#, "filter.invalid"),
        (r#"user_name eq"#, "filter.invalid"),
    ] {
        let p = expect_problem(srv.get(&format!("/api/v1/users?filter={}", q(f))).await, 400, code).await;
        assert!(!p["detail"].as_str().unwrap().is_empty());
    }
    let p =
        expect_problem(srv.get(&format!("/api/v1/users?filter={}", q(r#"nick eq "x""#))).await, 400, "filter.invalid")
            .await;
    assert!(p["detail"].as_str().unwrap().contains("nick"), "{p}");
});

both!(cursor_over_10000_users, |srv: &TestServer| async move {
    // Seed through the core (HTTP creation of 10,000 users would only slow the test down).
    let caller = srv.directory.operator("default").await.unwrap();
    let mut tasks = Vec::new();
    for chunk in 0..4 {
        let dir = srv.directory.clone();
        let caller = caller.clone();
        tasks.push(tokio::spawn(async move {
            for i in (chunk..10_000).step_by(4) {
                let spec = UserSpec {
                    user_name: format!("user{i:05}"),
                    display_name: (i % 3 != 0).then(|| format!("Name {}", i % 97)),
                    claims: json!({"n": i}),
                    ..Default::default()
                };
                dir.create_user(&caller, spec).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Default order, a case-insensitive sort, a nullable sort with ties, and a filtered one.
    for (query, expected) in [
        ("limit=1000&count=true", 10_000usize),
        ("limit=777&sort=-user_name", 10_000),
        ("limit=999&sort=display_name", 10_000),
        ("limit=500&sort=-created&filter=claims.n%20ge%205000", 5_000),
    ] {
        let mut seen = HashSet::new();
        let mut order = Vec::new();
        let mut path = format!("/api/v1/users?{query}&fields=user_name,display_name");
        let mut pages = 0;
        loop {
            let page = expect(srv.get(&path).await, 200).await;
            pages += 1;
            if pages == 1 && query.contains("count=true") {
                assert_eq!(page["total"], 10_000);
            }
            for item in page["items"].as_array().unwrap() {
                assert!(seen.insert(item["id"].as_str().unwrap().to_owned()), "duplicate {item} in {query}");
                order.push((
                    item["display_name"].as_str().unwrap_or("").to_owned(),
                    item["user_name"].as_str().unwrap().to_owned(),
                ));
            }
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/users?{query}&fields=user_name,display_name&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), expected, "gap or surplus in {query}");
        if query.contains("sort=-user_name") {
            assert!(order.windows(2).all(|w| w[0].1 > w[1].1), "not descending by user_name");
        }
        if query.contains("sort=display_name") {
            assert!(order.windows(2).all(|w| w[0].0 <= w[1].0), "not ascending by display_name");
        }
    }
    // A cursor is bound to its query.
    let first = expect(srv.get("/api/v1/users?limit=10&sort=user_name").await, 200).await;
    let c = first["next_cursor"].as_str().unwrap();
    expect_problem(srv.get(&format!("/api/v1/users?limit=10&sort=-user_name&cursor={c}")).await, 400, "cursor.invalid")
        .await;
    expect_problem(
        srv.get(&format!("/api/v1/users?limit=10&sort=user_name&filter=guest%20eq%20true&cursor={c}")).await,
        400,
        "cursor.invalid",
    )
    .await;
    expect(srv.get(&format!("/api/v1/users?limit=10&sort=user_name&cursor={c}")).await, 200).await;
});
