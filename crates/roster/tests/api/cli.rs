//! The `roster` binary: first start, the bootstrap key, and the commands an operator runs.

use crate::*;
use std::process::{Command, Stdio};

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
    let dir = std::env::temp_dir().join(format!("roster-cli-{}", uuid::Uuid::new_v4().simple()));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let server = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(["serve", "--listen", &listen])
        .env("ROSTER_DATA_DIR", &dir)
        .env_remove("ROSTER_DATABASE_URL")
        .env_remove("ROSTER_BOOTSTRAP_API_KEY")
        .env("ROSTER_LOG_FORMAT", "json")
        .stdout(Stdio::null())
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
