//! The Analytics Engine data point: one per request, no personal data.
//!
//! This is the single definition of the layout (documented in `docs/analytics-engine.md`):
//! the Worker writes it, `concierge metrics` queries it and parses it back from dev logs.
//!
//! | field    | name            | example                  |
//! |----------|-----------------|--------------------------|
//! | index1   | route           | `POST /v1/messages`      |
//! | blob1    | route           | `POST /v1/messages`      |
//! | blob2    | method          | `POST`                   |
//! | blob3    | status class    | `2xx`                    |
//! | blob4    | intent          | `order_tracking` or ``   |
//! | blob5    | rules version   | `2026.11.25-1`           |
//! | blob6    | rollout cohort  | `enabled`/`disabled`/``  |
//! | blob7    | colo            | `AMS` (``locally)        |
//! | blob8    | worker version  | version metadata id      |
//! | blob9    | error code      | `invalid_json` or ``     |
//! | double1  | latency ms      | `3.2`                    |
//! | double2  | status          | `200`                    |
//! | double3  | confidence      | `0.93` (`-1` when none)  |

use serde::{Deserialize, Serialize};

/// Marker field of the JSON line the Worker logs per data point when `LOG_DATA_POINTS` is set.
pub const LOG_LINE_TYPE: &str = "aurora.datapoint";

/// One request's data point, before it is flattened into Analytics Engine blobs and doubles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataPoint {
    /// Route template, never the concrete path (`PATCH /v1/admin/tickets/{id}`), so ids never leak.
    pub route: String,
    pub method: String,
    pub status: u16,
    /// Intent of a classified message, empty otherwise.
    pub intent: String,
    pub rules_version: String,
    /// `enabled`, `disabled` or empty when no rollout decision was made.
    pub cohort: String,
    pub colo: String,
    pub worker_version: String,
    /// Stable error code of a 4xx/5xx, empty otherwise.
    pub error_code: String,
    pub latency_ms: f64,
    /// Classification confidence, `-1` when the request classified nothing.
    pub confidence: f64,
}

impl DataPoint {
    /// `2xx`, `4xx`, ...
    pub fn status_class(&self) -> String {
        format!("{}xx", self.status / 100)
    }

    /// The single index (Analytics Engine allows one): the route template.
    pub fn indexes(&self) -> [String; 1] {
        [self.route.clone()]
    }

    /// blob1..blob9 in the documented order.
    pub fn blobs(&self) -> [String; 9] {
        [
            self.route.clone(),
            self.method.clone(),
            self.status_class(),
            self.intent.clone(),
            self.rules_version.clone(),
            self.cohort.clone(),
            self.colo.clone(),
            self.worker_version.clone(),
            self.error_code.clone(),
        ]
    }

    /// double1..double3 in the documented order.
    pub fn doubles(&self) -> [f64; 3] {
        [self.latency_ms, f64::from(self.status), self.confidence]
    }

    /// Rebuilds a data point from the arrays written to Analytics Engine (or logged in dev).
    /// Returns `None` when the arrays are too short or the status is not a number.
    pub fn from_arrays(blobs: &[String], doubles: &[f64]) -> Option<DataPoint> {
        if blobs.len() < 9 || doubles.len() < 3 {
            return None;
        }
        let status = doubles[1];
        if !(0.0..=999.0).contains(&status) {
            return None;
        }
        Some(DataPoint {
            route: blobs[0].clone(),
            method: blobs[1].clone(),
            status: status as u16,
            intent: blobs[3].clone(),
            rules_version: blobs[4].clone(),
            cohort: blobs[5].clone(),
            colo: blobs[6].clone(),
            worker_version: blobs[7].clone(),
            error_code: blobs[8].clone(),
            latency_ms: doubles[0],
            confidence: doubles[2],
        })
    }

    /// The JSON line logged in development: `{"type":"aurora.datapoint","indexes":[..],"blobs":[..],"doubles":[..]}`.
    pub fn to_log_line(&self) -> String {
        serde_json::json!({
            "type": LOG_LINE_TYPE,
            "indexes": self.indexes(),
            "blobs": self.blobs(),
            "doubles": self.doubles(),
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_round_trip() {
        let dp = DataPoint {
            route: "POST /v1/messages".into(),
            method: "POST".into(),
            status: 200,
            intent: "order_tracking".into(),
            rules_version: "2026.11.25-1".into(),
            cohort: "enabled".into(),
            colo: "AMS".into(),
            worker_version: "v1".into(),
            error_code: String::new(),
            latency_ms: 3.5,
            confidence: 0.9,
        };
        let back = DataPoint::from_arrays(&dp.blobs(), &dp.doubles());
        assert_eq!(back, Some(dp.clone()));
        assert_eq!(dp.status_class(), "2xx");
        assert!(dp.to_log_line().contains("\"aurora.datapoint\""));
    }
}
