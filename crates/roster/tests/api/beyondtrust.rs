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
    // A key alone signs in as itself (as the vendor's library does): its role decides, and the
    // session ends with Signout.
    let r = sign_in(srv, &format!("PS-Auth key={key}")).await;
    assert_eq!(r.status(), 200);
    let key_cookie = session_cookie(&r);
    let me = r.json::<Value>().await.unwrap();
    assert_eq!(me["UserId"], 0);
    assert!(me["UserName"].as_str().unwrap().starts_with("api-key:"), "{me}");
    expect(with_cookie(srv, reqwest::Method::GET, "/Users", &key_cookie).await, 200).await;
    assert_eq!(with_cookie(srv, reqwest::Method::POST, "/Auth/Signout", &key_cookie).await.status(), 200);
    assert_eq!(with_cookie(srv, reqwest::Method::GET, "/Users", &key_cookie).await.status(), 401);
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
    // The refusal is in the trail, naming who was refused.
    let denied =
        expect(srv.get("/api/v1/events?outcome=DENIED&event_type=USER_CHANGE&include_not_attested=true").await, 200)
            .await;
    let denied = denied["events"].as_array().unwrap();
    assert!(denied.iter().any(|e| e["actor"]["display_id"] == "plain" && e["data"]["status"] == 403), "{denied:?}");
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

/// A super-admin session of the dialect, as its clients open one.
async fn admin_session(srv: &TestServer) -> String {
    let admin = person(srv, "boss").await;
    expect(srv.put(&format!("/api/v1/users/{admin}/roles/super-admin"), &json!({})).await, 200).await;
    let key = long_key(srv, "super-admin").await;
    let r = sign_in(srv, &format!("PS-Auth key={key}; runas=boss; pwd=[{PASSWORD}];")).await;
    assert_eq!(r.status(), 200);
    session_cookie(&r)
}

async fn post_users(srv: &TestServer, cookie: &str, body: &Value) -> reqwest::Response {
    srv.client.post(srv.url(&format!("{BT}/Users"))).header("cookie", cookie).json(body).send().await.unwrap()
}

async fn user_total(srv: &TestServer) -> u64 {
    expect(srv.get("/api/v1/users?count=true&limit=1").await, 200).await["total"].as_u64().unwrap()
}

both!(creating_local_and_application_users, |srv: &TestServer| async move {
    let cookie = admin_session(srv).await;
    let good = json!({"UserType": "BeyondInsight", "UserName": "jdoe", "FirstName": "John", "LastName": "Doe",
        "EmailAddress": "jdoe@example.com", "Password": "orbit-lantern-quartz-9"});
    // Every rule gets its 400, naming the field and the rule, and nothing is written.
    let before = user_total(srv).await;
    let long = "x".repeat(65);
    for (change, needle) in [
        (json!({"UserName": null}), "UserName is required"),
        (json!({"UserName": long}), "UserName must be at most 64"),
        (json!({"FirstName": ""}), "FirstName is required"),
        (json!({"LastName": long}), "LastName must be at most 64"),
        (json!({"EmailAddress": null}), "EmailAddress is required"),
        (json!({"EmailAddress": "not-an-address"}), "properly formatted"),
        (json!({"EmailAddress": format!("{}@example.com", "a".repeat(250))}), "EmailAddress must be at most 255"),
        (json!({"Password": null}), "Password is required"),
        (json!({"Password": "short"}), "password"),
        (json!({"UserType": "Martian"}), "UserType must be"),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = post_users(srv, &cookie, &body).await;
        assert_eq!(r.status(), 400, "{change}");
        let text = r.text().await.unwrap();
        assert!(text.contains(needle), "{change}: {text}");
        assert_eq!(user_total(srv).await, before, "{change}: nothing written");
    }
    let r = post_users(srv, &cookie, &json!(["not", "an", "object"])).await;
    assert_eq!(r.status(), 400);

    let made = expect(post_users(srv, &cookie, &good).await, 201).await;
    assert_eq!(
        (made["UserName"].as_str(), made["FirstName"].as_str(), made["LastName"].as_str()),
        (Some("jdoe"), Some("John"), Some("Doe"))
    );
    assert!(made.get("Password").is_none() && !made.to_string().contains("orbit-lantern"));
    assert_eq!(post_users(srv, &cookie, &good).await.status(), 409, "duplicate user name");
    // The password works.
    let key = long_key(srv, "reader").await;
    assert_eq!(
        sign_in(srv, &format!("PS-Auth key={key}; runas=jdoe; pwd=[orbit-lantern-quartz-9];")).await.status(),
        200
    );

    // Application users: a client id and secret that fit the vendor's clients, and a policy.
    let r =
        post_users(srv, &cookie, &json!({"UserType": "Application", "UserName": "bot", "AccessPolicyID": 99})).await;
    assert_eq!(r.status(), 400);
    let app = expect(
        post_users(srv, &cookie, &json!({"UserType": "Application", "UserName": "bot", "AccessPolicyID": 1})).await,
        201,
    )
    .await;
    let (client_id, secret) = (app["ClientID"].as_str().unwrap(), app["ClientSecret"].as_str().unwrap());
    assert!((36..=40).contains(&client_id.len()) && (36..=64).contains(&secret.len()));
    assert_eq!((app["UserType"].as_str(), app["AccessPolicyID"].as_i64()), (Some("Application"), Some(1)));
    let form = [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)];
    let r = srv.client.post(srv.url(&format!("{BT}/Auth/connect/token"))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Read back, the secret is not shown.
    let shown =
        expect(with_cookie(srv, reqwest::Method::GET, &format!("/Users/{}", app["UserID"]), &cookie).await, 200).await;
    assert!(shown["ClientSecret"].is_null());
});

both!(directory_users_from_the_tenants_connections, |srv: &TestServer| async move {
    let Some(ldap) = roster_testkit::directory_env("ROSTER_TEST_LDAP_ENV") else { return };
    let cookie = admin_session(srv).await;
    expect(srv.post("/api/v1/directories", &crate::directories::connection(&ldap, "LDAP", "starttls")).await, 201)
        .await;
    let ada_dn = format!("uid=ada,ou=people,{}", ldap["LDAP_BASE"]);
    let ldap_user = |extra: Value| {
        let mut b = json!({"UserType": "LdapDirectory", "HostName": "127.0.0.1", "DistinguishedName": ada_dn, "AccountNameAttribute": "uid"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let before = user_total(srv).await;
    for (extra, status) in [
        (json!({"HostName": "elsewhere.example"}), 400),
        (json!({"DistinguishedName": "x".repeat(256)}), 400),
        (json!({"BindUser": ldap["LDAP_BIND_DN"]}), 400),
        (json!({"BindUser": ldap["LDAP_BIND_DN"], "BindPassword": "wrong"}), 502),
    ] {
        let r = post_users(srv, &cookie, &ldap_user(extra.clone())).await;
        assert_eq!(r.status(), status, "{extra}: {}", r.text().await.unwrap());
        assert_eq!(user_total(srv).await, before);
    }
    let with_bind =
        ldap_user(json!({"BindUser": ldap["LDAP_BIND_DN"], "BindPassword": ldap["LDAP_BIND_PW"], "Port": 0}));
    assert_eq!(post_users(srv, &cookie, &with_bind).await.status(), 400, "Port 0 matches no connection");
    let made = expect(post_users(srv, &cookie, &ldap_user(json!({}))).await, 201).await;
    assert_eq!((made["UserName"].as_str(), made["DistinguishedName"].as_str()), (Some("ada"), Some(ada_dn.as_str())));

    let Some(ad) = roster_testkit::directory_env("ROSTER_TEST_AD_ENV") else { return };
    expect(srv.post("/api/v1/directories", &crate::directories::connection(&ad, "AD", "ldaps")).await, 201).await;
    let before = user_total(srv).await;
    for (body, needle) in [
        (
            json!({"UserType": "ActiveDirectory", "UserName": "alice", "DomainName": "x".repeat(251)}),
            "DomainName must be at most 250",
        ),
        (
            json!({"UserType": "ActiveDirectory", "UserName": "alice", "DomainName": "ROSTER", "BindUser": "administrator@ad.roster.test"}),
            "BindPassword is required",
        ),
        (
            json!({"UserType": "ActiveDirectory", "UserName": "alice", "DomainName": "ROSTER", "BindUser": "a", "BindPassword": "b"}),
            "ForestName is required",
        ),
        (
            json!({"UserType": "ActiveDirectory", "UserName": "alice", "DomainName": "ROSTER", "ForestName": "x".repeat(301), "BindUser": "a", "BindPassword": "b"}),
            "ForestName must be at most 300",
        ),
        (json!({"UserType": "ActiveDirectory", "UserName": "alice", "DomainName": "OTHER"}), "no directory connection"),
    ] {
        let r = post_users(srv, &cookie, &body).await;
        assert_eq!(r.status(), 400);
        let text = r.text().await.unwrap();
        assert!(text.contains(needle), "{text}");
    }
    assert_eq!(user_total(srv).await, before);
    let alice = json!({"UserType": "ActiveDirectory", "UserName": "alice", "DomainName": "roster"});
    assert_eq!(expect(post_users(srv, &cookie, &alice).await, 201).await["DomainName"], "ROSTER");
    let bob = json!({"UserType": "ActiveDirectory", "UserName": "bob", "DomainName": "ad.roster.test", "ForestName": "ad.roster.test",
        "BindUser": ad["AD_BIND_DN"], "BindPassword": ad["AD_BIND_PW"], "UseSSL": true});
    let bob = expect(post_users(srv, &cookie, &bob).await, 201).await;
    let found = with_cookie(srv, reqwest::Method::GET, "/Users?username=ROSTER%5Cbob", &cookie).await;
    assert_eq!(expect(found, 200).await["UserID"], bob["UserID"]);
    let by_upn = with_cookie(srv, reqwest::Method::GET, "/Users?username=bob@ad.roster.test", &cookie).await;
    assert_eq!(expect(by_upn, 200).await["UserID"], bob["UserID"]);
});

both!(updating_quarantining_and_deleting_users, |srv: &TestServer| async move {
    let cookie = admin_session(srv).await;
    let body = json!({"UserName": "jdoe", "FirstName": "John", "EmailAddress": "jdoe@example.com", "Password": "orbit-lantern-quartz-9"});
    let made = expect(post_users(srv, &cookie, &body).await, 201).await;
    let id = made["UserID"].as_i64().unwrap();
    let put = |body: Value| {
        let cookie = cookie.clone();
        async move {
            srv.client
                .put(srv.url(&format!("{BT}/Users/{id}")))
                .header("cookie", cookie)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // A refused password changes nothing, not even the names given with it.
    let r =
        put(json!({"UserName": "john", "FirstName": "Johnny", "EmailAddress": "j@example.com", "Password": "short"}))
            .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        expect(with_cookie(srv, reqwest::Method::GET, &format!("/Users/{id}"), &cookie).await, 200).await["UserName"],
        "jdoe"
    );
    // The password is judged against the attributes it is written with: here the new name.
    let r = put(json!({"UserName": "marigold-heron", "FirstName": "M", "EmailAddress": "m@example.com", "Password": "marigold-heron-77"}))
        .await;
    assert_eq!(r.status(), 400, "a password holding the new user name is refused");
    assert_eq!(put(json!({"UserName": "john"})).await.status(), 400, "FirstName and EmailAddress are required");
    let r = put(json!({"UserName": "john", "FirstName": "Johnny", "LastName": "D", "EmailAddress": "j@example.com", "Password": "velvet-harbor-comet-31"})).await;
    let updated = expect(r, 200).await;
    assert_eq!(
        (updated["UserName"].as_str(), updated["FirstName"].as_str(), updated["EmailAddress"].as_str()),
        (Some("john"), Some("Johnny"), Some("j@example.com"))
    );
    let key = long_key(srv, "reader").await;
    let r = sign_in(srv, &format!("PS-Auth key={key}; runas=john; pwd=[velvet-harbor-comet-31];")).await;
    assert_eq!(r.status(), 200, "the new password works");
    let john = session_cookie(&r);
    // The sign-in is what LastLogin* show; a runas without a password (impersonation) is none of john's.
    let shown = expect(with_cookie(srv, reqwest::Method::GET, &format!("/Users/{id}"), &cookie).await, 200).await;
    let date = shown["LastLoginDate"].as_str().unwrap_or_else(|| panic!("no LastLoginDate: {shown}")).to_owned();
    assert!(chrono::DateTime::parse_from_rfc3339(&date).is_ok(), "{date}");
    assert_eq!(
        (&shown["LastLoginAuthenticationType"], &shown["LastLoginConfigurationName"]),
        (&json!("Password"), &Value::Null)
    );
    let admin_key = long_key(srv, "super-admin").await;
    assert_eq!(sign_in(srv, &format!("PS-Auth key={admin_key}; runas=john;")).await.status(), 200);
    let again = expect(with_cookie(srv, reqwest::Method::GET, &format!("/Users/{id}"), &cookie).await, 200).await;
    assert_eq!(again["LastLoginDate"], date.as_str(), "an impersonation is no sign-in of the user");

    // Quarantine: 201, and the user's session ends at once.
    let q =
        expect(with_cookie(srv, reqwest::Method::POST, &format!("/Users/{id}/Quarantine"), &cookie).await, 201).await;
    assert_eq!(q["IsQuarantined"], true);
    assert_eq!(with_cookie(srv, reqwest::Method::GET, "/Users", &john).await.status(), 401);

    // Application users recycle their secret; others have none.
    let app = expect(
        post_users(srv, &cookie, &json!({"UserType": "Application", "UserName": "bot", "AccessPolicyID": 1})).await,
        201,
    )
    .await;
    let first = app["ClientSecret"].as_str().unwrap().to_owned();
    // Name and policy are one change: a refused policy leaves the name; a good one moves both
    // in one transaction, with the event of each.
    let app_url = format!("{BT}/Users/{}", app["UserID"]);
    let put_app = |body: Value| {
        let (cookie, url) = (cookie.clone(), app_url.clone());
        async move { srv.client.put(srv.url(&url)).header("cookie", cookie).json(&body).send().await.unwrap() }
    };
    assert_eq!(put_app(json!({"UserName": "robot", "AccessPolicyID": 999})).await.status(), 400);
    assert_eq!(
        expect(with_cookie(srv, reqwest::Method::GET, &format!("/Users/{}", app["UserID"]), &cookie).await, 200).await
            ["UserName"],
        "bot"
    );
    let policy = expect(srv.post("/api/v1/access-policies", &json!({"name": "robots"})).await, 201).await;
    let before = expect(srv.get("/api/v1/events?event_type=USER_CHANGE&page_size=1000").await, 200).await;
    let moved = expect(put_app(json!({"UserName": "robot", "AccessPolicyID": policy["number"]})).await, 200).await;
    assert_eq!((moved["UserName"].as_str(), &moved["AccessPolicyID"]), (Some("robot"), &policy["number"]));
    let after = expect(srv.get("/api/v1/events?event_type=USER_CHANGE&page_size=1000").await, 200).await;
    let count = |v: &Value| v["events"].as_array().unwrap().len();
    assert_eq!(count(&after), count(&before) + 2, "a name change and a policy assignment");
    let r = with_cookie(srv, reqwest::Method::POST, &format!("/Users/{}/RecycleClientSecret", app["UserID"]), &cookie)
        .await;
    let second: String = expect(r, 201).await.as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let client = app["ClientID"].as_str().unwrap();
    let token = |secret: String| {
        let form = [
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", client.to_owned()),
            ("client_secret", secret),
        ];
        async move {
            srv.client.post(srv.url(&format!("{BT}/Auth/connect/token"))).form(&form).send().await.unwrap().status()
        }
    };
    assert_eq!((token(first).await, token(second).await), (reqwest::StatusCode::UNAUTHORIZED, reqwest::StatusCode::OK));
    assert_eq!(
        with_cookie(srv, reqwest::Method::POST, &format!("/Users/{id}/RecycleClientSecret"), &cookie).await.status(),
        400
    );
    let r = put(json!({"UserName": "x"})).await;
    assert_eq!(r.status(), 400);

    // Delete for good: 200, then 404.
    let before = user_total(srv).await;
    assert_eq!(with_cookie(srv, reqwest::Method::DELETE, &format!("/Users/{id}"), &cookie).await.status(), 200);
    assert_eq!(user_total(srv).await, before - 1);
    assert_eq!(with_cookie(srv, reqwest::Method::GET, &format!("/Users/{id}"), &cookie).await.status(), 404);
    assert_eq!(with_cookie(srv, reqwest::Method::DELETE, &format!("/Users/{id}"), &cookie).await.status(), 404);
});

async fn group_total(srv: &TestServer) -> u64 {
    expect(srv.get("/api/v1/groups?count=true&limit=1").await, 200).await["total"].as_u64().unwrap()
}

both!(user_groups_and_memberships, |srv: &TestServer| async move {
    let cookie = admin_session(srv).await;
    let post = |path: &str, body: Value| {
        let (url, cookie) = (srv.url(&format!("{BT}{path}")), cookie.clone());
        async move { srv.client.post(url).header("cookie", cookie).json(&body).send().await.unwrap() }
    };
    let before = group_total(srv).await;
    assert_eq!(post("/UserGroups", json!({"groupType": "BeyondInsight"})).await.status(), 400, "groupName is required");
    assert_eq!(post("/UserGroups", json!({"groupType": "Sideways", "groupName": "x"})).await.status(), 400);
    assert_eq!(group_total(srv).await, before);
    let ops = expect(
        post(
            "/UserGroups",
            json!({"groupType": "BeyondInsight", "groupName": "ops", "description": "Operations", "isActive": true}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        (ops["Name"].as_str(), ops["GroupType"].as_str(), ops["IsActive"].as_bool()),
        (Some("ops"), Some("BeyondInsight"), Some(true))
    );
    let gid = ops["GroupID"].as_i64().unwrap();
    let listed = expect(with_cookie(srv, reqwest::Method::GET, "/UserGroups", &cookie).await, 200).await;
    assert_eq!(listed, json!([ops]));
    assert_eq!(expect(with_cookie(srv, reqwest::Method::GET, "/usergroups?name=ops", &cookie).await, 200).await, ops);
    assert_eq!(with_cookie(srv, reqwest::Method::GET, "/UserGroups?name=none", &cookie).await.status(), 404);

    // A user made in the group (201), and a bad one that makes nothing.
    let users_before = user_total(srv).await;
    let r = post(&format!("/UserGroups/{gid}/Users"), json!({"UserName": "kim", "FirstName": "Kim"})).await;
    assert_eq!(r.status(), 400);
    assert_eq!(user_total(srv).await, users_before);
    let kim = json!({"UserName": "kim", "FirstName": "Kim", "EmailAddress": "kim@example.com", "Password": "orbit-lantern-quartz-9"});
    let kim = expect(post(&format!("/UserGroups/{gid}/Users"), kim).await, 201).await;
    let members =
        expect(with_cookie(srv, reqwest::Method::GET, &format!("/UserGroups/{gid}/Users"), &cookie).await, 200).await;
    assert_eq!(members, json!([kim]));

    // Another user joins and leaves.
    let lee = expect(post("/Users", json!({"UserName": "lee", "FirstName": "Lee", "EmailAddress": "lee@example.com", "Password": "orbit-lantern-quartz-9"})).await, 201).await;
    let lid = lee["UserID"].as_i64().unwrap();
    assert_eq!(
        expect(with_cookie(srv, reqwest::Method::GET, &format!("/Users/{lid}/UserGroups"), &cookie).await, 200).await,
        json!([]),
        "a new user is in no group"
    );
    assert_eq!(post(&format!("/Users/{lid}/UserGroups/{gid}"), json!({})).await.status(), 201);
    assert_eq!(
        expect(with_cookie(srv, reqwest::Method::GET, &format!("/Users/{lid}/UserGroups"), &cookie).await, 200).await,
        json!([ops])
    );
    assert_eq!(
        with_cookie(srv, reqwest::Method::DELETE, &format!("/Users/{lid}/UserGroups/{gid}"), &cookie).await.status(),
        200
    );
    assert_eq!(
        with_cookie(srv, reqwest::Method::DELETE, &format!("/Users/{lid}/UserGroups/{gid}"), &cookie).await.status(),
        404
    );
    assert_eq!(
        with_cookie(srv, reqwest::Method::GET, &format!("/Users/{lid}/UserGroups/999"), &cookie).await.status(),
        405
    );

    // Removed by name, then gone.
    assert_eq!(with_cookie(srv, reqwest::Method::DELETE, "/UserGroups?name=ops", &cookie).await.status(), 200);
    assert_eq!(with_cookie(srv, reqwest::Method::GET, &format!("/UserGroups/{gid}"), &cookie).await.status(), 404);
    let again = expect(post("/UserGroups", json!({"groupName": "tmp"})).await, 201).await;
    assert_eq!(
        with_cookie(srv, reqwest::Method::DELETE, &format!("/UserGroups/{}", again["GroupID"]), &cookie).await.status(),
        200
    );

    // A group that follows a directory group is synchronised when its users are listed.
    let Some(ldap) = roster_testkit::directory_env("ROSTER_TEST_LDAP_ENV") else { return };
    expect(srv.post("/api/v1/directories", &crate::directories::connection(&ldap, "LDAP", "starttls")).await, 201)
        .await;
    let before = group_total(srv).await;
    let missing = format!("cn=nosuch,ou=groups,{}", ldap["LDAP_BASE"]);
    let r =
        post("/UserGroups", json!({"groupType": "LdapDirectory", "groupName": missing, "hostName": "127.0.0.1"})).await;
    assert_eq!(r.status(), 404);
    assert_eq!(group_total(srv).await, before, "nothing made for a group the directory lacks");
    let dn = format!("cn=engineers,ou=groups,{}", ldap["LDAP_BASE"]);
    let eng = expect(
        post("/UserGroups", json!({"groupType": "LdapDirectory", "groupName": dn, "hostName": "127.0.0.1"})).await,
        201,
    )
    .await;
    assert_eq!(
        (eng["Name"].as_str(), eng["GroupType"].as_str(), eng["DistinguishedName"].as_str()),
        (Some("engineers"), Some("LdapDirectory"), Some(dn.as_str()))
    );
    let members = expect(
        with_cookie(srv, reqwest::Method::GET, &format!("/UserGroups/{}/Users", eng["GroupID"]), &cookie).await,
        200,
    )
    .await;
    let names: Vec<&str> = members.as_array().unwrap().iter().map(|u| u["UserName"].as_str().unwrap()).collect();
    assert_eq!(names, ["ada", "grace"]);
});

#[tokio::test]
async fn the_dialect_documents_its_routes() {
    let srv = TestServer::start(roster_testkit::Backend::Sqlite).await.unwrap();
    let doc = expect(srv.client.get(srv.url("/compat/beyondtrust/openapi.json")).send().await.unwrap(), 200).await;
    assert_eq!(doc["servers"][0]["url"], BT);
    let mut paths: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/Auth/SignAppin",
            "/Auth/Signout",
            "/Auth/connect/token",
            "/UserGroups",
            "/UserGroups/{id}",
            "/UserGroups/{id}/Users",
            "/Users",
            "/Users/{id}",
            "/Users/{id}/Quarantine",
            "/Users/{id}/RecycleClientSecret",
            "/Users/{id}/UserGroups",
            "/Users/{id}/UserGroups/{groupId}",
        ]
    );
    // Every documented operation is routed (answers something other than 404 without a session).
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|m| *m != "parameters") {
            let url = srv.url(&format!("{BT}{}", path.replace("{id}", "1").replace("{groupId}", "1")));
            let r = srv.client.request(method.to_uppercase().parse().unwrap(), url).send().await.unwrap();
            assert_ne!(r.status(), 404, "{method} {path}");
        }
    }
    srv.stop().await;
}

both!(every_endpoint_over_a_bearer_session, |srv: &TestServer| async move {
    // An application user signs in with client credentials; its session carries on by cookie,
    // and the bearer token alone works as well.
    let app = srv.user(json!({"user_name": "automation", "kind": "application"})).await;
    let app_id = app["id"].as_str().unwrap();
    expect(srv.put(&format!("/api/v1/users/{app_id}/roles/super-admin"), &json!({})).await, 200).await;
    let secret = expect(srv.post(&format!("/api/v1/users/{app_id}/client-secret"), &json!({})).await, 200).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app_id),
        ("client_secret", secret["client_secret"].as_str().unwrap()),
    ];
    let r = srv.client.post(srv.url(&format!("{BT}/auth/connect/token"))).form(&form).send().await.unwrap();
    let bearer = expect(r, 200).await["access_token"].as_str().unwrap().to_owned();
    let cookie = session_cookie(&sign_in(srv, &format!("Bearer {bearer}")).await);
    let call = |method: reqwest::Method, path: String, body: Option<Value>, use_cookie: bool| {
        let mut req = srv.client.request(method, srv.url(&format!("{BT}{path}")));
        req = if use_cookie { req.header("cookie", cookie.clone()) } else { req.bearer_auth(&bearer) };
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move { req.send().await.unwrap() }
    };
    use reqwest::Method as M;
    for use_cookie in [true, false] {
        let n = if use_cookie { "c" } else { "b" };
        let user = json!({"UserName": format!("u-{n}"), "FirstName": "U", "EmailAddress": format!("u-{n}@example.com"), "Password": "orbit-lantern-quartz-9"});
        let u = expect(call(M::POST, "/Users".into(), Some(user), use_cookie).await, 201).await;
        let uid = u["UserID"].as_i64().unwrap();
        expect(call(M::GET, "/Users".into(), None, use_cookie).await, 200).await;
        expect(call(M::GET, format!("/Users/{uid}"), None, use_cookie).await, 200).await;
        let put = json!({"UserName": format!("v-{n}"), "FirstName": "V", "EmailAddress": format!("v-{n}@example.com")});
        assert_eq!(
            expect(call(M::PUT, format!("/Users/{uid}"), Some(put), use_cookie).await, 200).await["UserName"],
            format!("v-{n}")
        );
        let g = expect(
            call(M::POST, "/UserGroups".into(), Some(json!({"groupName": format!("g-{n}")})), use_cookie).await,
            201,
        )
        .await;
        let gid = g["GroupID"].as_i64().unwrap();
        expect(call(M::POST, format!("/Users/{uid}/UserGroups/{gid}"), None, use_cookie).await, 201).await;
        assert_eq!(
            expect(call(M::GET, format!("/Users/{uid}/UserGroups"), None, use_cookie).await, 200).await,
            json!([g])
        );
        let member = json!({"UserName": format!("w-{n}"), "FirstName": "W", "EmailAddress": format!("w-{n}@example.com"), "Password": "orbit-lantern-quartz-9"});
        expect(call(M::POST, format!("/UserGroups/{gid}/Users"), Some(member), use_cookie).await, 201).await;
        assert_eq!(
            expect(call(M::GET, format!("/UserGroups/{gid}/Users"), None, use_cookie).await, 200)
                .await
                .as_array()
                .unwrap()
                .len(),
            2
        );
        expect(call(M::GET, format!("/UserGroups/{gid}"), None, use_cookie).await, 200).await;
        expect(call(M::GET, format!("/UserGroups?name=g-{n}"), None, use_cookie).await, 200).await;
        assert_eq!(call(M::DELETE, format!("/Users/{uid}/UserGroups/{gid}"), None, use_cookie).await.status(), 200);
        let bot = json!({"UserType": "Application", "UserName": format!("bot-{n}"), "AccessPolicyID": 1});
        let bot = expect(call(M::POST, "/Users".into(), Some(bot), use_cookie).await, 201).await;
        let policy = expect(srv.post("/api/v1/access-policies", &json!({"name": format!("p-{n}")})).await, 201).await;
        let put = json!({"UserName": format!("robot-{n}"), "AccessPolicyID": policy["number"]});
        let moved = expect(call(M::PUT, format!("/Users/{}", bot["UserID"]), Some(put), use_cookie).await, 200).await;
        assert_eq!(
            (moved["UserName"].as_str(), moved["AccessPolicyID"].as_i64()),
            (Some(format!("robot-{n}").as_str()), policy["number"].as_i64())
        );
        expect(call(M::POST, format!("/Users/{}/RecycleClientSecret", bot["UserID"]), None, use_cookie).await, 201)
            .await;
        assert_eq!(
            expect(call(M::POST, format!("/Users/{uid}/Quarantine"), None, use_cookie).await, 201).await
                ["IsQuarantined"],
            true
        );
        // The secrets rule: the only owner of a secret cannot be deleted.
        let native_id = expect(srv.get(&format!("/api/v1/users?filter=number%20eq%20{uid}")).await, 200).await["items"]
            [0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let kept = expect(
            srv.post("/api/v1/secrets", &json!({"name": format!("s-{n}"), "value": "v", "owners": [native_id]})).await,
            201,
        )
        .await;
        let r = call(M::DELETE, format!("/Users/{uid}"), None, use_cookie).await;
        assert_eq!(r.status(), 409);
        assert!(r.text().await.unwrap().contains("only owner of 1 secret"));
        expect(srv.delete(&format!("/api/v1/secrets/{}", kept["id"].as_str().unwrap())).await, 204).await;
        assert_eq!(call(M::DELETE, format!("/Users/{uid}"), None, use_cookie).await.status(), 200);
        assert_eq!(call(M::DELETE, format!("/UserGroups?name=g-{n}"), None, use_cookie).await.status(), 200);
        let again = expect(
            call(M::POST, "/UserGroups".into(), Some(json!({"groupName": format!("h-{n}")})), use_cookie).await,
            201,
        )
        .await;
        assert_eq!(call(M::DELETE, format!("/UserGroups/{}", again["GroupID"]), None, use_cookie).await.status(), 200);
    }
    // Sign-out with the cookie alone ends the session (and the token it was opened with).
    assert_eq!(call(M::POST, "/Auth/Signout".into(), None, true).await.status(), 200);
    assert_eq!(call(M::GET, "/Users".into(), None, true).await.status(), 401);
    assert_eq!(call(M::GET, "/Users".into(), None, false).await.status(), 401);
});
