//! The buckets of the routes anyone may call: per client address and per account, 429 with
//! Retry-After on every face, and one address's flood leaves another's requests alone.

use crate::*;

const SLC: &str = "/compat/slc-hub";

/// A client whose requests come from another loopback address.
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(std::net::IpAddr::from(ip)).build().unwrap()
}

both!(
    public_routes_are_limited_per_address_and_per_account,
    adjust = |c: &mut roster::config::Config| {
        c.public_requests_per_minute_per_address = 6;
        c.public_requests_per_minute_per_account = 3;
    },
    |srv: &TestServer| async move {
        person(srv, "ann").await;
        let login_from = |client: &reqwest::Client, user: &str, password: &str| {
            client.post(srv.url("/api/v1/auth/login")).json(&json!({"username": user, "password": password})).send()
        };
        // Three guesses at ann's password; the fourth is refused before any work, right or wrong.
        for _ in 0..3 {
            expect_problem(login(srv, "ann", "not-her-password").await, 401, "auth.unauthenticated").await;
        }
        let r = login(srv, "ann", PASSWORD).await;
        let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let p = expect_problem(r, 429, "rate_limited").await;
        assert!(p["detail"].as_str().unwrap().contains("account"), "{p}");
        // ANN is ann: the account's bucket is keyed by its name as compared.
        assert_eq!(login(srv, "ANN", PASSWORD).await.status(), 429);
        // The address had six: five are spent; the sixth passes for another account.
        expect_problem(login(srv, "bob", "whatever-it-is").await, 401, "auth.unauthenticated").await;
        // Now the address is spent, on every face and public route.
        let r = srv.client.post(srv.url(&format!("{SLC}/login"))).json(&json!({"username": "bob", "password": "x"}));
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 429);
        assert!(r.headers().contains_key("retry-after"));
        let grant = srv.client.post(srv.url("/api/v1/oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "x"),
            ("client_secret", "y"),
        ]);
        let r = grant.send().await.unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "temporarily_unavailable");
        let reset = srv.client.post(srv.url("/api/v1/password-reset/request")).json(&json!({"username": "bob"}));
        assert_eq!(reset.send().await.unwrap().status(), 429);
        // Another address is not held back by this one's flood, nor are authenticated routes.
        let other = client_from([127, 0, 0, 2]);
        expect(login_from(&other, "bob", "whatever-it-is").await.unwrap(), 401).await;
        expect(srv.get("/api/v1/users").await, 200).await;
    }
);
