//! `/api/v1/groups/{id}`: the group verbs.

use crate::*;

both!(lifecycle, |srv: &TestServer| async move {
    let g = srv.group("Engineering").await;
    let path = format!("/api/v1/groups/{}", g["id"].as_str().unwrap());
    assert_eq!(g["system"], false);
    assert_eq!(g["version"], 1);
    expect_problem(srv.post("/api/v1/groups", &json!({"name": "engineering"})).await, 409, "conflict.unique").await;
    let put = expect(srv.put(&path, &json!({"name": "Engineering", "description": "builds things"})).await, 200).await;
    assert_eq!(put["description"], "builds things");
    let patched = expect(
        srv.patch(&path, "application/json-patch+json", &json!([{"op": "replace", "path": "/name", "value": "Eng"}]))
            .await,
        200,
    )
    .await;
    assert_eq!(patched["name"], "Eng");
    let merged =
        expect(srv.patch(&path, "application/merge-patch+json", &json!({"display_name": "E"})).await, 200).await;
    assert_eq!(merged["display_name"], "E");
    assert_eq!(merged["version"], 4);
    let list = expect(srv.get(&format!("/api/v1/groups?filter={}", q(r#"name eq "ENG""#))).await, 200).await;
    assert_eq!(ids(&list), vec![g["id"].as_str().unwrap().to_owned()]);
    expect(srv.delete(&path).await, 200).await;
    assert!(ids(&expect(srv.get("/api/v1/groups").await, 200).await).is_empty());
    expect(srv.post(&format!("{path}/restore"), &json!(null)).await, 200).await;
    assert_eq!(srv.req(reqwest::Method::DELETE, &format!("{path}?permanent=true")).send().await.unwrap().status(), 204);
    expect_problem(srv.get(&path).await, 404, "group.not_found").await;
});
