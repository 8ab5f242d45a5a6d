//! `manifest.toml`, `thresholds.toml` and `rollout.toml`: numbers with ranges and cross-checks.
//! Keys left out keep the defaults of [`Thresholds::default`] and [`RolloutSpec::default`].

use super::reader::{At, Reader};
use super::SCHEMA_VERSION;
use crate::engine::model::{
    AlertLevels, CanaryPhase, CanaryPlan, FeatureRollout, RolloutSpec, Thresholds, FEATURES,
};
use toml::de::DeTable;

pub(crate) const MANIFEST_KEYS: &[&str] = &["version", "schema", "description"];
pub(crate) const THRESHOLD_KEYS: &[&str] = &[
    "min_confidence",
    "price_tolerance",
    "unmatched_turns_before_stylist",
    "default_result_limit",
    "max_result_limit",
    "ready_to_ship_only",
    "catalog_cache_ttl_seconds",
    "session_ttl_seconds",
    "unanswered_retention_days",
    "unanswered_below_confidence",
    "alerts",
    "rate_limits",
    "returns",
    "canary",
];
pub(crate) const CANARY_KEYS: &[&str] = &["phase", "gates"];
pub(crate) const PHASE_KEYS: &[&str] = &["name", "percentage", "min_requests", "soak_minutes"];
pub(crate) const GATE_KEYS: &[&str] = &[
    "max_error_rate",
    "max_error_rate_increase",
    "max_latency_p95_ms",
    "max_latency_p95_ratio",
    "max_unmatched_rate_increase",
    "max_escalation_rate_increase",
    "min_messages",
];
pub(crate) const ALERT_KEYS: &[&str] = &[
    "latency_p95_ms",
    "error_rate",
    "unmatched_rate",
    "escalation_rate",
    "csat_average",
    "rate_limited_rate",
    "database_error_rate",
    "messages_per_session",
    "min_requests",
];
pub(crate) const LEVEL_KEYS: &[&str] = &["warn", "critical"];
pub(crate) const RATE_KEYS: &[&str] = &[
    "messages_per_minute",
    "creates_per_minute",
    "lookups_per_minute",
];
pub(crate) const RETURN_KEYS: &[&str] = &[
    "return_window_days",
    "resize_window_days",
    "resizable_categories",
    "ring_size_min",
    "ring_size_max",
];
pub(crate) const ROLLOUT_KEYS: &[&str] = &[
    "enabled",
    "percentage",
    "salt",
    "seed",
    "allowlist",
    "denylist",
    "allowed_origins",
    "features",
];
pub(crate) const FEATURE_KEYS: &[&str] = &["enabled", "percentage", "allowlist", "denylist"];

/// Reads the manifest; returns the rules version.
pub fn read_manifest(r: &mut Reader<'_>, table: &DeTable<'_>) -> String {
    r.known_keys(table, MANIFEST_KEYS, "manifest.toml");
    match r.integer(table, "schema") {
        Some(s) if *s.get_ref() != SCHEMA_VERSION => r.error(
            s.span(),
            format!("unsupported schema {}", s.get_ref()),
            Some(format!("this build reads schema {SCHEMA_VERSION}")),
        ),
        None if table.get("schema").is_none() => {
            r.missing(0..0, "schema", "manifest.toml", &SCHEMA_VERSION.to_string())
        }
        _ => {}
    }
    match r.string(table, "version") {
        Some(v) if !v.get_ref().trim().is_empty() => v.into_inner(),
        Some(v) => {
            r.error(
                v.span(),
                "empty rules `version`",
                Some("e.g. `version = \"2026.11.25-1\"`".into()),
            );
            String::new()
        }
        None => {
            if table.get("version").is_none() {
                r.missing(0..0, "version", "manifest.toml", "\"2026.11.25-1\"");
            }
            String::new()
        }
    }
}

fn levels(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
    key: &str,
    max: f64,
    higher_is_worse: bool,
    slot: &mut AlertLevels,
) {
    let Some((t, _)) = r.table(table, key) else {
        return;
    };
    r.known_keys(t, LEVEL_KEYS, &format!("[alerts.{key}]"));
    let warn = r.number_in(t, "warn", 0.0, max);
    let critical = r.number_in(t, "critical", 0.0, max);
    if let Some(w) = &warn {
        slot.warn = *w.get_ref();
    }
    if let Some(c) = &critical {
        slot.critical = *c.get_ref();
    }
    let span = warn.as_ref().map(At::span).unwrap_or_default();
    if higher_is_worse && slot.warn > slot.critical {
        r.error(
            span,
            format!(
                "`{key}` warning threshold {} is above its critical threshold {}",
                slot.warn, slot.critical
            ),
            Some("a warning must fire before (at or below) the critical level".into()),
        );
    } else if !higher_is_worse && slot.warn < slot.critical {
        r.error(
            span,
            format!(
                "`{key}` warning threshold {} is below its critical threshold {} (lower is worse here)",
                slot.warn, slot.critical
            ),
            Some("for a score where lower is worse, `warn` must be at or above `critical`".into()),
        );
    }
}

/// Reads the thresholds file over the defaults.
pub fn read_thresholds(r: &mut Reader<'_>, table: &DeTable<'_>) -> Thresholds {
    r.known_keys(table, THRESHOLD_KEYS, "thresholds.toml");
    let mut t = Thresholds::default();
    if let Some(v) = r.number_in(table, "min_confidence", 0.0, 1.0) {
        t.min_confidence = v.into_inner();
    }
    if let Some(v) = r.number_in(table, "price_tolerance", 0.0, 1.0) {
        t.price_tolerance = v.into_inner();
    }
    if let Some(v) = r.number_in(table, "unanswered_below_confidence", 0.0, 1.0) {
        t.unanswered_below_confidence = v.into_inner();
    }
    for (key, slot) in [
        (
            "unmatched_turns_before_stylist",
            &mut t.unmatched_turns_before_stylist,
        ),
        ("default_result_limit", &mut t.default_result_limit),
        ("max_result_limit", &mut t.max_result_limit),
        (
            "catalog_cache_ttl_seconds",
            &mut t.catalog_cache_ttl_seconds,
        ),
        ("session_ttl_seconds", &mut t.session_ttl_seconds),
        (
            "unanswered_retention_days",
            &mut t.unanswered_retention_days,
        ),
    ] {
        if let Some(v) = r.count(table, key) {
            *slot = v.into_inner();
        }
    }
    if t.default_result_limit > t.max_result_limit {
        let span = table
            .get("default_result_limit")
            .map(|v| v.span())
            .unwrap_or_default();
        r.error(
            span,
            format!(
                "`default_result_limit` {} is above `max_result_limit` {}",
                t.default_result_limit, t.max_result_limit
            ),
            Some("lower `default_result_limit` or raise `max_result_limit`".into()),
        );
    }
    if let Some(v) = r.boolean(table, "ready_to_ship_only") {
        t.ready_to_ship_only = v.into_inner();
    }
    if let Some((a, _)) = r.table(table, "alerts") {
        r.known_keys(a, ALERT_KEYS, "[alerts]");
        levels(
            r,
            a,
            "latency_p95_ms",
            600_000.0,
            true,
            &mut t.alerts.latency_p95_ms,
        );
        levels(r, a, "error_rate", 1.0, true, &mut t.alerts.error_rate);
        levels(
            r,
            a,
            "unmatched_rate",
            1.0,
            true,
            &mut t.alerts.unmatched_rate,
        );
        levels(
            r,
            a,
            "escalation_rate",
            1.0,
            true,
            &mut t.alerts.escalation_rate,
        );
        levels(r, a, "csat_average", 5.0, false, &mut t.alerts.csat_average);
        levels(
            r,
            a,
            "rate_limited_rate",
            1.0,
            true,
            &mut t.alerts.rate_limited_rate,
        );
        levels(
            r,
            a,
            "database_error_rate",
            1.0,
            true,
            &mut t.alerts.database_error_rate,
        );
        levels(
            r,
            a,
            "messages_per_session",
            1000.0,
            false,
            &mut t.alerts.messages_per_session,
        );
        if let Some(v) = r.count(a, "min_requests") {
            t.alerts.min_requests = u64::from(v.into_inner());
        }
    }
    if let Some((rl, _)) = r.table(table, "rate_limits") {
        r.known_keys(rl, RATE_KEYS, "[rate_limits]");
        for (key, slot) in [
            (
                "messages_per_minute",
                &mut t.rate_limits.messages_per_minute,
            ),
            ("creates_per_minute", &mut t.rate_limits.creates_per_minute),
            ("lookups_per_minute", &mut t.rate_limits.lookups_per_minute),
        ] {
            if let Some(v) = r.count(rl, key) {
                *slot = v.into_inner();
            }
        }
    }
    if let Some((ret, _)) = r.table(table, "returns") {
        r.known_keys(ret, RETURN_KEYS, "[returns]");
        if let Some(v) = r.count(ret, "return_window_days") {
            t.returns.return_window_days = v.into_inner();
        }
        if let Some(v) = r.count(ret, "resize_window_days") {
            t.returns.resize_window_days = v.into_inner();
        }
        if ret.get("resizable_categories").is_some() {
            t.returns.resizable_categories = r
                .strings(ret, "resizable_categories")
                .into_iter()
                .map(At::into_inner)
                .collect();
        }
        if let Some(v) = r.number_in(ret, "ring_size_min", 0.0, 30.0) {
            t.returns.ring_size_min = v.into_inner();
        }
        if let Some(v) = r.number_in(ret, "ring_size_max", 0.0, 30.0) {
            if *v.get_ref() < t.returns.ring_size_min {
                r.error(v.span(), "`ring_size_max` is below `ring_size_min`", None);
            }
            t.returns.ring_size_max = v.into_inner();
        }
    }
    if let Some((c, _)) = r.table(table, "canary") {
        read_canary(r, c, &mut t.canary);
    }
    t
}

/// `[canary]`: `[[canary.phase]]` entries (if any, they replace the default walk) and
/// `[canary.gates]` over the defaults. Percentages must rise and the walk must end at 100.
fn read_canary(r: &mut Reader<'_>, table: &DeTable<'_>, plan: &mut CanaryPlan) {
    r.known_keys(table, CANARY_KEYS, "[canary]");
    if let Some((g, _)) = r.table(table, "gates") {
        r.known_keys(g, GATE_KEYS, "[canary.gates]");
        let gates = &mut plan.gates;
        for (key, max, slot) in [
            ("max_error_rate", 1.0, &mut gates.max_error_rate),
            (
                "max_error_rate_increase",
                1.0,
                &mut gates.max_error_rate_increase,
            ),
            (
                "max_latency_p95_ms",
                600_000.0,
                &mut gates.max_latency_p95_ms,
            ),
            (
                "max_latency_p95_ratio",
                100.0,
                &mut gates.max_latency_p95_ratio,
            ),
            (
                "max_unmatched_rate_increase",
                1.0,
                &mut gates.max_unmatched_rate_increase,
            ),
            (
                "max_escalation_rate_increase",
                1.0,
                &mut gates.max_escalation_rate_increase,
            ),
        ] {
            if let Some(v) = r.number_in(g, key, 0.0, max) {
                *slot = v.into_inner();
            }
        }
        if let Some(v) = r.count(g, "min_messages") {
            gates.min_messages = u64::from(v.into_inner());
        }
    }
    let entries = r.tables(table, "phase");
    if entries.is_empty() {
        return;
    }
    let mut phases: Vec<CanaryPhase> = Vec::new();
    let mut last_span = 0..0;
    for (p, span) in entries {
        r.known_keys(p, PHASE_KEYS, "[[canary.phase]]");
        let name = r.string(p, "name").map(At::into_inner);
        let percentage = r.number_in(p, "percentage", 0.0, 100.0);
        let (Some(name), Some(percentage)) = (name, percentage) else {
            if p.get("name").is_none() {
                r.missing(span.clone(), "name", "[[canary.phase]]", "\"10%\"");
            }
            if p.get("percentage").is_none() {
                r.missing(span.clone(), "percentage", "[[canary.phase]]", "10");
            }
            continue;
        };
        let whole = percentage.get_ref().round();
        if (whole - percentage.get_ref()).abs() > 1e-9 {
            r.error(
                percentage.span(),
                format!(
                    "canary `percentage` {} is not a whole number",
                    percentage.get_ref()
                ),
                Some("Worker version splits take whole percentages, e.g. 10 or 25".into()),
            );
            continue;
        }
        let whole = whole as u32;
        if let Some(prev) = phases.last() {
            if whole <= prev.percentage {
                r.error(
                    percentage.span(),
                    format!(
                        "canary phase `{name}` sends {whole} %, not more than the phase before it ({} %)",
                        prev.percentage
                    ),
                    Some("each phase must send a larger share of traffic to the new version".into()),
                );
            }
        }
        last_span = span;
        phases.push(CanaryPhase {
            name,
            percentage: whole,
            min_requests: r
                .count(p, "min_requests")
                .map_or(0, |v| u64::from(v.into_inner())),
            soak_minutes: r.count(p, "soak_minutes").map_or(0, At::into_inner),
        });
    }
    if phases.last().is_some_and(|p| p.percentage != 100) {
        r.error(
            last_span,
            "the last canary phase does not send 100 % of traffic to the new version",
            Some(
                "end the walk with `percentage = 100`, or the new version never takes over".into(),
            ),
        );
    }
    plan.phases = phases;
}

/// A percentage 0..=100 with at most two decimals, as basis points.
fn percentage_bp(r: &mut Reader<'_>, table: &DeTable<'_>, key: &str) -> Option<u32> {
    let p = r.number_in(table, key, 0.0, 100.0)?;
    let bp = (p.get_ref() * 100.0).round();
    if (bp - p.get_ref() * 100.0).abs() > 1e-6 {
        r.error(
            p.span(),
            format!("`{key}` {} is finer than a basis point", p.get_ref()),
            Some("use at most two decimals, e.g. 25.5 or 12.25".into()),
        );
        return None;
    }
    Some(bp as u32)
}

/// Reads the rollout file over the defaults.
pub fn read_rollout(r: &mut Reader<'_>, table: &DeTable<'_>) -> RolloutSpec {
    r.known_keys(table, ROLLOUT_KEYS, "rollout.toml");
    let mut spec = RolloutSpec::default();
    if let Some(v) = r.boolean(table, "enabled") {
        spec.enabled = v.into_inner();
    }
    if let Some(bp) = percentage_bp(r, table, "percentage") {
        spec.percentage_bp = bp;
    }
    if let Some(s) = r.string(table, "salt") {
        spec.salt = s.into_inner();
    }
    if let Some(s) = r.count(table, "seed") {
        spec.seed = s.into_inner();
    }
    let list = |r: &mut Reader<'_>, t: &DeTable<'_>, key: &str| -> Vec<String> {
        r.strings(t, key).into_iter().map(At::into_inner).collect()
    };
    spec.allowlist = list(r, table, "allowlist");
    spec.denylist = list(r, table, "denylist");
    for origin in r.strings(table, "allowed_origins") {
        let o = origin.get_ref();
        let valid = (o.starts_with("https://") || o.starts_with("http://"))
            && !o.ends_with('/')
            && !o.contains(char::is_whitespace);
        if valid {
            spec.allowed_origins.push(origin.into_inner());
        } else {
            r.error(
                origin.span(),
                format!("invalid origin `{o}`"),
                Some("an origin is `scheme://host[:port]` with no path or trailing slash".into()),
            );
        }
    }
    if let Some((features, _)) = r.table(table, "features") {
        for (name, (t, _)) in r.named_tables(features, "feature") {
            if !FEATURES.contains(&name.get_ref().as_str()) {
                let help = match super::reader::did_you_mean(name.get_ref(), &FEATURES) {
                    Some(known) => format!("did you mean `{known}`?"),
                    None => format!(
                        "the features are {}",
                        FEATURES.map(|f| format!("`{f}`")).join(", ")
                    ),
                };
                r.error(
                    name.span(),
                    format!("unknown feature `{}`", name.get_ref()),
                    Some(help),
                );
                continue;
            }
            r.known_keys(t, FEATURE_KEYS, &format!("[features.{}]", name.get_ref()));
            let feature = FeatureRollout {
                enabled: r.boolean(t, "enabled").map(At::into_inner),
                percentage_bp: percentage_bp(r, t, "percentage"),
                allowlist: list(r, t, "allowlist"),
                denylist: list(r, t, "denylist"),
            };
            spec.features.insert(name.into_inner(), feature);
        }
    }
    spec
}
