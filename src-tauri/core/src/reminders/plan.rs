//! The pure reminder planner: (occurrences, config, pause, ledger, watermark, now) → what
//! to show now, what to summarise, and when the next reminder is due.
//!
//! No I/O and no clock: the scheduler calls it after every wake-up, so suspends, clock
//! jumps, agenda changes and restarts are all "compute again from wall-clock time", and
//! every rule below is tested as a table.
//!
//! Rules:
//! - Never early: only reminders whose due instant is `<= now` are returned.
//! - Reminders due in `(since, now]` that the ledger has not seen are due now. `since` is the
//!   scheduler's watermark: the wall-clock instant it last processed. Reminders due at or
//!   before it were handled then (fired, paused or dropped) and are not looked at again.
//! - Late by at most [`LATE_INDIVIDUAL`]: shown on its own, marked late when it is more than
//!   [`LATE_MARK`] late. Late by up to [`MISSED_HORIZON`]: listed in one summary. Older:
//!   dropped (cases 41, 42).
//! - Never for cancelled or declined occurrences, nor free ones unless `notify_free`, nor
//!   all-day ones unless `notify_all_day` (cases 24, 25).
//! - Never for titles matching `ignore_titles` (`notify.ignore_titles`; still shown).
//! - A ledger row applies only while the occurrence still starts where it did when the row
//!   was written: a feed update that moves it voids its fired and snoozed state (case 47).
//! - A `claimed` row (claimed, not yet shown: the server failed or the app stopped) is due
//!   again whatever the watermark says, by the same lateness rules.
//! - At most [`MAX_VALARMS`] VALARMs per occurrence (the latest ones), and at most one
//!   notification per occurrence per round: when several of its alarms are due at once
//!   (after a wake-up), the latest stands for the others, which are `superseded` (claimed
//!   and recorded as shown with it).
//! - Nagging (`notify.nag`): a reminder at the start and another [`NAG_AFTER`] later, both
//!   skipped once the user acted on any reminder of the occurrence (joined, snoozed or
//!   dismissed: the ledger's `acknowledged` row). The at-start one is gated only when it
//!   exists for the nagging (or the start window) rather than for `notify.at_start`, and
//!   a snooze the user asked for still comes back.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::model::{AlarmTrigger, Occurrence, PartStat};
use crate::settings::Settings;

pub use super::key::AlarmId;
use super::key::{LedgerKey, OccurrenceKey};
use super::ledger::{LedgerState, LedgerView};

/// A reminder late by more than this is marked "missed by N min".
pub const LATE_MARK: Duration = Duration::seconds(60);
/// A missed reminder late by at most this is shown on its own (marked late).
pub const LATE_INDIVIDUAL: Duration = Duration::minutes(30);
/// Missed reminders older than this are dropped; younger ones go into one summary.
pub const MISSED_HORIZON: Duration = Duration::hours(12);
/// VALARMs kept per occurrence: a feed with 100 alarms on one event gets the 3 latest.
pub const MAX_VALARMS: usize = 3;
/// Nagging repeats the reminder this long after the start.
pub const NAG_AFTER: Duration = Duration::minutes(2);

/// A calendar's own reminder settings (see [`ReminderConfig::with_sources`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceOverride {
    /// `Some(false)`: never remind for this source.
    pub enabled: Option<bool>,
    /// Replaces the default lead time for this source.
    pub lead_minutes: Option<i64>,
}

/// What the planner needs from the settings, plus the user's zone for the text.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderConfig {
    pub enabled: bool,
    /// 0 disables the lead reminder (the at-start one stays governed by `at_start`).
    pub lead_minutes: i64,
    /// The Snooze buttons offered, in minutes.
    pub snooze_minutes: Vec<u16>,
    pub at_start: bool,
    pub notify_all_day: bool,
    pub notify_free: bool,
    /// Remind at the start and [`NAG_AFTER`] later until the user acts (`notify.nag`).
    pub nag: bool,
    /// Open the always-on-top reminder window at the start (`notify.alert_window`).
    pub alert_window: bool,
    /// Titles never notified (`notify.ignore_titles`; the meeting is still shown).
    pub ignore_titles: crate::hide::TitlePatterns,
    pub overrides: HashMap<i64, SourceOverride>,
    /// The zone times are shown in. All-day occurrences arrive already anchored at local
    /// midnight of this zone by the engine: a zone change is a re-expansion by the caller
    /// (a new agenda), after which the planner simply sees the new instants (case 46).
    pub tz: Tz,
}

impl ReminderConfig {
    pub fn new(settings: &Settings, tz: Tz) -> Self {
        Self {
            enabled: settings.notify_enabled,
            lead_minutes: settings.lead_minutes,
            snooze_minutes: settings.snooze_minutes.clone(),
            at_start: settings.at_start,
            notify_all_day: settings.notify_all_day,
            notify_free: settings.notify_free,
            nag: settings.nag,
            alert_window: settings.alert_window,
            ignore_titles: settings.ignore_titles.clone(),
            overrides: HashMap::new(),
            tz,
        }
    }
}

impl ReminderConfig {
    /// The overrides of the calendars that have any (muted, or their own lead time).
    pub fn with_sources(mut self, sources: &[crate::sources::Source]) -> Self {
        self.overrides = sources
            .iter()
            .filter(|s| s.muted || s.lead_minutes.is_some())
            .map(|s| {
                let ov = SourceOverride {
                    enabled: s.muted.then_some(false),
                    lead_minutes: s.lead_minutes,
                };
                (s.id, ov)
            })
            .collect();
        self
    }
}

impl Default for ReminderConfig {
    fn default() -> Self {
        Self::new(&Settings::default(), Tz::UTC)
    }
}

/// One reminder of one occurrence.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub occurrence: Occurrence,
    pub alarm: AlarmId,
    /// When it is (or was) due: the alarm's instant, or the snooze's end.
    pub due: DateTime<Utc>,
    /// It comes from a snooze rather than from the alarm itself.
    pub snoozed: bool,
    /// It was claimed and not shown yet: this is a retry.
    pub retry: bool,
}

impl Reminder {
    pub fn ledger_key(&self) -> LedgerKey {
        LedgerKey::new(&self.occurrence, &self.alarm)
    }
}

/// A reminder to show now.
#[derive(Debug, Clone, PartialEq)]
pub struct Fire {
    pub reminder: Reminder,
    /// How late, when more than [`LATE_MARK`].
    pub late_by: Option<Duration>,
}

/// The planner's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Show each now, in due order.
    pub fire: Vec<Fire>,
    /// Missed reminders to list in one summary notification, in due order.
    pub summary: Vec<Reminder>,
    /// Due reminders covered by a later one of the same occurrence in `fire` or `summary`:
    /// claimed and recorded with it, never shown on their own.
    pub superseded: Vec<Reminder>,
    /// Reminders skipped because notifications are paused (recorded in nothing: the
    /// watermark moves past them).
    pub paused: usize,
    /// The earliest due instant after `now`, if any (the scheduler sleeps until then).
    pub next_due: Option<DateTime<Utc>>,
}

/// True when an occurrence may have reminders at all (cases 24, 25).
pub fn wants_reminders(o: &Occurrence, cfg: &ReminderConfig) -> bool {
    if !cfg.enabled || o.cancelled || o.my_status == Some(PartStat::Declined) {
        return false;
    }
    if o.free && !cfg.notify_free {
        return false;
    }
    if o.all_day && !cfg.notify_all_day {
        return false;
    }
    // A title the user never wants to hear about (the meeting is still shown).
    if cfg.ignore_titles.matches(&o.summary) {
        return false;
    }
    let ov = o.source_id.and_then(|id| cfg.overrides.get(&id));
    ov.and_then(|ov| ov.enabled) != Some(false)
}

/// The alarms of one occurrence with their due instants, earliest first; two alarms due at
/// the same instant give one reminder (a VALARM of -5 min and a 5 min lead time do not
/// notify twice).
pub fn alarms_of(o: &Occurrence, cfg: &ReminderConfig) -> Vec<(AlarmId, DateTime<Utc>)> {
    let mut out: Vec<(AlarmId, DateTime<Utc>)> = Vec::new();
    let lead = o
        .source_id
        .and_then(|id| cfg.overrides.get(&id))
        .and_then(|ov| ov.lead_minutes)
        .unwrap_or(cfg.lead_minutes);
    if lead > 0 {
        out.push((AlarmId::Lead, o.start - Duration::minutes(lead)));
    }
    if cfg.at_start || cfg.nag || cfg.alert_window {
        out.push((AlarmId::Start, o.start));
    }
    for alarm in &o.alarms {
        match *alarm {
            AlarmTrigger::Relative { seconds } => out.push((
                AlarmId::ValarmRelative(seconds),
                o.start + Duration::seconds(seconds),
            )),
            AlarmTrigger::Absolute { at } => {
                out.push((AlarmId::ValarmAbsolute(at.timestamp()), at))
            }
        }
    }
    // Stable sort keeps the first of equal instants: lead, then start, then VALARMs.
    if cfg.nag && o.end > o.start + NAG_AFTER {
        out.push((AlarmId::Nag, o.start + NAG_AFTER));
    }
    out.sort_by_key(|(_, due)| *due);
    out.dedup_by_key(|(_, due)| *due);
    // Only the latest MAX_VALARMS VALARMs survive (a hostile feed can carry hundreds).
    let valarms = out.iter().filter(|(a, _)| is_valarm(a)).count();
    let mut drop = valarms.saturating_sub(MAX_VALARMS);
    out.retain(|(a, _)| {
        if drop > 0 && is_valarm(a) {
            drop -= 1;
            false
        } else {
            true
        }
    });
    out
}

/// True for the reminders that exist only until the user acts on the occurrence: the
/// nagging repeat, and the at-start one when `notify.at_start` did not ask for it.
pub fn stops_when_acknowledged(a: &AlarmId, cfg: &ReminderConfig) -> bool {
    match a {
        AlarmId::Nag => true,
        AlarmId::Start => !cfg.at_start,
        _ => false,
    }
}

fn is_valarm(a: &AlarmId) -> bool {
    matches!(a, AlarmId::ValarmRelative(_) | AlarmId::ValarmAbsolute(_))
}

/// The identity of one occurrence across its alarms (the ledger key without the alarm).
fn occurrence_key(r: &Reminder) -> OccurrenceKey {
    r.ledger_key().occurrence_key()
}

/// Keeps the latest due reminder of each occurrence in `list` and moves the others to
/// `superseded`. `list` is in due order.
fn one_per_occurrence(list: &mut Vec<Reminder>, superseded: &mut Vec<Reminder>) {
    let mut latest: HashMap<OccurrenceKey, usize> = HashMap::new();
    for (i, r) in list.iter().enumerate() {
        latest.insert(occurrence_key(r), i);
    }
    let mut i = 0;
    list.retain(|r| {
        let keep = latest.get(&occurrence_key(r)) == Some(&i);
        if !keep {
            superseded.push(r.clone());
        }
        i += 1;
        keep
    });
}

/// Computes the plan. See the module documentation for the rules.
pub fn plan(
    occurrences: &[Occurrence],
    cfg: &ReminderConfig,
    pause_until: Option<DateTime<Utc>>,
    ledger: &LedgerView,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Plan {
    let mut out = Plan::default();
    let paused_until = pause_until.filter(|p| *p > since);
    for o in occurrences.iter().filter(|o| wants_reminders(o, cfg)) {
        for (alarm, alarm_due) in alarms_of(o, cfg) {
            let key = LedgerKey::new(o, &alarm);
            // A row written for another start is void: the event moved (case 47).
            let entry = ledger.get(&key).filter(|e| e.event_start == o.start);
            // Nagging ends when the user acts; a snooze they asked for still comes back.
            let snoozed = entry.is_some_and(|e| e.state == LedgerState::Snoozed);
            if !snoozed
                && stops_when_acknowledged(&alarm, cfg)
                && ledger
                    .get(&key.acknowledged())
                    .is_some_and(|e| e.event_start == o.start)
            {
                continue;
            }
            let (due, snoozed, retry) = match entry {
                None => (alarm_due, false, false),
                Some(e) => match (e.state, e.snooze_until) {
                    (LedgerState::Snoozed, Some(until)) => (until, true, false),
                    (LedgerState::Claimed, _) => (e.due, false, true),
                    _ => continue,
                },
            };
            if due > now {
                if paused_until.is_none_or(|p| due >= p) {
                    out.next_due = Some(out.next_due.map_or(due, |n| n.min(due)));
                }
                continue;
            }
            if due <= since && !retry {
                continue;
            }
            if paused_until.is_some_and(|p| due < p) {
                out.paused += 1;
                continue;
            }
            let late = now - due;
            let reminder = Reminder {
                occurrence: o.clone(),
                alarm,
                due,
                snoozed,
                retry,
            };
            if late <= LATE_INDIVIDUAL {
                out.fire.push(Fire {
                    reminder,
                    late_by: (late > LATE_MARK).then_some(late),
                });
            } else if late <= MISSED_HORIZON {
                out.summary.push(reminder);
            }
        }
    }
    // When paused, the pause's end is itself worth a wake-up only if something is due after it;
    // that is covered above. Sort for a deterministic order.
    out.fire.sort_by(|a, b| {
        a.reminder
            .due
            .cmp(&b.reminder.due)
            .then_with(|| a.reminder.occurrence.uid.cmp(&b.reminder.occurrence.uid))
    });
    out.summary.sort_by_key(|r| r.due);
    // One notification per occurrence: first among the individual ones, then a missed one
    // covered by an individual one of the same occurrence is superseded too.
    let mut fires: Vec<Reminder> = out.fire.iter().map(|f| f.reminder.clone()).collect();
    let before = fires.len();
    one_per_occurrence(&mut fires, &mut out.superseded);
    if fires.len() != before {
        let kept: std::collections::HashSet<_> =
            fires.iter().map(|r| (r.ledger_key(), r.due)).collect();
        out.fire
            .retain(|f| kept.contains(&(f.reminder.ledger_key(), f.reminder.due)));
    }
    let shown: std::collections::HashSet<_> = out
        .fire
        .iter()
        .map(|f| occurrence_key(&f.reminder))
        .collect();
    let (covered, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut out.summary)
        .into_iter()
        .partition(|r| shown.contains(&occurrence_key(r)));
    out.superseded.extend(covered);
    out.summary = rest;
    one_per_occurrence(&mut out.summary, &mut out.superseded);
    out
}
