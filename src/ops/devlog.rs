//! Data points read back from development logs, since local Analytics Engine stores nothing.
//!
//! Two shapes are understood, mixed with any other output (which is skipped):
//! - `wrangler dev` stdout, where the Worker (with `LOG_DATA_POINTS=1`) prints each data point as
//!   one line `{"type":"aurora.datapoint","indexes":[..],"blobs":[..],"doubles":[..]}`;
//! - `wrangler tail --format json`, which prints each event as an indented, multi-line JSON
//!   object (opened by a bare `{` line) whose `logs[].message[]` entries hold those lines (as
//!   strings, or already parsed).

use crate::metrics::{DataPoint, LOG_LINE_TYPE};
use serde_json::Value;
use std::io::BufRead;

/// An object spanning more than this many bytes is abandoned (and counted as skipped).
const MAX_OBJECT_BYTES: usize = 4 * 1024 * 1024;

/// What a log held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DevLog {
    pub points: Vec<DataPoint>,
    /// Data point lines (marked `aurora.datapoint`) that could not be read.
    pub malformed: usize,
}

/// Reads every data point from a dev log or a `wrangler tail --format json` stream.
pub fn read_data_points(reader: impl BufRead) -> std::io::Result<DevLog> {
    let mut log = DevLog::default();
    let mut pending = String::new();
    let mut scanner = BraceScanner::default();
    for line in reader.lines() {
        let line = line?;
        if pending.is_empty() {
            let trimmed = line.trim_start();
            if !trimmed.starts_with('{') {
                continue;
            }
            scanner = BraceScanner::default();
            let end = scanner.feed(trimmed);
            pending.push_str(trimmed);
            if let Some(end) = end {
                pending.truncate(end);
            } else if trimmed.trim_end() != "{" {
                // Only pretty-printed objects (a bare `{` line) span lines; anything else that
                // does not close on its line is cut off or not JSON.
                if trimmed.contains(LOG_LINE_TYPE) {
                    log.malformed += 1;
                }
                pending.clear();
                continue;
            }
        } else {
            pending.push('\n');
            let offset = pending.len();
            let end = scanner.feed(&line);
            pending.push_str(&line);
            if let Some(end) = end {
                pending.truncate(offset + end);
            }
        }
        if scanner.closed() {
            collect(&pending, &mut log);
            pending.clear();
        } else if pending.len() > MAX_OBJECT_BYTES {
            pending.clear();
        }
    }
    if !pending.is_empty() {
        collect(&pending, &mut log);
    }
    Ok(log)
}

fn collect(text: &str, log: &mut DevLog) {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => collect_value(&value, log),
        Err(_) if text.contains(LOG_LINE_TYPE) => log.malformed += 1,
        Err(_) => {}
    }
}

fn collect_value(value: &Value, log: &mut DevLog) {
    if value.get("type").and_then(Value::as_str) == Some(LOG_LINE_TYPE) {
        match data_point(value) {
            Some(point) => log.points.push(point),
            None => log.malformed += 1,
        }
        return;
    }
    let Some(logs) = value.get("logs").and_then(Value::as_array) else {
        return;
    };
    for entry in logs {
        let Some(messages) = entry.get("message").and_then(Value::as_array) else {
            continue;
        };
        for message in messages {
            match message {
                Value::String(text) if text.contains(LOG_LINE_TYPE) => collect(text.trim(), log),
                Value::Object(_) => collect_value(message, log),
                _ => {}
            }
        }
    }
}

fn data_point(value: &Value) -> Option<DataPoint> {
    let blobs: Vec<String> = value
        .get("blobs")?
        .as_array()?
        .iter()
        .map(|b| b.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    let doubles: Vec<f64> = value
        .get("doubles")?
        .as_array()?
        .iter()
        .map(Value::as_f64)
        .collect::<Option<_>>()?;
    DataPoint::from_arrays(&blobs, &doubles)
}

/// Tracks `{`/`}` depth outside JSON strings to find where an object ends.
#[derive(Debug, Default)]
struct BraceScanner {
    depth: usize,
    in_string: bool,
    escaped: bool,
    done: bool,
}

impl BraceScanner {
    /// Feeds a chunk; returns the byte offset just past the closing brace when the object ends in it.
    fn feed(&mut self, chunk: &str) -> Option<usize> {
        for (i, c) in chunk.char_indices() {
            if self.done {
                return None;
            }
            if self.in_string {
                match (self.escaped, c) {
                    (true, _) => self.escaped = false,
                    (false, '\\') => self.escaped = true,
                    (false, '"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => self.in_string = true,
                '{' => self.depth += 1,
                '}' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        self.done = true;
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn closed(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_inside_strings_do_not_end_an_object() {
        let text = "{\"type\":\"x\",\"s\":\"}{\\\"}\"} trailing\n";
        let mut scanner = BraceScanner::default();
        let end = scanner.feed(text).unwrap();
        assert_eq!(&text[..end], "{\"type\":\"x\",\"s\":\"}{\\\"}\"}");
    }
}
