//! The text of reminder notifications: title = the event's summary; body = its time range
//! in the user's zone, location and calendar name; a late mark when it was missed.
//!
//! Text is plain: bidi controls are stripped here (the tray shows the same strings), markup
//! escaping is the D-Bus notifier's job because it depends on the server's capabilities.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::notifier::{strip_bidi, Action, Notification};
use super::plan::{AlarmId, Fire, Reminder};

/// The most events listed by name in the missed-reminders summary.
const SUMMARY_LINES: usize = 8;

fn hm(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// "10:00 – 10:30", with the date when the event is not on the same local day as `now`;
/// "All day" (with the date) for all-day events.
pub fn time_range(r: &Reminder, tz: Tz, now: DateTime<Utc>) -> String {
    let o = &r.occurrence;
    let today = now.with_timezone(&tz).date_naive();
    let start_local = o.start.with_timezone(&tz);
    if o.all_day {
        let date = o.start_date.unwrap_or(start_local.date_naive());
        return if date == today {
            "All day".into()
        } else {
            format!("All day, {}", date.format("%a %-d %b"))
        };
    }
    let mut s = String::new();
    if start_local.date_naive() != today {
        s.push_str(&start_local.format("%a %-d %b, ").to_string());
    }
    s.push_str(&hm(o.start, tz));
    if o.end > o.start {
        s.push_str(" – ");
        s.push_str(&hm(o.end, tz));
    }
    s
}

/// "missed by 20 min" / "missed by 2 h 5 min".
pub fn late_text(late: Duration) -> String {
    let mins = late.num_minutes().max(1);
    if mins < 60 {
        format!("missed by {mins} min")
    } else {
        format!("missed by {} h {} min", mins / 60, mins % 60)
    }
}

/// The notification for one reminder.
pub fn reminder_notification(
    fire: &Fire,
    tz: Tz,
    now: DateTime<Utc>,
    actions: bool,
) -> Notification {
    let r = &fire.reminder;
    let o = &r.occurrence;
    let title = if o.summary.trim().is_empty() {
        "(no title)".to_string()
    } else {
        strip_bidi(o.summary.trim())
    };
    let mut lines = vec![time_range(r, tz, now)];
    if let Some(late) = fire.late_by {
        lines.push(late_text(late));
    } else if r.snoozed {
        lines.push("snoozed reminder".into());
    }
    if let Some(loc) = o
        .location
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        lines.push(strip_bidi(loc));
    }
    if !o.source.trim().is_empty() {
        lines.push(strip_bidi(o.source.trim()));
    }
    let mut wanted = Vec::new();
    if actions {
        if o.join_url.is_some() {
            wanted.push(Action::Join);
        }
        wanted.extend([Action::Snooze5, Action::Snooze10, Action::Dismiss]);
    }
    Notification {
        title,
        body: lines.join("\n"),
        actions: wanted,
        urgent: r.alarm == AlarmId::Start && fire.late_by.is_none(),
    }
}

/// One notification listing missed reminders (case 42).
pub fn summary_notification(missed: &[Reminder], tz: Tz, now: DateTime<Utc>) -> Notification {
    let mut lines: Vec<String> = missed
        .iter()
        .take(SUMMARY_LINES)
        .map(|r| {
            format!(
                "{}  {}",
                time_range(r, tz, now),
                strip_bidi(r.occurrence.summary.trim())
            )
        })
        .collect();
    if missed.len() > SUMMARY_LINES {
        lines.push(format!("and {} more", missed.len() - SUMMARY_LINES));
    }
    Notification {
        title: format!(
            "{} missed reminder{}",
            missed.len(),
            if missed.len() == 1 { "" } else { "s" }
        ),
        body: lines.join("\n"),
        actions: Vec::new(),
        urgent: false,
    }
}
