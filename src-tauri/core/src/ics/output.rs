//! Agenda output for the command line (PRODUCT.md "Command-line contract").
//!
//! `jsonl`: one object a line, in the order given (callers pass [`super::expand`]'s output,
//! which is sorted by start), with `uid, summary, start, end, all_day, cancelled, source,
//! location, join_url` plus the other occurrence fields. Timed `start`/`end` are RFC 3339
//! UTC with `Z` and whole seconds; all-day ones are dates (`end` exclusive).
//! `json`: an array of the same objects. `text`: one human line per occurrence in the
//! given zone, cancelled ones hidden.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use crate::model::{AlarmTrigger, Occurrence};

fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The contract object of one occurrence.
pub fn to_value(o: &Occurrence) -> Value {
    let (start, end) = match (o.all_day, o.start_date, o.end_date) {
        (true, Some(s), Some(e)) => (s.to_string(), e.to_string()),
        _ => (utc(o.start), utc(o.end)),
    };
    let alarms: Vec<Value> = o
        .alarms
        .iter()
        .map(|a| match a {
            AlarmTrigger::Relative { seconds } => json!({"kind": "relative", "seconds": seconds}),
            AlarmTrigger::Absolute { at } => json!({"kind": "absolute", "at": utc(*at)}),
        })
        .collect();
    json!({
        "uid": o.uid,
        "summary": o.summary,
        "start": start,
        "end": end,
        "all_day": o.all_day,
        "cancelled": o.cancelled,
        "source": o.source,
        "location": o.location,
        "join_url": o.join_url,
        "recurrence_id": o.recurrence_id.map(utc),
        "tentative": o.tentative,
        "free": o.free,
        "my_status": o.my_status,
        "attendees": o.attendees,
        "organizer": o.organizer,
        "alarms": alarms,
        "categories": o.categories,
        "color": o.color,
        "description": o.description,
        "truncated": o.truncated,
    })
}

/// One JSON object a line, each line ending in `\n`.
pub fn to_jsonl(occurrences: &[Occurrence]) -> String {
    let mut out = String::new();
    for o in occurrences {
        out.push_str(&to_value(o).to_string());
        out.push('\n');
    }
    out
}

/// A JSON array of the same objects (pretty-printed, with a final newline).
pub fn to_json(occurrences: &[Occurrence]) -> String {
    let arr = Value::Array(occurrences.iter().map(to_value).collect());
    let mut s = serde_json::to_string_pretty(&arr).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

/// Human lines in `tz`: `2026-03-29 Sun 09:00-10:00  Standup  (Room 1)  [join URL]`;
/// all-day ones show `all day`; cancelled occurrences are hidden; control characters
/// in feed text are replaced so a title cannot rewrite the terminal.
pub fn to_text(occurrences: &[Occurrence], tz: Tz) -> String {
    let mut out = String::new();
    for o in occurrences.iter().filter(|o| !o.cancelled) {
        let when = if o.all_day {
            let s = o
                .start_date
                .unwrap_or_else(|| o.start.with_timezone(&tz).date_naive());
            let days = match (o.start_date, o.end_date) {
                (Some(s), Some(e)) => (e - s).num_days(),
                _ => 1,
            };
            if days > 1 {
                format!("{} {} all day ({days} days)", s, s.format("%a"))
            } else {
                format!("{} {} all day", s, s.format("%a"))
            }
        } else {
            let s = o.start.with_timezone(&tz);
            let e = o.end.with_timezone(&tz);
            if s.date_naive() == e.date_naive() {
                format!("{}-{}", s.format("%Y-%m-%d %a %H:%M"), e.format("%H:%M"))
            } else {
                format!(
                    "{} - {}",
                    s.format("%Y-%m-%d %a %H:%M"),
                    e.format("%Y-%m-%d %H:%M")
                )
            }
        };
        let mut line = format!("{when}  {}", clean(&o.summary));
        if let Some(l) = &o.location {
            line.push_str(&format!("  ({})", clean(l)));
        }
        if o.tentative {
            line.push_str("  [tentative]");
        }
        if let Some(j) = &o.join_url {
            line.push_str(&format!("  <{}>", clean(j)));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}
