//! The concierge HTTP API, platform-free: routing, validation, authentication, idempotency,
//! rate limits, CORS and the handlers, written against the traits in [`platform`]. The Worker
//! (`crate::worker`) only converts requests and responses and implements those traits.

pub mod admin;
pub mod alert_job;
pub mod auth;
pub mod console;
pub mod console_store;
pub mod conversation;
pub mod cors;
pub mod error;
pub mod features;
pub mod http;
pub mod idempotency;
pub mod kinds;
pub mod models;
pub mod notify;
pub mod platform;
pub mod ratelimit;
pub mod replicas;
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
use platform::{
    AccessKeys, Clock, Database, IdSource, KeyValue, LookupBudget, MetricsSink, Notifier, Statement,
};
use ratelimit::{client_key, LimitClass, RateDecision, RateLimiter};
use router::Route;
use session::ConversationStore;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use store::MessageLogEntry;

/// The OpenAPI 3.1 document of these routes. It is a static asset (`public/openapi.json`, served
/// at `/openapi.json` by Workers static assets without running the wasm, with the headers
/// `public/_headers` gives it), so only native builds (and tests) embed it: the tests hold it to the code.
#[cfg(any(test, not(target_arch = "wasm32")))]
pub const OPENAPI_JSON: &str = include_str!("../../public/openapi.json");

/// KV key of the emergency kill switch (`on` hides the widget and turns the shopper routes off).
pub const KILL_SWITCH_KEY: &str = "ops:kill-switch";

/// `Retry-After` of a 503 `concierge_disabled` (seconds).
pub const KILL_SWITCH_RETRY_AFTER: u64 = 60;

/// At most this many message-log entries wait in an isolate; beyond it the oldest are dropped
/// (and counted) rather than letting a D1 outage grow the isolate's memory.
pub const MAX_BUFFERED_MESSAGE_LOG: usize = 500;

/// Message-log rows are kept this long (then the scheduled purge deletes them).
pub const MESSAGE_LOG_RETENTION_MS: i64 = 90 * time::DAY_MS;

/// Bytes of linear memory of this isolate's wasm instance (0 natively).
pub fn isolate_memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// Per-deployment settings, read from vars and secrets by the Worker.
#[derive(Debug, Clone)]
pub struct Config {
    pub tokens: AdminTokens,
    /// Cloudflare Access (`ACCESS_AUD`, `ACCESS_TEAM_DOMAIN`, `STAFF_ROLES`); `None`: off.
    pub access: Option<auth::AccessConfig>,
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
            access: None,
            rate_limit_scale: 1,
            kill_switch_cache_ms: 60_000,
            catalog_version_cache_ms: 60_000,
            worker_version: String::new(),
            analytics_bound: false,
            message_log_batch: 100,
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
    /// Catalog pages this isolate read from KV lately, see [`IsolateState::cached_page`].
    catalog_pages: RefCell<VecDeque<CatalogPage>>,
    limiter: RefCell<RateLimiter>,
    message_log: RefCell<VecDeque<MessageLogEntry>>,
    message_log_since: RefCell<Option<i64>>,
    message_log_dropped: Cell<u64>,
    message_log_failures: Cell<u64>,
    requests: Cell<u64>,
    /// The Cloudflare Access JWKS, see [`auth::KeyCache`].
    access_key_cache: auth::KeyCache,
}

/// One catalog page as read from the KV cache: its key (which names the catalog version), when
/// it was read and its products.
#[derive(Debug)]
struct CatalogPage {
    key: String,
    read_at_ms: i64,
    products: std::rc::Rc<Vec<models::Product>>,
}

/// Most catalog pages an isolate keeps (a page is a few KB).
pub const MAX_CACHED_CATALOG_PAGES: usize = 64;

impl IsolateState {
    /// The page under `key` if this isolate read it from KV less than `max_age_ms` ago. The key
    /// carries the catalog version, so a page is only as old as that version's last read (the
    /// same bound, `CATALOG_VERSION_CACHE_SECONDS`), and the KV entry behind it holds the same
    /// products until it expires: the popular searches skip the KV round trip and the JSON.
    pub fn cached_page(
        &self,
        key: &str,
        now_ms: i64,
        max_age_ms: i64,
    ) -> Option<std::rc::Rc<Vec<models::Product>>> {
        let mut pages = self.catalog_pages.borrow_mut();
        pages.retain(|p| now_ms - p.read_at_ms < max_age_ms && p.read_at_ms <= now_ms);
        pages
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.products.clone())
    }

    /// Remembers a page read from KV or D1, dropping the oldest beyond
    /// [`MAX_CACHED_CATALOG_PAGES`].
    pub fn remember_page(
        &self,
        key: String,
        now_ms: i64,
        products: std::rc::Rc<Vec<models::Product>>,
    ) {
        let mut pages = self.catalog_pages.borrow_mut();
        pages.retain(|p| p.key != key);
        pages.push_back(CatalogPage {
            key,
            read_at_ms: now_ms,
            products,
        });
        while pages.len() > MAX_CACHED_CATALOG_PAGES {
            pages.pop_front();
        }
    }

    /// Buffers one message-log entry, dropping the oldest beyond [`MAX_BUFFERED_MESSAGE_LOG`].
    pub fn buffer_message_log(&self, entry: MessageLogEntry, now_ms: i64) {
        let mut log = self.message_log.borrow_mut();
        log.push_back(entry);
        while log.len() > MAX_BUFFERED_MESSAGE_LOG {
            log.pop_front();
            self.message_log_dropped
                .set(self.message_log_dropped.get() + 1);
        }
        self.message_log_since.borrow_mut().get_or_insert(now_ms);
    }

    /// Takes the buffered entries when there are `config.message_log_batch` of them or the
    /// oldest has waited `config.message_log_max_age_ms`; empty otherwise.
    pub fn take_due_message_log(&self, now_ms: i64, config: &Config) -> Vec<MessageLogEntry> {
        let due = {
            let log = self.message_log.borrow();
            let since = *self.message_log_since.borrow();
            !log.is_empty()
                && (log.len() >= config.message_log_batch
                    || since.is_some_and(|t| now_ms - t >= config.message_log_max_age_ms))
        };
        if due {
            self.take_message_log()
        } else {
            Vec::new()
        }
    }

    /// Takes every buffered entry.
    pub fn take_message_log(&self) -> Vec<MessageLogEntry> {
        *self.message_log_since.borrow_mut() = None;
        std::mem::take(&mut *self.message_log.borrow_mut()).into()
    }

    /// Puts entries whose write failed back in front of the buffer (still bounded).
    fn restore_message_log(&self, entries: Vec<MessageLogEntry>, now_ms: i64) {
        let mut log = self.message_log.borrow_mut();
        for entry in entries.into_iter().rev() {
            log.push_front(entry);
        }
        while log.len() > MAX_BUFFERED_MESSAGE_LOG {
            log.pop_front();
            self.message_log_dropped
                .set(self.message_log_dropped.get() + 1);
        }
        self.message_log_since.borrow_mut().get_or_insert(now_ms);
    }

    /// What `GET /v1/admin/isolate` reports.
    pub fn report(&self) -> serde_json::Value {
        serde_json::json!({
            "memory_bytes": isolate_memory_bytes(),
            "requests": self.requests.get(),
            "message_log": {
                "buffered": self.message_log.borrow().len(),
                "max_buffered": MAX_BUFFERED_MESSAGE_LOG,
                "dropped": self.message_log_dropped.get(),
                "failed_writes": self.message_log_failures.get(),
            },
            "rate_limiter_entries": self.limiter.borrow().len(),
        })
    }
}

/// Writes message-log entries in one batch; on failure they go back into the (bounded) buffer
/// for the next flush. The Worker runs this in `ctx.wait_until`, after the answer has gone out,
/// so a failing D1 write never fails a shopper's message.
pub async fn write_message_log<D: Database>(
    db: &D,
    state: &IsolateState,
    entries: Vec<MessageLogEntry>,
    now_ms: i64,
) -> Result<(), ApiError> {
    if entries.is_empty() {
        return Ok(());
    }
    if let Err(error) = store::insert_message_log(db, &entries).await {
        state
            .message_log_failures
            .set(state.message_log_failures.get() + 1);
        state.restore_message_log(entries, now_ms);
        return Err(error.into());
    }
    Ok(())
}

/// The scheduled purge (a Cron Trigger in the Worker): idempotency keys past their retention,
/// message-log rows past [`MESSAGE_LOG_RETENTION_MS`] and unanswered questions not asked for
/// `unanswered_retention_days` (rules/thresholds.toml).
pub async fn purge<D: Database>(db: &D, now_ms: i64) -> Result<store::Purged, ApiError> {
    let days = crate::embedded::engine()
        .thresholds()
        .unanswered_retention_days;
    Ok(store::purge(
        db,
        &time::format_iso(now_ms - idempotency::RETENTION_MS),
        &time::format_iso(now_ms - MESSAGE_LOG_RETENTION_MS),
        &time::format_iso(now_ms - i64::from(days) * time::DAY_MS),
    )
    .await?)
}

/// What a request did, for its Analytics Engine data point.
#[derive(Debug, Clone)]
pub struct Observation {
    pub route: &'static str,
    pub intent: String,
    pub confidence: f64,
    /// The rollout decision made for this request, if one was.
    pub cohort: Option<Cohort>,
    pub error_code: &'static str,
}

/// Which side of the rollout a request fell on (blob6 of its data point).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cohort {
    Enabled,
    Disabled,
}

impl Cohort {
    /// The cohort of a rollout decision.
    pub fn of(enabled: bool) -> Cohort {
        if enabled {
            Cohort::Enabled
        } else {
            Cohort::Disabled
        }
    }

    /// The name in data points and dashboards.
    pub fn name(self) -> &'static str {
        match self {
            Cohort::Enabled => "enabled",
            Cohort::Disabled => "disabled",
        }
    }
}

impl Default for Observation {
    fn default() -> Self {
        Observation {
            route: router::UNMATCHED_TEMPLATE,
            intent: String::new(),
            confidence: -1.0,
            cohort: None,
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
    /// The order-lookup budget shared across isolates.
    pub lookups: &'a dyn LookupBudget,
    /// Staff notifications (the `NOTIFICATIONS` queue), see [`notify`].
    pub notifier: &'a dyn Notifier,
    /// Cloudflare Access's keys, for staff who sign in through Access (see [`auth`]).
    pub access_keys: &'a dyn AccessKeys,
}

impl<D: Database, K: KeyValue> Api<'_, D, K> {
    /// Answers one request and writes its data point to `sink`. Never fails: errors become
    /// their JSON responses; every response carries `X-Rules-Version` and CORS headers.
    pub async fn serve(&self, request: &ApiRequest, sink: &dyn MetricsSink) -> ApiResponse {
        let started = self.clock.now_ms();
        self.state.requests.set(self.state.requests.get() + 1);
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
            Ok(Route::OrderLookup | Route::ReturnStatus | Route::TicketStatus) => {
                LimitClass::Lookups
            }
            Ok(Route::Returns | Route::Escalations | Route::Csat) => LimitClass::Creates,
            _ => return Ok(()),
        };
        self.check_rate(class, &client_key(&request.client_ip))
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
            cohort: observation.cohort.map_or("", Cohort::name).to_string(),
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
        replicas::check_bookmark_header(request)?;
        if route.is_shopper() && self.kill_switch_on().await {
            return Err(ApiError::ConciergeDisabled {
                retry_after: KILL_SWITCH_RETRY_AFTER,
            });
        }
        if let Some(feature) = features::Feature::of_route(&route) {
            self.features_for(request, None)?.require(feature)?;
        }
        match &route {
            Route::Health => self.health().await,
            Route::Messages => self.message(request, observation).await,
            Route::Products => self.products(request).await,
            Route::OrderLookup => self.order_lookup(request).await,
            Route::ReturnStatus => self.return_status(request).await,
            Route::TicketStatus => self.ticket_status(request).await,
            Route::Flags => self.flags(request, observation).await,
            Route::Returns | Route::Escalations | Route::Csat => self.create(&route, request).await,
            Route::AdminTickets
            | Route::AdminTicket(_)
            | Route::AdminTicketDetail(_)
            | Route::AdminMe
            | Route::AdminReturns
            | Route::AdminReturnDetail(_)
            | Route::AdminReturn(_)
            | Route::AdminUnanswered
            | Route::AdminUnansweredExport
            | Route::AdminCsat
            | Route::AdminAnalytics
            | Route::AdminIsolate => self.admin(&route, request).await,
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
        // The header is checked whenever it is sent, even when the body names the user.
        check_shopper_header(request)?;
        let shopper = user_id.or(request.shopper_id.as_deref());
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

    /// Spends one attempt of the shared order-lookup budget for `order_number`: 429 with
    /// `Retry-After` once the client (IPv4 address or IPv6 /64) or the order number has spent it.
    /// A failing budget store lets the attempt through (the per-isolate limits still apply).
    pub async fn spend_lookup(&self, client_ip: &str, order_number: &str) -> Result<(), ApiError> {
        match self
            .lookups
            .spend(&client_key(client_ip), order_number)
            .await
        {
            Ok(true) | Err(_) => Ok(()),
            Ok(false) => Err(ApiError::RateLimited { retry_after: 60 }),
        }
    }

    /// Runs a creating POST under its `Idempotency-Key`, if any: claims the key (scoped by route
    /// and client), prepares the row, then writes the row and the stored response in one batch
    /// guarded by the claim.
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
        let claim = match &key {
            None => None,
            Some(key) => {
                let scoped =
                    idempotency::scoped_key(route.template(), &client_key(&request.client_ip), key);
                let hash = idempotency::request_hash(route.template(), &canonical);
                let owner = self.ids.token();
                match idempotency::begin(
                    self.db,
                    &scoped,
                    route.template(),
                    &hash,
                    &owner,
                    self.clock.now_ms(),
                )
                .await?
                {
                    idempotency::Begin::Replay(response) => return Ok(response),
                    idempotency::Begin::Proceed(claim) => Some(claim),
                }
            }
        };
        let result = self.commit_create(&input, request, claim.as_ref()).await;
        if let (Some(claim), Err(error)) = (&claim, &result) {
            if error.status() >= 500 {
                // Release at once so the retry runs; if even that fails, the lease expires.
                let _ = idempotency::abandon(self.db, claim).await;
            } else if !matches!(error, ApiError::IdempotencyInFlight) {
                idempotency::complete(self.db, claim, &error.to_response()).await?;
            }
        }
        result
    }

    /// Prepares a create and writes it: without a claim the row alone, with one the row and the
    /// `done` response in one batch, both guarded by the claim.
    async fn commit_create(
        &self,
        input: &shopper::CreateInput,
        request: &ApiRequest,
        claim: Option<&idempotency::Claim>,
    ) -> Result<ApiResponse, ApiError> {
        let prepared = self.prepare_create(input, request, claim).await?;
        let mut statements: Vec<Statement> = vec![prepared.insert];
        if let Some(claim) = claim {
            // Right after the insert: it checks `changes()` of the insert.
            statements.push(idempotency::complete_statement(claim, &prepared.response));
        }
        statements.extend(prepared.extra);
        let changed = self.db.batch(&statements).await?;
        if changed.first().copied().unwrap_or(0) > 0 {
            // Committed: notify staff once for this row (a replay answers from the stored
            // response in `create` and never gets here).
            let at = time::format_iso(self.clock.now_ms());
            if let Some(notification) = notify::Notification::of_create(
                input,
                &prepared.response.json_body(),
                request.own_origin.as_deref(),
                &at,
            ) {
                self.notify(&notification).await;
            }
            return Ok(prepared.response);
        }
        match claim {
            // The lease ran out and a retry took the key over: it does the work, not us.
            Some(claim) if !idempotency::still_owned(self.db, claim).await? => {
                Err(ApiError::IdempotencyInFlight)
            }
            _ => Err(prepared.conflict),
        }
    }

    /// Whether `ops:kill-switch` is `on`, trusting the isolate's last read for the configured time.
    /// A failed KV read keeps the last value this isolate read (fail safe: a switch that was on
    /// stays on through a KV outage); an isolate that never read it counts it as off.
    async fn kill_switch_on(&self) -> bool {
        let now = self.clock.now_ms();
        let last = *self.state.kill_switch.borrow();
        if let Some((on, at)) = last {
            if now - at < self.config.kill_switch_cache_ms {
                return on;
            }
        }
        let on = match self.kv.get(KILL_SWITCH_KEY).await {
            Ok(value) => value.is_some_and(|v| v.trim().eq_ignore_ascii_case("on")),
            Err(_) => last.is_some_and(|(on, _)| on),
        };
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

    /// Buffers one message-log entry; the Worker writes the buffer after answering
    /// ([`IsolateState::take_due_message_log`], [`write_message_log`]).
    fn log_message(&self, entry: MessageLogEntry) {
        self.state.buffer_message_log(entry, self.clock.now_ms());
    }

    /// Writes the buffer if it is due, as the Worker does in `ctx.wait_until` after a request.
    pub async fn flush_due_message_log(&self) -> Result<(), ApiError> {
        let now = self.clock.now_ms();
        let due = self.state.take_due_message_log(now, self.config);
        write_message_log(self.db, self.state, due, now).await
    }

    /// Writes every buffered message-log entry to D1 (admin analytics calls this first).
    pub async fn flush_message_log(&self) -> Result<(), ApiError> {
        let now = self.clock.now_ms();
        let entries = self.state.take_message_log();
        write_message_log(self.db, self.state, entries, now).await
    }
}

/// `X-Shopper-Id`, when sent, is an id (422 at `X-Shopper-Id` otherwise), on every route that
/// documents it, whether or not the route decides features with it.
pub(crate) fn check_shopper_header(request: &ApiRequest) -> Result<(), ApiError> {
    match request.shopper_id.as_deref() {
        Some(id) => validate::check_id("X-Shopper-Id", id),
        None => Ok(()),
    }
}
