//! The tray menu as a pure function of (agenda, health, pause state, now). On Linux the
//! menu is most of the tray UI (appindicator gives no clicks and no tooltip), so this is
//! where glanceability is decided: the headline (also the label beside the icon and the
//! tooltip), the minutes drawn on the icon in the last hour ([`MenuModel::badge`]), the
//! calendar colour of each event line, "free until" / "last meeting ends", and the
//! health lines. `tray` only renders it.

use crate::timefmt::TimeFormat;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::agenda::{is_attended, join_is_near, join_target, next_meeting, UPCOMING_PRECEDENCE};
use crate::ics::text::is_unsafe;
use crate::model::{Occurrence, PartStat};
use crate::sources::PALETTE;

/// At most this many of today's events are listed, so the menu stays short.
pub const MAX_EVENTS: usize = 12;
/// Longest summary shown in a menu line.
const MAX_SUMMARY_CHARS: usize = 60;
/// The next meeting gets a minute countdown ("in 4 min") when it is this close; further
/// away its start time reads better, and the tray then has no reason to wake each minute.
pub const COUNTDOWN: Duration = Duration::hours(1);

/// Menu item ids: the one place their strings are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuId {
    /// The first line: joins when a link is near, else opens the window.
    Headline,
    Open,
    Quit,
    JoinNext,
    Refresh,
    Pause1h,
    PauseTomorrow,
    Resume,
    /// The n-th event line (index into `MenuModel::event_keys`).
    Event(usize),
}

impl MenuId {
    pub fn as_string(self) -> String {
        match self {
            Self::Headline => "headline".into(),
            Self::Open => "open".into(),
            Self::Quit => "quit".into(),
            Self::JoinNext => "join_next".into(),
            Self::Refresh => "refresh".into(),
            Self::Pause1h => "pause_1h".into(),
            Self::PauseTomorrow => "pause_tomorrow".into(),
            Self::Resume => "resume".into(),
            Self::Event(i) => format!("event:{i}"),
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Some(match id {
            "headline" => Self::Headline,
            "open" => Self::Open,
            "quit" => Self::Quit,
            "join_next" => Self::JoinNext,
            "refresh" => Self::Refresh,
            "pause_1h" => Self::Pause1h,
            "pause_tomorrow" => Self::PauseTomorrow,
            "resume" => Self::Resume,
            other => Self::Event(other.strip_prefix("event:")?.parse().ok()?),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuItem {
    /// A clickable line.
    Action {
        id: MenuId,
        label: String,
        enabled: bool,
    },
    /// An event line, drawn with a dot in its calendar's colour ("#rrggbb").
    Event {
        id: MenuId,
        label: String,
        color: String,
    },
    /// A line that only informs.
    Info(String),
    Separator,
}

/// What the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuModel {
    /// The headline: the first line, the label beside the icon where the desktop shows
    /// one, and the tooltip ("in 4 min: Standup").
    pub title: String,
    /// Minutes to the next meeting, drawn on the tray icon in its last hour
    /// ([`COUNTDOWN`]); None shows the plain icon.
    pub badge: Option<i64>,
    /// The occurrence a click on the headline joins (a link is near); None opens the window.
    pub headline_join: Option<String>,
    pub items: Vec<MenuItem>,
    /// Occurrence keys of the `MenuId::Event` lines, by index.
    pub event_keys: Vec<String>,
    /// The occurrence "Join next meeting" opens.
    pub join_key: Option<String>,
}

/// Inputs besides the agenda.
#[derive(Debug, Clone, Default)]
pub struct MenuContext {
    /// A line about failing or stale sources, if any ("Work: feed returned a web page").
    pub health_warning: Option<String>,
    pub paused_until: Option<DateTime<Utc>>,
    pub demo: bool,
    /// Since when notifications have been failing (reminders health), if they are.
    pub notify_failing_since: Option<DateTime<Utc>>,
    /// Reminders claimed and not yet shown (being retried).
    pub reminders_waiting: i64,
}

/// Builds the menu. `occurrences` is the agenda (sorted by start), `tz` the user's zone.
pub fn build(
    occurrences: &[Occurrence],
    ctx: &MenuContext,
    now: DateTime<Utc>,
    tz: Tz,
) -> MenuModel {
    let mut items = Vec::new();
    let next = next_meeting(occurrences, now);
    let title = next
        .map(|o| headline(o, now, tz))
        .unwrap_or_else(|| "No upcoming meetings".into());
    let target = join_target(occurrences, now, tz);
    let headline_join = target.filter(|o| join_is_near(o, now)).map(Occurrence::key);
    items.push(MenuItem::Action {
        id: MenuId::Headline,
        label: title.clone(),
        enabled: true,
    });
    if let Some(line) = day_line(occurrences, now, tz) {
        items.push(MenuItem::Info(line));
    }
    if ctx.demo {
        items.push(MenuItem::Info(
            "Showing the demo calendar: add a calendar in Sources".into(),
        ));
    }
    if let Some(warning) = &ctx.health_warning {
        items.push(MenuItem::Info(format!("⚠ {}", clean(warning))));
    }
    if let Some(since) = ctx.notify_failing_since {
        items.push(MenuItem::Info(notify_line(
            since,
            ctx.reminders_waiting,
            tz,
        )));
    }
    items.push(MenuItem::Separator);

    let today = now.with_timezone(&tz).date_naive();
    let todays: Vec<&Occurrence> = occurrences
        .iter()
        .filter(|o| !o.cancelled && o.end > now)
        .filter(|o| {
            let start_day = o
                .start_date
                .unwrap_or_else(|| o.start.with_timezone(&tz).date_naive());
            start_day <= today
        })
        .collect();
    let mut event_keys = Vec::new();
    if todays.is_empty() {
        items.push(MenuItem::Info("Nothing else today".into()));
    }
    for (i, o) in todays.iter().take(MAX_EVENTS).enumerate() {
        let concurrent = todays.iter().any(|other| {
            !std::ptr::eq(*other, *o)
                && !o.all_day
                && !other.all_day
                && other.start < o.end
                && o.start < other.end
        });
        items.push(MenuItem::Event {
            id: MenuId::Event(i),
            label: event_line(o, concurrent, tz),
            color: calendar_color(o),
        });
        event_keys.push(o.key());
    }
    if todays.len() > MAX_EVENTS {
        items.push(MenuItem::Info(format!(
            "… and {} more today",
            todays.len() - MAX_EVENTS
        )));
    }
    items.push(MenuItem::Separator);

    let joinable = target;
    items.push(MenuItem::Action {
        id: MenuId::JoinNext,
        label: match joinable {
            Some(o) => format!("Join: {}", truncate(&clean(&o.summary))),
            None => "Join next meeting".into(),
        },
        enabled: joinable.is_some(),
    });
    items.push(MenuItem::Action {
        id: MenuId::Refresh,
        label: "Refresh now".into(),
        enabled: true,
    });
    match ctx.paused_until.filter(|t| *t > now) {
        Some(until) => items.push(MenuItem::Action {
            id: MenuId::Resume,
            label: format!(
                "Resume notifications (paused until {})",
                TimeFormat::current().time(&until.with_timezone(&tz))
            ),
            enabled: true,
        }),
        None => {
            items.push(MenuItem::Action {
                id: MenuId::Pause1h,
                label: "Pause notifications for 1 h".into(),
                enabled: true,
            });
            items.push(MenuItem::Action {
                id: MenuId::PauseTomorrow,
                label: "Pause notifications until tomorrow".into(),
                enabled: true,
            });
        }
    }
    items.push(MenuItem::Separator);
    items.push(MenuItem::Action {
        id: MenuId::Open,
        label: "Open CalendarBot".into(),
        enabled: true,
    });
    items.push(MenuItem::Action {
        id: MenuId::Quit,
        label: "Quit".into(),
        enabled: true,
    });
    let badge = next
        .filter(|o| o.start > now && o.start - now <= COUNTDOWN)
        .map(|o| ceil_minutes(o.start - now));
    MenuModel {
        title,
        badge,
        headline_join,
        items,
        event_keys,
        join_key: joinable.map(Occurrence::key),
    }
}

/// "in 4 min: Standup", "now: Review (12 min left)", "14:30: Review",
/// "tomorrow 09:30: Standup", "Mon 09:30: Planning".
pub fn headline(o: &Occurrence, now: DateTime<Utc>, tz: Tz) -> String {
    let summary = truncate(&clean(&o.summary));
    if o.in_progress(now) {
        return format!("now: {summary} ({} left)", span(o.end - now));
    }
    let until = o.start - now;
    if until <= COUNTDOWN {
        return format!("in {}: {summary}", span(until));
    }
    let local = o.start.with_timezone(&tz);
    let today = now.with_timezone(&tz).date_naive();
    let time = TimeFormat::current().time(&local);
    match (local.date_naive() - today).num_days() {
        0 => format!("{time}: {summary}"),
        1 => format!("tomorrow {time}: {summary}"),
        _ => format!("{} {time}: {summary}", local.format("%a")),
    }
}

/// A duration in words, rounded up to the minute: "4 min", "1 h 5 min", "2 h".
pub fn span(d: Duration) -> String {
    let minutes = ceil_minutes(d);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn ceil_minutes(d: Duration) -> i64 {
    (d.num_milliseconds() + 59_999).div_euclid(60_000).max(0)
}

/// The first instant after `now` at which [`build`] may give a different menu: when a
/// countdown shown in the title moves on to the next minute, an event starts or ends,
/// the next meeting comes within [`COUNTDOWN`], a pause ends, or the day changes. The
/// tray sleeps until then, so with no meeting within the hour it does not wake at all.
/// (Health lines change with refreshes, which wake the tray themselves.)
pub fn next_change(
    occurrences: &[Occurrence],
    ctx: &MenuContext,
    now: DateTime<Utc>,
    tz: Tz,
) -> DateTime<Utc> {
    let midnight = {
        let tomorrow = now.with_timezone(&tz).date_naive() + Duration::days(1);
        crate::agenda::start_of_day(tomorrow, tz)
    };
    let mut at = midnight;
    // A countdown to `target` reads ceil((target - t) / 1 min) minutes: it changes just
    // after target - (shown - 1) min.
    let mut countdown_to = |target: DateTime<Utc>| {
        let shown = ceil_minutes(target - now);
        let tick = target - Duration::minutes(shown - 1) + Duration::milliseconds(1);
        at = at.min(tick);
    };
    if let Some(next) = next_meeting(occurrences, now) {
        if next.in_progress(now) {
            countdown_to(next.end);
        } else if next.start - now <= COUNTDOWN {
            countdown_to(next.start);
        }
    }
    for o in occurrences {
        // Join's target and the headline's action switch UPCOMING_PRECEDENCE before a start.
        for t in [
            o.start - COUNTDOWN,
            o.start - UPCOMING_PRECEDENCE,
            o.start,
            o.end,
        ] {
            if t > now {
                at = at.min(t);
            }
        }
    }
    if let Some(until) = ctx.paused_until.filter(|t| *t > now) {
        at = at.min(until);
    }
    at.max(now + Duration::milliseconds(1))
}

fn event_line(o: &Occurrence, concurrent: bool, tz: Tz) -> String {
    let time = if o.all_day {
        "all day".to_string()
    } else {
        TimeFormat::current().time_range(&o.start.with_timezone(&tz), &o.end.with_timezone(&tz))
    };
    // The calendar's colour is the line's icon (`MenuItem::Event`); no text mark: the
    // coloured-circle emoji are missing from common menu fonts (DejaVu).
    let mut line = format!("{time}  {}", truncate(&clean(&o.summary)));
    if o.my_status == Some(PartStat::Tentative) || o.tentative {
        line.push_str(" (tentative)");
    }
    if !is_attended(o) {
        line.push_str(" (declined)");
    }
    if concurrent {
        line.push_str(" (overlaps)");
    }
    line
}

/// The colour of an occurrence's calendar as "#rrggbb": its own, else the palette
/// colour of its source (as `sources` gives a calendar added without one), else the
/// palette's first.
pub fn calendar_color(o: &Occurrence) -> String {
    o.color
        .as_deref()
        .filter(|c| parse_hex(c).is_some())
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| {
            let n = o.source_id.unwrap_or(0).rem_euclid(PALETTE.len() as i64) as usize;
            PALETTE[n].to_ascii_lowercase()
        })
}

/// "#rrggbb" as bytes.
pub fn parse_hex(color: &str) -> Option<[u8; 3]> {
    let hex = color.strip_prefix('#').filter(|h| h.len() == 6)?;
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// The meetings that make today busy: attended, busy, timed, not over, starting today.
fn busy_today(occurrences: &[Occurrence], now: DateTime<Utc>, tz: Tz) -> Vec<&Occurrence> {
    let today = now.with_timezone(&tz).date_naive();
    occurrences
        .iter()
        .filter(|o| is_attended(o) && !o.all_day && !o.free && o.end > now)
        .filter(|o| o.start.with_timezone(&tz).date_naive() <= today)
        .collect()
}

/// What the rest of the day looks like, where it helps: "Free until 14:00" between
/// meetings, "Free 11:00–14:00" during a meeting followed by a gap, "Last meeting ends
/// 17:30" in the day's last (run of) meetings. None with nothing left today (the menu
/// then says "Nothing else today" or shows tomorrow's first meeting).
pub fn day_line(occurrences: &[Occurrence], now: DateTime<Utc>, tz: Tz) -> Option<String> {
    let busy = busy_today(occurrences, now, tz);
    // The end of the run of meetings going on now (overlapping or back to back).
    let mut free_from = now;
    while let Some(end) = busy
        .iter()
        .filter(|o| o.start <= free_from && o.end > free_from)
        .map(|o| o.end)
        .max()
    {
        free_from = end;
    }
    let next_start = busy
        .iter()
        .filter(|o| o.start > free_from)
        .map(|o| o.start)
        .min();
    let f = TimeFormat::current();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz);
    match (free_from > now, next_start) {
        (false, Some(start)) => Some(format!("Free until {}", f.time(&local(start)))),
        (true, Some(start)) => Some(format!(
            "Free {}",
            f.time_range(&local(free_from), &local(start))
        )),
        (true, None) => Some(format!("Last meeting ends {}", f.time(&local(free_from)))),
        (false, None) => None,
    }
}

/// The reminders' health in words (issue 12): shown while notifications fail.
fn notify_line(since: DateTime<Utc>, waiting: i64, tz: Tz) -> String {
    let since = TimeFormat::current().time(&since.with_timezone(&tz));
    match waiting {
        0 => format!("⚠ Notifications are failing since {since}; reminders are retried"),
        1 => format!("⚠ Notifications are failing since {since}: 1 reminder waiting"),
        n => format!("⚠ Notifications are failing since {since}: {n} reminders waiting"),
    }
}

/// Feed text is hostile: the core's one rule ([`is_unsafe`]) drops what could reorder or
/// hide the menu's text (again here, as the menu also shows text from outside the parser).
/// The text stays literal: the headline is also the tooltip, the panel's label and
/// `calendarbot next`'s output; [`menu_label`] makes a menu line of it.
pub fn clean(text: &str) -> String {
    text.chars().filter(|c| !is_unsafe(*c)).collect()
}

/// A line as a menu label: menus read `_` as the mnemonic mark, so underscores are
/// doubled to show literally ("Q3_review", not "Q3review" with an underlined r).
pub fn menu_label(text: &str) -> String {
    text.replace('_', "__")
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_SUMMARY_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, h, m, 0).unwrap()
    }

    fn occ(summary: &str, start: DateTime<Utc>, minutes: i64) -> Occurrence {
        Occurrence {
            source_id: Some(1),
            color: Some("#2563eb".into()),
            ..Occurrence::timed(
                "Work",
                summary,
                summary,
                start,
                start + Duration::minutes(minutes),
            )
        }
    }

    fn labels(m: &MenuModel) -> Vec<String> {
        m.items
            .iter()
            .filter_map(|i| match i {
                MenuItem::Action { label, .. }
                | MenuItem::Event { label, .. }
                | MenuItem::Info(label) => Some(label.clone()),
                MenuItem::Separator => None,
            })
            .collect()
    }

    #[test]
    fn countdown_wording() {
        assert_eq!(span(Duration::seconds(200)), "4 min");
        assert_eq!(span(Duration::minutes(65)), "1 h 5 min");
        assert_eq!(span(Duration::minutes(120)), "2 h");
        assert_eq!(span(Duration::seconds(1)), "1 min");
        let standup = occ("Standup", at(9, 4), 15);
        for (now, want) in [
            (at(9, 0), "in 4 min: Standup"),
            (at(9, 10), "now: Standup (9 min left)"),
            (at(8, 4), "in 1 h: Standup"),
            (at(8, 3), "09:04: Standup"),
        ] {
            assert_eq!(headline(&standup, now, chrono_tz::UTC), want);
        }
        let tomorrow = occ("Planning", at(9, 30) + Duration::days(1), 30);
        assert_eq!(
            headline(&tomorrow, at(8, 0) - Duration::hours(6), chrono_tz::UTC),
            "tomorrow 09:30: Planning"
        );
        let monday = occ("Retro", at(9, 30) + Duration::days(7), 30);
        assert_eq!(
            headline(&monday, at(9, 0), chrono_tz::UTC),
            "Mon 09:30: Retro"
        );
    }

    /// The tray sleeps until `next_change`: the menu must not change before it, for
    /// every kind of instant (countdown, in progress, far meeting, pause, empty day).
    #[test]
    fn the_menu_does_not_change_before_next_change() {
        let mut list = vec![
            occ("Early", at(7, 0), 30),
            Occurrence {
                join_url: Some("https://meet.example/standup".into()),
                ..occ("Standup", at(9, 4) + Duration::seconds(30), 15)
            },
            occ("Review", at(9, 10), 50),
            occ("Late", at(17, 0), 60),
        ];
        list.sort_by_key(|o| o.start);
        let ctx = MenuContext {
            paused_until: Some(at(12, 0)),
            ..Default::default()
        };
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let mut now = at(6, 0) + Duration::seconds(17);
        let (mut wakes, mut idle_wakes) = (0, 0);
        while now < at(23, 30) {
            let before = build(&list, &ctx, now, tz);
            let change = next_change(&list, &ctx, now, tz);
            assert!(change > now);
            let mut t = now;
            while t < change {
                assert_eq!(
                    build(&list, &ctx, t, tz),
                    before,
                    "changed at {t}, before {change}"
                );
                t += Duration::seconds(7);
            }
            now = change;
            wakes += 1;
            if now > at(10, 1) && now < at(16, 0) {
                idle_wakes += 1;
            }
        }
        // With no meeting within the hour (10:00-16:00) only the pause's end wakes it;
        // near meetings the countdowns tick each minute.
        assert_eq!(idle_wakes, 1, "wake-ups with nothing near");
        assert!(wakes > 200, "{wakes}: countdowns must still tick");
    }

    #[test]
    fn an_idle_day_wakes_only_at_midnight() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let now = at(15, 0);
        let change = next_change(&[], &MenuContext::default(), now, tz);
        assert_eq!(change, Utc.with_ymd_and_hms(2026, 5, 5, 4, 0, 0).unwrap());
    }

    #[test]
    fn next_meeting_and_join_prefer_the_upcoming_one_when_near() {
        let mut review = occ("Review", at(9, 0), 60);
        review.join_url = Some("https://meet.google.com/aaa".into());
        let mut standup = occ("Standup", at(9, 55), 15);
        standup.join_url = Some("https://zoom.us/j/1".into());
        let list = [review, standup];
        let early = build(&list, &MenuContext::default(), at(9, 20), chrono_tz::UTC);
        assert_eq!(early.title, "now: Review (40 min left)");
        assert_eq!(early.join_key.as_deref(), Some(list[0].key().as_str()));
        let near = build(&list, &MenuContext::default(), at(9, 50), chrono_tz::UTC);
        assert_eq!(near.title, "in 5 min: Standup");
        assert_eq!(near.join_key.as_deref(), Some(list[1].key().as_str()));
    }

    #[test]
    fn concurrent_meetings_are_marked_and_past_ones_dropped() {
        let list = [
            occ("Past", at(7, 0), 30),
            occ("A", at(10, 0), 60),
            occ("B", at(10, 30), 30),
            occ("C", at(12, 0), 30),
        ];
        let m = build(&list, &MenuContext::default(), at(9, 0), chrono_tz::UTC);
        let l = labels(&m);
        assert!(!l.iter().any(|s| s.contains("Past")));
        assert!(l.iter().any(|s| s == "10:00–11:00  A (overlaps)"), "{l:?}");
        assert!(l.iter().any(|s| s == "10:30–11:00  B (overlaps)"));
        assert!(l.iter().any(|s| s.ends_with("12:00–12:30  C")));
        assert_eq!(m.event_keys.len(), 3);
    }

    #[test]
    fn empty_day_and_stale_source_are_said_in_words() {
        let ctx = MenuContext {
            health_warning: Some("Work: feed returned a web page".into()),
            ..Default::default()
        };
        let m = build(&[], &ctx, at(9, 0), chrono_tz::UTC);
        let l = labels(&m);
        assert_eq!(m.title, "No upcoming meetings");
        assert!(l.contains(&"Nothing else today".to_string()));
        assert!(l.contains(&"⚠ Work: feed returned a web page".to_string()));
        assert!(m.items.contains(&MenuItem::Action {
            id: MenuId::JoinNext,
            label: "Join next meeting".into(),
            enabled: false
        }));
    }

    #[test]
    fn a_busy_day_keeps_the_menu_short() {
        let list: Vec<_> = (0..40)
            .map(|i| occ(&format!("M{i}"), at(9, 0) + Duration::minutes(10 * i), 10))
            .collect();
        let m = build(&list, &MenuContext::default(), at(8, 0), chrono_tz::UTC);
        assert_eq!(m.event_keys.len(), MAX_EVENTS);
        assert!(labels(&m).contains(&format!("… and {} more today", 40 - MAX_EVENTS)));
        assert!(m.items.len() < MAX_EVENTS + 14);
    }

    #[test]
    fn paused_state_offers_resume() {
        let ctx = MenuContext {
            paused_until: Some(at(10, 0)),
            ..Default::default()
        };
        let m = build(&[], &ctx, at(9, 0), chrono_tz::UTC);
        assert!(labels(&m).contains(&"Resume notifications (paused until 10:00)".to_string()));
        assert!(!labels(&m).iter().any(|l| l.starts_with("Pause")));
    }

    #[test]
    fn feed_text_cannot_spoof_the_menu() {
        assert_eq!(clean("Pay\u{202e}gpj.exe\u{0007}_x"), "Paygpj.exe_x");
        assert_eq!(menu_label("Q3_review"), "Q3__review");
        let long = "x".repeat(200);
        assert_eq!(truncate(&long).chars().count(), MAX_SUMMARY_CHARS);
    }

    #[test]
    fn menu_ids_round_trip() {
        for id in [
            MenuId::Headline,
            MenuId::Open,
            MenuId::Quit,
            MenuId::JoinNext,
            MenuId::Refresh,
            MenuId::Pause1h,
            MenuId::PauseTomorrow,
            MenuId::Resume,
            MenuId::Event(7),
        ] {
            assert_eq!(MenuId::parse(&id.as_string()), Some(id));
        }
        assert_eq!(MenuId::parse("event:x"), None);
    }

    fn linked(summary: &str, start: DateTime<Utc>, minutes: i64) -> Occurrence {
        Occurrence {
            join_url: Some(format!("https://meet.example/{summary}")),
            ..occ(summary, start, minutes)
        }
    }

    fn headline_item(m: &MenuModel) -> &MenuItem {
        &m.items[0]
    }

    #[test]
    fn the_headline_is_the_first_line_and_joins_when_a_link_is_near() {
        let call = linked("Call", at(10, 0), 30);
        let list = [call.clone()];
        let far = build(&list, &MenuContext::default(), at(9, 30), chrono_tz::UTC);
        assert_eq!(
            headline_item(&far),
            &MenuItem::Action {
                id: MenuId::Headline,
                label: "in 30 min: Call".into(),
                enabled: true
            }
        );
        assert_eq!(
            far.headline_join, None,
            "30 min away: a click opens the window"
        );
        assert_eq!(far.join_key.as_deref(), Some(call.key().as_str()));
        let near = build(&list, &MenuContext::default(), at(9, 52), chrono_tz::UTC);
        assert_eq!(near.headline_join.as_deref(), Some(call.key().as_str()));
        let during = build(&list, &MenuContext::default(), at(10, 10), chrono_tz::UTC);
        assert_eq!(during.headline_join.as_deref(), Some(call.key().as_str()));
        // Without a link the headline still acts (opens the window), never greyed out.
        let plain = build(
            &[occ("Talk", at(10, 0), 30)],
            &MenuContext::default(),
            at(9, 55),
            chrono_tz::UTC,
        );
        assert!(matches!(
            headline_item(&plain),
            MenuItem::Action { enabled: true, .. }
        ));
        assert_eq!(plain.headline_join, None);
    }

    #[test]
    fn the_icon_shows_minutes_only_in_the_last_hour() {
        let list = [occ("Standup", at(10, 0), 15)];
        let badge = |now| build(&list, &MenuContext::default(), now, chrono_tz::UTC).badge;
        assert_eq!(badge(at(8, 59)), None);
        assert_eq!(badge(at(9, 0)), Some(60));
        assert_eq!(badge(at(9, 55)), Some(5));
        assert_eq!(badge(at(9, 59) + Duration::seconds(30)), Some(1));
        assert_eq!(badge(at(10, 5)), None, "in progress: the plain icon");
    }

    #[test]
    fn join_follows_the_core_rule_in_the_menu() {
        // An unlinked meeting in progress, a linked call in 24 min: Join is enabled for it.
        let list = [occ("Focus", at(9, 30), 60), linked("Call", at(10, 24), 30)];
        let m = build(&list, &MenuContext::default(), at(10, 0), chrono_tz::UTC);
        assert_eq!(m.title, "now: Focus (30 min left)");
        assert!(m.items.contains(&MenuItem::Action {
            id: MenuId::JoinNext,
            label: "Join: Call".into(),
            enabled: true
        }));
        assert_eq!(m.headline_join, None);
        // Today done, tomorrow's linked standup: shown in the headline, not joinable.
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let tomorrow = [linked("Standup", at(7, 30) + Duration::days(1), 15)];
        let evening = build(&tomorrow, &MenuContext::default(), at(16, 19), tz);
        assert_eq!(evening.title, "tomorrow 09:30: Standup");
        assert_eq!(evening.join_key, None);
        assert!(labels(&evening).contains(&"Join next meeting".to_string()));
    }

    #[test]
    fn free_until_and_last_meeting_ends() {
        let list = [
            occ("A", at(9, 0), 60),
            occ("B", at(10, 0), 30),
            occ("C", at(14, 0), 60),
            occ("D", at(14, 30), 90),
        ];
        let line = |now| day_line(&list, now, chrono_tz::UTC);
        assert_eq!(line(at(8, 0)).as_deref(), Some("Free until 09:00"));
        // A and B back to back, then a gap.
        assert_eq!(line(at(9, 15)).as_deref(), Some("Free 10:30–14:00"));
        assert_eq!(line(at(11, 0)).as_deref(), Some("Free until 14:00"));
        // C and D overlap: the day ends with D.
        assert_eq!(line(at(14, 10)).as_deref(), Some("Last meeting ends 16:00"));
        assert_eq!(line(at(16, 30)), None);
        let m = build(&list, &MenuContext::default(), at(11, 0), chrono_tz::UTC);
        assert_eq!(labels(&m)[1], "Free until 14:00");
    }

    #[test]
    fn event_lines_carry_their_calendars_colour() {
        let mut a = occ("A", at(10, 0), 30);
        a.color = Some("#3366CC".into());
        let mut b = occ("B", at(11, 0), 30);
        b.color = None;
        b.source_id = Some(1);
        let m = build(&[a, b], &MenuContext::default(), at(9, 0), chrono_tz::UTC);
        let colors: Vec<&str> = m
            .items
            .iter()
            .filter_map(|i| match i {
                MenuItem::Event { color, .. } => Some(color.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(colors, ["#3366cc", &PALETTE[1].to_ascii_lowercase()[..]]);
        assert_eq!(parse_hex("#3366cc"), Some([0x33, 0x66, 0xcc]));
        assert_eq!(parse_hex("blue"), None);
    }

    #[test]
    fn failing_notifications_get_a_line_that_goes_away_on_recovery() {
        let failing = MenuContext {
            notify_failing_since: Some(at(8, 58)),
            reminders_waiting: 2,
            ..Default::default()
        };
        let m = build(&[], &failing, at(9, 0), chrono_tz::UTC);
        assert!(
            labels(&m).contains(
                &"⚠ Notifications are failing since 08:58: 2 reminders waiting".to_string()
            ),
            "{:?}",
            labels(&m)
        );
        let ok = build(&[], &MenuContext::default(), at(9, 0), chrono_tz::UTC);
        assert!(!labels(&ok)
            .iter()
            .any(|l| l.contains("Notifications are failing")));
    }
}
