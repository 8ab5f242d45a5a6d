//! The time window a metrics query covers (`--since 15m|1h|24h|7d`).

use super::OpsError;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Unit of a [`Window`], as Analytics Engine `INTERVAL` literals name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowUnit {
    Minute,
    Hour,
    Day,
}

/// A look-back window ending now; Analytics Engine keeps data for three months, so at most 90 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub amount: u32,
    pub unit: WindowUnit,
}

impl Window {
    /// Longest window accepted, in seconds (Analytics Engine retention is three months).
    pub const MAX_SECONDS: u64 = 90 * 86_400;

    /// The window's length in seconds.
    pub fn seconds(&self) -> u64 {
        let unit = match self.unit {
            WindowUnit::Minute => 60,
            WindowUnit::Hour => 3_600,
            WindowUnit::Day => 86_400,
        };
        u64::from(self.amount) * unit
    }

    /// The Analytics Engine SQL interval literal, e.g. `INTERVAL '15' MINUTE`.
    pub fn sql_interval(&self) -> String {
        let unit = match self.unit {
            WindowUnit::Minute => "MINUTE",
            WindowUnit::Hour => "HOUR",
            WindowUnit::Day => "DAY",
        };
        format!("INTERVAL '{}' {unit}", self.amount)
    }
}

impl FromStr for Window {
    type Err = OpsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || OpsError::InvalidWindow(s.to_string());
        let trimmed = s.trim();
        let split = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(invalid)?;
        let (digits, unit) = trimmed.split_at(split);
        let amount: u32 = digits.parse().map_err(|_| invalid())?;
        let unit = match unit {
            "m" | "min" => WindowUnit::Minute,
            "h" => WindowUnit::Hour,
            "d" => WindowUnit::Day,
            _ => return Err(invalid()),
        };
        let window = Window { amount, unit };
        if amount == 0 || window.seconds() > Self::MAX_SECONDS {
            return Err(invalid());
        }
        Ok(window)
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            WindowUnit::Minute => "m",
            WindowUnit::Hour => "h",
            WindowUnit::Day => "d",
        };
        write!(f, "{}{unit}", self.amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_windows() {
        for (text, secs, sql) in [
            ("15m", 900, "INTERVAL '15' MINUTE"),
            ("1h", 3_600, "INTERVAL '1' HOUR"),
            ("24h", 86_400, "INTERVAL '24' HOUR"),
            ("7d", 604_800, "INTERVAL '7' DAY"),
        ] {
            let w: Window = text.parse().unwrap();
            assert_eq!(w.seconds(), secs);
            assert_eq!(w.sql_interval(), sql);
            assert_eq!(w.to_string(), text);
        }
    }

    #[test]
    fn rejects_bad_windows() {
        for text in [
            "",
            "15",
            "m",
            "0m",
            "15s",
            "91d",
            "1h;DROP",
            "-5m",
            "99999999999d",
        ] {
            assert!(text.parse::<Window>().is_err(), "{text} should be rejected");
        }
        assert!("90d".parse::<Window>().is_ok());
    }
}
