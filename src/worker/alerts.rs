//! The Cron Trigger (`[triggers] crons` in wrangler.toml): runs the platform-free alert job of
//! `api::alert_job` over `fetch`, D1 and KV. Vars and secrets:
//! `ALERT_WEBHOOK_URL` (secret; a Slack-compatible incoming webhook), `CLOUDFLARE_ACCOUNT_ID`
//! (var) and `CLOUDFLARE_API_TOKEN` (secret, Account Analytics: Read) for the Analytics Engine SQL
//! API, or `AE_SQL_URL` to point the job elsewhere (the e2e suite's loopback stand-in);
//! `ALERT_WINDOW` (default `15m`), `AE_DATASET`, `ALERT_SOURCE` (the name in messages).

use super::bindings::{D1Store, JsClock, KvStore};
use super::{secret, var};
use crate::api::alert_job::{AlertJob, AlertJobConfig, HttpClient};
use crate::ops::sql::DATASET;
use futures_util::future::{select, Either};
use std::time::Duration;
use worker::{web_sys, AbortController, Delay, Env, Headers, Request};

/// Outbound `fetch`, for the alert job and the notification consumer's webhook post; with a
/// `timeout`, a request that has no answer by then is aborted and fails.
pub(super) struct Fetch {
    pub timeout: Option<Duration>,
}

impl HttpClient for Fetch {
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> Result<(u16, String), String> {
        let err = |e: worker::Error| e.to_string();
        let h = Headers::new();
        for (name, value) in headers {
            h.set(name, value).map_err(err)?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&h.0);
        init.set_body(&wasm_bindgen::JsValue::from_str(&body));
        let request =
            web_sys::Request::new_with_str_and_init(url, &init).map_err(|e| format!("{e:?}"))?;
        let fetch = worker::Fetch::Request(Request::from(request));
        let mut response = match self.timeout {
            None => fetch.send().await.map_err(err)?,
            Some(timeout) => {
                let controller = AbortController::default();
                let signal = controller.signal();
                let send = Box::pin(fetch.send_with_signal(&signal));
                let raced = select(send, Delay::from(timeout)).await;
                match raced {
                    Either::Left((response, _)) => response.map_err(err)?,
                    Either::Right(_) => {
                        controller.abort();
                        return Err(format!("no answer within {} s", timeout.as_secs()));
                    }
                }
            }
        };
        // Read even when the caller does not need it: reading frees the connection. A body that
        // cannot be read is empty (the status decides a webhook post; an empty SQL answer fails
        // to parse).
        let text = response.text().await.unwrap_or_default();
        Ok((response.status_code(), text))
    }
}

fn setting(env: &Env, name: &str) -> Option<String> {
    secret(env, name).or_else(|| Some(var(env, name, "")).filter(|v| !v.is_empty()))
}

/// The alert job's schedule (one of `[triggers] crons` in wrangler.toml).
pub(super) const CRON: &str = "*/5 * * * *";

/// One run of the alert job; failures go to the log (the next run tries again).
pub(super) async fn run(env: &Env) {
    let env = env.clone();
    let sql_url = setting(&env, "AE_SQL_URL").or_else(|| {
        setting(&env, "CLOUDFLARE_ACCOUNT_ID").map(|account| {
            format!("https://api.cloudflare.com/client/v4/accounts/{account}/analytics_engine/sql")
        })
    });
    let window = var(&env, "ALERT_WINDOW", "15m")
        .parse()
        .unwrap_or(crate::ops::Window {
            amount: 15,
            unit: crate::ops::window::WindowUnit::Minute,
        });
    let config = AlertJobConfig {
        sql_url,
        api_token: setting(&env, "CLOUDFLARE_API_TOKEN"),
        webhook_url: setting(&env, "ALERT_WEBHOOK_URL"),
        window,
        dataset: var(&env, "AE_DATASET", DATASET),
        source: var(&env, "ALERT_SOURCE", "aurora-concierge"),
    };
    let db = D1Store::new(&env);
    let kv = KvStore::new(&env);
    let job = AlertJob {
        db: &db,
        kv: &kv,
        http: &Fetch { timeout: None },
        clock: &JsClock,
        engine: crate::embedded::engine(),
        config: &config,
    };
    match job.run().await {
        Ok(report) => match report.skipped {
            Some(why) => worker::console_log!("alert job skipped: {why}"),
            None => worker::console_log!(
                "alert job: {} firing, {} notices sent, {} failed (kept for the next run)",
                report.firing,
                report.sent,
                report.failed
            ),
        },
        Err(e) => worker::console_error!("alert job failed: {e}"),
    }
}
