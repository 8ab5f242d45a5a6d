//! `concierge bucket --user ID [--feature NAME]`: the user's bucket and rollout decision.

use super::{load_engine, CliError};
use clap::Args;
use std::path::Path;

/// Arguments of `concierge bucket`.
#[derive(Debug, Args)]
pub struct BucketArgs {
    /// User id to bucket.
    #[arg(long = "user", value_name = "ID")]
    pub user: String,
    /// Feature whose overrides apply.
    #[arg(long, value_name = "NAME")]
    pub feature: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(dir: &Path, args: &BucketArgs) -> Result<(), CliError> {
    let (engine, _) = load_engine(dir)?;
    let rollout = engine.rollout();
    if let Some(feature) = &args.feature {
        if !rollout.spec().features.contains_key(feature) {
            let known: Vec<&str> = rollout.spec().features.keys().map(String::as_str).collect();
            return Err(CliError::Usage(format!(
                "unknown feature `{feature}` (features: {})",
                known.join(", ")
            )));
        }
    }
    let decision = rollout.decide(Some(&args.user), args.feature.as_deref());
    let reason = serde_json::to_value(decision.reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    if args.json {
        let value = serde_json::json!({
            "user_id": args.user,
            "feature": args.feature,
            "bucket": decision.bucket,
            "enabled": decision.enabled,
            "reason": reason,
            "rules_version": engine.rules_version(),
        });
        println!("{value}");
    } else {
        let spec = rollout.spec();
        let percentage = args
            .feature
            .as_ref()
            .and_then(|f| spec.features.get(f))
            .and_then(|f| f.percentage_bp)
            .unwrap_or(spec.percentage_bp);
        println!(
            "user {}{}: bucket {} of 10000 (rollout {:.2}%): {} ({reason})",
            args.user,
            args.feature
                .as_ref()
                .map_or(String::new(), |f| format!(", feature {f}")),
            decision.bucket,
            f64::from(percentage) / 100.0,
            if decision.enabled {
                "enabled"
            } else {
                "disabled"
            },
        );
    }
    Ok(())
}
