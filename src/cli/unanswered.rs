//! `concierge unanswered export`: the questions the rules did not understand (already redacted
//! by the Worker) as a corpus file that `concierge diff OLD NEW --corpus FILE` reads, so a
//! merchandiser can write rules for real questions and see the effect before deploying.
//!
//! Two sources: the running Worker (`--url`, with a merchandiser or admin token from the
//! environment), which serves the file at `GET /v1/admin/unanswered/export`; or a JSON file
//! (`--from-json`): the body of `GET /v1/admin/unanswered`, or what
//! `wrangler d1 execute DB --json --command "SELECT * FROM unanswered_questions"` prints (local or
//! remote D1). Both give the same file ([`crate::api::console::corpus_tsv`]).

use super::error::CliError;
use crate::api::console::corpus_tsv;
use crate::api::console_store::UnansweredQuestion;
use clap::{Args, Subcommand};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// `concierge unanswered ...`.
#[derive(Debug, Subcommand)]
pub enum UnansweredCommand {
    /// Write the unanswered questions as a corpus TSV (text, empty label, source) for `diff --corpus`.
    Export(ExportArgs),
}

/// Where the questions come from and where the file goes.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Base URL of the Worker (e.g. https://concierge.example.com or http://127.0.0.1:8787).
    #[arg(long, value_name = "URL", conflicts_with = "from_json")]
    pub url: Option<String>,
    /// Environment variable holding a merchandiser or admin token, for --url.
    #[arg(long, value_name = "NAME", default_value = "MERCHANDISER_TOKEN")]
    pub token_env: String,
    /// A JSON file: the body of `GET /v1/admin/unanswered`, or `wrangler d1 execute --json` output.
    #[arg(long, value_name = "FILE")]
    pub from_json: Option<PathBuf>,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Runs `concierge unanswered ...` (`rules`: for the example order number of the stand-ins).
pub fn run(command: &UnansweredCommand, rules: &std::path::Path) -> Result<(), CliError> {
    let UnansweredCommand::Export(args) = command;
    let tsv = match (&args.url, &args.from_json) {
        (Some(url), _) => fetch(url, &args.token_env)?,
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
                path: path.display().to_string(),
                source,
            })?;
            let value: Value = serde_json::from_str(&text).map_err(|source| CliError::Json {
                path: path.display().to_string(),
                source,
            })?;
            let questions = questions_of(&value).ok_or_else(|| {
                CliError::Usage(format!(
                    "`{}` holds neither a `questions` list nor `wrangler d1 execute --json` results",
                    path.display()
                ))
            })?;
            let now = crate::api::time::format_iso(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64),
            );
            let (engine, _) = super::load_engine(rules)?;
            corpus_tsv(&questions, &now, &engine.domain().order_number.example)
        }
        (None, None) => {
            return Err(CliError::Usage(
                "give --url (the Worker) or --from-json (a saved list or D1 query)".into(),
            ))
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, tsv)
            .map_err(|e| CliError::Usage(format!("cannot write `{}`: {e}", path.display()))),
        None => {
            print!("{tsv}");
            Ok(())
        }
    }
}

/// The questions of a `GET /v1/admin/unanswered` body or of `wrangler d1 execute --json`
/// output (`[{"results": [...]}]`), most frequent first.
pub fn questions_of(value: &Value) -> Option<Vec<UnansweredQuestion>> {
    let rows = match value {
        Value::Object(o) => o.get("questions")?.as_array()?.clone(),
        Value::Array(statements) => statements
            .iter()
            .filter_map(|s| s.get("results").and_then(Value::as_array))
            .flatten()
            .cloned()
            .collect(),
        _ => return None,
    };
    let mut out: Vec<UnansweredQuestion> = rows
        .iter()
        .filter_map(|r| {
            Some(UnansweredQuestion {
                text: r.get("text")?.as_str()?.to_string(),
                count: r.get("count").and_then(Value::as_i64).unwrap_or(1),
                first_seen: r
                    .get("first_seen")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .into(),
                last_seen: r
                    .get("last_seen")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .into(),
                intent: r
                    .get("intent")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .into(),
                confidence: r.get("confidence").and_then(Value::as_f64).unwrap_or(0.0),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| b.last_seen.cmp(&a.last_seen))
    });
    Some(out)
}

/// `GET {url}/v1/admin/unanswered/export` with the token from `token_env`.
fn fetch(url: &str, token_env: &str) -> Result<String, CliError> {
    let token = std::env::var(token_env)
        .ok()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            CliError::Usage(format!("set {token_env} to a merchandiser or admin token"))
        })?;
    let endpoint = format!("{}/v1/admin/unanswered/export", url.trim_end_matches('/'));
    let http = |reason: String| CliError::Fetch {
        url: endpoint.clone(),
        reason,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .get(&endpoint)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .map_err(|e| http(e.to_string()))?;
    let status = response.status();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| http(e.to_string()))?;
    if !status.is_success() {
        let excerpt: String = body.chars().take(300).collect();
        return Err(http(format!("HTTP {status}: {excerpt}")));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_json_sources_give_the_same_corpus_rows() {
        let row = json!({"key": "k", "text": "do you sell {name}'s anklets", "count": 3, "first_seen": "2026-11-01T00:00:00Z", "last_seen": "2026-11-02T00:00:00Z", "intent": "unknown", "confidence": 0.0});
        let other = json!({"text": "quokka?", "count": 5, "last_seen": "2026-11-03T00:00:00Z"});
        let api =
            questions_of(&json!({"questions": [row, other], "count": 2, "next_cursor": null}));
        let d1 = questions_of(&json!([{"results": [row, other], "success": true}]));
        assert_eq!(api, d1);
        let questions = api.unwrap_or_default();
        assert_eq!(questions[0].text, "quokka?");
        let tsv = corpus_tsv(&questions, "now", "AUR-100123");
        let rows = crate::cli::score::rows(&tsv);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].text, "do you sell Alex's anklets");
        assert_eq!(questions_of(&json!("nope")), None);
    }
}
