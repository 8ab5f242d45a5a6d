//! Notifications (enqueued once per committed row; delivered at most once per event) and staff
//! sign-in through Cloudflare Access (RS256 tokens signed here with a test-only key pair).

use super::*;
use crate::api::alert_job::HttpClient;
use crate::api::auth::{
    base64url_decode, verify_access, AccessConfig, Jwk, KeyCache, Role, Staff, StaffRoles, Via,
};
use crate::api::notify::{
    backoff_seconds, deliver, Delivery, DeliveryConfig, Notification, NotificationKind,
};
use crate::api::platform::AccessKeys;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};

fn escalation() -> Value {
    json!({"session_id": "s1", "email": "ada@example.com", "name": "Ada Lovelace", "topic": "Engagement ring for Ada", "message": "Call me at 555-0100"})
}

fn a_return() -> Value {
    json!({"order_number": "AUR-100001", "email": "ada@example.com", "sku": "NK-1", "kind": "return", "reason": "my husband Bob hates it"})
}

#[test]
fn a_new_ticket_and_a_new_return_each_enqueue_one_notification() {
    let h = Harness::new();
    assert_eq!(h.post("/v1/escalations", escalation()).status, 201);
    assert_eq!(h.post("/v1/returns", a_return()).status, 201);
    let sent = h.notifier.sent.borrow().clone();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].kind, NotificationKind::TicketCreated);
    assert_eq!(sent[0].key, format!("ticket_created:{}", sent[0].id));
    assert_eq!(sent[0].console_url, format!("/admin#ticket/{}", sent[0].id));
    assert_eq!(sent[1].kind, NotificationKind::ReturnRequested);
    assert_eq!(sent[1].return_kind.as_deref(), Some("return"));
    assert_eq!(sent[1].sku.as_deref(), Some("NK-1"));
    // A CSAT response notifies nobody.
    let csat = h.post("/v1/csat", json!({"ticket_id": sent[0].id, "score": 5}));
    assert_eq!(csat.status, 201);
    assert_eq!(h.notifier.sent.borrow().len(), 2);
}

#[test]
fn an_idempotent_replay_and_a_failed_create_enqueue_nothing() {
    let h = Harness::new();
    let first = h.post_keyed("/v1/escalations", "k-1", escalation());
    let replay = h.post_keyed("/v1/escalations", "k-1", escalation());
    assert_eq!((first.status, replay.status), (201, 201));
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    // Not eligible: no row, no notification.
    let refused = h.post(
        "/v1/returns",
        json!({"order_number": "AUR-100003", "email": "cy@example.com", "sku": "NK-1", "kind": "return", "reason": "r"}),
    );
    assert_eq!(refused.status, 422);
    assert_eq!(h.notifier.sent.borrow().len(), 1);
}

#[test]
fn a_failing_queue_never_fails_the_shoppers_request() {
    let h = Harness::new();
    h.notifier.fail.set(true);
    assert_eq!(h.post("/v1/escalations", escalation()).status, 201);
    assert_eq!(h.db.count("SELECT COUNT(*) FROM tickets"), 1);
}

#[test]
fn the_webhook_body_carries_ids_and_a_link_but_no_personal_data() {
    let h = Harness::new();
    let mut request =
        ApiRequest::new("POST", "/v1/escalations").with_json(&escalation().to_string());
    request.own_origin = Some("https://concierge.shop.example".into());
    assert_eq!(h.send(request).status, 201);
    let mut request = ApiRequest::new("POST", "/v1/returns").with_json(&a_return().to_string());
    request.own_origin = Some("https://concierge.shop.example".into());
    assert_eq!(h.send(request).status, 201);
    for n in h.notifier.sent.borrow().iter() {
        let body = n.webhook_body();
        let text = body.to_string();
        assert!(
            body["text"].as_str().is_some_and(|t| t.contains(&n.id)),
            "{text}"
        );
        assert!(body["blocks"].as_array().is_some_and(|b| !b.is_empty()));
        assert!(
            text.contains("https://concierge.shop.example/admin#"),
            "{text}"
        );
        for private in [
            "ada@example.com",
            "Ada",
            "555-0100",
            "Engagement",
            "Bob",
            "AUR-100001",
        ] {
            assert!(!text.contains(private), "`{private}` in {text}");
        }
    }
}

#[test]
fn resolved_notifications_are_one_event_per_change() {
    let a = Notification::ticket_resolved("TCK-1", None, "2026-12-02T10:00:00Z");
    let b = Notification::ticket_resolved("TCK-1", None, "2026-12-03T10:00:00Z");
    assert_ne!(a.key, b.key);
    let h = Harness::new();
    block_on(h.api().notify_ticket_resolved(
        &ApiRequest::new("PATCH", "/v1/admin/tickets/TCK-1"),
        "TCK-1",
        "2026-12-02T10:00:00Z",
    ));
    assert_eq!(h.notifier.sent.borrow()[0], a);
}

/// A webhook receiver: answers each post with the next status of `statuses` (then 200).
#[derive(Default)]
struct Receiver {
    statuses: RefCell<Vec<u16>>,
    posts: RefCell<Vec<Value>>,
}

impl HttpClient for Receiver {
    async fn post(
        &self,
        _url: &str,
        _headers: &[(&str, String)],
        body: String,
    ) -> Result<(u16, String), String> {
        self.posts
            .borrow_mut()
            .push(serde_json::from_str(&body).unwrap_or(Value::Null));
        let mut statuses = self.statuses.borrow_mut();
        match statuses.is_empty() {
            true => Ok((200, "ok".into())),
            false => match statuses.remove(0) {
                0 => Err("connection refused".into()),
                s => Ok((s, String::new())),
            },
        }
    }
}

fn delivery_config() -> DeliveryConfig {
    DeliveryConfig {
        webhook_url: Some("http://127.0.0.1:9/hook".into()),
        retry_delay_seconds: 2,
    }
}

fn message() -> Result<Notification, String> {
    Ok(Notification::ticket_created("TCK-7", None, NOW))
}

#[test]
fn a_redelivered_or_duplicated_message_is_posted_once() {
    let h = Harness::new();
    let receiver = Receiver::default();
    let now = h.clock.now_ms();
    let run = |at| block_on(deliver(&h.db, &receiver, &delivery_config(), message(), at));
    assert_eq!(run(now), Delivery::Sent);
    assert_eq!(run(now + 1), Delivery::AlreadySent);
    // Long after, even past the claim lease.
    assert_eq!(run(now + 3_600_000), Delivery::AlreadySent);
    assert_eq!(receiver.posts.borrow().len(), 1);
    assert_eq!(
        h.db.count("SELECT COUNT(*) FROM notification_deliveries WHERE state = 'sent'"),
        1
    );
}

#[test]
fn a_failing_receiver_is_retried_with_growing_delays_then_gets_it_once() {
    let h = Harness::new();
    let receiver = Receiver::default();
    *receiver.statuses.borrow_mut() = vec![500, 0, 429];
    let now = h.clock.now_ms();
    let run = |at| block_on(deliver(&h.db, &receiver, &delivery_config(), message(), at));
    let delays: Vec<Delivery> = (0..3).map(|i| run(now + i)).collect();
    assert_eq!(
        delays
            .iter()
            .map(|d| match d {
                Delivery::Retry { delay_seconds, .. } => *delay_seconds,
                _ => 0,
            })
            .collect::<Vec<_>>(),
        vec![2, 4, 8],
        "{delays:?}"
    );
    assert_eq!(run(now + 10), Delivery::Sent);
    assert_eq!(run(now + 11), Delivery::AlreadySent);
    assert_eq!(receiver.posts.borrow().len(), 4);
    assert_eq!(
        h.db.count("SELECT attempts FROM notification_deliveries"),
        4
    );
    assert_eq!(
        backoff_seconds(30, 20),
        crate::api::notify::MAX_RETRY_DELAY_SECONDS
    );
}

#[test]
fn a_copy_arriving_while_another_is_being_posted_waits_then_is_acked() {
    let h = Harness::new();
    let receiver = Receiver::default();
    let now = h.clock.now_ms();
    // Another consumer claimed the event and is posting it.
    let _ = h.db.conn.execute_batch(
        "INSERT INTO notification_deliveries (event_key, kind, state, attempts, claimed_at, updated_at) \
         VALUES ('ticket_created:TCK-7', 'ticket_created', 'sending', 1, '2026-11-30T12:00:00Z', '2026-11-30T12:00:00Z')",
    );
    h.clock
        .0
        .set(parse_iso("2026-11-30T12:00:30Z").unwrap_or_default());
    let run = |at| block_on(deliver(&h.db, &receiver, &delivery_config(), message(), at));
    assert!(matches!(run(h.clock.now_ms()), Delivery::Retry { .. }));
    assert_eq!(receiver.posts.borrow().len(), 0);
    // Its consumer died: after the lease the copy takes the claim over and posts.
    let later = h.clock.now_ms() + crate::api::notify::CLAIM_LEASE_MS;
    assert_eq!(run(later), Delivery::Sent);
    assert_eq!(receiver.posts.borrow().len(), 1);
    let _ = now;
}

#[test]
fn without_a_webhook_or_with_a_foreign_message_nothing_is_posted() {
    let h = Harness::new();
    let receiver = Receiver::default();
    let off = DeliveryConfig {
        webhook_url: None,
        retry_delay_seconds: 2,
    };
    assert_eq!(
        block_on(deliver(&h.db, &receiver, &off, message(), 0)),
        Delivery::Off
    );
    assert!(matches!(
        block_on(deliver(
            &h.db,
            &receiver,
            &delivery_config(),
            serde_json::from_value::<Notification>(json!({"hello": 1})).map_err(|e| e.to_string()),
            0
        )),
        Delivery::Malformed(_)
    ));
    assert_eq!(receiver.posts.borrow().len(), 0);
}

#[test]
fn delivery_rows_are_purged_after_thirty_days() {
    let h = Harness::new();
    let receiver = Receiver::default();
    let now = h.clock.now_ms();
    assert_eq!(
        block_on(deliver(
            &h.db,
            &receiver,
            &delivery_config(),
            message(),
            now
        )),
        Delivery::Sent
    );
    let purge = |at| block_on(crate::api::notify::purge_deliveries(&h.db, at));
    assert_eq!(purge(now + 29 * crate::api::time::DAY_MS), Ok(0));
    assert_eq!(purge(now + 31 * crate::api::time::DAY_MS), Ok(1));
}

#[test]
fn a_failing_database_retries_without_posting() {
    let mut h = Harness::new();
    h.db.fail_on = Some("notification_deliveries");
    let receiver = Receiver::default();
    assert!(matches!(
        block_on(deliver(&h.db, &receiver, &delivery_config(), message(), 0)),
        Delivery::Retry { .. }
    ));
    assert_eq!(receiver.posts.borrow().len(), 0);
}

// ---- Cloudflare Access ----

const TEAM: &str = "aurora-shop.cloudflareaccess.com";
const AUD: &str = "0123456789abcdef-test-audience";

fn private_key() -> RsaPrivateKey {
    let text = include_str!("../../../tests/fixtures/access-test-key.pem");
    let pem: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    RsaPrivateKey::from_pkcs8_pem(&pem).unwrap_or_else(|e| panic!("test key: {e}"))
}

fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    let public = key.to_public_key();
    json!({"kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig", "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be())})
}

fn sign(key: &RsaPrivateKey, kid: &str, claims: &Value) -> String {
    let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = SigningKey::<sha2::Sha256>::new(key.clone()).sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

/// The JWKS on "the network" plus a pure-Rust RS256 check (WebCrypto's job in the Worker).
struct TestKeys {
    jwks: RefCell<String>,
    fetches: Cell<u32>,
}

impl AccessKeys for TestKeys {
    fn fetch_jwks(&self) -> LocalFuture<'_, Result<String, String>> {
        self.fetches.set(self.fetches.get() + 1);
        let body = self.jwks.borrow().clone();
        Box::pin(async move {
            if body.is_empty() {
                Err("unreachable".into())
            } else {
                Ok(body)
            }
        })
    }

    fn verify_rs256<'a>(
        &'a self,
        jwk: &'a Jwk,
        message: &'a [u8],
        signature: &'a [u8],
    ) -> LocalFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            let n = base64url_decode(&jwk.n).ok_or("n")?;
            let e = base64url_decode(&jwk.e).ok_or("e")?;
            let public = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
                .map_err(|e| e.to_string())?;
            let Ok(signature) = Signature::try_from(signature) else {
                return Ok(false);
            };
            Ok(VerifyingKey::<sha2::Sha256>::new(public)
                .verify(message, &signature)
                .is_ok())
        })
    }
}

fn test_keys(key: &RsaPrivateKey) -> TestKeys {
    TestKeys {
        jwks: RefCell::new(json!({"keys": [jwk(key, "k1")]}).to_string()),
        fetches: Cell::new(0),
    }
}

fn access_config() -> AccessConfig {
    let (roles, problems) = StaffRoles::parse(
        "alice@shop.example=admin, bob@shop.example=merchandiser,@shop.example=support",
    );
    assert!(problems.is_empty(), "{problems:?}");
    AccessConfig::new(AUD, &format!("https://{TEAM}/"), None, roles).unwrap_or_else(|| {
        panic!("access config");
    })
}

fn claims(email: &str, now_s: i64) -> Value {
    json!({"aud": [AUD], "email": email, "exp": now_s + 600, "iat": now_s, "nbf": now_s, "iss": format!("https://{TEAM}"), "sub": "u-1", "type": "app"})
}

fn access_harness(key: &RsaPrivateKey) -> Harness {
    let mut h = Harness::new();
    h.config.access = Some(access_config());
    h.access_keys = Box::new(test_keys(key));
    h
}

fn with_jwt(path: &str, token: &str) -> ApiRequest {
    let mut request = ApiRequest::new("GET", path);
    request.access_jwt = Some(token.to_string());
    request
}

#[test]
fn access_config_and_staff_roles_parse_as_documented() {
    let config = access_config();
    assert_eq!(config.issuer, format!("https://{TEAM}"));
    assert_eq!(
        config.jwks_url,
        format!("https://{TEAM}/cdn-cgi/access/certs")
    );
    assert_eq!(
        config.roles.role_of("alice@shop.example"),
        Some(Role::Admin)
    );
    assert_eq!(
        config.roles.role_of("carol@shop.example"),
        Some(Role::Support)
    );
    assert_eq!(config.roles.role_of("eve@elsewhere.example"), None);
    assert_eq!(config.roles.role_of("eve@evilshop.example"), None);
    assert!(AccessConfig::new("", TEAM, None, StaffRoles::default()).is_none());
    assert!(AccessConfig::new(AUD, " ", None, StaffRoles::default()).is_none());
    let (_, problems) = StaffRoles::parse("alice=admin,bob@x=owner,nonsense,@x.example=support");
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn a_valid_access_token_is_the_staff_member_named_by_its_email() {
    let key = private_key();
    let h = access_harness(&key);
    let now = h.clock.now_ms() / 1000;
    let token = sign(&key, "k1", &claims("Alice@Shop.Example", now));
    let staff = block_on(h.api().staff(&with_jwt("/v1/admin/tickets", &token)));
    assert_eq!(
        staff,
        Ok(Staff {
            role: Role::Admin,
            actor: "alice@shop.example".into(),
            via: Via::Access
        })
    );
    assert_eq!(h.send(with_jwt("/v1/admin/tickets", &token)).status, 200);
    // A domain entry gives support: tickets yes, analytics no.
    let carol = sign(&key, "k1", &claims("carol@shop.example", now));
    assert_eq!(h.send(with_jwt("/v1/admin/tickets", &carol)).status, 200);
    assert_eq!(
        error_of(&h.send(with_jwt("/v1/admin/analytics", &carol))).1,
        "forbidden"
    );
    // Signed in, but not staff.
    let eve = sign(&key, "k1", &claims("eve@elsewhere.example", now));
    assert_eq!(
        error_of(&h.send(with_jwt("/v1/admin/tickets", &eve))).0,
        403
    );
}

#[test]
fn expired_wrong_audience_wrong_issuer_bad_signature_and_unknown_kid_are_401() {
    let key = private_key();
    let h = access_harness(&key);
    let now = h.clock.now_ms() / 1000;
    let good = claims("alice@shop.example", now);
    let with = |name: &str, value: Value| {
        let mut c = good.clone();
        c[name] = value;
        c
    };
    let valid = sign(&key, "k1", &good);
    let (head, _) = valid.rsplit_once('.').unwrap_or_default();
    let mut tampered_payload = valid.split('.').map(str::to_string).collect::<Vec<_>>();
    tampered_payload[1] = b64(with("email", json!("mallory@shop.example"))
        .to_string()
        .as_bytes());
    let cases = [
        (
            "expired",
            sign(&key, "k1", &with("exp", json!(now - LEEWAY - 1))),
        ),
        (
            "not yet valid",
            sign(&key, "k1", &with("nbf", json!(now + LEEWAY + 5))),
        ),
        ("no expiry", sign(&key, "k1", &with("exp", Value::Null))),
        (
            "wrong audience",
            sign(&key, "k1", &with("aud", json!(["someone-else"]))),
        ),
        (
            "wrong issuer",
            sign(
                &key,
                "k1",
                &with("iss", json!("https://evil.cloudflareaccess.com")),
            ),
        ),
        ("no email", sign(&key, "k1", &with("email", Value::Null))),
        ("unknown kid", sign(&key, "k2", &good)),
        ("bad signature", format!("{head}.{}", b64(&[7u8; 256]))),
        ("tampered claims", tampered_payload.join(".")),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none","kid":"k1"}"#),
                b64(good.to_string().as_bytes())
            ),
        ),
        ("garbage", "not.a.jwt".to_string()),
        ("empty", String::new()),
    ];
    for (what, token) in cases {
        let response = h.send(with_jwt("/v1/admin/tickets", &token));
        assert_eq!(error_of(&response).0, 401, "{what}: {}", response.body);
        assert_eq!(error_of(&response).1, "unauthorized", "{what}");
    }
    // Within the leeway still passes.
    let late = sign(&key, "k1", &with("exp", json!(now - LEEWAY + 5)));
    assert_eq!(h.send(with_jwt("/v1/admin/tickets", &late)).status, 200);
}

const LEEWAY: i64 = crate::api::auth::LEEWAY_SECONDS;

#[test]
fn unknown_kids_refetch_the_keys_at_most_every_thirty_seconds() {
    let key = private_key();
    let keys = test_keys(&key);
    let config = access_config();
    let cache = KeyCache::default();
    let now_ms = 1_800_000_000_000;
    let token = |kid: &str| sign(&key, kid, &claims("alice@shop.example", now_ms / 1000));
    let verify =
        |kid: &str, at: i64| block_on(verify_access(&token(kid), &config, &keys, &cache, at));
    assert!(verify("k1", now_ms).is_ok());
    for i in 0..20 {
        assert!(verify("nope", now_ms + i).is_err());
    }
    assert_eq!(keys.fetches.get(), 1, "fresh cache: no refetch for 30 s");
    // A rotated key published later is found by the refetch after the interval.
    *keys.jwks.borrow_mut() = json!({"keys": [jwk(&key, "k1"), jwk(&key, "k2")]}).to_string();
    assert!(verify("k2", now_ms + 31_000).is_ok());
    assert_eq!(keys.fetches.get(), 2);
    // The JWKS endpoint goes down: the cached keys still verify after the TTL.
    keys.jwks.borrow_mut().clear();
    assert!(verify("k1", now_ms + crate::api::auth::JWKS_TTL_MS + 40_000).is_ok());
}

#[test]
fn without_access_configured_the_header_is_ignored_and_bearer_tokens_still_work() {
    let key = private_key();
    let mut h = Harness::new();
    h.access_keys = Box::new(test_keys(&key));
    let token = sign(
        &key,
        "k1",
        &claims("alice@shop.example", h.clock.now_ms() / 1000),
    );
    assert_eq!(
        error_of(&h.send(with_jwt("/v1/admin/tickets", &token))).0,
        401
    );
    let h = access_harness(&key);
    let mut request = with_jwt("/v1/admin/tickets", "garbage");
    request.authorization = Some("Bearer sup".into());
    let staff = block_on(h.api().staff(&request));
    assert_eq!(
        staff.map(|s| (s.actor, s.via)),
        Ok(("token:support".into(), Via::Token))
    );
    assert_eq!(h.send(request).status, 200);
}
