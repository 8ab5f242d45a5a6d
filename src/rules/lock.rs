//! `rules/version.lock`: the `version` and content hash the rule files had when `version` was
//! last bumped, so `concierge check` can warn when the files change but `version` does not (every
//! answer carries the version; two different rule sets under one version cannot be told apart).
//!
//! `check` reads the lock and, when `version` differs from the recorded one (a deliberate bump),
//! records the new version and hash; commit the lock with the rules. Without a lock file there
//! is nothing to compare with and nothing is written: create it with `concierge check --record-version`.

use super::diagnostic::{Diagnostic, Report, SourceFile};
use toml::de::{DeTable, DeValue};

/// The lock file's name in a rules directory (not `.toml`, so it is no rule file).
pub const LOCK_FILE: &str = "version.lock";

/// What a lock file records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub version: String,
    pub content_hash: String,
}

/// What `check` should do about the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockCheck {
    /// Version and content are as recorded.
    Current,
    /// `version` was bumped: record the new version and hash.
    Bumped,
    /// The files changed but `version` did not: warn.
    ContentChangedSameVersion,
}

/// Reads a lock file's text; `None` if it is not one.
pub fn parse(text: &str) -> Option<Recorded> {
    let table = DeTable::parse(text).ok()?;
    let get = |key: &str| match table.get_ref().get(key).map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => Some(s.to_string()),
        _ => None,
    };
    Some(Recorded {
        version: get("version")?,
        content_hash: get("content_hash")?,
    })
}

/// The text of a lock file.
pub fn render(version: &str, content_hash: &str) -> String {
    format!(
        "# Written by `concierge check` when `version` in manifest.toml changes; commit it with the\n\
         # rules. `check` warns when the rule files change but `version` does not.\n\
         version = {}\ncontent_hash = {}\n",
        toml_string(version),
        toml_string(content_hash)
    )
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Compares the current version and hash with the recorded ones.
pub fn compare(recorded: &Recorded, version: &str, content_hash: &str) -> LockCheck {
    if recorded.version != version {
        LockCheck::Bumped
    } else if recorded.content_hash != content_hash {
        LockCheck::ContentChangedSameVersion
    } else {
        LockCheck::Current
    }
}

/// The warning for rule files that changed under the same `version`, pointing at `version` in
/// the manifest.
pub fn same_version_warning(manifest: SourceFile, recorded: &Recorded) -> Report {
    let span = DeTable::parse(&manifest.text)
        .ok()
        .and_then(|t| t.get_ref().get("version").map(|v| v.span()));
    let diagnostic = Diagnostic::new(
        0,
        span,
        format!(
            "the rule files changed but `version` is still `{}`",
            recorded.version
        ),
    )
    .warning()
    .help(format!(
        "bump `version`: every answer carries it, so changed rules need a new one ({LOCK_FILE} recorded content hash {} for `{}`)",
        recorded.content_hash, recorded.version
    ));
    Report {
        sources: vec![manifest],
        diagnostics: vec![diagnostic],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_lock_parses_back() {
        let text = render("2026.12.02-1", "00ff");
        assert_eq!(
            parse(&text),
            Some(Recorded {
                version: "2026.12.02-1".into(),
                content_hash: "00ff".into()
            })
        );
    }

    #[test]
    fn compares_version_then_content() {
        let r = Recorded {
            version: "v1".into(),
            content_hash: "aa".into(),
        };
        assert_eq!(compare(&r, "v1", "aa"), LockCheck::Current);
        assert_eq!(
            compare(&r, "v1", "bb"),
            LockCheck::ContentChangedSameVersion
        );
        assert_eq!(compare(&r, "v2", "bb"), LockCheck::Bumped);
    }
}
