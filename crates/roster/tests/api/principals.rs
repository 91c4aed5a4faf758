//! `/api/v1/principals`: users and groups together.

use crate::*;

both!(users_and_groups_together, |srv: &TestServer| async move {
    srv.user(json!({"user_name": "zed", "display_name": "Zed"})).await;
    srv.user(json!({"user_name": "amy"})).await;
    srv.group("Mid").await;
    let all = expect(srv.get("/api/v1/principals?sort=name&count=true").await, 200).await;
    assert_eq!(names(&all, "name"), ["amy", "Mid", "zed"]);
    assert_eq!(all["total"], 3);
    let kinds = names(&all, "kind");
    assert_eq!(kinds, ["user", "group", "user"]);
    let groups = expect(srv.get(&format!("/api/v1/principals?filter={}", q(r#"kind eq "group""#))).await, 200).await;
    assert_eq!(names(&groups, "name"), ["Mid"]);
    let page1 = expect(srv.get("/api/v1/principals?sort=-name&limit=2").await, 200).await;
    assert_eq!(names(&page1, "name"), ["zed", "Mid"]);
    let c = page1["next_cursor"].as_str().unwrap();
    let page2 = expect(srv.get(&format!("/api/v1/principals?sort=-name&limit=2&cursor={c}")).await, 200).await;
    assert_eq!(names(&page2, "name"), ["amy"]);
    assert!(page2.get("next_cursor").is_none());
    expect_problem(
        srv.get(&format!("/api/v1/principals?filter={}", q(r#"user_name eq "amy""#))).await,
        400,
        "filter.invalid",
    )
    .await;
});
