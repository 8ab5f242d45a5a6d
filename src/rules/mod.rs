//! Rule files → a validated, compiled [`Engine`].
//!
//! Raw TOML is parsed with spans, checked field by field (every problem collected, each with a
//! `path:line:col` and a help line), turned into a plain [`EngineSpec`], compiled, and finally
//! every example and counterexample in the files is run against the compiled engine.

pub(crate) mod diagnostic;
mod entities;
mod examples;
mod intents;
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod keys;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod lock;
mod reader;
mod regex;
mod settings;
mod syntax;

pub use diagnostic::{
    Diagnostic, JsonDiagnostic, JsonNote, Location, Note, Report, Severity, SourceFile,
};

use crate::engine::hash::fnv1a64;
use crate::engine::{CompileError, CoreIntent, Engine, EngineSpec};
use reader::{did_you_mean, Reader};
use std::path::Path;
use toml::de::DeTable;

/// The rule files a rules directory holds; `thresholds` and `rollout` may be omitted (defaults).
pub const RULE_FILES: &[&str] = &[
    "manifest.toml",
    "intents.toml",
    "entities.toml",
    "thresholds.toml",
    "rollout.toml",
];
const REQUIRED_FILES: &[&str] = &["manifest.toml", "intents.toml", "entities.toml"];

/// Intents every rule set must declare: the Worker's replies depend on them.
pub const REQUIRED_INTENTS: &[&str] = &[
    CoreIntent::ProductDiscovery.id(),
    CoreIntent::OrderTracking.id(),
    CoreIntent::ReturnsResizing.id(),
    CoreIntent::StylistEscalation.id(),
];

/// The rules schema version this build understands.
pub const SCHEMA_VERSION: i64 = 1;

/// A compiled rule set and what was checked on the way.
#[derive(Debug, Clone)]
pub struct LoadedRules {
    pub engine: Engine,
    /// The validated rule set the engine was compiled from (what `build.rs` embeds).
    pub spec: EngineSpec,
    pub summary: CheckSummary,
    /// Examples and counterexamples that did not behave as declared. The engine is usable (the
    /// rules are well-formed) but `concierge check` fails until these are fixed.
    pub failed_examples: Option<Report>,
}

/// Counts for `concierge check`'s one-line summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CheckSummary {
    pub files: usize,
    pub intents: usize,
    pub phrases: usize,
    pub patterns: usize,
    pub examples: usize,
}

/// Why a rules directory could not be read at all (as opposed to rule errors).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read rules directory `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Rules(Report),
}

/// Reads every `*.toml` file of `dir` and loads them.
pub fn load_dir(dir: &Path) -> Result<LoadedRules, LoadError> {
    let io = |source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Io {
                path: path.display().to_string(),
                source,
            })?;
            files.push(SourceFile {
                path: path.display().to_string(),
                text,
            });
        }
    }
    load_sources(files).map_err(LoadError::Rules)
}

/// The file name part of a source path.
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Content hash of rule files: FNV-1a 64 over `name\0text\0` in name order, as hex.
pub fn content_hash(sources: &[SourceFile]) -> String {
    let mut sorted: Vec<&SourceFile> = sources.iter().collect();
    sorted.sort_by(|a, b| file_name(&a.path).cmp(file_name(&b.path)));
    let mut parts: Vec<&[u8]> = Vec::new();
    for s in sorted {
        parts.extend([
            file_name(&s.path).as_bytes(),
            b"\0",
            s.text.as_bytes(),
            b"\0",
        ]);
    }
    format!("{:016x}", fnv1a64(&parts))
}

/// Validates and compiles rule files given as text (from disk or embedded in the build), then
/// runs every example and counterexample.
pub fn load_sources(sources: Vec<SourceFile>) -> Result<LoadedRules, Report> {
    load(sources, true)
}

/// Validates and compiles rule files without running their examples: for the Worker's cold
/// start, where the same files were already checked by `cargo test` and `concierge check`.
pub fn compile_sources(sources: Vec<SourceFile>) -> Result<LoadedRules, Report> {
    load(sources, false)
}

fn load(mut sources: Vec<SourceFile>, run_examples: bool) -> Result<LoadedRules, Report> {
    sources.sort_by(|a, b| {
        let rank = |s: &SourceFile| {
            RULE_FILES
                .iter()
                .position(|f| *f == file_name(&s.path))
                .unwrap_or(usize::MAX)
        };
        rank(a).cmp(&rank(b)).then(a.path.cmp(&b.path))
    });
    let mut diagnostics = Vec::new();
    let hash = content_hash(&sources);

    let mut tables: Vec<Option<DeTable<'_>>> = Vec::new();
    for (file, source) in sources.iter().enumerate() {
        let name = file_name(&source.path);
        if !RULE_FILES.contains(&name) {
            let help = match did_you_mean(name, RULE_FILES) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("rule files are: {}", RULE_FILES.join(", ")),
            };
            diagnostics.push(
                Diagnostic::new(file, None, format!("unknown rule file `{name}`")).help(help),
            );
            tables.push(None);
            continue;
        }
        let (table, errors) = DeTable::parse_recoverable(&source.text);
        if errors.is_empty() {
            tables.push(Some(table.into_inner()));
        } else {
            diagnostics.push(syntax::first_syntax_error(file, &source.text, &errors));
            tables.push(None);
        }
    }
    let find = |name: &str| sources.iter().position(|s| file_name(&s.path) == name);
    for required in REQUIRED_FILES {
        if find(required).is_none() {
            // Point at the manifest if there is one, else at nothing.
            diagnostics.push(
                Diagnostic::new(usize::MAX, None, format!("missing rule file `{required}`"))
                    .help(format!("create `{required}` in the rules directory")),
            );
        }
    }

    let file_table = |name: &str| find(name).and_then(|i| tables[i].as_ref().map(|t| (i, t)));

    let mut spec = EngineSpec {
        rules_version: String::new(),
        content_hash: hash,
        intents: Vec::new(),
        entities: Default::default(),
        language: Default::default(),
        thresholds: Default::default(),
        rollout: Default::default(),
        pattern_literals: Vec::new(),
        phrases_normalised: false,
    };
    if let Some((file, table)) = file_table("manifest.toml") {
        let mut r = Reader {
            file,
            text: &sources[file].text,
            diagnostics: &mut diagnostics,
        };
        spec.rules_version = settings::read_manifest(&mut r, table);
    }
    let mut intent_sources = Vec::new();
    if let Some((file, table)) = file_table("intents.toml") {
        let mut r = Reader {
            file,
            text: &sources[file].text,
            diagnostics: &mut diagnostics,
        };
        let (intents, language, located) = intents::read_intents(&mut r, table);
        spec.intents = intents;
        spec.language = language;
        intent_sources = located;
    }
    let mut entity_checks = entities::EntityChecks::default();
    if let Some((file, table)) = file_table("entities.toml") {
        let mut r = Reader {
            file,
            text: &sources[file].text,
            diagnostics: &mut diagnostics,
        };
        let (entities, checks) = entities::read_entities(&mut r, table);
        spec.entities = entities;
        entity_checks = checks;
    }
    if let Some((file, table)) = file_table("thresholds.toml") {
        let mut r = Reader {
            file,
            text: &sources[file].text,
            diagnostics: &mut diagnostics,
        };
        spec.thresholds = settings::read_thresholds(&mut r, table);
    }
    spec.entities.ring_size_min = spec
        .entities
        .ring_size_min
        .min(spec.thresholds.returns.ring_size_min);
    if let Some((file, table)) = file_table("rollout.toml") {
        let mut r = Reader {
            file,
            text: &sources[file].text,
            diagnostics: &mut diagnostics,
        };
        spec.rollout = settings::read_rollout(&mut r, table);
    }

    let summary = CheckSummary {
        files: sources.len(),
        intents: spec.intents.len(),
        phrases: spec.intents.iter().map(|i| i.phrases.len()).sum(),
        patterns: spec.intents.iter().map(|i| i.patterns.len()).sum(),
        examples: 0,
    };
    let engine = match Engine::compile(&spec) {
        Ok(engine) => Some(engine),
        Err(errors) => {
            let file = find("intents.toml").unwrap_or(usize::MAX);
            for e in errors {
                let message = match &e {
                    CompileError::Intent(e) => e.to_string(),
                    CompileError::Entity(e) => e.to_string(),
                };
                diagnostics.push(Diagnostic::new(file, None, message));
            }
            None
        }
    };
    let mut summary = summary;
    // Examples check behaviour, and with any rule error their failures would mostly echo it: a
    // file that does not parse leaves half the rules out, an intent with a misspelt `phrases`
    // fails its own examples, and leaving it out instead lets another intent take its messages.
    // So examples run once the rules are well-formed.
    let well_formed = !diagnostics.iter().any(|d| d.severity == Severity::Error);
    if let Some(engine) = engine.as_ref().filter(|_| run_examples && well_formed) {
        summary.examples = examples::run_intent_examples(engine, &intent_sources, &mut diagnostics)
            + examples::run_entity_examples(engine, &entity_checks, &mut diagnostics);
    }
    // Diagnostics without a file (a missing file) are shown against the directory.
    let mut sources = sources;
    if diagnostics.iter().any(|d| d.file == usize::MAX) {
        let dir = sources
            .first()
            .map(|s| {
                let name = file_name(&s.path);
                s.path[..s.path.len() - name.len()].to_string()
            })
            .unwrap_or_default();
        sources.push(SourceFile {
            path: dir.trim_end_matches(['/', '\\']).to_string(),
            text: String::new(),
        });
        let idx = sources.len() - 1;
        for d in diagnostics.iter_mut().filter(|d| d.file == usize::MAX) {
            d.file = idx;
        }
    }
    match engine {
        Some(engine) if diagnostics.iter().all(|d| d.failed_example) => Ok(LoadedRules {
            engine,
            spec,
            summary,
            failed_examples: (!diagnostics.is_empty()).then_some(Report {
                sources,
                diagnostics,
            }),
        }),
        _ => Err(Report {
            sources,
            diagnostics,
        }),
    }
}
