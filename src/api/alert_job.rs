//! The Cron Trigger's alert job, platform-free: query Analytics Engine (the same SQL as
//! `concierge alerts`), read the CSAT average from D1, evaluate the alert rules of
//! `rules/thresholds.toml`, and post firing and resolved alerts to a webhook, de-duplicated
//! across runs by the state kept in KV (`ops:alerts:state`).
//!
//! The Worker wires it to `fetch`, D1 and KV in `src/worker/alerts.rs`; `wrangler dev
//! --test-scheduled` runs it locally on `GET /__scheduled`, and the e2e suite points it at a
//! loopback stand-in for the SQL API and a loopback webhook receiver.

use super::platform::{Clock, Database, KeyValue, SqlValue};
use super::time::format_iso;
use crate::engine::Engine;
use crate::ops::alerts::{evaluate, CsatInput};
use crate::ops::response::SqlResponse;
use crate::ops::sql::MetricsQuery;
use crate::ops::summary::Summary;
use crate::ops::watch::{step, WatchState};
use crate::ops::Window;
use std::collections::BTreeMap;

/// The KV key holding the [`WatchState`] between runs.
pub const STATE_KEY: &str = "ops:alerts:state";
/// How long the state lives without a run refreshing it (a week: longer than any outage of the cron).
const STATE_TTL_SECONDS: u64 = 7 * 86_400;

/// One outbound HTTP call (the Worker's `fetch`; a fake in tests).
#[allow(async_fn_in_trait)]
pub trait HttpClient {
    /// POSTs `body` with `headers`; the status and body text, or why the call failed.
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> Result<(u16, String), String>;
}

/// Where the job reads and writes, from the Worker's vars and secrets.
#[derive(Debug, Clone)]
pub struct AlertJobConfig {
    /// The Analytics Engine SQL API (`.../accounts/<id>/analytics_engine/sql`), or a stand-in.
    pub sql_url: Option<String>,
    /// `CLOUDFLARE_API_TOKEN` with Account Analytics: Read.
    pub api_token: Option<String>,
    /// `ALERT_WEBHOOK_URL`: a Slack-compatible incoming webhook.
    pub webhook_url: Option<String>,
    pub window: Window,
    pub dataset: String,
    /// Names the Worker in messages (`aurora-concierge`, `aurora-concierge-staging`).
    pub source: String,
}

/// What one run did, for the log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobReport {
    pub firing: usize,
    pub sent: usize,
    pub failed: usize,
    /// Why the job did nothing (not configured), if it did nothing.
    pub skipped: Option<&'static str>,
}

/// The job over its platform.
pub struct AlertJob<'a, D, K, H> {
    pub db: &'a D,
    pub kv: &'a K,
    pub http: &'a H,
    pub clock: &'a dyn Clock,
    pub engine: &'a Engine,
    pub config: &'a AlertJobConfig,
}

impl<D: Database, K: KeyValue, H: HttpClient> AlertJob<'_, D, K, H> {
    /// Runs once. Errors reading the metrics leave the state as it was (nothing is resolved
    /// because data was missing).
    pub async fn run(&self) -> Result<JobReport, String> {
        let (Some(sql_url), Some(webhook)) = (&self.config.sql_url, &self.config.webhook_url)
        else {
            return Ok(JobReport {
                skipped: Some("ALERT_WEBHOOK_URL or the Analytics Engine account is not set"),
                ..JobReport::default()
            });
        };
        crate::ops::sql::validate_dataset(&self.config.dataset).map_err(|e| e.to_string())?;
        let summary = self.summary(sql_url).await?;
        let csat = self.csat().await?;
        let alerts = evaluate(&summary, &self.engine.thresholds().alerts, csat.as_ref());
        let previous: WatchState = match self.kv.get(STATE_KEY).await {
            Ok(Some(text)) => serde_json::from_str(&text).unwrap_or_default(),
            Ok(None) => WatchState::default(),
            Err(e) => return Err(format!("reading {STATE_KEY}: {e}")),
        };
        let now = format_iso(self.clock.now_ms());
        let (notices, mut next) = step(&previous, &alerts, &now);
        let mut report = JobReport {
            firing: next.firing.len(),
            ..JobReport::default()
        };
        for notice in notices {
            let body = notice.webhook_body(&self.config.source).to_string();
            let headers = [("content-type", "application/json".to_string())];
            match self.http.post(webhook, &headers, body).await {
                Ok((status, _)) if (200..300).contains(&status) => report.sent += 1,
                _ => {
                    report.failed += 1;
                    next.pending.push(notice);
                }
            }
        }
        let state = serde_json::to_string(&next).map_err(|e| e.to_string())?;
        self.kv
            .put(STATE_KEY, &state, STATE_TTL_SECONDS)
            .await
            .map_err(|e| format!("saving {STATE_KEY}: {e}"))?;
        Ok(report)
    }

    async fn summary(&self, sql_url: &str) -> Result<Summary, String> {
        let mut responses = BTreeMap::new();
        let mut headers = Vec::new();
        if let Some(token) = &self.config.api_token {
            headers.push(("authorization", format!("Bearer {token}")));
        }
        for q in MetricsQuery::ALL {
            let sql = q.sql(&self.config.window, &self.config.dataset);
            let (status, body) = self.http.post(sql_url, &headers, sql).await?;
            if !(200..300).contains(&status) {
                let excerpt: String = body.chars().take(200).collect();
                return Err(format!("SQL API {status} for `{}`: {excerpt}", q.name()));
            }
            let response = SqlResponse::parse(q.name(), &body).map_err(|e| e.to_string())?;
            responses.insert(q, response);
        }
        Summary::from_responses(&self.config.window.to_string(), &responses)
            .map_err(|e| e.to_string())
    }

    /// The CSAT average over the window, from D1 (Analytics Engine does not hold it).
    async fn csat(&self) -> Result<Option<CsatInput>, String> {
        let since = format_iso(self.clock.now_ms() - self.config.window.seconds() as i64 * 1000);
        let rows = self
            .db
            .query(
                "SELECT AVG(score) AS average, COUNT(*) AS answers FROM csat_responses WHERE created_at > ?1",
                &[SqlValue::from(since)],
            )
            .await
            .map_err(|e| e.to_string())?;
        let row = rows.first();
        let answers = row
            .and_then(|r| r.get("answers"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        let average = row
            .and_then(|r| r.get("average"))
            .and_then(serde_json::Value::as_f64);
        Ok((answers > 0).then_some(CsatInput {
            average,
            count: Some(answers),
        }))
    }
}
