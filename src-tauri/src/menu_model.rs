//! The tray menu as a pure function of (agenda, health, pause state, now). On Linux the
//! menu is the whole tray UI (appindicator gives no clicks and no tooltip), so this is
//! where glanceability is decided; `tray` only renders it.

use calendarbot_core::timefmt::TimeFormat;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use calendarbot_core::agenda::{is_attended, next_meeting};
use calendarbot_core::ics::text::is_unsafe;
use calendarbot_core::model::{Occurrence, PartStat};

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
    /// A line that only informs.
    Info(String),
    Separator,
}

/// What the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuModel {
    /// The label beside the icon where the desktop shows one ("in 4 min: Standup").
    pub title: String,
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
    items.push(MenuItem::Info(title.clone()));
    if ctx.demo {
        items.push(MenuItem::Info(
            "Showing the demo calendar: add a calendar in Sources".into(),
        ));
    }
    if let Some(warning) = &ctx.health_warning {
        items.push(MenuItem::Info(format!("⚠ {}", clean(warning))));
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
        items.push(MenuItem::Action {
            id: MenuId::Event(i),
            label: event_line(o, concurrent, tz),
            enabled: true,
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

    let joinable = next.filter(|o| o.join_url.is_some());
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
    MenuModel {
        title,
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
        calendarbot_core::agenda::start_of_day(tomorrow, tz)
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
        for t in [o.start - COUNTDOWN, o.start, o.end] {
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
    let mut line = format!(
        "{} {time}  {}",
        color_mark(o.color.as_deref()),
        truncate(&clean(&o.summary))
    );
    if o.my_status == Some(PartStat::Tentative) || o.tentative {
        line.push_str(" (tentative)");
    }
    if !is_attended(o) {
        line.push_str(" (declined)");
    }
    if concurrent {
        line.push_str(" ⧉");
    }
    line
}

/// Menus cannot draw colours: a coloured circle emoji close to the calendar colour
/// stands in for it.
pub fn color_mark(color: Option<&str>) -> &'static str {
    let Some(hex) = color
        .and_then(|c| c.strip_prefix('#'))
        .filter(|h| h.len() == 6)
    else {
        return "●";
    };
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0) as i32;
    let (r, g, b) = (channel(0), channel(2), channel(4));
    const MARKS: [(&str, (i32, i32, i32)); 8] = [
        ("🔴", (220, 38, 38)),
        ("🟠", (234, 88, 12)),
        ("🟡", (234, 179, 8)),
        ("🟢", (22, 163, 74)),
        ("🔵", (37, 99, 235)),
        ("🟣", (147, 51, 234)),
        ("🟤", (120, 72, 40)),
        ("⚫", (30, 30, 30)),
    ];
    MARKS
        .iter()
        .min_by_key(|(_, (mr, mg, mb))| (r - mr).pow(2) + (g - mg).pow(2) + (b - mb).pow(2))
        .map_or("●", |(mark, _)| mark)
}

/// Feed text is hostile: the core's one rule ([`is_unsafe`]) drops what could reorder or
/// hide the menu's text (again here, as the menu also shows text from outside the parser);
/// menus use `_` for mnemonics, so underscores are doubled to show literally.
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !is_unsafe(*c))
        .collect::<String>()
        .replace('_', "__")
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
                MenuItem::Action { label, .. } | MenuItem::Info(label) => Some(label.clone()),
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
            occ("Standup", at(9, 4) + Duration::seconds(30), 15),
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
        assert!(l.iter().any(|s| s.contains("10:00–11:00  A ⧉")), "{l:?}");
        assert!(l.iter().any(|s| s.contains("10:30–11:00  B ⧉")));
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
        assert_eq!(clean("Pay\u{202e}gpj.exe\u{0007}_x"), "Paygpj.exe__x");
        let long = "x".repeat(200);
        assert_eq!(truncate(&long).chars().count(), MAX_SUMMARY_CHARS);
    }

    #[test]
    fn menu_ids_round_trip() {
        for id in [
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
}
