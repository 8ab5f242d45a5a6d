//! The concierge HTTP API, platform-free: routing, validation, authentication, idempotency,
//! rate limits, CORS and the handlers, written against the traits in [`platform`]. The Worker
//! (`crate::worker`) only converts requests and responses and implements those traits.

pub mod admin;
pub mod alert_job;
pub mod auth;
pub mod conversation;
pub mod cors;
pub mod error;
pub mod features;
pub mod http;
pub mod idempotency;
pub mod models;
pub mod platform;
pub mod ratelimit;
pub mod router;
pub mod session;
pub mod shopper;
pub mod store;
pub mod time;
pub mod turnstile;
pub mod validate;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use crate::engine::Engine;
use crate::metrics::DataPoint;
use auth::AdminTokens;
use error::ApiError;
use http::{ApiRequest, ApiResponse};
use platform::{Clock, Database, IdSource, KeyValue, MetricsSink};
use ratelimit::{LimitClass, RateDecision, RateLimiter};
use router::Route;
use session::ConversationStore;
use std::cell::RefCell;
use store::MessageLogEntry;

/// The OpenAPI 3.1 document served at `/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// KV key of the emergency kill switch (`on` hides the widget for everyone).
pub const KILL_SWITCH_KEY: &str = "ops:kill-switch";

/// Per-deployment settings, read from vars and secrets by the Worker.
#[derive(Debug, Clone)]
pub struct Config {
    pub tokens: AdminTokens,
    /// `RATE_LIMIT_SCALE`: multiplies every per-client limit (tests raise it).
    pub rate_limit_scale: u32,
    /// `KILL_SWITCH_CACHE_SECONDS` in ms: how long an isolate trusts its last kill-switch read.
    pub kill_switch_cache_ms: i64,
    /// `CATALOG_VERSION_CACHE_SECONDS` in ms: how long an isolate trusts its last catalog version.
    pub catalog_version_cache_ms: i64,
    /// Version metadata id of this deployment.
    pub worker_version: String,
    /// Whether the Analytics Engine binding is present (reported by `/health`).
    pub analytics_bound: bool,
    /// Buffered message-log entries are written to D1 once this many are waiting…
    pub message_log_batch: usize,
    /// …or once the oldest has waited this long.
    pub message_log_max_age_ms: i64,
    /// `CONVERSATION_STORE`: where a conversation's state lives between messages.
    pub conversation_store: ConversationStore,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tokens: AdminTokens::default(),
            rate_limit_scale: 1,
            kill_switch_cache_ms: 60_000,
            catalog_version_cache_ms: 60_000,
            worker_version: String::new(),
            analytics_bound: false,
            message_log_batch: 25,
            message_log_max_age_ms: 5_000,
            conversation_store: ConversationStore::Context,
        }
    }
}

/// State that lives as long as the isolate: small caches, rate-limit counters and the buffered
/// message log. Never borrowed across an `await`.
#[derive(Debug, Default)]
pub struct IsolateState {
    kill_switch: RefCell<Option<(bool, i64)>>,
    catalog_version: RefCell<Option<(i64, i64)>>,
    limiter: RefCell<RateLimiter>,
    message_log: RefCell<Vec<MessageLogEntry>>,
    message_log_since: RefCell<Option<i64>>,
}

/// What a request did, for its Analytics Engine data point.
#[derive(Debug, Clone)]
pub struct Observation {
    pub route: &'static str,
    pub intent: String,
    pub confidence: f64,
    pub cohort: &'static str,
    pub error_code: &'static str,
}

impl Default for Observation {
    fn default() -> Self {
        Observation {
            route: router::UNMATCHED_TEMPLATE,
            intent: String::new(),
            confidence: -1.0,
            cohort: "",
            error_code: "",
        }
    }
}

/// One request's view of the platform: bindings, clock, ids, the engine and the isolate state.
pub struct Api<'a, D, K> {
    pub db: &'a D,
    pub kv: &'a K,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdSource,
    pub engine: &'a Engine,
    pub config: &'a Config,
    pub state: &'a IsolateState,
}

impl<D: Database, K: KeyValue> Api<'_, D, K> {
    /// Answers one request and writes its data point to `sink`. Never fails: errors become
    /// their JSON responses; every response carries `X-Rules-Version` and CORS headers.
    pub async fn serve(&self, request: &ApiRequest, sink: &dyn MetricsSink) -> ApiResponse {
        let started = self.clock.now_ms();
        let mut observation = Observation::default();
        let result = match self.admit(request) {
            Ok(()) => self.dispatch(request, &mut observation).await,
            Err(error) => {
                observation.route = router::route(&request.method, &request.path)
                    .map_or(router::UNMATCHED_TEMPLATE, |r| r.template());
                Err(error)
            }
        };
        self.finish(request, result, observation, started, sink)
    }

    /// Counts the request against its route's per-client rate limit: a 429 `rate_limited` once
    /// the client has spent it. [`Api::serve`] calls it first; with the `durable_object`
    /// conversation store the Worker calls it before handing a message to the session's Durable
    /// Object, which answers with [`Api::serve_session`] and does not count it again.
    pub fn admit(&self, request: &ApiRequest) -> Result<(), ApiError> {
        let method = if request.method == "HEAD" {
            "GET"
        } else {
            request.method.as_str()
        };
        // Unknown routes and preflights spend nothing; dispatch answers them.
        let class = match router::route(method, &request.path) {
            Ok(Route::Messages) => LimitClass::Messages,
            Ok(Route::OrderLookup) => LimitClass::Lookups,
            Ok(Route::Returns | Route::Escalations | Route::Csat) => LimitClass::Creates,
            _ => return Ok(()),
        };
        self.check_rate(class, &request.client_ip)
    }

    /// Answers with `error` without dispatching (the Worker's coarse rate-limit guard).
    pub fn serve_error(
        &self,
        request: &ApiRequest,
        error: ApiError,
        sink: &dyn MetricsSink,
    ) -> ApiResponse {
        let started = self.clock.now_ms();
        let observation = Observation {
            route: router::route(&request.method, &request.path)
                .map_or(router::UNMATCHED_TEMPLATE, |r| r.template()),
            ..Observation::default()
        };
        self.finish(request, Err(error), observation, started, sink)
    }

    fn finish(
        &self,
        request: &ApiRequest,
        result: Result<ApiResponse, ApiError>,
        mut observation: Observation,
        started: i64,
        sink: &dyn MetricsSink,
    ) -> ApiResponse {
        let mut response = match result {
            Ok(response) => response,
            Err(error) => {
                if let ApiError::Internal(detail) | ApiError::Storage(detail) = &error {
                    sink.internal_error(observation.route, detail);
                }
                observation.error_code = error.metric_code();
                error.to_response()
            }
        };
        response.set_header("x-rules-version", self.engine.rules_version());
        response.set_header("x-content-type-options", "nosniff");
        if response.header("cache-control").is_none() {
            // Answers can carry order details: never store them in shared caches.
            response.set_header("cache-control", "no-store");
        }
        let origin = cors::allowed_origin(
            request.origin.as_deref(),
            &self.engine.rollout().spec().allowed_origins,
            request.own_origin.as_deref(),
        );
        cors::decorate(&mut response, origin);
        if request.method == "HEAD" {
            response.body.clear();
        }
        sink.write(&DataPoint {
            route: observation.route.to_string(),
            method: request.method.clone(),
            status: response.status,
            intent: observation.intent,
            rules_version: self.engine.rules_version().to_string(),
            cohort: observation.cohort.to_string(),
            colo: request.colo.clone(),
            worker_version: self.config.worker_version.clone(),
            error_code: observation.error_code.to_string(),
            latency_ms: (self.clock.now_ms() - started).max(0) as f64,
            confidence: observation.confidence,
        });
        response
    }

    /// Routes the request to its handler (the rate limit was counted by [`Api::admit`]).
    async fn dispatch(
        &self,
        request: &ApiRequest,
        observation: &mut Observation,
    ) -> Result<ApiResponse, ApiError> {
        let method = if request.method == "HEAD" {
            "GET"
        } else {
            request.method.as_str()
        };
        let route = router::route(method, &request.path)?;
        observation.route = route.template();
        if let Route::Preflight(methods) = &route {
            let origin = cors::allowed_origin(
                request.origin.as_deref(),
                &self.engine.rollout().spec().allowed_origins,
                request.own_origin.as_deref(),
            );
            return Ok(cors::preflight(methods, origin));
        }
        if let Some(feature) = features::Feature::of_route(&route) {
            self.features_for(request, None)?.require(feature)?;
        }
        match &route {
            Route::Health => self.health().await,
            Route::OpenApi => Ok(ApiResponse {
                status: 200,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("cache-control".into(), "public, max-age=300".into()),
                ],
                body: OPENAPI_JSON.to_string(),
            }),
            Route::Messages => self.message(request, observation).await,
            Route::Products => self.products(request).await,
            Route::OrderLookup => self.order_lookup(request).await,
            Route::Flags => self.flags(request, observation).await,
            Route::Returns | Route::Escalations | Route::Csat => self.create(&route, request).await,
            Route::AdminTickets
            | Route::AdminTicket(_)
            | Route::AdminCsat
            | Route::AdminAnalytics => self.admin(&route, request).await,
            Route::Preflight(_) => Err(ApiError::Internal("preflight reached dispatch".into())),
        }
    }

    /// The feature decisions for the shopper of `request`: `user_id` when the body names one,
    /// else the `X-Shopper-Id` header (422 at `X-Shopper-Id` when malformed).
    fn features_for(
        &self,
        request: &ApiRequest,
        user_id: Option<&str>,
    ) -> Result<features::Features, ApiError> {
        let shopper = match user_id {
            Some(id) => Some(id),
            None => match request.shopper_id.as_deref() {
                Some(id) => {
                    validate::check_id("X-Shopper-Id", id)?;
                    Some(id)
                }
                None => None,
            },
        };
        Ok(features::Features::decide(self.engine.rollout(), shopper))
    }

    fn check_rate(&self, class: LimitClass, client: &str) -> Result<(), ApiError> {
        let limit = class.per_minute(
            &self.engine.thresholds().rate_limits,
            self.config.rate_limit_scale,
        );
        let decision =
            self.state
                .limiter
                .borrow_mut()
                .check(class, client, limit, self.clock.now_ms());
        match decision {
            RateDecision::Allowed { .. } => Ok(()),
            RateDecision::Limited {
                retry_after_seconds,
            } => Err(ApiError::RateLimited {
                retry_after: retry_after_seconds,
            }),
        }
    }

    /// Runs a creating POST under its `Idempotency-Key`, if any.
    async fn create(&self, route: &Route, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let object = validate::json_object(request)?;
        let canonical = serde_json::Value::Object(object.clone()).to_string();
        let input = shopper::CreateInput::parse(
            route,
            object,
            self.engine.thresholds(),
            self.engine.domain(),
        )?;
        let key = idempotency::parse_key(request.idempotency_key.as_deref())?;
        if let Some(key) = &key {
            let hash = idempotency::request_hash(route.template(), &canonical);
            if let idempotency::Begin::Replay(response) =
                idempotency::begin(self.db, key, route.template(), &hash, self.clock.now_ms())
                    .await?
            {
                return Ok(response);
            }
        }
        let result = self.perform_create(&input).await;
        if let Some(key) = &key {
            match &result {
                Ok(response) => idempotency::complete(self.db, key, response).await?,
                Err(error) if error.status() >= 500 => idempotency::abandon(self.db, key).await?,
                Err(error) => idempotency::complete(self.db, key, &error.to_response()).await?,
            }
        }
        result
    }

    /// Whether `ops:kill-switch` is `on`, trusting the isolate's last read for the configured time.
    /// A KV failure counts as "off": the rules' own master switch still applies.
    async fn kill_switch_on(&self) -> bool {
        let now = self.clock.now_ms();
        if let Some((on, at)) = *self.state.kill_switch.borrow() {
            if now - at < self.config.kill_switch_cache_ms {
                return on;
            }
        }
        let on = self
            .kv
            .get(KILL_SWITCH_KEY)
            .await
            .ok()
            .flatten()
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("on"));
        *self.state.kill_switch.borrow_mut() = Some((on, now));
        on
    }

    /// The catalog version, trusting the isolate's last read for the configured time.
    async fn catalog_version(&self) -> Result<i64, ApiError> {
        let now = self.clock.now_ms();
        if let Some((version, at)) = *self.state.catalog_version.borrow() {
            if now - at < self.config.catalog_version_cache_ms {
                return Ok(version);
            }
        }
        let version = store::catalog_version(self.db).await?;
        *self.state.catalog_version.borrow_mut() = Some((version, now));
        Ok(version)
    }

    /// Buffers one message-log entry and writes the buffer when it is full or old enough.
    async fn log_message(&self, entry: MessageLogEntry) -> Result<(), ApiError> {
        let now = self.clock.now_ms();
        let due = {
            let mut log = self.state.message_log.borrow_mut();
            log.push(entry);
            let mut since = self.state.message_log_since.borrow_mut();
            let first = *since.get_or_insert(now);
            log.len() >= self.config.message_log_batch
                || now - first >= self.config.message_log_max_age_ms
        };
        if due {
            self.flush_message_log().await?;
        }
        Ok(())
    }

    /// Writes every buffered message-log entry to D1 (admin analytics calls this first).
    pub async fn flush_message_log(&self) -> Result<(), ApiError> {
        let entries = std::mem::take(&mut *self.state.message_log.borrow_mut());
        *self.state.message_log_since.borrow_mut() = None;
        if entries.is_empty() {
            return Ok(());
        }
        if let Err(error) = store::insert_message_log(self.db, &entries).await {
            // Put them back so the next flush retries; analytics must not lose them silently.
            self.state.message_log.borrow_mut().extend(entries);
            return Err(error.into());
        }
        Ok(())
    }
}
