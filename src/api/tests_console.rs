//! The staff console's routes: ticket detail and history, returns and their state machine, the
//! shopper's return status, CSAT per conversation, unanswered questions and ranged analytics.

use super::*;

fn with_token(mut request: ApiRequest, token: &str) -> ApiRequest {
    request.authorization = Some(format!("Bearer {token}"));
    request
}

fn patch(h: &Harness, path: &str, token: &str, body: Value) -> ApiResponse {
    h.send(with_token(
        ApiRequest::new("PATCH", path).with_json(&body.to_string()),
        token,
    ))
}

fn ticket_with_transcript(h: &Harness) -> String {
    let created = h.post(
        "/v1/escalations",
        json!({
            "session_id": "s-42", "email": "ada@example.com", "topic": "Sizing",
            "message": "Which size?",
            "transcript": [
                {"role": "shopper", "text": "do you resize rings", "at": "2026-11-25T11:59:00.120Z"},
                {"role": "concierge", "text": "Rings can be resized within 60 days."},
            ],
        }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    created.json_body()["ticket_id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn me_names_the_caller_of_each_token() {
    let h = Harness::new();
    for (token, role) in [
        ("sup", "support"),
        ("mer", "merchandiser"),
        ("adm", "admin"),
    ] {
        let me = admin_get(&h, "/v1/admin/me", token);
        assert_eq!(me.status, 200);
        assert_eq!(
            me.json_body(),
            json!({"actor": format!("token:{role}"), "role": role, "via": "token"})
        );
    }
    assert_eq!(h.get("/v1/admin/me").status, 401);
}

#[test]
fn a_ticket_is_worked_from_open_to_resolved_with_an_append_only_history() {
    let h = Harness::new();
    let id = ticket_with_transcript(&h);
    let path = format!("/v1/admin/tickets/{id}");
    let detail = admin_get(&h, &path, "sup").json_body();
    assert_eq!(detail["ticket"]["assignee"], Value::Null);
    assert_eq!(detail["transcript"][0]["at"], "2026-11-25T11:59:00Z");
    assert_eq!(detail["transcript"][1]["role"], "concierge");
    assert_eq!(detail["transcript"][1]["at"], Value::Null);
    assert_eq!(detail["events"][0]["kind"], "created");
    assert_eq!(detail["events"][0]["actor"], "shopper");
    assert_eq!(detail["csat"], Value::Null);

    let r = patch(
        &h,
        &path,
        "sup",
        json!({"assignee": "Maya", "note": "asked for size", "status": "pending"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = patch(&h, &path, "sup", json!({"note": "sizer sent"}));
    assert_eq!(r.status, 200);
    let body = patch(&h, &path, "adm", json!({"status": "resolved"})).json_body();
    assert_eq!(body["ticket"]["status"], "resolved");
    assert_eq!(body["ticket"]["assignee"], "Maya");
    assert_eq!(body["ticket"]["note"], "sizer sent");
    let events = body["events"].as_array().cloned().unwrap_or_default();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["created", "status", "assigned", "note", "note", "status"]
    );
    assert_eq!(events[2]["assignee"], "Maya");
    assert_eq!(events[3]["note"], "asked for size");
    assert_eq!(events[4]["note"], "sizer sent");
    assert_eq!(events[1]["actor"], "token:support");
    assert_eq!(events[5]["actor"], "token:admin");
    // An unchanged status adds nothing; unassigning is an event with a null assignee.
    let body = patch(
        &h,
        &path,
        "sup",
        json!({"status": "resolved", "assignee": null}),
    )
    .json_body();
    let events = body["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(events.len(), 7);
    assert_eq!(events[6]["kind"], "assigned");
    assert_eq!(events[6]["assignee"], Value::Null);
    assert_eq!(body["ticket"]["assignee"], Value::Null);

    // The list filters by assignee.
    patch(&h, &path, "sup", json!({"assignee": "Maya"}));
    let listed =
        admin_get(&h, "/v1/admin/tickets?assignee=Maya&status=resolved", "sup").json_body();
    assert_eq!(listed["count"], 1);
    let listed = admin_get(&h, "/v1/admin/tickets?assignee=Noor", "sup").json_body();
    assert_eq!(listed["count"], 0);
}

#[test]
fn bad_ticket_changes_and_transcripts_are_4xx_at_their_field() {
    let mut h = Harness::new();
    h.config.rate_limit_scale = 100;
    let id = ticket_with_transcript(&h);
    let path = format!("/v1/admin/tickets/{id}");
    for (body, field) in [
        (json!({}), "status"),
        (json!({"status": "done"}), "status"),
        (json!({"assignee": 7}), "assignee"),
        (json!({"assignee": "x".repeat(121)}), "assignee"),
        (json!({"note": "a\u{202E}b"}), "note"),
        (json!({"colour": "red"}), "colour"),
    ] {
        let (status, _, f) = error_of(&patch(&h, &path, "sup", body.clone()));
        assert_eq!((status, f), (422, json!(field)), "{body}");
    }
    assert_eq!(
        patch(
            &h,
            "/v1/admin/tickets/TCK-nope",
            "sup",
            json!({"note": "x"})
        )
        .status,
        404
    );
    assert_eq!(
        admin_get(&h, "/v1/admin/tickets/TCK-nope", "sup").status,
        404
    );
    assert_eq!(admin_get(&h, &path, "mer").status, 403);

    let line = json!({"role": "shopper", "text": "hi"});
    let many: Vec<Value> = (0..51).map(|_| line.clone()).collect();
    for (transcript, field) in [
        (json!(many), "transcript"),
        (json!("hi"), "transcript"),
        (json!([{"role": "bot", "text": "hi"}]), "transcript[0].role"),
        (
            json!([line, {"role": "shopper", "text": ""}]),
            "transcript[1].text",
        ),
        (
            json!([{"role": "shopper", "text": "x".repeat(1001)}]),
            "transcript[0].text",
        ),
        (
            json!([{"role": "shopper", "text": "hi", "at": "yesterday"}]),
            "transcript[0].at",
        ),
        (
            json!([{"role": "shopper", "text": "hi", "at": "2026-13-01T00:00:00Z"}]),
            "transcript[0].at",
        ),
        (
            json!([{"role": "shopper", "text": "hi", "at": " 2026-11-01T00:00:00Z"}]),
            "transcript[0].at",
        ),
        // Multi-byte text where the time's fields would be must not panic.
        (
            json!([{"role": "shopper", "text": "hi", "at": "éééééééééééééééééééééé"}]),
            "transcript[0].at",
        ),
        (
            json!([{"role": "shopper", "text": "hi", "at": "2026-11-01T00:00:0éZ"}]),
            "transcript[0].at",
        ),
        (
            json!([{"role": "shopper", "text": "hi", "who": "me"}]),
            "transcript[0].who",
        ),
        (json!([7]), "transcript[0]"),
    ] {
        let r = h.post(
            "/v1/escalations",
            json!({"session_id": "s1", "email": "ada@example.com", "topic": "t", "message": "m", "transcript": transcript}),
        );
        assert_eq!(error_of(&r).0, 422, "{}", r.body);
        assert_eq!(error_of(&r).2, json!(field), "{}", r.body);
    }
}

fn new_return(h: &Harness, kind: &str) -> String {
    let mut body = json!({"order_number": "AUR-100001", "email": "Ada@Example.com", "sku": "RG-1", "kind": kind, "reason": "Too small"});
    if kind == "resize" {
        body["ring_size"] = json!(7);
    }
    let r = h.post("/v1/returns", body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.json_body()["return_id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_return_moves_through_its_states_and_the_shopper_sees_each() {
    let h = Harness::new();
    let id = new_return(&h, "return");
    let path = format!("/v1/admin/returns/{id}");
    let listed = admin_get(&h, "/v1/admin/returns?status=requested", "sup").json_body();
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["returns"][0]["email"], "ada@example.com");
    assert_eq!(listed["returns"][0]["decision_reason"], Value::Null);
    let status = |email: &str| {
        h.post(
            "/v1/returns/status",
            json!({"return_id": id, "email": email}),
        )
    };
    assert_eq!(status("ADA@example.com").json_body()["status"], "requested");

    // Steps out of order are 409 invalid_transition; a denial needs a reason.
    let (code, name, _) = error_of(&patch(&h, &path, "sup", json!({"action": "receive"})));
    assert_eq!((code, name.as_str()), (409, "invalid_transition"));
    let (code, _, field) = error_of(&patch(&h, &path, "sup", json!({"action": "deny"})));
    assert_eq!((code, field), (422, json!("reason")));
    let (code, _, field) = error_of(&patch(&h, &path, "sup", json!({"action": "refund"})));
    assert_eq!((code, field), (422, json!("action")));

    let approved = patch(
        &h,
        &path,
        "sup",
        json!({"action": "approve", "reason": "within 30 days", "note": "label emailed"}),
    );
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.json_body()["return"]["status"], "approved");
    let seen = status("ada@example.com").json_body();
    assert_eq!(seen["status"], "approved");
    assert_eq!(seen["decision_reason"], "within 30 days");
    assert_eq!(
        patch(&h, &path, "adm", json!({"action": "receive"})).status,
        200
    );
    let done = patch(&h, &path, "sup", json!({"action": "complete"})).json_body();
    assert_eq!(done["return"]["status"], "refunded");
    let events = done["events"].as_array().cloned().unwrap_or_default();
    let steps: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["status"].as_str().unwrap_or(""),
                e["actor"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("requested", "shopper"),
            ("approved", "token:support"),
            ("received", "token:admin"),
            ("refunded", "token:support"),
        ]
    );
    assert_eq!(events[1]["note"], "label emailed");
    assert_eq!(status("ada@example.com").json_body()["status"], "refunded");
    assert_eq!(
        error_of(&patch(&h, &path, "sup", json!({"action": "complete"}))).1,
        "invalid_transition"
    );
    assert_eq!(admin_get(&h, &path, "mer").status, 403);
    assert_eq!(
        admin_get(&h, "/v1/admin/returns/RET-nope", "sup").status,
        404
    );
}

#[test]
fn a_resize_completes_as_resized_and_a_denial_keeps_its_reason() {
    let h = Harness::new();
    let resize = new_return(&h, "resize");
    let path = format!("/v1/admin/returns/{resize}");
    for action in ["approve", "receive", "complete"] {
        patch(&h, &path, "sup", json!({"action": action}));
    }
    assert_eq!(
        admin_get(&h, &path, "sup").json_body()["return"]["status"],
        "resized"
    );
    let denied = new_return(&h, "exchange");
    let body = patch(
        &h,
        &format!("/v1/admin/returns/{denied}"),
        "sup",
        json!({"action": "deny", "reason": "engraved pieces are final sale"}),
    )
    .json_body();
    assert_eq!(body["return"]["status"], "denied");
    assert_eq!(
        body["return"]["decision_reason"],
        "engraved pieces are final sale"
    );
}

#[test]
fn the_return_status_check_answers_one_404_and_spends_the_lookup_budget() {
    let mut h = Harness::new();
    let id = new_return(&h, "return");
    let wrong_email = h.post(
        "/v1/returns/status",
        json!({"return_id": id, "email": "eve@example.com"}),
    );
    let unknown = h.post(
        "/v1/returns/status",
        json!({"return_id": "RET-NOPE", "email": "ada@example.com"}),
    );
    assert_eq!(wrong_email.status, 404);
    assert_eq!(wrong_email.body, unknown.body);
    let (code, _, field) = error_of(&h.post("/v1/returns/status", json!({"return_id": id})));
    assert_eq!((code, field), (422, json!("email")));

    h.lookups = MemoryBudget {
        per_client: 2,
        ..MemoryBudget::default()
    };
    let try_once = || {
        h.post(
            "/v1/returns/status",
            json!({"return_id": "RET-GUESS", "email": "ada@example.com"}),
        )
        .status
    };
    assert_eq!([try_once(), try_once(), try_once()], [404, 404, 429]);

    // A shopper route: the kill switch turns it off.
    let mut h = Harness::new();
    h.config.kill_switch_cache_ms = 0;
    block_on(h.kv.put(super::super::KILL_SWITCH_KEY, "on", 60)).unwrap_or_else(|e| panic!("{e}"));
    let off = h.post(
        "/v1/returns/status",
        json!({"return_id": "RET-1", "email": "ada@example.com"}),
    );
    assert_eq!(error_of(&off).1, "concierge_disabled");
}

#[test]
fn csat_is_taken_once_per_conversation_and_reported_per_day_with_comments() {
    let h = Harness::new();
    let rate = |body: Value| h.post("/v1/csat", body);
    assert_eq!(
        rate(json!({"session_id": "s-1", "score": 4, "comment": "quick answers"})).status,
        201
    );
    assert_eq!(
        error_of(&rate(json!({"session_id": "s-1", "score": 5}))).1,
        "already_exists"
    );
    assert_eq!(
        error_of(&rate(
            json!({"session_id": "s-1", "ticket_id": "TCK-1", "score": 5})
        ))
        .2,
        json!("session_id")
    );
    assert_eq!(error_of(&rate(json!({"score": 5}))).2, json!("ticket_id"));
    assert_eq!(
        error_of(&rate(json!({"session_id": "s 2", "score": 5}))).2,
        json!("session_id")
    );
    let id = ticket_with_transcript(&h);
    assert_eq!(
        rate(json!({"ticket_id": id, "score": 2, "comment": "slow"})).status,
        201
    );
    assert_eq!(rate(json!({"session_id": "s-2", "score": 5.0})).status, 201);
    let detail = admin_get(&h, &format!("/v1/admin/tickets/{id}"), "sup").json_body();
    assert_eq!(detail["csat"]["score"], 2);

    let report = admin_get(
        &h,
        "/v1/admin/csat?from=2026-11-20&to=2026-11-25&limit=1",
        "mer",
    )
    .json_body();
    assert_eq!(report["count"], 3);
    assert_eq!(report["average"], json!(3.67));
    let days = report["by_day"].as_array().cloned().unwrap_or_default();
    assert_eq!(days.len(), 6);
    assert_eq!(days[0]["count"], 0);
    assert_eq!(days[0]["average"], Value::Null);
    assert_eq!(days[5]["day"], "2026-11-25");
    assert_eq!(
        days[5]["distribution"],
        json!({"1": 0, "2": 1, "3": 0, "4": 1, "5": 1})
    );
    assert_eq!(report["comments"].as_array().map(Vec::len), Some(1));
    let cursor = report["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let next = admin_get(
        &h,
        &format!("/v1/admin/csat?from=2026-11-20&to=2026-11-25&limit=1&cursor={cursor}"),
        "mer",
    )
    .json_body();
    assert_eq!(next["comments"].as_array().map(Vec::len), Some(1));
    assert_eq!(next["next_cursor"], Value::Null);
    let comments: Vec<&str> = [&report, &next]
        .iter()
        .filter_map(|r| r["comments"][0]["comment"].as_str())
        .collect();
    assert_eq!(comments.len(), 2);
    assert!(comments.contains(&"quick answers") && comments.contains(&"slow"));
    // Outside the range: nothing.
    let before = admin_get(&h, "/v1/admin/csat?from=2026-10-01&to=2026-10-31", "mer").json_body();
    assert_eq!(before["count"], 0);
    let (code, _, field) = error_of(&admin_get(&h, "/v1/admin/csat?from=2026-1-1", "mer"));
    assert_eq!((code, field), (422, json!("from")));
}

#[test]
fn unanswered_questions_are_kept_redacted_grouped_exported_and_purged() {
    let h = Harness::new();
    let say = |text: &str| {
        h.post("/v1/messages", json!({"session_id": "s-9", "text": text}))
            .json_body()
    };
    let secret = "Is the quokka friendly? I'm Ada, mail ada@example.com re AUR-100001";
    let first = say(secret);
    assert!(first["confidence"].as_f64().unwrap_or(1.0) < 0.6, "{first}");
    say("is the quokka friendly?  i'm Ada, mail ADA@example.com re AUR-100001");
    say("show me rose gold rings");
    let listed = admin_get(&h, "/v1/admin/unanswered", "mer");
    assert_eq!(listed.status, 200);
    let body = listed.json_body();
    assert_eq!(body["count"], 1, "{body}");
    let q = &body["questions"][0];
    assert_eq!(
        q["text"],
        "is the quokka friendly?  i'm {name}, mail {email} re {order_number}"
    );
    assert_eq!(q["count"], 2);
    assert_eq!(q["first_seen"], NOW);
    for leak in ["ada@", "100001", "Ada"] {
        assert!(!listed.body.contains(leak), "{leak} in {}", listed.body);
    }
    assert_eq!(
        admin_get(&h, "/v1/admin/unanswered?q=QUOKKA", "adm").json_body()["count"],
        1
    );
    assert_eq!(
        admin_get(&h, "/v1/admin/unanswered?q=anklet", "adm").json_body()["count"],
        0
    );
    assert_eq!(admin_get(&h, "/v1/admin/unanswered", "sup").status, 403);

    let export = admin_get(&h, "/v1/admin/unanswered/export", "mer");
    assert_eq!(export.status, 200);
    assert_eq!(
        export.header("content-type"),
        Some("text/tab-separated-values; charset=utf-8")
    );
    let rows = crate::cli::score::rows(&export.body);
    assert_eq!(rows.len(), 1);
    // Placeholders become stand-ins, so a replay classifies the question as it was asked.
    assert!(rows[0].text.contains("shopper@example.com"));
    assert!(!export.body.contains("ada@"));

    // Retention: gone once not asked for `unanswered_retention_days`.
    let days = i64::from(h.engine.thresholds().unanswered_retention_days);
    let later = h.clock.0.get() + (days + 1) * super::super::time::DAY_MS;
    let purged = block_on(super::super::purge(&h.db, later)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(purged.unanswered_questions, 1);
    assert_eq!(
        admin_get(&h, "/v1/admin/unanswered", "mer").json_body()["count"],
        0
    );
}

#[test]
fn analytics_over_a_range_has_every_day_and_the_days_add_up_to_the_totals() {
    let h = Harness::new();
    let day = super::super::time::DAY_MS;
    let start = h.clock.0.get();
    h.clock.0.set(start - 2 * day);
    h.post(
        "/v1/messages",
        json!({"session_id": "a", "text": "rose gold rings"}),
    );
    h.post(
        "/v1/messages",
        json!({"session_id": "a", "text": "zxqv blorp"}),
    );
    h.clock.0.set(start);
    h.post(
        "/v1/messages",
        json!({"session_id": "b", "text": "zxqv blorp"}),
    );
    ticket_with_transcript(&h);
    new_return(&h, "return");
    h.post("/v1/csat", json!({"session_id": "b", "score": 4}));
    let body = admin_get(
        &h,
        "/v1/admin/analytics?from=2026-11-22&to=2026-11-25",
        "mer",
    )
    .json_body();
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2026-11-22"), Some("2026-11-25"))
    );
    let days = body["days"].as_array().cloned().unwrap_or_default();
    assert_eq!(days.len(), 4);
    let total = |k: &str| days.iter().map(|d| d[k].as_i64().unwrap_or(0)).sum::<i64>();
    assert_eq!(body["messages"], 3);
    assert_eq!(total("messages"), 3);
    assert_eq!(total("unmatched"), body["unmatched"].as_i64().unwrap_or(-1));
    assert_eq!(total("escalations"), 1);
    assert_eq!(total("returns"), 1);
    assert_eq!(body["escalation_rate"], json!(0.3333));
    assert_eq!(body["csat_average"], json!(4.0));
    assert_eq!(body["returns_by_reason"], json!({"too small": 1}));
    assert_eq!(days[1]["day"], "2026-11-23");
    assert_eq!(days[1]["messages"], 2);
    assert_eq!(days[0]["messages"], 0);
    assert_eq!(days[0]["csat_average"], Value::Null);
    assert_eq!(days[3]["escalations"], 1);
    // A range before anything happened is all zeros, every day present.
    let empty = admin_get(
        &h,
        "/v1/admin/analytics?from=2026-01-01&to=2026-01-31",
        "adm",
    )
    .json_body();
    assert_eq!(empty["days"].as_array().map(Vec::len), Some(31));
    assert_eq!(empty["messages"], 0);
    assert_eq!(
        error_of(&admin_get(&h, "/v1/admin/analytics?to=tomorrow", "adm")).2,
        json!("to")
    );
}

/// Migration 0004 rebuilds `tickets` (a new status) and `csat_responses` (per session too):
/// rows written before it keep their data, get their history, and every index is back.
#[test]
fn migration_0004_keeps_existing_tickets_csat_and_returns() {
    let conn = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    conn.execute_batch("PRAGMA foreign_keys = ON")
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let read = |name: &str| {
        std::fs::read_to_string(format!("{dir}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    for name in [
        "0001_init.sql",
        "0002_domain_from_rules.sql",
        "0003_idempotency_leases.sql",
    ] {
        conn.execute_batch(&read(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    conn.execute_batch(
        "INSERT INTO orders VALUES ('AUR-100001', 'ada@example.com', 'delivered', '2026-11-01T10:00:00Z', '2026-11-10T10:00:00Z');
         INSERT INTO tickets VALUES ('TCK-OLD', 's1', 'ada@example.com', NULL, 'Sizing', 'Help', 'closed', 'called back', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z');
         INSERT INTO csat_responses VALUES ('TCK-OLD', 4, 'kind', '2026-11-02T00:00:00Z');
         INSERT INTO return_requests VALUES ('RET-OLD', 'AUR-100001', 'RG-1', 'return', 'Too big', NULL, 'requested', '2026-11-12T00:00:00Z');",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    conn.execute_batch(&read("0004_staff_console.sql"))
        .unwrap_or_else(|e| panic!("0004: {e}"));
    let one = |sql: &str| -> String {
        conn.query_row(sql, [], |r| r.get::<_, String>(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    assert_eq!(
        one("SELECT status || '/' || note || '/' || COALESCE(assignee, '-') FROM tickets WHERE ticket_id = 'TCK-OLD'"),
        "closed/called back/-"
    );
    assert_eq!(
        one("SELECT ticket_id || '/' || score || '/' || comment FROM csat_responses"),
        "TCK-OLD/4/kind"
    );
    assert_eq!(
        one("SELECT group_concat(kind || ':' || actor, ',') FROM ticket_events WHERE ticket_id = 'TCK-OLD'"),
        "created:shopper,note:unknown"
    );
    assert_eq!(
        one("SELECT email || '/' || updated_at FROM return_requests WHERE return_id = 'RET-OLD'"),
        "ada@example.com/2026-11-12T00:00:00Z"
    );
    assert_eq!(
        one("SELECT status || ':' || actor FROM return_events WHERE return_id = 'RET-OLD'"),
        "requested:shopper"
    );
    for index in [
        "tickets_status_created",
        "tickets_created",
        "tickets_email_created",
        "tickets_assignee_created",
        "csat_responses_created",
    ] {
        assert_eq!(
            one(&format!("SELECT COUNT(*) || '' FROM sqlite_master WHERE type = 'index' AND name = '{index}'")),
            "1",
            "{index}"
        );
    }
    // The new status and a per-session response are accepted; a response for both is not.
    conn.execute_batch("UPDATE tickets SET status = 'resolved'; INSERT INTO csat_responses (session_id, score, created_at) VALUES ('s1', 5, 'now')")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(conn
        .execute_batch("INSERT INTO csat_responses (ticket_id, session_id, score, created_at) VALUES ('TCK-OLD', 's2', 5, 'now')")
        .is_err());
    let violations: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap_or(-1);
    assert_eq!(violations, 0);
}

#[test]
fn a_removed_chip_or_an_understood_message_is_not_an_unanswered_question() {
    let h = Harness::new();
    let r = h.post(
        "/v1/messages",
        json!({"session_id": "s-3", "text": "rose gold rings under $500"}),
    );
    assert!(
        r.json_body()["confidence"].as_f64().unwrap_or(0.0) >= 0.6,
        "{}",
        r.body
    );
    h.post(
        "/v1/messages",
        json!({"session_id": "s-3", "remove": "metals", "context": r.json_body()["context"]}),
    );
    assert_eq!(
        admin_get(&h, "/v1/admin/unanswered", "mer").json_body()["count"],
        0
    );
}

#[test]
fn resolving_a_ticket_notifies_staff_once_per_change() {
    let h = Harness::new();
    let id = ticket_with_transcript(&h);
    let path = format!("/v1/admin/tickets/{id}");
    let resolved = |h: &Harness| {
        h.notifier
            .sent
            .borrow()
            .iter()
            .filter(|n| n.kind == crate::api::notify::NotificationKind::TicketResolved)
            .count()
    };
    assert_eq!(resolved(&h), 0, "a new ticket is not a resolved one");
    assert_eq!(
        patch(&h, &path, "sup", json!({"status": "pending"})).status,
        200
    );
    assert_eq!(resolved(&h), 0);
    assert_eq!(
        patch(&h, &path, "sup", json!({"status": "resolved"})).status,
        200
    );
    assert_eq!(resolved(&h), 1);
    // Resolving a resolved ticket changes nothing and tells nobody.
    assert_eq!(
        patch(
            &h,
            &path,
            "sup",
            json!({"status": "resolved", "note": "again"})
        )
        .status,
        200
    );
    assert_eq!(resolved(&h), 1);
}

#[test]
fn the_shopper_sees_a_stylist_request_resolved_and_rates_it_once() {
    let h = Harness::new();
    let id = ticket_with_transcript(&h);
    let status = |email: &str, ticket: &str| {
        h.post(
            "/v1/escalations/status",
            json!({"ticket_id": ticket, "email": email}),
        )
    };
    let open = status("ADA@example.com", &id);
    assert_eq!(open.status, 200, "{}", open.body);
    let body = open.json_body();
    assert_eq!(body["status"], "open");
    assert_eq!(body["rated"], false);
    // A wrong email and an unknown id get the same answer.
    let wrong = status("eve@example.com", &id);
    let unknown = status("ada@example.com", "TCK-NOPE");
    assert_eq!((wrong.status, unknown.status), (404, 404));
    assert_eq!(wrong.json_body(), unknown.json_body());
    assert_eq!(
        status("ada@example.com", "../x").json_body()["error"]["field"],
        "ticket_id"
    );

    let path = format!("/v1/admin/tickets/{id}");
    assert_eq!(
        patch(
            &h,
            &path,
            "sup",
            json!({"status": "resolved", "note": "sent sizes"})
        )
        .status,
        200
    );
    let resolved = status("ada@example.com", &id).json_body();
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["rated"], false);
    let rated = h.post("/v1/csat", json!({"ticket_id": id, "score": 5}));
    assert_eq!(rated.status, 201, "{}", rated.body);
    assert_eq!(status("ada@example.com", &id).json_body()["rated"], true);
}

#[test]
fn the_status_routes_check_a_sent_shopper_id_like_every_shopper_route() {
    let h = Harness::new();
    let id = ticket_with_transcript(&h);
    for (path, body) in [
        (
            "/v1/escalations/status",
            json!({"ticket_id": id, "email": "ada@example.com"}),
        ),
        (
            "/v1/returns/status",
            json!({"return_id": "RET-NOPE", "email": "ada@example.com"}),
        ),
    ] {
        for bad in ["", "not an id", "x/y"] {
            let mut request = ApiRequest::new("POST", path).with_json(&body.to_string());
            request.shopper_id = Some(bad.into());
            let res = h.send(request);
            assert_eq!(res.status, 422, "{path} with X-Shopper-Id {bad:?}");
            assert_eq!(res.json_body()["error"]["field"], "X-Shopper-Id");
        }
    }
}
