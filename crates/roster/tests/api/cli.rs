//! The `roster` binary: first start, the bootstrap key, and the commands an operator runs.

use crate::*;
use std::process::{Command, Stdio};

/// `roster serve` on a data dir and port, with a bootstrap key when given; output discarded
/// unless the caller says otherwise.
fn serve(data_dir: &std::path::Path, port: u16, key: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_roster"));
    c.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("ROSTER_DATA_DIR", data_dir)
        .env_remove("ROSTER_DATABASE_URL")
        .env("ROSTER_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match key {
        Some(k) => c.env("ROSTER_BOOTSTRAP_API_KEY", k),
        None => c.env_remove("ROSTER_BOOTSTRAP_API_KEY"),
    };
    c
}

/// A fresh data dir and a free port of 127.0.0.1.
fn fresh_place(prefix: &str) -> (std::path::PathBuf, u16) {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (dir, l.local_addr().unwrap().port())
}

fn roster(data_dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(args)
        .env("ROSTER_DATA_DIR", data_dir)
        .env_remove("ROSTER_DATABASE_URL")
        .env_remove("ROSTER_BOOTSTRAP_API_KEY")
        .env("ROSTER_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn operator_commands_and_first_start() {
    let (dir, port) = fresh_place("roster-cli");
    let listen = format!("127.0.0.1:{port}");
    let server = serve(&dir, port, None)
        .env("ROSTER_LOG_FORMAT", "json")
        .env("ROSTER_LOG_LEVEL", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://{listen}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "the server did not become ready");
    let (ok, out, _) = roster(&dir, &["healthcheck", "--url", &base]);
    assert!(ok && out.contains("ready"));

    // A second key made by the CLI works against the running server; the user made by the CLI shows up.
    let (ok, key, err) = roster(&dir, &["apikey", "create", "--tenant", "default", "--name", "ops"]);
    assert!(ok, "{err}");
    let key = key.trim().to_owned();
    assert!(key.starts_with("roster_") && err.contains("shown this once"));
    let (ok, user, err) = roster(&dir, &["user", "create", "--user-name", "from-cli", "--email", "cli@example.com"]);
    assert!(ok, "{err}");
    let user: Value = serde_json::from_str(&user).unwrap();
    let got = client
        .get(format!("{base}/api/v1/users/{}", user["id"].as_str().unwrap()))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(expect(got, 200).await["user_name"], "from-cli");
    // A long key, for clients that want 128 to 263 characters, works the same.
    let (ok, long, err) = roster(&dir, &["apikey", "create", "--name", "ps", "--format", "ps-auth"]);
    assert!(ok, "{err}");
    let long = long.trim().to_owned();
    assert!((128..=263).contains(&long.len()), "{}", long.len());
    let me = client.get(format!("{base}/api/v1/users")).bearer_auth(&long).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let (ok, list, _) = roster(&dir, &["user", "list", "--filter", r#"email ew "example.com""#]);
    assert!(ok);
    assert_eq!(serde_json::from_str::<Value>(&list).unwrap()["items"].as_array().unwrap().len(), 1);
    let (ok, group, _) = roster(&dir, &["group", "create", "ops"]);
    assert!(ok);
    let gid = serde_json::from_str::<Value>(&group).unwrap()["id"].as_str().unwrap().to_owned();
    let (ok, _, err) = roster(&dir, &["group", "add-member", &gid, "--user", user["id"].as_str().unwrap()]);
    assert!(ok && err.contains("added"), "{err}");
    let (ok, _, err) = roster(&dir, &["user", "list", "--filter", r#"nick eq "x""#]);
    assert!(!ok && err.contains("nick"), "{err}");

    // Revoking the key locks it out at once.
    let (_, keys, _) = roster(&dir, &["apikey", "list"]);
    let keys: Value = serde_json::from_str(&keys).unwrap();
    let ops = keys.as_array().unwrap().iter().find(|k| k["name"] == "ops").unwrap()["id"].as_str().unwrap().to_owned();
    let (ok, _, _) = roster(&dir, &["apikey", "revoke", &ops]);
    assert!(ok);
    let refused = client.get(format!("{base}/api/v1/users")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(refused.status(), 401);

    // The first start printed the generated key once, on stderr, and it works; the JSON log never holds it.
    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let out = server.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let printed = stderr.lines().map(str::trim).find(|l| l.starts_with("roster_")).unwrap().to_owned();
    assert!(
        stderr.lines().filter(|l| l.starts_with('{')).all(|l| !l.contains(&printed)),
        "the key leaked into the log"
    );
    let (ok, keys, _) = roster(&dir, &["apikey", "list"]);
    assert!(ok && keys.contains("bootstrap") && !keys.contains(&printed));

    // Signing keys: a rotation retires the old key (it still verifies), pruning removes it.
    let list = |dir| serde_json::from_str::<Value>(&roster(dir, &["signing-key", "list"]).1).unwrap();
    let before = list(&dir);
    assert_eq!(before.as_array().unwrap().len(), 1);
    let (ok, _, err) = roster(&dir, &["signing-key", "rotate"]);
    assert!(ok, "{err}");
    let after = list(&dir);
    let after = after.as_array().unwrap();
    assert_eq!(after.len(), 2);
    assert!(after[0]["retired"].is_null() && after[1]["retired"].is_string(), "{after:?}");
    assert_eq!(after[1]["kid"], before[0]["kid"]);
    assert!(!after[0].to_string().contains("private"), "only public halves are listed");
    let (ok, _, err) = roster(&dir, &["signing-key", "prune", "--retired-hours", "0"]);
    assert!(ok && err.contains("removed 1"), "{err}");
    assert_eq!(list(&dir).as_array().unwrap().len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn openapi_command_prints_the_served_document() {
    let (ok, out, _) = roster(&std::env::temp_dir(), &["openapi"]);
    assert!(ok);
    let printed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed, serde_json::to_value(roster_http::openapi()).unwrap());
}

#[tokio::test]
async fn the_secret_key_rotates_while_the_server_runs() {
    let (dir, port) = fresh_place("roster-rotate");
    let base = format!("http://127.0.0.1:{port}");
    let key = "roster_rotation_test_key_0123456789abcdef";
    let mut server = serve(&dir, port, Some(key)).spawn().unwrap();
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let post = |path: &str, body: Value| client.post(format!("{base}{path}")).bearer_auth(key).json(&body).send();
    let ann = expect(post("/api/v1/users", json!({"user_name": "ann"})).await.unwrap(), 201).await;
    let secret = post("/api/v1/secrets", json!({"name": "db", "value": "hunter2", "owners": [ann["id"]]}));
    let secret = expect(secret.await.unwrap(), 201).await["id"].as_str().unwrap().to_owned();
    // Only owners read a value: ann signs in (her token outlives the rotation).
    let ann_id = ann["id"].as_str().unwrap();
    let set = post(&format!("/api/v1/users/{ann_id}/password"), json!({"password": PASSWORD}));
    assert_eq!(set.await.unwrap().status(), 204);
    let signed =
        client.post(format!("{base}/api/v1/auth/login")).json(&json!({"username": "ann", "password": PASSWORD}));
    let token = expect(signed.send().await.unwrap(), 200).await["access_token"].as_str().unwrap().to_owned();
    let read = || client.get(format!("{base}/api/v1/secrets/{secret}/value")).bearer_auth(&token).send();
    assert_eq!(expect(read().await.unwrap(), 200).await["value"], "hunter2");

    // Rotate: a second key comes first, and the secret and the signing key are sealed under it.
    let key_file = dir.join("secret.key");
    let before = std::fs::read_to_string(&key_file).unwrap();
    let (ok, out, err) = roster(&dir, &["secret-key", "rotate"]);
    assert!(ok, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((report["resealed"].as_u64(), report["left"].as_u64()), (Some(2), Some(0)), "{report}");
    let lines: Vec<String> = std::fs::read_to_string(&key_file).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1], before.trim(), "the earlier key still opens");
    // The running server, which read only the earlier key, rereads the file and opens it.
    assert_eq!(expect(read().await.unwrap(), 200).await["value"], "hunter2");
    // Again: nothing left under an earlier key; prune drops it, and everything still opens.
    let (ok, out, err) = roster(&dir, &["secret-key", "prune"]);
    assert!(ok && err.contains("dropped 1"), "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["resealed"], 0);
    let lines: Vec<String> = std::fs::read_to_string(&key_file).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(lines, [lines[0].clone()]);
    assert_ne!(lines[0], before.trim());
    assert_eq!(expect(read().await.unwrap(), 200).await["value"], "hunter2");
    // A server started afresh on the pruned file signs tokens and opens the secret.
    let _ = server.kill();
    let _ = server.wait();
    let mut server = serve(&dir, port, Some(key)).spawn().unwrap();
    let mut value = None;
    for _ in 0..100 {
        if let Ok(r) = read().await {
            value = Some(expect(r, 200).await["value"].clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(value, Some(json!("hunter2")));
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
