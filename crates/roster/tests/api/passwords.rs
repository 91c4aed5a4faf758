//! `/api/v1/password-policy` and `/api/v1/users/{id}/password`.

use crate::*;

both!(policy_check_set_and_history, |srv: &TestServer| async move {
    let u = srv.user(json!({"user_name": "marguerite", "email": "marguerite.durand@example.com"})).await;
    let uid = u["id"].as_str().unwrap();
    assert_eq!(u["password_changed"], Value::Null);

    let policy = expect(srv.get("/api/v1/password-policy").await, 200).await;
    assert_eq!(policy["min_length"], 12);
    assert_eq!(policy["forbid_common"], true);

    // Every broken rule in one answer.
    let check = |pw: &str| {
        let body = json!({"password": pw});
        let path = format!("/api/v1/users/{uid}/password/check");
        async move { expect(srv.post(&path, &body).await, 200).await }
    };
    let bad = check("marguerite").await;
    assert_eq!(bad["valid"], false);
    let messages: Vec<&str> =
        bad["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert!(messages.contains(&"must be at least 12 characters"), "{messages:?}");
    assert!(messages.contains(&"must not contain the user name"), "{messages:?}");
    assert!(check("1qaz2wsx3edc").await["errors"].to_string().contains("most common"));
    assert_eq!(check("violet-harbour-engine").await, json!({"valid": true, "errors": []}));

    // A stricter policy applies at once.
    let stricter = expect(
        srv.put("/api/v1/password-policy", &json!({"min_length": 14, "require_digit": true, "history": 2})).await,
        200,
    )
    .await;
    assert_eq!(stricter["min_length"], 14);
    assert_eq!(stricter["forbid_personal"], true, "left-out attributes take their defaults");
    expect_problem(
        srv.put("/api/v1/password-policy", &json!({"min_length": 0, "history": 99})).await,
        400,
        "validation",
    )
    .await;
    expect_problem(srv.put("/api/v1/password-policy", &json!({"min_lenght": 3})).await, 400, "request.json").await;

    let set = |pw: &str, must_change: bool| {
        let body = json!({"password": pw, "must_change": must_change});
        let path = format!("/api/v1/users/{uid}/password");
        async move { srv.post(&path, &body).await }
    };
    let refused = expect_problem(set("violet-harbour-engine", false).await, 400, "validation").await;
    assert_eq!(refused["errors"][0], json!({"field": "password", "message": "must contain a digit"}));
    assert_eq!(set("violet-harbour-engine-1", true).await.status(), 204);
    let after = expect(srv.get(&format!("/api/v1/users/{uid}")).await, 200).await;
    assert!(after["password_changed"].is_string());
    assert_eq!(after["password_must_change"], true);
    assert_eq!(after["version"], 2);

    // History: the current and the previous password cannot come back; an older one can.
    assert_eq!(set("violet-harbour-engine-2", false).await.status(), 204);
    let again = expect_problem(set("violet-harbour-engine-1", false).await, 400, "validation").await;
    assert!(again["errors"][0]["message"].as_str().unwrap().contains("last 2 passwords"), "{again}");
    assert_eq!(set("violet-harbour-engine-3", false).await.status(), 204);
    assert_eq!(set("violet-harbour-engine-1", false).await.status(), 204);

    // Oversized passwords are refused before hashing; unknown users are 404.
    let huge = expect_problem(set(&"x".repeat(2000), false).await, 400, "validation").await;
    assert!(huge["errors"][0]["message"].as_str().unwrap().contains("1024 bytes"));
    let other = uuid::Uuid::now_v7();
    expect_problem(
        srv.post(&format!("/api/v1/users/{other}/password"), &json!({"password": "abc"})).await,
        404,
        "user.not_found",
    )
    .await;
    // The password appears in no answer.
    let shown = expect(srv.get(&format!("/api/v1/users/{uid}")).await, 200).await.to_string();
    assert!(!shown.contains("violet") && !shown.contains("argon2"));
});
