//! Diagnostics a rule author can act on: `path:line:col: message`, the offending line with the
//! span underlined, and a `help:` line.

use std::fmt;
use std::ops::Range;

/// One rule file's text and the path it is shown under (e.g. `rules/intents.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
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
}

impl Diagnostic {
    /// A diagnostic at `span` of `file`.
    pub fn new(file: usize, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        Diagnostic {
            file,
            span,
            message: message.into(),
            help: None,
            failed_example: false,
        }
    }

    /// Marks the diagnostic as a failed example.
    pub fn example(mut self) -> Self {
        self.failed_example = true;
        self
    }

    /// Adds a help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
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

/// Every problem found in one run, with the sources needed to render them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub sources: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// The `path:line:col` of a diagnostic.
    pub fn location(&self, d: &Diagnostic) -> String {
        let Some(source) = self.sources.get(d.file) else {
            return "<rules>".to_string();
        };
        let (line, col) = line_col(&source.text, d.span.as_ref().map_or(0, |s| s.start));
        format!("{}:{}:{}", source.path, line, col)
    }

    /// Diagnostics in file, then position order.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut all: Vec<&Diagnostic> = self.diagnostics.iter().collect();
        all.sort_by_key(|d| (d.file, d.span.as_ref().map_or(0, |s| s.start)));
        all
    }

    fn render_one(&self, d: &Diagnostic, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.location(d), d.message)?;
        if let (Some(source), Some(span)) = (self.sources.get(d.file), d.span.as_ref()) {
            let (line, col) = line_col(&source.text, span.start);
            if let Some(text) = source.text.lines().nth(line - 1) {
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
                )?;
            }
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
        let n = self.diagnostics.len();
        write!(
            f,
            "{n} error{} in the rule files",
            if n == 1 { "" } else { "s" }
        )
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
