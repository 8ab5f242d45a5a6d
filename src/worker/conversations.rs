//! The `durable_object` conversation store (`CONVERSATION_STORE=durable_object`, see
//! docs/conversation.md): the Worker hands each valid `POST /v1/messages` to the Durable
//! Object named by its `session_id`, which answers it with [`Api::serve_session`] over its own
//! SQLite storage: one row, the last reply's `context`. An alarm deletes it a day after the
//! session's last message.

use super::bindings::{AnalyticsSink, D1Store, JsClock, KvStore, LookupLimiters, RandomIds};
use crate::api::http::{ApiRequest, Body};
use crate::api::platform::StorageError;
use crate::api::session::{self, Expiry, SessionStorage, StoredConversation};
use crate::api::turnstile::Turnstile;
use crate::api::Api;
use std::cell::Cell;
use worker::{
    console_error, durable_object, web_sys, DurableObject, Env, Headers, Request, Response, Result,
    ScheduledTime, SqlStorage, SqlStorageValue, State,
};

/// The Durable Object namespace binding (wrangler.toml `[[durable_objects.bindings]]`).
pub const BINDING: &str = "CONVERSATIONS";
/// Carries the request's colo (from its `CF-Ray`) to the Durable Object for the data point.
const COLO_HEADER: &str = "x-concierge-colo";

/// Hands an admitted message to its session's Durable Object and returns the answer. An error
/// (binding missing, object unreachable, object threw) is the caller's 500.
pub async fn ask(env: &Env, session_id: &str, url: &str, request: &ApiRequest) -> Result<Response> {
    let Body::Bytes(body) = &request.body else {
        return Err(worker::Error::RustError(
            "a body over the limit reached the conversation store".into(),
        ));
    };
    let headers = Headers::new();
    if let Some(content_type) = &request.content_type {
        headers.set("content-type", content_type)?;
    }
    if let Some(origin) = &request.origin {
        headers.set("origin", origin)?;
    }
    headers.set("cf-connecting-ip", &request.client_ip)?;
    headers.set(COLO_HEADER, &request.colo)?;
    // web_sys's RequestInit rather than worker's, whose conversion of `cf` properties costs
    // ~7 KB of wasm for nothing here.
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers.0);
    init.set_body(&js_sys::Uint8Array::from(body.as_slice()));
    let forwarded = Request::from(web_sys::Request::new_with_str_and_init(url, &init)?);
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(session_id)?
        .get_stub()?;
    stub.fetch_with_request(forwarded).await
}

/// One shopper session's conversation.
#[durable_object(alarm)]
pub struct ConversationSession {
    state: State,
    env: Env,
    /// Lets one message of the session in at a time (and the expiry alarm between them).
    gate: Turnstile,
    /// Whether this instance has created its table.
    table_ready: Cell<bool>,
    /// Whether this instance knows an expiry alarm is set.
    expiry_armed: Cell<bool>,
}

impl DurableObject for ConversationSession {
    fn new(state: State, env: Env) -> Self {
        ConversationSession {
            state,
            env,
            gate: Turnstile::default(),
            table_ready: Cell::new(false),
            expiry_armed: Cell::new(false),
        }
    }

    async fn fetch(&self, request: Request) -> Result<Response> {
        let mut api_request = super::to_api_request(request.inner()).await?;
        api_request.colo = request
            .headers()
            .get(COLO_HEADER)
            .ok()
            .flatten()
            .unwrap_or_default();
        let env = &self.env;
        let db = D1Store::new(env);
        let kv = KvStore::new(env);
        let sink = AnalyticsSink::new(env);
        let config = super::config(env);
        let lookups = LookupLimiters::new(env, config);
        let api = Api {
            db: &db,
            kv: &kv,
            clock: &JsClock,
            ids: &RandomIds,
            engine: crate::embedded::engine(),
            config,
            state: super::isolate_state(),
            lookups: &lookups,
            // Messages only: no creates (notifications) and no staff routes (Access) here.
            notifier: &crate::api::platform::NoNotifier,
            access_keys: &crate::api::platform::NoAccessKeys,
        };
        let storage = self.storage();
        let response = api
            .serve_session(&self.gate, &storage, &api_request, &sink)
            .await;
        if response.status == 200 {
            self.arm_expiry().await;
        }
        self.flush_message_log_later();
        super::fast::response(&response).map(Response::from)
    }

    async fn alarm(&self) -> Result<Response> {
        let _turn = self.gate.enter().await;
        let stored = self.storage().load().map_err(storage_error)?;
        match session::expiry(stored.as_ref(), js_sys::Date::now() as i64) {
            Expiry::Forget => {
                self.state.storage().delete_all().await?;
                self.table_ready.set(false);
                self.expiry_armed.set(false);
            }
            Expiry::CheckAt(at_ms) => {
                let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64));
                self.state
                    .storage()
                    .set_alarm(ScheduledTime::new(at))
                    .await?;
            }
        }
        Response::empty()
    }
}

impl ConversationSession {
    /// The object's isolate buffers message-log entries too: write them after answering, like
    /// the Worker does.
    fn flush_message_log_later(&self) {
        let state = super::isolate_state();
        let now = js_sys::Date::now() as i64;
        let due = state.take_due_message_log(now, super::config(&self.env));
        if due.is_empty() {
            return;
        }
        let env = self.env.clone();
        self.state.wait_until(async move {
            let db = D1Store::new(&env);
            if let Err(error) = crate::api::write_message_log(&db, state, due, now).await {
                console_error!("message log not written (kept for the next flush): {error}");
            }
        });
    }

    fn storage(&self) -> SqlSession<'_> {
        SqlSession {
            sql: self.state.storage().sql(),
            ready: &self.table_ready,
        }
    }

    /// Sets the expiry alarm unless one is set. A failure is logged: the conversation was
    /// stored and answered, and the next message tries again.
    async fn arm_expiry(&self) {
        if self.expiry_armed.get() {
            return;
        }
        let storage = self.state.storage();
        let armed = async {
            if storage.get_alarm().await?.is_none() {
                storage.set_alarm(session::IDLE_TTL_MS).await?;
            }
            Ok::<(), worker::Error>(())
        }
        .await;
        match armed {
            Ok(()) => self.expiry_armed.set(true),
            Err(error) => console_error!("conversation store: expiry alarm not set: {error}"),
        }
    }
}

fn storage_error(error: StorageError) -> worker::Error {
    worker::Error::RustError(error.to_string())
}

/// The session's conversation in its Durable Object's SQLite: a single row.
struct SqlSession<'a> {
    sql: SqlStorage,
    ready: &'a Cell<bool>,
}

fn sql_error(error: worker::Error) -> StorageError {
    StorageError::Database(error.to_string())
}

impl SqlSession<'_> {
    fn ensure_table(&self) -> std::result::Result<(), StorageError> {
        if !self.ready.get() {
            self.sql
                .exec(
                    "CREATE TABLE IF NOT EXISTS conversation (
                       id INTEGER PRIMARY KEY CHECK (id = 1),
                       context TEXT NOT NULL,
                       updated_at INTEGER NOT NULL)",
                    None,
                )
                .map_err(sql_error)?;
            self.ready.set(true);
        }
        Ok(())
    }
}

impl SessionStorage for SqlSession<'_> {
    fn load(&self) -> std::result::Result<Option<StoredConversation>, StorageError> {
        self.ensure_table()?;
        let cursor = self
            .sql
            .exec(
                "SELECT context, updated_at FROM conversation WHERE id = 1",
                None,
            )
            .map_err(sql_error)?;
        let Some(row) = cursor.raw().next() else {
            return Ok(None);
        };
        match row.map_err(sql_error)?.as_slice() {
            [SqlStorageValue::String(context), SqlStorageValue::Integer(at)] => {
                Ok(Some(StoredConversation {
                    context: context.clone(),
                    updated_at_ms: *at,
                }))
            }
            _ => Err(StorageError::RowShape(
                "conversation row is not (text, integer)".into(),
            )),
        }
    }

    fn save(&self, conversation: &StoredConversation) -> std::result::Result<(), StorageError> {
        self.ensure_table()?;
        self.sql
            .exec(
                "INSERT INTO conversation (id, context, updated_at) VALUES (1, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET context = excluded.context, updated_at = excluded.updated_at",
                vec![
                    SqlStorageValue::from(conversation.context.as_str()),
                    SqlStorageValue::Integer(conversation.updated_at_ms),
                ],
            )
            .map_err(sql_error)?;
        Ok(())
    }
}
