//! The one error type of the API: every variant maps to a status, a stable code and a public
//! message; the JSON body is `{"error": {"code", "message", "field"}}`.

use super::http::ApiResponse;
use super::platform::StorageError;
use serde_json::json;

/// Everything a request can fail with. Client mistakes are 4xx; only [`ApiError::Internal`] and
/// the operator's [`ApiError::ConciergeDisabled`] are 5xx.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    #[error("request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("{message}")]
    InvalidField { field: String, message: String },
    #[error("`{field}` is required")]
    MissingField { field: String },
    #[error("`{field}` is not a known field")]
    UnknownField { field: String },
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed; allowed: {}", allowed.join(", "))]
    MethodNotAllowed { allowed: Vec<&'static str> },
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("this token's role may not use this route")]
    Forbidden,
    /// The shopper is not in the rollout of this feature (`rules/rollout.toml`).
    #[error("`{0}` is not available")]
    FeatureDisabled(&'static str),
    #[error("too many requests; retry after {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    /// The KV kill switch is on: shopper routes are off until it is turned off again.
    #[error("the concierge is switched off for now; retry after {retry_after} seconds")]
    ConciergeDisabled { retry_after: u64 },
    #[error("this idempotency key was used with a different request")]
    IdempotencyKeyReused,
    #[error("a request with this idempotency key is still being processed")]
    IdempotencyInFlight,
    #[error("{message}")]
    NotEligible { field: String, message: String },
    #[error("{0}")]
    AlreadyExists(String),
    /// A return (or other workflow item) cannot take this step from its current status.
    #[error("{0}")]
    InvalidTransition(String),
    /// Details are for logs only; the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
    /// D1 or KV failed. The client sees `internal` like any 500; the data point says
    /// `database_error`, which the database alert counts.
    #[error("storage error: {0}")]
    Storage(String),
}

impl ApiError {
    /// One error of each kind, for the tests that hold the OpenAPI document to the code.
    pub fn samples() -> Vec<ApiError> {
        let samples = vec![
            ApiError::PayloadTooLarge { limit: 0 },
            ApiError::UnsupportedMediaType,
            ApiError::InvalidJson(String::new()),
            ApiError::invalid("f", ""),
            ApiError::MissingField { field: "f".into() },
            ApiError::UnknownField { field: "f".into() },
            ApiError::NotFound(String::new()),
            ApiError::MethodNotAllowed { allowed: vec![] },
            ApiError::Unauthorized,
            ApiError::Forbidden,
            ApiError::FeatureDisabled("product_search"),
            ApiError::RateLimited { retry_after: 1 },
            ApiError::ConciergeDisabled { retry_after: 1 },
            ApiError::IdempotencyKeyReused,
            ApiError::IdempotencyInFlight,
            ApiError::not_eligible("f", ""),
            ApiError::AlreadyExists(String::new()),
            ApiError::InvalidTransition(String::new()),
            ApiError::Internal(String::new()),
        ];
        // A new variant fails to compile here until it is listed above.
        for sample in &samples {
            match sample {
                ApiError::PayloadTooLarge { .. }
                | ApiError::UnsupportedMediaType
                | ApiError::InvalidJson(_)
                | ApiError::InvalidField { .. }
                | ApiError::MissingField { .. }
                | ApiError::UnknownField { .. }
                | ApiError::NotFound(_)
                | ApiError::MethodNotAllowed { .. }
                | ApiError::Unauthorized
                | ApiError::Forbidden
                | ApiError::FeatureDisabled(_)
                | ApiError::RateLimited { .. }
                | ApiError::ConciergeDisabled { .. }
                | ApiError::IdempotencyKeyReused
                | ApiError::IdempotencyInFlight
                | ApiError::NotEligible { .. }
                | ApiError::AlreadyExists(_)
                | ApiError::InvalidTransition(_)
                // Storage failures answer `internal` like Internal (listed once, above).
                | ApiError::Internal(_)
                | ApiError::Storage(_) => {}
            }
        }
        samples
    }

    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::UnsupportedMediaType => 415,
            ApiError::InvalidJson(_) => 400,
            ApiError::InvalidField { .. }
            | ApiError::MissingField { .. }
            | ApiError::UnknownField { .. }
            | ApiError::IdempotencyKeyReused
            | ApiError::NotEligible { .. } => 422,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Unauthorized => 401,
            ApiError::Forbidden | ApiError::FeatureDisabled(_) => 403,
            ApiError::RateLimited { .. } => 429,
            ApiError::ConciergeDisabled { .. } => 503,
            ApiError::IdempotencyInFlight
            | ApiError::AlreadyExists(_)
            | ApiError::InvalidTransition(_) => 409,
            ApiError::Internal(_) | ApiError::Storage(_) => 500,
        }
    }

    /// Stable machine-readable code (see docs/api.md).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::InvalidField { .. } => "invalid_field",
            ApiError::MissingField { .. } => "missing_field",
            ApiError::UnknownField { .. } => "unknown_field",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::FeatureDisabled(_) => "feature_disabled",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::ConciergeDisabled { .. } => "concierge_disabled",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::IdempotencyInFlight => "idempotency_in_flight",
            ApiError::NotEligible { .. } => "not_eligible",
            ApiError::AlreadyExists(_) => "already_exists",
            ApiError::InvalidTransition(_) => "invalid_transition",
            ApiError::Internal(_) | ApiError::Storage(_) => "internal",
        }
    }

    /// The error code recorded in the request's data point: [`ApiError::code`], except that
    /// storage failures are told apart as `database_error`.
    pub fn metric_code(&self) -> &'static str {
        match self {
            ApiError::Storage(_) => "database_error",
            other => other.code(),
        }
    }

    /// The JSON path of the offending field, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::InvalidField { field, .. }
            | ApiError::MissingField { field }
            | ApiError::UnknownField { field }
            | ApiError::NotEligible { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Shorthand for a 422 `invalid_field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for a 422 `not_eligible`.
    pub fn not_eligible(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::NotEligible {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The error response, with `Allow` / `Retry-After` where the status calls for them.
    pub fn to_response(&self) -> ApiResponse {
        let message = match self {
            ApiError::Internal(_) | ApiError::Storage(_) => "internal error".to_string(),
            other => other.to_string(),
        };
        let body =
            json!({"error": {"code": self.code(), "message": message, "field": self.field()}});
        let mut response = ApiResponse::json(self.status(), &body);
        match self {
            ApiError::MethodNotAllowed { allowed } => {
                response.set_header("allow", &allowed.join(", "));
            }
            ApiError::RateLimited { retry_after } | ApiError::ConciergeDisabled { retry_after } => {
                response.set_header("retry-after", &retry_after.to_string());
            }
            _ => {}
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        ApiError::Storage(e.to_string())
    }
}
