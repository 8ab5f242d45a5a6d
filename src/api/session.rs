//! Where a conversation's state lives between two messages, chosen by the `CONVERSATION_STORE`
//! var (docs/conversation.md has the measurements behind the default):
//! - `context` (default): the reply carries it as `context` and the client sends it back, so the
//!   Worker keeps nothing and pays no storage round trip;
//! - `durable_object`: one Durable Object per session keeps it; the client need not send it.
//!
//! This module is the platform-free half of the second design: which requests go to a session's
//! store, and [`Api::serve_session`], which loads the stored conversation, hands it to the
//! message handler as `context` (a context the client sent is ignored), stores the reply's, and
//! runs one message of a session at a time. The Durable Object in `crate::worker` only provides
//! the [`SessionStorage`] and the [`Turnstile`].

use super::conversation::Conversation;
use super::error::ApiError;
use super::http::{ApiRequest, ApiResponse, Body};
use super::platform::{Database, KeyValue, MetricsSink, StorageError};
use super::router::{self, Route};
use super::shopper::MessageInput;
use super::turnstile::Turnstile;
use super::validate::{self, Fields};
use super::{Api, Observation};
use crate::engine::Engine;
use serde_json::{Map, Value};

/// How long a stored conversation outlives the last message of its session (then it is deleted,
/// and a message after that starts afresh).
pub const IDLE_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// Where conversations are kept (the `CONVERSATION_STORE` var).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConversationStore {
    /// Carried by the conversation itself (`context` in every reply, sent back by the client).
    #[default]
    Context,
    /// In a Durable Object per session.
    DurableObject,
}

impl ConversationStore {
    /// Every store, by its name in `CONVERSATION_STORE`.
    pub const NAMES: [&'static str; 2] = ["context", "durable_object"];

    /// The store called `name`, if any.
    pub fn from_name(name: &str) -> Option<ConversationStore> {
        match name.trim() {
            "context" => Some(ConversationStore::Context),
            "durable_object" => Some(ConversationStore::DurableObject),
            _ => None,
        }
    }
}

/// The session whose store answers this request: a `POST /v1/messages` whose own fields are
/// valid ([`MessageInput`]; the `context` is the store's business). Anything else, bad input
/// included, is answered by the Worker itself, so a 4xx never costs a Durable Object request.
pub fn session_of(request: &ApiRequest) -> Option<String> {
    if !matches!(
        router::route(&request.method, &request.path),
        Ok(Route::Messages)
    ) {
        return None;
    }
    let fields = Fields::new(validate::json_object(request).ok()?, MessageInput::FIELDS).ok()?;
    MessageInput::parse(&fields)
        .ok()
        .map(|input| input.session_id)
}

/// A session's conversation as its store keeps it: the `context` JSON of the last reply.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConversation {
    pub context: String,
    /// When the last message of the session was answered (ms since the Unix epoch).
    pub updated_at_ms: i64,
}

impl StoredConversation {
    /// Whether the session is still within [`IDLE_TTL_MS`] of its last message at `now_ms`.
    pub fn is_current(&self, now_ms: i64) -> bool {
        now_ms - self.updated_at_ms < IDLE_TTL_MS
    }
}

/// One session's storage (a Durable Object's SQLite in the Worker, memory in tests). Synchronous
/// like the Durable Object SQL API, so nothing else can run between a load and its save.
pub trait SessionStorage {
    fn load(&self) -> Result<Option<StoredConversation>, StorageError>;
    fn save(&self, conversation: &StoredConversation) -> Result<(), StorageError>;
}

/// What the store's expiry alarm does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Nothing current is stored: delete everything the session kept.
    Forget,
    /// The session was active since the alarm was set: look again at this time (ms).
    CheckAt(i64),
}

/// The expiry decision at `now_ms` for what a session has stored.
pub fn expiry(stored: Option<&StoredConversation>, now_ms: i64) -> Expiry {
    match stored {
        Some(s) if s.is_current(now_ms) => Expiry::CheckAt(s.updated_at_ms + IDLE_TTL_MS),
        _ => Expiry::Forget,
    }
}

/// The stored context when the current rules still accept it. One they reject (for example more
/// shown SKUs than a lowered `max_result_limit` allows) would otherwise be a 422 at a `context`
/// path the client never sent, on every message of the session: it starts afresh instead.
fn usable_context(stored: &str, engine: &Engine) -> Option<Value> {
    let context: Value = serde_json::from_slice(stored.as_bytes()).ok()?;
    let mut object = Map::new();
    object.insert("context".into(), context.clone());
    let fields = Fields::new(object, &["context"]).ok()?;
    Conversation::from_request(&fields, engine.domain(), engine.thresholds()).ok()?;
    Some(context)
}

/// `body` with its `context` replaced by `context`, or by `null` (no context: a new
/// conversation) when `None`. A body that is not a JSON object is left as it is for the handler
/// to reject.
fn with_context(body: &Body, context: Option<Value>) -> Body {
    let Body::Bytes(bytes) = body else {
        return body.clone();
    };
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(bytes) else {
        return body.clone();
    };
    object.insert("context".into(), context.unwrap_or(Value::Null));
    Body::Bytes(Value::Object(object).to_string().into_bytes())
}

/// The `context` of a successful message reply, as compact JSON.
fn reply_context(response: &ApiResponse) -> Option<String> {
    if response.status != 200 {
        return None;
    }
    match serde_json::from_slice::<Value>(response.body.as_bytes()) {
        Ok(Value::Object(reply)) => match reply.get("context") {
            Some(context @ Value::Object(_)) => Some(context.to_string()),
            _ => None,
        },
        _ => None,
    }
}

impl<D: Database, K: KeyValue> Api<'_, D, K> {
    /// Answers a message of one session from its store: waits for the session's earlier
    /// messages to finish (`gate`), loads the conversation, runs the message handler with it as
    /// `context`, and stores the reply's. Validation runs in the handler, so bad input is its
    /// 4xx and stores nothing; a storage failure is a 500 `internal`. The per-client rate limit
    /// is not counted here: the Worker counted it ([`Api::admit`]) before handing the message on.
    pub async fn serve_session(
        &self,
        gate: &Turnstile,
        storage: &dyn SessionStorage,
        request: &ApiRequest,
        sink: &dyn MetricsSink,
    ) -> ApiResponse {
        let _turn = gate.enter().await;
        let started = self.clock.now_ms();
        let mut observation = Observation {
            route: router::route(&request.method, &request.path)
                .map_or(router::UNMATCHED_TEMPLATE, |r| r.template()),
            ..Observation::default()
        };
        let result = self
            .serve_stored(storage, request, started, &mut observation)
            .await;
        self.finish(request, result, observation, started, sink)
    }

    async fn serve_stored(
        &self,
        storage: &dyn SessionStorage,
        request: &ApiRequest,
        now_ms: i64,
        observation: &mut Observation,
    ) -> Result<ApiResponse, ApiError> {
        let internal = |e: StorageError| ApiError::Internal(format!("conversation store: {e}"));
        let context = storage
            .load()
            .map_err(internal)?
            .filter(|stored| stored.is_current(now_ms))
            .and_then(|stored| usable_context(&stored.context, self.engine));
        let request = ApiRequest {
            body: with_context(&request.body, context),
            ..request.clone()
        };
        let response = self.dispatch(&request, observation).await?;
        if let Some(context) = reply_context(&response) {
            storage
                .save(&StoredConversation {
                    context,
                    updated_at_ms: self.clock.now_ms(),
                })
                .map_err(internal)?;
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(body: &str) -> ApiRequest {
        ApiRequest::new("POST", "/v1/messages").with_json(body)
    }

    fn body_json(body: &Body) -> Value {
        match body {
            Body::Bytes(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
            Body::TooLarge => Value::Null,
        }
    }

    #[test]
    fn the_store_is_named_by_the_var_and_unknown_names_are_none() {
        assert_eq!(
            ConversationStore::from_name("context"),
            Some(ConversationStore::Context)
        );
        assert_eq!(
            ConversationStore::from_name(" durable_object "),
            Some(ConversationStore::DurableObject)
        );
        assert_eq!(ConversationStore::from_name("kv"), None);
        assert_eq!(ConversationStore::default(), ConversationStore::Context);
        for name in ConversationStore::NAMES {
            assert!(ConversationStore::from_name(name).is_some(), "{name}");
        }
    }

    #[test]
    fn only_a_valid_message_goes_to_a_session() {
        assert_eq!(
            session_of(&message(r#"{"session_id": "s-1", "text": "rings"}"#)).as_deref(),
            Some("s-1")
        );
        // Trailing slash and a content type with parameters route like the handler does.
        let mut request = ApiRequest::new("POST", "/v1/messages/")
            .with_json(r#"{"session_id": "s_2", "text": "x"}"#);
        request.content_type = Some("application/json; charset=utf-8".into());
        assert_eq!(session_of(&request).as_deref(), Some("s_2"));
        // A chip removal is a message too; a context, even a malformed one, is the store's business.
        let removal = message(r#"{"session_id": "s-3", "remove": "price", "context": "nope"}"#);
        assert_eq!(session_of(&removal).as_deref(), Some("s-3"));

        for request in [
            message(r#"{"text": "rings"}"#),
            message(r#"{"session_id": "s-1"}"#),
            message(r#"{"session_id": "s-1", "text": "x", "remove": "price"}"#),
            message(r#"{"session_id": "s-1", "remove": "colour"}"#),
            message(r#"{"session_id": "s-1", "text": "x", "user_id": "u 1"}"#),
            message(r#"{"session_id": "s-1", "text": "x", "colour": "red"}"#),
            message(r#"{"session_id": "s-1", "text": ""}"#),
            message(r#"{"session_id": 7, "text": "rings"}"#),
            message(r#"{"session_id": "has space", "text": "rings"}"#),
            message(&format!(r#"{{"session_id": "{}"}}"#, "s".repeat(65))),
            message(r#"["session_id"]"#),
            message("{not json"),
            ApiRequest::new("GET", "/v1/messages"),
            ApiRequest::new("POST", "/v1/returns").with_json(r#"{"session_id": "s-1"}"#),
        ] {
            assert_eq!(session_of(&request), None, "{request:?}");
        }
        let mut no_type = message(r#"{"session_id": "s-1", "text": "rings"}"#);
        no_type.content_type = None;
        assert_eq!(session_of(&no_type), None);
        let mut too_large = message(r#"{"session_id": "s-1"}"#);
        too_large.body = Body::TooLarge;
        assert_eq!(session_of(&too_large), None);
    }

    #[test]
    fn the_stored_context_replaces_whatever_the_client_sent() {
        let sent = message(r#"{"session_id": "s", "text": "x", "context": {"v": 1, "page": 9}}"#);
        let stored = json!({"v": 1, "page": 2});
        let body = body_json(&with_context(&sent.body, Some(stored.clone())));
        assert_eq!(body["context"], stored);
        assert_eq!(body["text"], "x");
        let body = body_json(&with_context(&sent.body, None));
        assert_eq!(body["context"], Value::Null, "{body}");
        assert_eq!(body["session_id"], "s");
    }

    #[test]
    fn a_body_that_is_not_an_object_is_passed_on_untouched() {
        for raw in ["{oops", "[1, 2]", "\"text\""] {
            let body = Body::Bytes(raw.as_bytes().to_vec());
            assert_eq!(with_context(&body, Some(json!({"v": 1}))), body);
        }
        assert_eq!(with_context(&Body::TooLarge, None), Body::TooLarge);
    }

    #[test]
    fn only_a_successful_reply_with_a_context_is_stored() {
        let ok = ApiResponse::json(200, &json!({"reply": "hi", "context": {"v": 1, "page": 1}}));
        assert_eq!(reply_context(&ok).as_deref(), Some(r#"{"page":1,"v":1}"#));
        let failed = ApiResponse::json(422, &json!({"error": {"code": "invalid_field"}}));
        assert_eq!(reply_context(&failed), None);
        let no_context = ApiResponse::json(200, &json!({"status": "ok"}));
        assert_eq!(reply_context(&no_context), None);
        let not_object = ApiResponse::json(200, &json!({"context": "x"}));
        assert_eq!(reply_context(&not_object), None);
    }

    #[test]
    fn a_stored_context_the_rules_reject_starts_afresh() {
        let engine = crate::embedded::engine();
        let good = json!({"v": 1, "search": {"categories": ["rings"]}, "page": 1});
        assert_eq!(usable_context(&good.to_string(), engine), Some(good));
        let bad_sku = json!({"v": 1, "shown": ["RG 0001"]});
        assert_eq!(usable_context(&bad_sku.to_string(), engine), None);
        assert_eq!(usable_context("{broken", engine), None);
        assert_eq!(usable_context(r#"{"v": 1, "extra": 1}"#, engine), None);
    }

    #[test]
    fn a_conversation_expires_a_day_after_its_last_message() {
        let stored = StoredConversation {
            context: "{}".into(),
            updated_at_ms: 1_000,
        };
        assert!(stored.is_current(1_000 + IDLE_TTL_MS - 1));
        assert!(!stored.is_current(1_000 + IDLE_TTL_MS));
        assert_eq!(
            expiry(Some(&stored), 5_000),
            Expiry::CheckAt(1_000 + IDLE_TTL_MS)
        );
        assert_eq!(expiry(Some(&stored), 1_000 + IDLE_TTL_MS), Expiry::Forget);
        assert_eq!(expiry(None, 5_000), Expiry::Forget);
    }
}
