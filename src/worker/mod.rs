//! The Cloudflare glue (wasm only): the `fetch` entry turns a `worker::Request` into an
//! [`ApiRequest`], runs the platform-free API over the D1, KV and Analytics Engine adapters in
//! [`bindings`], and turns the [`ApiResponse`] back into a `worker::Response`. With
//! `CONVERSATION_STORE=durable_object`, messages go to their session's Durable Object
//! ([`conversations`]) instead.

mod access;
mod alerts;
mod bindings;
mod conversations;
mod fast;
mod queue;

use crate::api::auth::{AccessConfig, AdminTokens, StaffRoles};
use crate::api::http::{colo_of_ray, RequestHead, UrlParts};
use crate::api::http::{ApiRequest, Body, MAX_BODY_BYTES};
use crate::api::session::{self, ConversationStore};
use crate::api::{Api, Config, IsolateState};
use bindings::{AnalyticsSink, D1Store, JsClock, KvStore, LookupLimiters, RandomIds};
use worker::{event, Context, Env, MessageBatch, Result, ScheduleContext, ScheduledEvent};

thread_local! {
    /// Caches, rate-limit counters and the message-log buffer of this isolate.
    static STATE: &'static IsolateState = Box::leak(Box::default());
    /// Vars and secrets do not change within an isolate: read them once.
    static CONFIG: std::cell::OnceCell<&'static Config> = const { std::cell::OnceCell::new() };
    /// [`CONFIG`] without the staff settings (admin tokens, Cloudflare Access and its roles):
    /// what every route but `/v1/admin/*` uses, so a fresh isolate reads half the settings
    /// before its first shopper answer.
    static SHOPPER_CONFIG: std::cell::OnceCell<&'static Config> = const { std::cell::OnceCell::new() };
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// A var as text, or `default` when unset.
fn var(env: &Env, name: &str, default: &str) -> String {
    env.var(name)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| default.to_string())
}

fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .ok()
        .map(|s| s.to_string())
        .filter(|s| !s.is_empty())
}

fn load_config(env: &Env, staff: bool) -> Config {
    let seconds = |name: &str| {
        var(env, name, "60")
            .trim()
            .parse::<i64>()
            .unwrap_or(60)
            .max(0)
            * 1000
    };
    let worker_version = env
        .get_binding::<worker::WorkerVersionMetadata>("CF_VERSION_METADATA")
        .map(|m| m.id())
        .unwrap_or_default();
    let store = var(env, "CONVERSATION_STORE", "context");
    let conversation_store = ConversationStore::from_name(&store).unwrap_or_else(|| {
        // Fall back to the store that needs no binding rather than fail every message.
        worker::console_error!(
            "CONVERSATION_STORE `{store}` is not one of {}; using `context`",
            ConversationStore::NAMES.join(", ")
        );
        ConversationStore::Context
    });
    Config {
        access: if staff { access_config(env) } else { None },
        tokens: if staff {
            AdminTokens {
                support: secret(env, "SUPPORT_TOKEN"),
                merchandiser: secret(env, "MERCHANDISER_TOKEN"),
                admin: secret(env, "ADMIN_TOKEN"),
            }
        } else {
            AdminTokens::default()
        },
        rate_limit_scale: var(env, "RATE_LIMIT_SCALE", "1")
            .trim()
            .parse()
            .unwrap_or(1)
            .max(1),
        kill_switch_cache_ms: seconds("KILL_SWITCH_CACHE_SECONDS"),
        catalog_version_cache_ms: seconds("CATALOG_VERSION_CACHE_SECONDS"),
        worker_version,
        analytics_bound: env.analytics_engine("ANALYTICS").is_ok(),
        conversation_store,
        ..Config::default()
    }
}

/// Cloudflare Access from `ACCESS_AUD`, `ACCESS_TEAM_DOMAIN`, `ACCESS_JWKS_URL` (optional) and
/// `STAFF_ROLES` (vars or secrets); `None` unless the first two are set.
fn access_config(env: &Env) -> Option<AccessConfig> {
    let setting = |name: &str| secret(env, name).unwrap_or_else(|| var(env, name, ""));
    let (roles, problems) = StaffRoles::parse(&setting("STAFF_ROLES"));
    for problem in problems {
        worker::console_error!("STAFF_ROLES: {problem} (entry ignored)");
    }
    let jwks_url = setting("ACCESS_JWKS_URL");
    let config = AccessConfig::new(
        &setting("ACCESS_AUD"),
        &setting("ACCESS_TEAM_DOMAIN"),
        Some(jwks_url.as_str()),
        roles,
    );
    if config.as_ref().is_some_and(|c| c.roles.is_empty()) {
        worker::console_error!(
            "Cloudflare Access is on but STAFF_ROLES is empty: nobody may sign in"
        );
    }
    config
}

/// Every setting, staff ones included.
fn config(env: &Env) -> &'static Config {
    CONFIG.with(|cell| *cell.get_or_init(|| Box::leak(Box::new(load_config(env, true)))))
}

/// The settings a request to `path` needs: the staff settings only for `/v1/admin/*`, the only
/// routes that authenticate staff.
fn config_for(env: &Env, path: &str) -> &'static Config {
    if path.starts_with("/v1/admin") {
        config(env)
    } else {
        shopper_config(env)
    }
}

/// Every setting but the staff ones.
fn shopper_config(env: &Env) -> &'static Config {
    SHOPPER_CONFIG.with(|cell| *cell.get_or_init(|| Box::leak(Box::new(load_config(env, false)))))
}

fn isolate_state() -> &'static IsolateState {
    STATE.with(|s| *s)
}

/// The rest of a body refused as too large, still to be read.
type Leftover = Option<worker::ByteStream>;

/// A refused body up to this size is read to its end (and dropped, chunk by chunk) before the
/// 413 goes out. Answering before the body is consumed leaves the connection unusable for the
/// next request: under `wrangler dev` that next request got the proxy's 503 "Your worker
/// restarted mid-request" 36 times in 40 (the e2e junk test's flake on a loaded machine).
/// Bodies beyond it are abuse: answered at once, the rest dropped after the answer.
const DRAIN_BEFORE_ANSWER_BYTES: usize = 1024 * 1024;

/// Reads the body chunk by chunk and stops keeping it at the first byte past
/// [`MAX_BODY_BYTES`], so a huge chunked body (no `Content-Length`) is never buffered: the rest
/// is read and dropped up to [`DRAIN_BEFORE_ANSWER_BYTES`], and what remains beyond that is
/// handed back for the caller to discard after answering (see [`discard`]).
async fn capped_body(request: &web_sys::Request) -> (Body, Leftover) {
    let Some(mut stream) = body_stream(request) else {
        // No body at all.
        return (Body::Bytes(Vec::new()), None);
    };
    let mut bytes = Vec::new();
    loop {
        match next_chunk(&mut stream).await {
            None => return (Body::Bytes(bytes), None),
            Some(Ok(chunk)) => {
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    let seen = bytes.len() + chunk.len();
                    return (Body::TooLarge, drain(stream, seen).await);
                }
                bytes.extend_from_slice(&chunk);
            }
            // A body that breaks off is as good as none: validation answers it.
            Some(Err(_)) => return (Body::Bytes(bytes), None),
        }
    }
}

/// Reads and drops a refused body until it ends or [`DRAIN_BEFORE_ANSWER_BYTES`] have been
/// seen; the stream is handed back when there is more.
async fn drain(mut stream: worker::ByteStream, mut seen: usize) -> Leftover {
    while seen <= DRAIN_BEFORE_ANSWER_BYTES {
        match next_chunk(&mut stream).await {
            Some(Ok(chunk)) => seen += chunk.len(),
            None | Some(Err(_)) => return None,
        }
    }
    Some(stream)
}

async fn next_chunk(stream: &mut worker::ByteStream) -> Option<Result<Vec<u8>>> {
    use futures_core::Stream;
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}

/// Reads and drops the rest of a refused body after the 413 has gone out (in `ctx.wait_until`),
/// one chunk at a time, at most 128 MiB: a client still sending gets its answer instead of a
/// reset connection (and `wrangler dev`'s proxy does not turn the early answer into a 503).
async fn discard(mut rest: worker::ByteStream) {
    let mut read = 0usize;
    while let Some(Ok(chunk)) = next_chunk(&mut rest).await {
        read += chunk.len();
        if read > 128 * 1024 * 1024 {
            break;
        }
    }
}

fn body_stream(request: &web_sys::Request) -> Option<worker::ByteStream> {
    request.body().map(worker::ByteStream::from)
}

/// A body whose `Content-Length` is declared and within [`MAX_BODY_BYTES`], read in one call
/// (`arrayBuffer()`: one promise instead of a reader and a promise per chunk). The runtime
/// frames the body by that length, so no more than declared arrives.
async fn declared_body(request: &web_sys::Request) -> Body {
    let Ok(promise) = request.array_buffer() else {
        return Body::Bytes(Vec::new());
    };
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(buffer) => Body::Bytes(js_sys::Uint8Array::new(&buffer).to_vec()),
        // A body that breaks off is as good as none: validation answers it.
        Err(_) => Body::Bytes(Vec::new()),
    }
}

pub(crate) async fn to_api_request(request: &web_sys::Request) -> Result<ApiRequest> {
    Ok(read_request(request).await?.0)
}

/// The request as the API sees it, read straight from the runtime's `Request` (no
/// `worker::Request`, which also parses the URL and builds `request.cf` for every request),
/// also handing back the unread rest of a body refused as too large.
async fn read_request(request: &web_sys::Request) -> Result<(ApiRequest, Leftover)> {
    let text = fast::request_head(request);
    let head = RequestHead::parse(&text)
        .ok_or_else(|| worker::Error::RustError("unreadable request head".into()))?;
    let header = |name: &str| head.header(name).map(str::to_string);
    let parts = UrlParts::of(head.url);
    // The method as sent (not `worker::Method`, which maps every method it does not know —
    // `QUERY`, `PROPFIND`, … — to `GET` and once answered `QUERY /health` with 200).
    let method = head.method.to_string();
    let declared = head
        .header("content-length")
        .and_then(|v| v.trim().parse::<usize>().ok());
    let (content_type, authorization, idempotency_key, origin) = (
        header("content-type"),
        header("authorization"),
        header("idempotency-key"),
        header("origin"),
    );
    let client_ip = header("cf-connecting-ip").unwrap_or_else(|| "unknown".into());
    let shopper_id = header("x-shopper-id");
    let d1_bookmark = header("x-d1-bookmark");
    let access_jwt = header("cf-access-jwt-assertion");
    let colo = colo_of_ray(head.header("cf-ray")).to_string();
    let (body, leftover) = if method == "GET" || method == "HEAD" || method == "OPTIONS" {
        (Body::Bytes(Vec::new()), None)
    } else {
        match declared {
            Some(n) if n > MAX_BODY_BYTES => {
                // Refused unread; a body of a size a client could send by mistake is drained first.
                let rest = match body_stream(request) {
                    Some(stream) if n <= DRAIN_BEFORE_ANSWER_BYTES => drain(stream, 0).await,
                    other => other,
                };
                (Body::TooLarge, rest)
            }
            Some(_) => (declared_body(request).await, None),
            None => capped_body(request).await,
        }
    };
    let api_request = ApiRequest {
        method,
        path: parts.path.to_string(),
        query: parts.query.to_string(),
        content_type,
        authorization,
        access_jwt,
        idempotency_key,
        shopper_id,
        d1_bookmark,
        origin,
        client_ip,
        own_origin: Some(parts.origin.to_string()),
        colo,
        body,
    };
    Ok((api_request, leftover))
}

/// The coarse per-client guard of the `LIMITER` binding (one fixed limit for every route). It
/// cannot be scaled, so it is skipped when `RATE_LIMIT_SCALE` > 1 (tests and benchmarks).
async fn coarse_limit_exceeded(env: &Env, config: &Config, request: &ApiRequest) -> bool {
    if config.rate_limit_scale > 1 || !request.path.starts_with("/v1/") {
        return false;
    }
    match env.rate_limiter("LIMITER") {
        Ok(limiter) => limiter
            .limit(request.client_ip.clone())
            .await
            .is_ok_and(|outcome| !outcome.success),
        Err(_) => false,
    }
}

/// Writes the isolate's message log in `ctx.wait_until` when it is due: after the answer, so a
/// failing D1 write never fails the shopper (the entries stay buffered, bounded, for next time).
fn flush_message_log_later(env: &Env, ctx: &Context) {
    let state = isolate_state();
    let now = js_sys::Date::now() as i64;
    let due = state.take_due_message_log(now, shopper_config(env));
    if due.is_empty() {
        return;
    }
    let env = env.clone();
    ctx.wait_until(async move {
        let db = D1Store::new(&env);
        if let Err(error) = crate::api::write_message_log(&db, state, due, now).await {
            worker::console_error!("message log not written (kept for the next flush): {error}");
        }
    });
}

/// The Cron Triggers of wrangler.toml: every five minutes the alert job ([`alerts`]), otherwise
/// (hourly) the purge of expired idempotency keys and old message logs. Locally:
/// `wrangler dev --test-scheduled`, then `GET /__scheduled?cron=...`.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if event.cron() == alerts::CRON {
        alerts::run(&env).await;
        return;
    }
    let db = D1Store::new(&env);
    match crate::api::purge(&db, js_sys::Date::now() as i64).await {
        Ok(purged) => worker::console_log!(
            "purge: {} idempotency keys, {} message log rows, {} unanswered questions",
            purged.idempotency_keys,
            purged.message_log,
            purged.unanswered_questions
        ),
        Err(error) => worker::console_error!("purge failed: {error}"),
    }
    match crate::api::notify::purge_deliveries(&db, js_sys::Date::now() as i64).await {
        Ok(n) => worker::console_log!("purge: {n} notification deliveries"),
        Err(error) => worker::console_error!("purge of notification deliveries failed: {error}"),
    }
}

/// The `NOTIFICATIONS` queue's consumer (`[[queues.consumers]]` in wrangler.toml): posts staff
/// notifications to `NOTIFY_WEBHOOK_URL` ([`queue`]).
#[event(queue)]
async fn queue(
    batch: MessageBatch<crate::api::notify::Notification>,
    env: Env,
    _ctx: Context,
) -> Result<()> {
    queue::consume(batch, env).await;
    Ok(())
}

/// How long after a fresh isolate's first answer the warm-up starts ([`warm_engine_later`]):
/// long enough for the answer to leave, short against the seconds between a widget's page load
/// (`/v1/flags`) and the shopper's first message.
const WARM_UP_AFTER_MS: u64 = 100;

/// Warms the engine after this isolate's first response, in `ctx.wait_until`: the
/// classification tables, the typo index, then each regex, one piece per turn of the event loop
/// ([`crate::engine::Engine::warm_piece`]), so a request arriving meanwhile waits for one piece
/// at most. A fresh isolate answers its first request (the widget's `/v1/flags` on page load, a
/// `/health` probe) without them, and the shopper's first message, seconds later, finds
/// everything built.
fn warm_engine_later(ctx: &Context) {
    thread_local! {
        static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if STARTED.with(|started| started.replace(true)) {
        return;
    }
    ctx.wait_until(async {
        // Not at once: the answer must be out of the isolate first. Started in the next turn of
        // the event loop, the first pieces held the thread while the answer was still on its way
        // out (locally through wrangler's proxy Workers, on the same thread): against a build
        // with no warm-up at all, a fresh isolate's first answer took a median 72 against 59 ms
        // and a first discovery message 128 against 101 ms; started 100 ms later, 60 against 71
        // and 98 against 107 (`ONLY=cold COLD_RUNS=7 BASELINE=… scripts/bench`, interleaved).
        worker::Delay::from(std::time::Duration::from_millis(WARM_UP_AFTER_MS)).await;
        let engine = crate::embedded::engine();
        let mut piece = 0;
        loop {
            worker::Delay::from(std::time::Duration::ZERO).await;
            if !engine.warm_piece(piece) {
                break;
            }
            piece += 1;
        }
    });
}

/// The runtime's `Request` as is: converting it to a `worker::Request` would parse the URL and
/// build `request.cf` on every request, which the API does not need.
#[event(fetch)]
async fn fetch(request: web_sys::Request, env: Env, ctx: Context) -> Result<web_sys::Response> {
    let result = handle(&request, &env, &ctx).await;
    flush_message_log_later(&env, &ctx);
    warm_engine_later(&ctx);
    match result {
        Ok(response) => Ok(response),
        Err(error) => {
            // Glue failures (reading the request, building the response) still answer in the
            // API's error shape with X-Rules-Version; the detail goes to the log only.
            worker::console_error!("worker glue error: {error}");
            let mut response =
                crate::api::error::ApiError::Internal(error.to_string()).to_response();
            response.set_header("x-rules-version", crate::embedded::engine().rules_version());
            fast::response(&response)
        }
    }
}

async fn handle(request: &web_sys::Request, env: &Env, ctx: &Context) -> Result<web_sys::Response> {
    // Static assets never get here: wrangler.toml's run_worker_first lists only the API paths,
    // so a request reaching the Worker is an API call or a path with no asset (the API's 404).
    let state = isolate_state();
    let (api_request, leftover) = read_request(request).await?;
    let config = config_for(env, &api_request.path);
    if let Some(rest) = leftover {
        ctx.wait_until(discard(rest));
    }
    // One D1 session per request, for read replication (api::replicas says where it starts).
    let db = D1Store::session(env, crate::api::replicas::session_start(&api_request));
    let kv = KvStore::new(env);
    let sink = AnalyticsSink::new(env);
    let lookups = LookupLimiters::new(env, config);
    let notifier = queue::QueueNotifier::new(env);
    let access_keys = access::WebCryptoKeys {
        jwks_url: config
            .access
            .as_ref()
            .map(|a| a.jwks_url.clone())
            .unwrap_or_default(),
    };
    let api = Api {
        db: &db,
        kv: &kv,
        clock: &JsClock,
        ids: &RandomIds,
        engine: crate::embedded::engine(),
        config,
        state,
        lookups: &lookups,
        notifier: &notifier,
        access_keys: &access_keys,
    };
    let session = match config.conversation_store {
        ConversationStore::DurableObject => session::session_of(&api_request),
        ConversationStore::Context => None,
    };
    let mut response = if coarse_limit_exceeded(env, config, &api_request).await {
        api.serve_error(
            &api_request,
            crate::api::error::ApiError::RateLimited { retry_after: 60 },
            &sink,
        )
    } else if let Some(session) = session {
        // The rate limit is counted here, so a flood never reaches (or bills) the object.
        if let Err(error) = api.admit(&api_request) {
            api.serve_error(&api_request, error, &sink)
        } else {
            match conversations::ask(env, &session, &request.url(), &api_request).await {
                Ok(response) => return Ok(response.into()),
                Err(error) => api.serve_error(
                    &api_request,
                    crate::api::error::ApiError::Internal(format!("conversation store: {error}")),
                    &sink,
                ),
            }
        }
    } else {
        api.serve(&api_request, &sink).await
    };
    // The client sends it back, so its next reads see at least what this request saw or wrote.
    if let Some(bookmark) = db
        .bookmark()
        .filter(|b| crate::api::replicas::is_bookmark(b))
    {
        response.set_header(crate::api::replicas::BOOKMARK_HEADER, &bookmark);
    }
    fast::response(&response)
}
