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

/// Feed text for a notification line: bidi controls stripped, then trimmed.
fn clean(text: &str) -> String {
    strip_bidi(text).trim().to_string()
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
/// `snooze`: the Snooze buttons, in minutes; no buttons at all when `actions` is false.
pub fn reminder_notification(
    fire: &Fire,
    tz: Tz,
    now: DateTime<Utc>,
    actions: bool,
    snooze: &[u16],
) -> Notification {
    let r = &fire.reminder;
    let o = &r.occurrence;
    // Strip first, then trim: a title made only of bidi controls and spaces is empty.
    let title = clean(&o.summary);
    let title = if title.is_empty() {
        "(no title)".to_string()
    } else {
        title
    };
    let mut lines = vec![time_range(r, tz, now)];
    if let Some(late) = fire.late_by {
        lines.push(late_text(late));
    } else if r.snoozed {
        lines.push("snoozed reminder".into());
    }
    for extra in [o.location.as_deref().unwrap_or(""), o.source.as_str()] {
        let extra = clean(extra);
        if !extra.is_empty() {
            lines.push(extra);
        }
    }
    let mut wanted = Vec::new();
    if actions {
        if o.join_url.is_some() {
            wanted.push(Action::Join);
        }
        wanted.extend(snooze.iter().map(|m| Action::Snooze(*m)));
        wanted.push(Action::Dismiss);
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
                clean(&r.occurrence.summary)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Occurrence;
    use crate::reminders::plan::Fire;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn reminder(summary: &str, start: &str) -> Reminder {
        let start = at(start);
        let occurrence = Occurrence {
            source_id: Some(1),
            location: Some("Room <4>".into()),
            ..Occurrence::timed(
                "Work \u{202E}",
                "u",
                summary,
                start,
                start + Duration::minutes(30),
            )
        };
        Reminder {
            occurrence,
            alarm: AlarmId::Lead,
            due: start - Duration::minutes(5),
            snoozed: false,
        }
    }

    #[test]
    fn body_is_local_time_range_late_mark_location_calendar_without_bidi() {
        let r = reminder("Standup\u{202E}", "2026-03-02T09:00:00Z");
        let fire = Fire {
            reminder: r,
            late_by: Some(Duration::minutes(20)),
        };
        let n = reminder_notification(
            &fire,
            chrono_tz::Europe::Berlin,
            at("2026-03-02T09:15:00Z"),
            true,
            &[5, 10],
        );
        assert_eq!(n.title, "Standup");
        // Markup is left for the D-Bus layer, which knows whether the server parses it.
        assert_eq!(n.body, "10:00 – 10:30\nmissed by 20 min\nRoom <4>\nWork");
        assert_eq!(
            n.actions,
            vec![Action::Snooze(5), Action::Snooze(10), Action::Dismiss],
            "no Join without a link"
        );
        assert_eq!(late_text(Duration::minutes(125)), "missed by 2 h 5 min");
    }

    #[test]
    fn summary_lists_at_most_eight_and_counts_the_rest() {
        let missed: Vec<_> = (0..10)
            .map(|i| reminder(&format!("E{i}"), "2026-03-01T09:00:00Z"))
            .collect();
        let n = summary_notification(&missed, chrono_tz::UTC, at("2026-03-02T09:00:00Z"));
        assert_eq!(n.title, "10 missed reminders");
        assert!(n.body.starts_with("Sun 1 Mar, 09:00 – 09:30  E0\n"));
        assert!(n.body.ends_with("and 2 more"));
        assert!(n.actions.is_empty());
    }

    #[test]
    fn next_local_midnight_in_the_users_zone() {
        use crate::reminders::scheduler::next_local_midnight;
        let now = at("2026-03-02T22:30:00Z"); // 23:30 in Berlin
        assert_eq!(
            next_local_midnight(now, chrono_tz::Europe::Berlin),
            at("2026-03-02T23:00:00Z")
        );
        assert_eq!(
            next_local_midnight(now, chrono_tz::America::New_York),
            at("2026-03-03T05:00:00Z")
        );
    }
}
