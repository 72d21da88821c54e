//! Placeholder until the engine branch lands its formatter.

use chrono_tz::Tz;

use crate::model::Occurrence;

pub fn to_jsonl(list: &[Occurrence]) -> String {
    list.iter().map(|o| serde_json::to_string(o).unwrap_or_default() + "\n").collect()
}

pub fn to_json(list: &[Occurrence]) -> String {
    serde_json::to_string_pretty(list).unwrap_or_default() + "\n"
}

pub fn to_text(list: &[Occurrence], tz: Tz) -> String {
    list.iter()
        .filter(|o| !o.cancelled)
        .map(|o| format!("{} {}\n", o.start.with_timezone(&tz).format("%a %Y-%m-%d %H:%M"), o.summary))
        .collect()
}
