//! Diagnostics a rule author can act on: `path:line:col: message`, the offending line with the
//! span underlined, notes that point elsewhere ("first defined here") and a `help:` line; the
//! same as JSON (`concierge check --format json`) for editors and CI.

use serde::Serialize;
use std::fmt;
use std::ops::Range;

/// One rule file's text and the path it is shown under (e.g. `rules/intents.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Whether a diagnostic stops the rules from being used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    /// Worth fixing, but the rules load (e.g. content changed without a new `version`).
    Warning,
}

/// A second place a diagnostic points at, e.g. where a duplicated id was first defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub file: usize,
    pub span: Option<Range<usize>>,
    pub message: String,
}

/// One problem in the rule files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Index into the sources the diagnostic was raised against.
    pub file: usize,
    /// Byte span in that file; `None` points at the start of the file.
    pub span: Option<Range<usize>>,
    pub message: String,
    pub help: Option<String>,
    /// An example or counterexample that failed: the rules compile, but do not behave as declared.
    pub failed_example: bool,
    pub severity: Severity,
    pub notes: Vec<Note>,
}

impl Diagnostic {
    /// An error at `span` of `file`.
    pub fn new(file: usize, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        Diagnostic {
            file,
            span,
            message: message.into(),
            help: None,
            failed_example: false,
            severity: Severity::Error,
            notes: Vec::new(),
        }
    }

    /// Marks the diagnostic as a failed example.
    pub fn example(mut self) -> Self {
        self.failed_example = true;
        self
    }

    /// Makes the diagnostic a warning.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Adds a help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note pointing at `span` of `file`.
    pub fn note(
        mut self,
        file: usize,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        self.notes.push(Note {
            file,
            span,
            message: message.into(),
        });
        self
    }
}

/// 1-based line and column (in chars) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut offset = offset;
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// A position in a rule file, as editors count it (1-based lines and columns in chars).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// A diagnostic as `concierge check --format json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    pub severity: Severity,
    /// `true` for an example or counterexample that did not behave as declared.
    pub failed_example: bool,
    pub message: String,
    #[serde(flatten)]
    pub location: Location,
    pub help: Option<String>,
    pub notes: Vec<JsonNote>,
}

/// A note as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonNote {
    pub message: String,
    #[serde(flatten)]
    pub location: Location,
}

/// Every problem found in one run, with the sources needed to render them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub sources: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// The `path:line:col` of a diagnostic.
    pub fn location(&self, d: &Diagnostic) -> String {
        self.place(d.file, d.span.as_ref())
    }

    fn place(&self, file: usize, span: Option<&Range<usize>>) -> String {
        let Some(source) = self.sources.get(file) else {
            return "<rules>".to_string();
        };
        let (line, col) = line_col(&source.text, span.map_or(0, |s| s.start));
        format!("{}:{}:{}", source.path, line, col)
    }

    fn span_location(&self, file: usize, span: Option<&Range<usize>>) -> Location {
        let Some(source) = self.sources.get(file) else {
            return Location {
                path: "<rules>".into(),
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
            };
        };
        let (start, end) = span.map_or((0, 0), |s| (s.start, s.end.max(s.start)));
        let (line, column) = line_col(&source.text, start);
        let (end_line, end_column) = line_col(&source.text, end);
        Location {
            path: source.path.clone(),
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// Diagnostics in file, then position order.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut all: Vec<&Diagnostic> = self.diagnostics.iter().collect();
        all.sort_by_key(|d| (d.file, d.span.as_ref().map_or(0, |s| s.start)));
        all
    }

    /// How many diagnostics are errors (failed examples included).
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// How many diagnostics are warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    /// The diagnostics in order, for `--format json`.
    pub fn to_json(&self) -> Vec<JsonDiagnostic> {
        self.sorted()
            .into_iter()
            .map(|d| JsonDiagnostic {
                severity: d.severity,
                failed_example: d.failed_example,
                message: d.message.clone(),
                location: self.span_location(d.file, d.span.as_ref()),
                help: d.help.clone(),
                notes: d
                    .notes
                    .iter()
                    .map(|n| JsonNote {
                        message: n.message.clone(),
                        location: self.span_location(n.file, n.span.as_ref()),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The offending line with the span underlined (nothing when there is no span).
    fn snippet(
        &self,
        file: usize,
        span: Option<&Range<usize>>,
        f: &mut fmt::Formatter<'_>,
    ) -> fmt::Result {
        let (Some(source), Some(span)) = (self.sources.get(file), span) else {
            return Ok(());
        };
        let (line, col) = line_col(&source.text, span.start);
        let Some(text) = source.text.lines().nth(line - 1) else {
            return Ok(());
        };
        let width = line.to_string().len();
        let line_chars = text.chars().count();
        let span_chars = source
            .text
            .get(span.clone())
            .map_or(1, |s| s.lines().next().unwrap_or("").chars().count())
            .clamp(1, line_chars.saturating_sub(col - 1).max(1));
        writeln!(f, "{:width$} |", "")?;
        writeln!(f, "{line} | {text}")?;
        writeln!(
            f,
            "{:width$} | {}{}",
            "",
            " ".repeat(col - 1),
            "^".repeat(span_chars)
        )
    }

    fn render_one(&self, d: &Diagnostic, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match d.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        writeln!(f, "{}: {level}{}", self.location(d), d.message)?;
        self.snippet(d.file, d.span.as_ref(), f)?;
        for note in &d.notes {
            writeln!(
                f,
                "{}: note: {}",
                self.place(note.file, note.span.as_ref()),
                note.message
            )?;
            self.snippet(note.file, note.span.as_ref(), f)?;
        }
        if let Some(help) = &d.help {
            writeln!(f, "  help: {help}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.sorted() {
            self.render_one(d, f)?;
        }
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let (errors, warnings) = (self.errors(), self.warnings());
        match (errors, warnings) {
            (_, 0) => write!(f, "{errors} error{} in the rule files", plural(errors)),
            (0, _) => write!(
                f,
                "{warnings} warning{} in the rule files",
                plural(warnings)
            ),
            _ => write!(
                f,
                "{errors} error{} and {warnings} warning{} in the rule files",
                plural(errors),
                plural(warnings)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_chars() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 9), (2, 3));
    }

    #[test]
    fn renders_location_snippet_and_help() {
        let report = Report {
            sources: vec![SourceFile {
                path: "rules/x.toml".into(),
                text: "[[intent]]\nphrase = []\n".into(),
            }],
            diagnostics: vec![Diagnostic::new(0, Some(11..17), "unknown key `phrase`")
                .help("did you mean `phrases`?")],
        };
        let out = report.to_string();
        assert!(
            out.starts_with("rules/x.toml:2:1: unknown key `phrase`\n"),
            "{out}"
        );
        assert!(out.contains("2 | phrase = []\n  | ^^^^^^\n"), "{out}");
        assert!(out.contains("  help: did you mean `phrases`?"), "{out}");
    }
}
