//! API key authentication of the native API.

use crate::*;

both!(api_keys, |srv: &TestServer| async move {
    let no_key = srv.client.get(srv.url("/api/v1/users")).send().await.unwrap();
    assert_eq!(no_key.headers()["www-authenticate"], "Bearer");
    expect_problem(no_key, 401, "auth.unauthenticated").await;
    for header in ["Bearer wrong-key", "Basic dXNlcjpwYXNz", "Bearer", ""] {
        let r = srv.client.get(srv.url("/api/v1/users")).header("authorization", header).send().await.unwrap();
        expect_problem(r, 401, "auth.unauthenticated").await;
    }
    let op = srv.directory.operator("default").await.unwrap();
    let (key, secret) = srv.directory.create_api_key(&op, "temp", "admin", None).await.unwrap();
    let with = |s: &str| srv.client.get(srv.url("/api/v1/users")).bearer_auth(s.to_owned()).send();
    expect(with(&secret).await.unwrap(), 200).await;
    srv.directory.revoke_api_key(&op, key.id).await.unwrap();
    expect_problem(with(&secret).await.unwrap(), 401, "auth.unauthenticated").await;
    // A key stops working when it expires.
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let (_, expiring) = srv.directory.create_api_key(&op, "brief", "reader", Some(soon)).await.unwrap();
    expect(with(&expiring).await.unwrap(), 200).await;
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    expect_problem(with(&expiring).await.unwrap(), 401, "auth.unauthenticated").await;
    // Keys are stored hashed: the secret is nowhere in the key record.
    let listed = srv.directory.api_keys(&op).await.unwrap();
    assert!(listed.iter().all(|k| !format!("{k:?}").contains(&secret)));
    assert!(listed.iter().any(|k| k.last_used.is_some()), "last use is recorded");
});
