//! The text of reminder notifications: title = the event's summary; body = when it starts
//! relative to now ("in 5 min", "now", "started 3 min ago") and its time range in the
//! user's zone, location and calendar name; a late mark when it was missed. Also the burst
//! summary ("4 meetings start at 10:00") and the missed-reminders summary.
//!
//! Text is plain and harmless here: [`clean_line`] is the one rule for feed text that
//! reaches a notification (NUL, every control character, bidi controls, unbounded
//! length). Markup escaping is the desktop notifier's job because it depends on the
//! server's capabilities.
//!
//! `clean_line` is a private fallback until the engine's text boundary
//! (`ics/text.rs`) strips controls from every display field itself; it then stays as the
//! reminders' own guard, since a NUL in a D-Bus string makes the bus drop the sender.

use crate::timefmt::TimeFormat;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

// The engine's text boundary (`ics::text::is_unsafe`) already cleaned feed text at parse
// time; notifications apply it again for text that did not come through the parser.
use crate::ics::text::is_unsafe;

use super::notifier::{Action, Notification};
use super::plan::{AlarmId, Fire, Reminder};

/// The most events listed by name in the missed-reminders and burst summaries.
const SUMMARY_LINES: usize = 8;
/// The longest line kept (characters): a hostile 1 MB SUMMARY is not a notification.
const MAX_LINE: usize = 200;

/// Feed text for one notification line: whitespace controls (tab, newline) become a space,
/// every other unsafe character is dropped, runs of spaces are collapsed, the result is
/// trimmed and cut at [`MAX_LINE`] characters with an ellipsis.
pub fn clean_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LINE * 4));
    let mut count = 0;
    let mut space = false;
    for c in text.chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if is_unsafe(c) {
            continue;
        }
        if c == ' ' {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            count += 1;
            space = false;
        }
        if count >= MAX_LINE {
            out.push('…');
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// A multi-line text made safe: each line through [`clean_line`], empty lines dropped.
pub fn clean_text(text: &str) -> String {
    text.split('\n')
        .map(clean_line)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// "in 5 min", "in 1 h 5 min", "now" (from 30 s before to a minute after), "started 3 min
/// ago". Minutes ahead round up (4 min 10 s ahead is "in 5 min"), minutes past round down.
/// A reminder is shown a few milliseconds after its due time, so a 1-minute lead is 59.99 s
/// ahead when its text is made: that still reads "in 1 min", never "now".
pub fn when_text(start: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let ahead = (start - now).num_seconds();
    let hm = |mins: i64| {
        if mins < 60 {
            format!("{mins} min")
        } else if mins % 60 == 0 {
            format!("{} h", mins / 60)
        } else {
            format!("{} h {} min", mins / 60, mins % 60)
        }
    };
    if ahead >= 30 {
        format!("in {}", hm((ahead + 59) / 60))
    } else if ahead >= -59 {
        "now".into()
    } else {
        format!("started {} ago", hm(-ahead / 60))
    }
}

fn hm(t: DateTime<Utc>, tz: Tz) -> String {
    TimeFormat::current().time(&t.with_timezone(&tz))
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
            format!("All day, {}", TimeFormat::current().date(date))
        };
    }
    let mut s = String::new();
    if start_local.date_naive() != today {
        s.push_str(&TimeFormat::current().date(start_local.date_naive()));
        s.push_str(", ");
    }
    s.push_str(&hm(o.start, tz));
    if o.end > o.start {
        s.push_str(" – ");
        s.push_str(&hm(o.end, tz));
    }
    s
}

fn clean(text: &str) -> String {
    clean_line(text)
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
    let range = time_range(r, tz, now);
    let mut lines = vec![if o.all_day {
        range
    } else {
        format!("{} · {range}", when_text(o.start, now))
    }];
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
        urgent: matches!(r.alarm, AlarmId::Start | AlarmId::Nag) && fire.late_by.is_none(),
        replaces: None,
    }
}

/// One notification for a burst: more than a few reminders due in the same minute
/// ("4 meetings start at 10:00: A, B, C, D"), with an Open button.
pub fn burst_notification(
    reminders: &[Reminder],
    tz: Tz,
    now: DateTime<Utc>,
    actions: bool,
) -> Notification {
    let first = reminders.iter().map(|r| r.occurrence.start).min();
    let last = reminders.iter().map(|r| r.occurrence.start).max();
    let when = match (first, last) {
        (Some(a), Some(b)) if a == b => format!("at {} ({})", hm(a, tz), when_text(a, now)),
        (Some(a), Some(b)) => format!("between {} and {}", hm(a, tz), hm(b, tz)),
        _ => String::new(),
    };
    let names: Vec<String> = reminders
        .iter()
        .map(|r| {
            let t = clean(&r.occurrence.summary);
            if t.is_empty() {
                "(no title)".into()
            } else {
                t
            }
        })
        .collect();
    let mut lines: Vec<String> = names.iter().take(SUMMARY_LINES).cloned().collect();
    if names.len() > SUMMARY_LINES {
        lines.push(format!("and {} more", names.len() - SUMMARY_LINES));
    }
    Notification {
        title: format!("{} meetings start {when}", reminders.len()),
        body: lines.join("\n"),
        actions: if actions {
            vec![Action::Open]
        } else {
            Vec::new()
        },
        urgent: false,
        replaces: None,
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
        replaces: None,
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
            retry: false,
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
        // Markup is left for the desktop notifier, which knows whether the server parses it.
        assert_eq!(
            n.body,
            "started 15 min ago · 10:00 – 10:30\nmissed by 20 min\nRoom <4>\nWork"
        );
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
    fn nul_controls_bidi_and_length_never_reach_a_line() {
        assert_eq!(clean_line("a\0b\u{1}c\u{7f}\u{9b}d\u{202E}e"), "abcde");
        assert_eq!(clean_line("  x\r\n\ty  \u{2028} z "), "x y z");
        assert_eq!(clean_line("\0\u{202E} "), "");
        let long = clean_line(&"é".repeat(5000));
        assert_eq!(long.chars().count(), MAX_LINE + 1);
        assert!(long.ends_with('…'));
        assert_eq!(clean_text("a\0\n\n b \nc\u{1}"), "a\nb\nc");
        assert_eq!(clean_line("東京 📅 <b>&"), "東京 📅 <b>&");
    }

    #[test]
    fn when_text_says_in_now_and_ago() {
        let start = at("2026-03-02T10:00:00Z");
        let cases = [
            (-300, "in 5 min"),
            (-250, "in 5 min"),
            (-3900, "in 1 h 5 min"),
            (-7200, "in 2 h"),
            (-59, "in 1 min"),
            (-30, "in 1 min"),
            (-29, "now"),
            (0, "now"),
            (59, "now"),
            (60, "started 1 min ago"),
            (200, "started 3 min ago"),
        ];
        for (offset, want) in cases {
            assert_eq!(
                when_text(start, start + Duration::seconds(offset)),
                want,
                "{offset}"
            );
        }
    }

    #[test]
    fn a_burst_is_one_notification_with_open() {
        let rs: Vec<_> = (0..10)
            .map(|i| reminder(&format!("M{i}\0"), "2026-03-02T10:00:00Z"))
            .collect();
        let n = burst_notification(&rs, chrono_tz::UTC, at("2026-03-02T09:55:00Z"), true);
        assert_eq!(n.title, "10 meetings start at 10:00 (in 5 min)");
        assert!(n.body.starts_with("M0\nM1\n"), "{}", n.body);
        assert!(n.body.ends_with("and 2 more"));
        assert_eq!(n.actions, vec![Action::Open]);
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
