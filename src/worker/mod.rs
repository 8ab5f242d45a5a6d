//! The Cloudflare glue (wasm only): the `fetch` entry turns a `worker::Request` into an
//! [`ApiRequest`], runs the platform-free API over the D1, KV and Analytics Engine adapters in
//! [`bindings`], and turns the [`ApiResponse`] back into a `worker::Response`. With
//! `CONVERSATION_STORE=durable_object`, messages go to their session's Durable Object
//! ([`conversations`]) instead.

mod bindings;
mod conversations;

use crate::api::auth::AdminTokens;
use crate::api::http::{ApiRequest, ApiResponse, Body, MAX_BODY_BYTES};
use crate::api::session::{self, ConversationStore};
use crate::api::{Api, Config, IsolateState};
use bindings::{AnalyticsSink, D1Store, JsClock, KvStore, RandomIds};
use worker::{event, Context, Env, Headers, Request, Response, Result};

thread_local! {
    /// Caches, rate-limit counters and the message-log buffer of this isolate.
    static STATE: &'static IsolateState = Box::leak(Box::default());
    /// Vars and secrets do not change within an isolate: read them once.
    static CONFIG: std::cell::OnceCell<&'static Config> = const { std::cell::OnceCell::new() };
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

fn load_config(env: &Env) -> Config {
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
        tokens: AdminTokens {
            support: secret(env, "SUPPORT_TOKEN"),
            merchandiser: secret(env, "MERCHANDISER_TOKEN"),
            admin: secret(env, "ADMIN_TOKEN"),
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

fn config(env: &Env) -> &'static Config {
    CONFIG.with(|cell| *cell.get_or_init(|| Box::leak(Box::new(load_config(env)))))
}

fn isolate_state() -> &'static IsolateState {
    STATE.with(|s| *s)
}

/// `request.cf.colo` without panicking when the property is absent (as it can be locally).
fn colo(request: &Request) -> String {
    let cf = js_sys::Reflect::get(request.inner(), &"cf".into()).unwrap_or_default();
    if cf.is_object() {
        js_sys::Reflect::get(&cf, &"colo".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    } else {
        String::new()
    }
}

async fn to_api_request(request: &mut Request) -> Result<ApiRequest> {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let url = request.url()?;
    let method = request.method().to_string();
    let declared = header("content-length").and_then(|v| v.trim().parse::<usize>().ok());
    let (content_type, authorization, idempotency_key, origin) = (
        header("content-type"),
        header("authorization"),
        header("idempotency-key"),
        header("origin"),
    );
    let client_ip = header("cf-connecting-ip").unwrap_or_else(|| "unknown".into());
    let body = if method == "GET" || method == "HEAD" || method == "OPTIONS" {
        Body::Bytes(Vec::new())
    } else if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        Body::TooLarge
    } else {
        let bytes = request.bytes().await.unwrap_or_default();
        if bytes.len() > MAX_BODY_BYTES {
            Body::TooLarge
        } else {
            Body::Bytes(bytes)
        }
    };
    Ok(ApiRequest {
        method,
        path: url.path().to_string(),
        query: url.query().unwrap_or("").to_string(),
        content_type,
        authorization,
        idempotency_key,
        origin,
        client_ip,
        own_origin: Some(url.origin().ascii_serialization()),
        colo: colo(request),
        body,
    })
}

fn to_response(api: ApiResponse) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in &api.headers {
        headers.set(name, value)?;
    }
    let response = if api.body.is_empty() {
        Response::empty()?
    } else {
        Response::from_bytes(api.body.into_bytes())?
    };
    Ok(response.with_status(api.status).with_headers(headers))
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

#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> Result<Response> {
    match handle(request, &env).await {
        Ok(response) => Ok(response),
        Err(error) => {
            // Glue failures (reading the request, building the response) still answer in the
            // API's error shape with X-Rules-Version; the detail goes to the log only.
            worker::console_error!("worker glue error: {error}");
            let mut response =
                crate::api::error::ApiError::Internal(error.to_string()).to_response();
            response.set_header("x-rules-version", crate::embedded::engine().rules_version());
            to_response(response)
        }
    }
}

async fn handle(mut request: Request, env: &Env) -> Result<Response> {
    // Static assets never get here: wrangler.toml's run_worker_first lists only the API paths,
    // so a request reaching the Worker is an API call or a path with no asset (the API's 404).
    let config = config(env);
    let state = isolate_state();
    let api_request = to_api_request(&mut request).await?;
    let db = D1Store(env.d1("DB").ok());
    let kv = KvStore(env.kv("CONCIERGE_KV").ok());
    let sink = AnalyticsSink::new(env);
    let api = Api {
        db: &db,
        kv: &kv,
        clock: &JsClock,
        ids: &RandomIds,
        engine: crate::embedded::engine(),
        config,
        state,
    };
    let session = match config.conversation_store {
        ConversationStore::DurableObject => session::session_of(&api_request),
        ConversationStore::Context => None,
    };
    let response = if coarse_limit_exceeded(env, config, &api_request).await {
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
            let url = request.url()?.to_string();
            match conversations::ask(env, &session, &url, &api_request).await {
                Ok(response) => return Ok(response),
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
    to_response(response)
}
