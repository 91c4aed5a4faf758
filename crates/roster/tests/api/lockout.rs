//! `/api/v1/lockout-policy` and `/api/v1/users/{id}/logon-failures`: failed sign-ins lock an
//! account for a while, then deactivate it; clearing the failures lifts only the lock.

use crate::*;

async fn user_record(srv: &TestServer, id: &str) -> Value {
    expect(srv.get(&format!("/api/v1/users/{id}")).await, 200).await
}

async fn fail(srv: &TestServer, name: &str, times: usize) -> Value {
    let mut last = Value::Null;
    for _ in 0..times {
        last = expect_problem(login(srv, name, "not-the-password").await, 401, "auth.unauthenticated").await;
    }
    last
}

both!(failures_lock_then_deactivate, |srv: &TestServer| async move {
    let bad =
        srv.put("/api/v1/lockout-policy", &json!({"lock_after": 5, "deactivate_after": 5, "window_seconds": 0})).await;
    let problem = expect_problem(bad, 400, "validation").await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["window_seconds", "deactivate_after"]);
    assert_eq!(expect(srv.get("/api/v1/lockout-policy").await, 200).await["lock_after"], 5, "unchanged defaults");
    let policy = json!({"lock_after": 3, "window_seconds": 600, "lock_seconds": 2, "deactivate_after": 7});
    assert_eq!(expect(srv.put("/api/v1/lockout-policy", &policy).await, 200).await, policy);

    let id = person(srv, "lena").await;
    let good = token(srv, "lena").await;
    let wrong = fail(srv, "lena", 3).await;
    let u = user_record(srv, &id).await;
    assert_eq!(u["failed_logons"], 3);
    assert!(u["locked_until"].is_string(), "{u}");
    // Locked: even the right password answers exactly like a wrong one, so guesses teach nothing.
    assert_eq!(expect_problem(login(srv, "lena", PASSWORD).await, 401, "auth.unauthenticated").await, wrong);
    // A lock ends the sessions already open.
    let me = srv.client.get(srv.url("/api/v1/me")).bearer_auth(&good).send().await.unwrap();
    expect_problem(me, 401, "auth.unauthenticated").await;

    // An administrator clears the failures: the lock is gone and the user signs in.
    let cleared = expect(srv.delete(&format!("/api/v1/users/{id}/logon-failures")).await, 200).await;
    assert_eq!((cleared["failed_logons"].clone(), cleared["locked_until"].clone()), (json!(0), Value::Null));
    token(srv, "lena").await;

    // The lock ends by itself; a success then forgets the failures.
    fail(srv, "lena", 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    token(srv, "lena").await;
    assert_eq!(user_record(srv, &id).await["failed_logons"], 0);

    // Failures keep counting through locks; the seventh deactivates the user and ends its sessions.
    let session = token(srv, "lena").await;
    fail(srv, "lena", 3).await;
    fail(srv, "lena", 3).await;
    assert_eq!(user_record(srv, &id).await["status"], "active");
    fail(srv, "lena", 1).await;
    let u = user_record(srv, &id).await;
    assert_eq!(
        (u["status"].as_str(), u["inactive_reason"].as_str()),
        (Some("deactivated"), Some("too_many_failed_logons"))
    );
    assert_eq!(u["failed_logons"], 7);
    let me = srv.client.get(srv.url("/api/v1/me")).bearer_auth(&session).send().await.unwrap();
    expect_problem(me, 401, "auth.unauthenticated").await;
    // Clearing lifts only the lock: the user stays deactivated until someone reactivates it.
    srv.delete(&format!("/api/v1/users/{id}/logon-failures")).await;
    assert_eq!(user_record(srv, &id).await["status"], "deactivated");
    expect_problem(login(srv, "lena", PASSWORD).await, 403, "auth.forbidden").await;
    let path = format!("/api/v1/users/{id}");
    expect(
        srv.patch(&path, "application/merge-patch+json", &json!({"status": "active", "inactive_reason": null})).await,
        200,
    )
    .await;
    token(srv, "lena").await;

    // Locked users can be found.
    fail(srv, "lena", 3).await;
    let since = q(&(chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339());
    let locked = expect(srv.get(&format!("/api/v1/users?filter=locked_until%20gt%20%22{since}%22")).await, 200).await;
    assert_eq!(ids(&locked), std::slice::from_ref(&id));
    let failing = expect(srv.get("/api/v1/users?filter=failed_logons%20ge%203").await, 200).await;
    assert_eq!(ids(&failing), [id]);
    expect_problem(
        srv.delete(&format!("/api/v1/users/{}/logon-failures", uuid::Uuid::nil())).await,
        404,
        "user.not_found",
    )
    .await;
});

both!(locking_can_be_turned_off, |srv: &TestServer| async move {
    let off = json!({"lock_after": 0, "deactivate_after": 0});
    expect(srv.put("/api/v1/lockout-policy", &off).await, 200).await;
    let id = person(srv, "omar").await;
    fail(srv, "omar", 12).await;
    let u = user_record(srv, &id).await;
    assert_eq!(
        (u["failed_logons"].clone(), u["locked_until"].clone(), u["status"].clone()),
        (json!(12), Value::Null, json!("active"))
    );
    token(srv, "omar").await;
});
