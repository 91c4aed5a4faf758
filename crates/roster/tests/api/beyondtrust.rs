//! The BeyondInsight v3 dialect at `/compat/beyondtrust/BeyondTrust/api/public/v3`: sign-in by
//! `PS-Auth` (with and without the user's password) and by a client-credentials bearer token,
//! the session cookie, sign-out with the cookie alone, paths in any case, and user reads.

use crate::*;

const BT: &str = "/compat/beyondtrust/BeyondTrust/api/public/v3";

/// A long key (the vendor's clients want 128 to 263 characters) of a role.
async fn long_key(srv: &TestServer, role: &str) -> String {
    let body = json!({"name": format!("bt-{role}"), "role": role, "format": "long"});
    let made = expect(srv.post("/api/v1/api-keys", &body).await, 201).await;
    made["secret"].as_str().unwrap().to_owned()
}

async fn sign_in(srv: &TestServer, authorization: &str) -> reqwest::Response {
    srv.client
        .post(srv.url(&format!("{BT}/Auth/SignAppin")))
        .header("authorization", authorization)
        .send()
        .await
        .unwrap()
}

/// The session cookie a sign-in set.
fn session_cookie(resp: &reqwest::Response) -> String {
    let set = resp.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(set.contains("HttpOnly"), "{set}");
    set.split(';').next().unwrap().to_owned()
}

async fn with_cookie(srv: &TestServer, method: reqwest::Method, path: &str, cookie: &str) -> reqwest::Response {
    srv.client.request(method, srv.url(&format!("{BT}{path}"))).header("cookie", cookie).send().await.unwrap()
}

both!(ps_auth_sessions_and_user_reads, |srv: &TestServer| async move {
    let ann = person(srv, "ann").await;
    expect(srv.put(&format!("/api/v1/users/{ann}/roles/admin"), &json!({})).await, 200).await;
    person(srv, "plain").await;
    let key = long_key(srv, "super-admin").await;
    assert!((128..=263).contains(&key.len()));

    // No session, no service.
    assert_eq!(srv.client.get(srv.url(&format!("{BT}/Users"))).send().await.unwrap().status(), 401);
    assert_eq!(sign_in(srv, &format!("PS-Auth key={key};")).await.status(), 401, "runas is required");
    assert_eq!(sign_in(srv, &format!("PS-Auth key={key}; runas=ann; pwd=[wrong];")).await.status(), 401);
    assert_eq!(sign_in(srv, "PS-Auth key=roster_unknown; runas=ann;").await.status(), 401);

    // The vendor's sign-in: no body, no content type; the path in its own spelling.
    let r = sign_in(srv, &format!("PS-Auth key={key}; runas=ann; pwd=[{PASSWORD}];")).await;
    assert_eq!(r.status(), 200);
    let cookie = session_cookie(&r);
    assert!(cookie.starts_with("ASP.NET_SessionId="));
    let me = r.json::<Value>().await.unwrap();
    assert_eq!((me["UserName"].as_str(), me["EmailAddress"].as_str()), (Some("ann"), Some("ann@example.com")));
    let ann_number = me["UserId"].as_i64().unwrap();

    let list = expect(with_cookie(srv, reqwest::Method::GET, "/Users", &cookie).await, 200).await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|u| u["UserName"].as_str().unwrap()).collect();
    assert_eq!(names, ["ann", "plain"]);
    assert_eq!(list[0]["UserID"], ann_number);
    assert_eq!(list[0]["IsQuarantined"], false);
    // Paths in any case; unknown parameters (Python's booleans) are ignored.
    let again = with_cookie(srv, reqwest::Method::GET, "/USERS?includeInactive=False", &cookie).await;
    assert_eq!(expect(again, 200).await, list);
    let one = expect(with_cookie(srv, reqwest::Method::GET, &format!("/users/{ann_number}"), &cookie).await, 200).await;
    assert_eq!(one, list[0], "a single read answers one object");
    let by_name = expect(with_cookie(srv, reqwest::Method::GET, "/Users?UserName=plain", &cookie).await, 200).await;
    assert_eq!(by_name["UserName"], "plain");
    assert_eq!(with_cookie(srv, reqwest::Method::GET, "/Users?username=nobody", &cookie).await.status(), 404);
    assert_eq!(with_cookie(srv, reqwest::Method::GET, "/Users/999999", &cookie).await.status(), 404);
    assert_eq!(with_cookie(srv, reqwest::Method::GET, "/Users/abc", &cookie).await.status(), 400);
    assert_eq!(with_cookie(srv, reqwest::Method::GET, "/NoSuchThing", &cookie).await.status(), 404);

    // Sign-out with the cookie alone ends the session.
    let out = with_cookie(srv, reqwest::Method::POST, "/Auth/Signout", &cookie).await;
    assert_eq!(out.status(), 200);
    assert_eq!(with_cookie(srv, reqwest::Method::GET, "/Users", &cookie).await.status(), 401);

    // Without the user's password the key runs as the user, if it may impersonate it.
    let r = sign_in(srv, &format!("PS-Auth key={key}; runas=ann;")).await;
    assert_eq!(r.status(), 200);
    let acting = session_cookie(&r);
    expect(with_cookie(srv, reqwest::Method::GET, "/Users", &acting).await, 200).await;
    let reader = long_key(srv, "reader").await;
    assert_eq!(sign_in(srv, &format!("PS-Auth key={reader}; runas=ann;")).await.status(), 403);
    // A user without User Accounts Management (Read) gets 403.
    let r = sign_in(srv, &format!("PS-Auth key={reader}; runas=plain; pwd=[{PASSWORD}];")).await;
    let plain = session_cookie(&r);
    assert_eq!(with_cookie(srv, reqwest::Method::GET, "/Users", &plain).await.status(), 403);
});

both!(client_credentials_bearer_sessions, |srv: &TestServer| async move {
    let app = srv.user(json!({"user_name": "robot", "kind": "application"})).await;
    let app_id = app["id"].as_str().unwrap();
    expect(srv.put(&format!("/api/v1/users/{app_id}/roles/reader"), &json!({})).await, 200).await;
    let secret = expect(srv.post(&format!("/api/v1/users/{app_id}/client-secret"), &json!({})).await, 200).await;
    let secret = secret["client_secret"].as_str().unwrap();
    assert!((36..=64).contains(&secret.len()) && (36..=40).contains(&app_id.len()), "the vendor's clients check sizes");

    let form = [("grant_type", "client_credentials"), ("client_id", app_id), ("client_secret", secret)];
    let r = srv.client.post(srv.url(&format!("{BT}/Auth/connect/token"))).form(&form).send().await.unwrap();
    let token = expect(r, 200).await;
    assert_eq!((token["token_type"].as_str(), token["scope"].as_str()), (Some("Bearer"), Some("publicapi")));
    let bearer = token["access_token"].as_str().unwrap();
    let bad = [("grant_type", "client_credentials"), ("client_id", app_id), ("client_secret", "nope")];
    let r = srv.client.post(srv.url(&format!("{BT}/Auth/connect/token"))).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), 401);

    let r = sign_in(srv, &format!("Bearer {bearer}")).await;
    assert_eq!(r.status(), 200);
    let cookie = session_cookie(&r);
    // Later calls carry the cookie, and may carry the bearer token too.
    let list = srv
        .client
        .get(srv.url(&format!("{BT}/Users")))
        .header("cookie", &cookie)
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    let list = expect(list, 200).await;
    let robot = &list.as_array().unwrap()[0];
    assert_eq!((robot["UserType"].as_str(), robot["ClientID"].as_str()), (Some("Application"), Some(app_id)));
    assert_eq!((robot["AccessPolicyID"].as_i64(), robot["ClientSecret"].is_null()), (Some(1), true));
});
