//! Expansion: records grouped by UID into occurrences overlapping a window.
//!
//! Per UID: the master with the highest SEQUENCE (duplicates ignored), and its
//! RECURRENCE-ID overrides keyed by the original instant (duplicates: highest SEQUENCE,
//! then the later one in the feed). Master instances come from DTSTART, RRULEs ([`recur`])
//! and RDATEs, minus EXDATEs; an instance that has an override is replaced by it, wherever
//! the override moved it (so a moved meeting is listed once, at its new time: cases
//! 20-21). `RANGE=THISANDFUTURE` overrides shift every later instance by the same amount
//! and lend them their properties (case 23). Overrides without a master are listed as
//! single events (case 22). Instances are deduplicated on their start instant (rrule's
//! HOURLY-across-DST duplicates, case 16).
//!
//! The window is [from, to) with [`Window::overlaps`]: instances are generated from
//! `from - longest duration` so long events that began earlier still show.
//!
//! An EXDATE that names an overridden instance removes the override too (a newer master
//! deleted it; Thunderbird does the same). On an all-day series a DATE-TIME RECURRENCE-ID
//! (Exchange: `RECURRENCE-ID;TZID=...:20260226T000000`) is matched by its local date.
//!
//! Bounded as a whole by one [`Budget`] (see [`super::budget`]): groups are expanded from
//! the sparsest rule to the densest, each gets what is left of the budget (at least its
//! first instance), and what was cut is reported in the [`Expansion`]'s [`Truncation`].

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

use super::attendees::my_status;
use super::budget::{occurrence_bytes, Budget, Expansion, Truncation};
use super::recur::{self, Limits};
use super::tz::{Resolver, Zone};
use super::{AlarmDef, Calendar, EventRecord, ExpandOptions, IcsTime};
use crate::model::{AlarmTrigger, Occurrence, Window};

/// One instance before it becomes an occurrence.
#[derive(Debug, Clone, Copy)]
struct Inst {
    /// The original start (the RECURRENCE-ID of this instance).
    rid: DateTime<Utc>,
    /// For all-day events: the instance's date.
    date: Option<NaiveDate>,
    /// A PERIOD RDATE's own length.
    dur: Option<i64>,
    /// The wall time as the rule or RDATE gives it (nominal days are added to it: in a
    /// DST gap it differs from the wall time of `rid`).
    local: Option<NaiveDateTime>,
}

/// A timed event's length: `days` nominal days (DURATION's day and week parts), then
/// `secs` exact seconds (RFC 5545 3.3.6). DTEND - DTSTART is always exact (3.8.5.3: every
/// instance has "the same exact duration"), so only a DURATION has nominal days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Length {
    days: i64,
    secs: i64,
}

impl Length {
    fn exact(secs: i64) -> Length {
        Length { days: 0, secs }
    }

    /// The end of an instance starting at `start` in `zone` (asked for only when there
    /// are nominal days), `written` its wall time as written when known (a start in a DST
    /// gap ends at the written time N days later); never before `start`.
    fn end(
        self,
        start: DateTime<Utc>,
        written: Option<NaiveDateTime>,
        zone: impl FnOnce() -> Zone,
    ) -> DateTime<Utc> {
        if self.days == 0 {
            return start + Duration::seconds(self.secs.max(0));
        }
        let zone = zone();
        let local = written.unwrap_or_else(|| zone.to_local(start)) + Duration::days(self.days);
        (zone.to_utc(local) + Duration::seconds(self.secs)).max(start)
    }

    /// At least the length of any instance, in seconds (an hour more when nominal days
    /// may cross a DST change), for widening the generation range.
    fn max_secs(self) -> i64 {
        let dst = if self.days == 0 { 0 } else { 3_600 };
        self.days
            .saturating_mul(86_400)
            .saturating_add(self.secs)
            .saturating_add(dst)
    }
}

/// Iterations every rule may use even when the budget is spent, so that it can still reach
/// its first instance in the window (the one-instance floor of the module header).
const MIN_RULE_STEPS: u64 = 10_000;

/// Expands a whole calendar with the budget of its window; see the module header.
pub fn expand_calendar(cal: &Calendar, opts: &ExpandOptions) -> Expansion {
    let mut budget = Budget::for_window(opts.window);
    expand_budgeted(cal, opts, &mut budget)
}

/// Expands a whole calendar within `budget` (shared by the feeds of one agenda), which is
/// reduced by what was used.
pub fn expand_budgeted(cal: &Calendar, opts: &ExpandOptions, budget: &mut Budget) -> Expansion {
    let (out, truncation) = expand_unsorted(cal, opts, budget);
    Expansion {
        occurrences: sort_occurrences(out),
        truncation,
    }
}

/// [`expand_budgeted`] before its sort (an agenda of several feeds sorts once, see
/// [`crate::agenda::expand_all_report`]).
pub(crate) fn expand_unsorted(
    cal: &Calendar,
    opts: &ExpandOptions,
    budget: &mut Budget,
) -> (Vec<Occurrence>, Truncation) {
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, (Vec<&EventRecord>, Vec<&EventRecord>)> = HashMap::new();
    for ev in &cal.events {
        let entry = groups.entry(ev.uid.as_str()).or_insert_with(|| {
            order.push(ev.uid.as_str());
            (Vec::new(), Vec::new())
        });
        if ev.recurrence_id.is_some() {
            entry.1.push(ev);
        } else {
            entry.0.push(ev);
        }
    }
    // Sparsest first (single events, then rules by their spacing), feed order on ties.
    let mut ranked: Vec<(u64, &str)> = order
        .iter()
        .map(|uid| {
            let spacing = groups
                .get(uid)
                .and_then(|(masters, _)| newest(masters))
                .and_then(|m| m.rrules.iter().map(|r| recur::spacing_secs(r)).min())
                .unwrap_or(u64::MAX);
            (spacing, *uid)
        })
        .collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
    let ranked: Vec<(&[&EventRecord], &[&EventRecord])> = ranked
        .iter()
        .filter_map(|(_, uid)| groups.get(uid))
        .map(|(m, o)| (m.as_slice(), o.as_slice()))
        .collect();
    if let Some(done) = parallel::expand(cal, opts, &ranked, budget) {
        return done;
    }
    let mut out = Vec::with_capacity(cal.events.len().min(budget.occurrences));
    let mut truncation = Truncation::default();
    let mut resolver = Resolver::new(&cal.meta.timezones, cal.meta.default_tz.as_deref(), opts.tz);
    for (masters, overrides) in ranked {
        let mut g = Group {
            cal,
            opts,
            resolver: &mut resolver,
            out: &mut out,
            budget: &mut *budget,
            truncation: &mut truncation,
            need: None,
        };
        g.expand(masters, overrides);
    }
    (out, truncation)
}

/// What a group's master needed of the budget to be expanded whole: the run is the same
/// with any budget that meets these (see [`parallel`]).
#[derive(Debug, Clone, Copy, Default)]
struct Need {
    /// Estimated bytes of one occurrence.
    per_occ: usize,
    /// The smallest share (`Budget::fits`) under which nothing is cut.
    quota: usize,
    /// The rule iterations used.
    steps: u64,
}

/// Expansion on several threads, giving exactly the sequential result or nothing.
///
/// The budget is shared in rank order, so each group's share depends on what the groups
/// before it used. Each thread expands every n-th group with the whole budget; when no
/// group was cut and, replaying the ranks in order, every group's share would have met
/// its [`Need`], the sequential run would have made the same occurrences (a group's
/// output depends on the budget only through the cuts). Otherwise (a feed near its
/// budget, hostile ones) the caller runs sequentially: each thread stops at half the
/// budget, so the wasted work is at most the budget's.
mod parallel {
    use super::*;

    /// Groups per thread below which one thread is faster.
    const GROUPS_PER_THREAD: usize = 1_024;

    /// What one group used (occurrences, bytes, steps) and needed.
    struct Used {
        occurrences: usize,
        bytes: usize,
        steps: u64,
        need: Option<Need>,
    }

    pub(super) fn expand(
        cal: &Calendar,
        opts: &ExpandOptions,
        ranked: &[(&[&EventRecord], &[&EventRecord])],
        budget: &mut Budget,
    ) -> Option<(Vec<Occurrence>, Truncation)> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = cores.min(4).min(ranked.len() / GROUPS_PER_THREAD);
        if threads < 2 {
            return None;
        }
        let start = budget.clone();
        let runs: Vec<Option<(Vec<Occurrence>, Vec<Used>)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let start = start.clone();
                    s.spawn(move || run(cal, opts, ranked, t, threads, start))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let runs: Vec<(Vec<Occurrence>, Vec<Used>)> = runs.into_iter().collect::<Option<_>>()?;
        // Replay the shares in rank order (group i was expanded by thread i % threads).
        let mut b = start;
        let mut used = runs.iter().map(|r| r.1.iter()).collect::<Vec<_>>();
        for i in 0..ranked.len() {
            let u = used[i % threads].next()?;
            if let Some(n) = u.need {
                if b.fits(n.per_occ).max(1) < n.quota || b.steps.max(MIN_RULE_STEPS) < n.steps {
                    return None;
                }
            }
            b.occurrences = b.occurrences.saturating_sub(u.occurrences);
            b.bytes = b.bytes.saturating_sub(u.bytes);
            b.steps = b.steps.saturating_sub(u.steps);
        }
        *budget = b;
        // Groups never tie in the sort (their UIDs differ), so their order here is free.
        let total = runs.iter().map(|r| r.0.len()).sum();
        let mut out = Vec::with_capacity(total);
        for (o, _) in runs {
            out.extend(o);
        }
        Some((out, Truncation::default()))
    }

    /// Thread `t` of `n`: groups t, t + n, ...; `None` when one was cut or half the
    /// budget is used.
    fn run(
        cal: &Calendar,
        opts: &ExpandOptions,
        ranked: &[(&[&EventRecord], &[&EventRecord])],
        t: usize,
        n: usize,
        mut budget: Budget,
    ) -> Option<(Vec<Occurrence>, Vec<Used>)> {
        let mut resolver =
            Resolver::new(&cal.meta.timezones, cal.meta.default_tz.as_deref(), opts.tz);
        let mut out = Vec::new();
        let mut used = Vec::with_capacity(ranked.len() / n + 1);
        let mut truncation = Truncation::default();
        let (half_occ, half_bytes, half_steps) =
            (budget.occurrences / 2, budget.bytes / 2, budget.steps / 2);
        for (masters, overrides) in ranked.iter().skip(t).step_by(n) {
            let before = budget.clone();
            let mut need = None;
            let mut g = Group {
                cal,
                opts,
                resolver: &mut resolver,
                out: &mut out,
                budget: &mut budget,
                truncation: &mut truncation,
                need: Some(&mut need),
            };
            g.expand(masters, overrides);
            if truncation.truncated
                || budget.occurrences < half_occ
                || budget.bytes < half_bytes
                || budget.steps < half_steps
            {
                return None;
            }
            used.push(Used {
                occurrences: before.occurrences - budget.occurrences,
                bytes: before.bytes - budget.bytes,
                steps: before.steps - budget.steps,
                need,
            });
        }
        Some((out, used))
    }
}

/// What expanding one UID needs.
struct Group<'a, 'r> {
    cal: &'a Calendar,
    opts: &'a ExpandOptions,
    resolver: &'a mut Resolver<'r>,
    out: &'a mut Vec<Occurrence>,
    budget: &'a mut Budget,
    truncation: &'a mut Truncation,
    /// Where to say what the master needed of the budget (parallel runs only).
    need: Option<&'a mut Option<Need>>,
}

/// A master's EXDATEs: exact instants, and dates (a DATE EXDATE removes that local day).
#[derive(Default)]
struct Exdates {
    instants: HashSet<DateTime<Utc>>,
    dates: HashSet<NaiveDate>,
}

impl Exdates {
    fn of(m: &EventRecord, zone: &Zone, all_day: bool, resolver: &mut Resolver<'_>) -> Self {
        let mut ex = Exdates::default();
        for t in &m.exdates {
            match t {
                IcsTime::Date { date } => {
                    ex.dates.insert(*date);
                }
                IcsTime::Floating { at } if !all_day => {
                    ex.instants.insert(zone.to_utc(*at));
                }
                other => {
                    ex.instants.insert(resolver.instant(other));
                }
            }
        }
        ex
    }

    /// True when the instance starting at `rid` (local date `date`) is excluded.
    fn excludes(&self, rid: DateTime<Utc>, date: impl FnOnce() -> NaiveDate) -> bool {
        (!self.instants.is_empty() && self.instants.contains(&rid))
            || (!self.dates.is_empty() && self.dates.contains(&date()))
    }
}

/// The estimated bytes of one occurrence of `ev` (see [`occurrence_bytes`]).
fn bytes_of(ev: &EventRecord, source: &str) -> usize {
    occurrence_bytes(
        &[
            Some(&ev.uid),
            Some(&ev.summary),
            ev.location.as_deref(),
            ev.description.as_deref(),
            ev.join_url.as_deref(),
            ev.organizer.as_deref(),
            ev.color.as_deref(),
        ],
        &ev.categories,
        source,
    ) + ev.alarms.len() * std::mem::size_of::<AlarmTrigger>()
}

/// The order of one feed's occurrences: (start, end, uid, recurrence id, then the order
/// they were made in).
pub(crate) fn occurrence_order(a: &Occurrence, b: &Occurrence) -> std::cmp::Ordering {
    (a.start, a.end)
        .cmp(&(b.start, b.end))
        .then_with(|| a.uid.cmp(&b.uid))
        .then_with(|| a.recurrence_id.cmp(&b.recurrence_id))
}

/// Sorts by [`occurrence_order`]. Occurrences are large: sorting small keys and moving
/// each occurrence once is several times faster than sorting them in place.
fn sort_occurrences(out: Vec<Occurrence>) -> Vec<Occurrence> {
    let mut keys: Vec<(DateTime<Utc>, DateTime<Utc>, usize)> = out
        .iter()
        .enumerate()
        .map(|(i, o)| (o.start, o.end, i))
        .collect();
    keys.sort_unstable_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| out[a.2].uid.cmp(&out[b.2].uid))
            .then_with(|| out[a.2].recurrence_id.cmp(&out[b.2].recurrence_id))
            .then(a.2.cmp(&b.2))
    });
    let order: Vec<usize> = keys.into_iter().map(|k| k.2).collect();
    apply_order(out, &order)
}

/// Reorders `items` so that position `i` holds the old `items[order[i]]`, in place (cycle
/// by cycle), so a large agenda is never held twice.
pub fn apply_order<T>(mut items: Vec<T>, order: &[usize]) -> Vec<T> {
    debug_assert_eq!(items.len(), order.len());
    let mut done = vec![false; order.len()];
    for start in 0..order.len() {
        if done[start] {
            continue;
        }
        // Follow the cycle start -> order[start] -> ..., swapping each element into place.
        let mut i = start;
        loop {
            done[i] = true;
            let j = order[i];
            if j == start || done[j] {
                break;
            }
            items.swap(i, j);
            i = j;
        }
    }
    items
}

/// The later of two records with the higher SEQUENCE wins.
fn newest<'a>(records: &[&'a EventRecord]) -> Option<&'a EventRecord> {
    records
        .iter()
        .copied()
        .reduce(|best, r| if r.sequence >= best.sequence { r } else { best })
}

impl Group<'_, '_> {
    /// Expands one UID: its newest master and its overrides.
    fn expand(&mut self, masters: &[&EventRecord], overrides: &[&EventRecord]) {
        let master = newest(masters);
        let start = master.and_then(|m| m.start.as_ref());
        let all_day = start.is_some_and(IcsTime::is_date);
        let zone = start.map(|s| self.resolver.zone_of(s));
        let exdates = match (master, &zone) {
            (Some(m), Some(z)) => Exdates::of(m, z, all_day, self.resolver),
            _ => Exdates::default(),
        };
        // Overrides by original instant; the highest SEQUENCE (then the later one) wins.
        let mut by_rid: HashMap<DateTime<Utc>, &EventRecord> = HashMap::new();
        for o in overrides {
            let Some(rid) = o.recurrence_id_time.as_ref() else {
                continue;
            };
            let rid = self.override_key(rid, all_day);
            match by_rid.get(&rid) {
                Some(prev) if prev.sequence > o.sequence => {}
                _ => {
                    by_rid.insert(rid, o);
                }
            }
        }
        // Overrides older than the master's SEQUENCE are still applied: Google keeps the
        // master's SEQUENCE at its latest edit while exceptions carry older numbers. But an
        // EXDATE on the master for an overridden instance deletes the override too.
        if let Some(z) = &zone {
            let opts = self.opts;
            by_rid.retain(|rid, _| {
                !exdates.excludes(*rid, || to_local(z, all_day, opts, *rid).date())
            });
        }

        // THISANDFUTURE overrides, by rid ascending: (rid, start shift, record).
        let mut futures: Vec<(DateTime<Utc>, Duration, &EventRecord)> = Vec::new();
        for (rid, o) in &by_rid {
            if let (true, Some(s)) = (o.this_and_future, o.start.as_ref()) {
                let start = self.resolver.instant(s);
                futures.push((*rid, start - *rid, *o));
            }
        }
        futures.sort_by_key(|f| f.0);

        if let (Some(m), Some(z)) = (master, zone) {
            expand_master(
                m,
                z,
                &by_rid,
                &futures,
                &exdates,
                self.cal,
                self.opts,
                self.resolver,
                self.out,
                self.budget,
                self.truncation,
                self.need.as_deref_mut(),
            );
        }
        for (rid, o) in &by_rid {
            // Overrides are never cut (there are as many as the feed has records), but they
            // use the budget like everything else.
            self.budget.take(1, bytes_of(o, &self.opts.source));
            let (start, end, date_span) = span_of(o, master, None, *rid, self.resolver);
            push_occurrence(
                o,
                master,
                Some(*rid),
                start,
                end,
                date_span,
                false,
                self.cal,
                self.opts,
                self.out,
            );
        }
    }

    /// The instant an override's RECURRENCE-ID names. On an all-day series a DATE-TIME
    /// RECURRENCE-ID names its local date (Exchange writes midnight in the organiser's
    /// zone); a UTC one names its UTC date when it is midnight, else its date in the user's
    /// zone.
    fn override_key(&mut self, rid: &IcsTime, all_day: bool) -> DateTime<Utc> {
        if !all_day {
            return self.resolver.instant(rid);
        }
        let date = match rid {
            IcsTime::Date { date } => *date,
            IcsTime::Floating { at } | IcsTime::Zoned { at, .. } => at.date(),
            IcsTime::Utc { at } if at.time() == chrono::NaiveTime::MIN => at.date(),
            IcsTime::Utc { at } => at.and_utc().with_timezone(&self.opts.tz).date_naive(),
        };
        self.resolver.instant(&IcsTime::Date { date })
    }
}

/// Start, end and (for all-day) dates of a record placed at its own DTSTART, or at
/// `at_date` / `at` for instances of a master.
fn span_of(
    ev: &EventRecord,
    fallback: Option<&EventRecord>,
    period: Option<i64>,
    _rid: DateTime<Utc>,
    resolver: &mut Resolver<'_>,
) -> (DateTime<Utc>, DateTime<Utc>, Option<(NaiveDate, NaiveDate)>) {
    let Some(start_t) = ev.start.as_ref() else {
        let s = resolver.instant(&IcsTime::Utc {
            at: _rid.naive_utc(),
        });
        return (s, s, None);
    };
    let start = resolver.instant(start_t);
    if let IcsTime::Date { date } = start_t {
        let days = all_day_days(ev, fallback, period);
        let end_date = *date + Duration::days(days);
        let end = resolver.instant(&IcsTime::Date { date: end_date });
        return (start, end, Some((*date, end_date)));
    }
    let len = period.map_or_else(
        || timed_duration(ev, fallback, start, resolver),
        Length::exact,
    );
    let written = match start_t {
        IcsTime::Zoned { at, .. } | IcsTime::Floating { at } => Some(*at),
        _ => None,
    };
    let end = len.end(start, written, || resolver.zone_of(start_t));
    (start, end, None)
}

/// Length in days of an all-day event: DTEND, DURATION (rounded up), else one day.
fn all_day_days(ev: &EventRecord, fallback: Option<&EventRecord>, period: Option<i64>) -> i64 {
    if let Some(p) = period {
        return ((p + 86_399) / 86_400).max(1);
    }
    match (&ev.start, &ev.end) {
        (Some(IcsTime::Date { date: s }), Some(IcsTime::Date { date: e })) => {
            return (*e - *s).num_days().max(1);
        }
        // A DATE start with a DATE-TIME end (invalid, written by some tools): the days
        // the end's wall time reaches into, rounded up, at least one.
        (
            Some(IcsTime::Date { date: s }),
            Some(IcsTime::Floating { at } | IcsTime::Zoned { at, .. } | IcsTime::Utc { at }),
        ) => {
            let secs = (*at - s.and_time(chrono::NaiveTime::MIN)).num_seconds();
            return ((secs + 86_399) / 86_400).max(1);
        }
        _ => {}
    }
    if let Some(d) = ev.duration_secs {
        return ((d + 86_399) / 86_400).max(1);
    }
    if let Some(f) = fallback {
        if ev.end.is_none() && ev.duration_secs.is_none() && !std::ptr::eq(ev, f) {
            return all_day_days(f, None, None);
        }
    }
    1
}

/// Length of a timed event: DTEND - DTSTART (exact), DURATION (nominal days, exact
/// time), else zero.
fn timed_duration(
    ev: &EventRecord,
    fallback: Option<&EventRecord>,
    start: DateTime<Utc>,
    resolver: &mut Resolver<'_>,
) -> Length {
    if let Some(end) = &ev.end {
        let end = resolver.instant(end);
        return Length::exact((end - start).num_seconds().max(0));
    }
    if let Some(d) = ev.duration_secs {
        let days = ev.duration_days;
        return Length {
            days,
            secs: d.saturating_sub(days.saturating_mul(86_400)),
        };
    }
    if let Some(f) = fallback {
        if !std::ptr::eq(ev, f) {
            if let Some(fs) = &f.start {
                let fs = resolver.instant(fs);
                return timed_duration(f, None, fs, resolver);
            }
        }
    }
    Length::default()
}

#[allow(clippy::too_many_arguments)]
fn expand_master(
    m: &EventRecord,
    zone: Zone,
    by_rid: &HashMap<DateTime<Utc>, &EventRecord>,
    futures: &[(DateTime<Utc>, Duration, &EventRecord)],
    exdates: &Exdates,
    cal: &Calendar,
    opts: &ExpandOptions,
    resolver: &mut Resolver<'_>,
    out: &mut Vec<Occurrence>,
    budget: &mut Budget,
    truncation: &mut Truncation,
    need: Option<&mut Option<Need>>,
) {
    let Some(start_t) = m.start.as_ref() else {
        return;
    };
    let all_day = start_t.is_date();
    let local_start: NaiveDateTime = match start_t {
        IcsTime::Date { date } => date.and_time(Default::default()),
        IcsTime::Floating { at } | IcsTime::Zoned { at, .. } | IcsTime::Utc { at } => *at,
    };
    let first_start = resolver.instant(start_t);
    let base_len = if all_day {
        Length::exact(all_day_days(m, None, None) * 86_400)
    } else {
        timed_duration(m, None, first_start, resolver)
    };
    let recurring = !m.rrules.is_empty() || !m.rdates.is_empty();

    // Generation range in the event's local time, widened by the longest duration, the
    // THISANDFUTURE shifts and a day of slack for zone offsets.
    let max_dur = m
        .rdates
        .iter()
        .filter_map(|r| r.duration_secs)
        .chain(std::iter::once(base_len.max_secs()))
        .max()
        .unwrap_or(0)
        .max(0);
    let max_shift = futures
        .iter()
        .map(|f| f.1.num_seconds().abs())
        .max()
        .unwrap_or(0);
    // Local → UTC is monotonic except that times in a DST gap map forward: near a window
    // edge with a transition, keep a margin of the offset change (uncounted). Elsewhere
    // the margin is zero, so dense rules do not pay for it.
    let edge = |t: DateTime<Utc>| -> Duration {
        let off = |u: DateTime<Utc>| to_local(&zone, all_day, opts, u) - u.naive_utc();
        (off(t + Duration::days(1)) - off(t - Duration::days(1))).abs()
    };
    let lo = opts.window.from - Duration::seconds(max_dur + max_shift);
    let hi = opts.window.to + Duration::seconds(max_shift);
    let count_from = to_local(&zone, all_day, opts, lo);
    let count_to = to_local(&zone, all_day, opts, hi);
    let range = recur::Range {
        from: count_from - edge(lo),
        count_from,
        count_to,
        to: count_to + edge(hi),
    };

    // This event's share of the budget: what is left, at least one instance. Rules may
    // keep as many more as EXDATEs and overrides can remove.
    let per_occ = bytes_of(m, &opts.source);
    let quota = budget.fits(per_occ).max(1);
    let mut limits = Limits {
        max_counted: quota
            .saturating_add(m.exdates.len())
            .saturating_add(by_rid.len())
            .saturating_add(1),
        max_steps: budget.steps.max(MIN_RULE_STEPS),
    };
    let mut steps = 0u64;
    // The most instances one rule counted in the window (for `Need::quota`).
    let mut counted = 0usize;
    let mut reason: Option<String> = None;

    let mut insts: Vec<Inst> = Vec::new();
    let mut truncated = false;
    let place = |local: NaiveDateTime, resolver: &mut Resolver<'_>| -> Inst {
        if all_day {
            let date = local.date();
            Inst {
                rid: resolver.instant(&IcsTime::Date { date }),
                date: Some(date),
                dur: None,
                local: None,
            }
        } else {
            Inst {
                rid: zone.to_utc(local),
                date: None,
                dur: None,
                local: Some(local),
            }
        }
    };
    // DTSTART is always the first instance (RFC 5545 section 3.8.5.3).
    insts.push(place(local_start, resolver));
    for rule in &m.rrules {
        let conv_zone = zone.clone();
        let conv = move |utc: NaiveDateTime| conv_zone.to_local(utc.and_utc());
        let r = recur::instances(rule, local_start, all_day, &conv, range, limits);
        if let Some(why) = &r.error {
            tracing::warn!(uid = %m.uid, reason = %why, "recurrence rule not expanded");
        }
        steps = steps.saturating_add(r.steps);
        counted = counted.max(r.counted);
        limits.max_steps = limits.max_steps.saturating_sub(r.steps);
        if r.truncated {
            truncated = true;
            reason.get_or_insert_with(|| match &r.error {
                Some(why) => why.clone(),
                None if limits.max_steps == 0 => "the expansion's work budget was used up".into(),
                None => budget_reason(budget),
            });
        }
        for t in r.starts {
            insts.push(place(t, resolver));
        }
    }
    for rd in &m.rdates {
        let (rid, date) = match &rd.start {
            IcsTime::Date { date } => (resolver.instant(&rd.start), Some(*date)),
            IcsTime::Floating { at } if !all_day => (zone.to_utc(*at), None),
            other => (resolver.instant(other), None),
        };
        let date = if all_day {
            date.or_else(|| Some(zone.to_local(rid).date()))
        } else {
            None
        };
        // (A zoned RDATE may name another zone than DTSTART's: its wall time is re-read.)
        let local = match &rd.start {
            IcsTime::Floating { at } if !all_day => Some(*at),
            _ => None,
        };
        insts.push(Inst {
            rid,
            date,
            dur: rd.duration_secs,
            local,
        });
    }

    insts.sort_by_key(|i| i.rid);
    insts.dedup_by_key(|i| i.rid);
    let mut emitted = 0usize;
    for inst in insts {
        // (The emptiness checks keep hashing off the common path.)
        if exdates.excludes(inst.rid, || {
            inst.date.unwrap_or_else(|| zone.to_local(inst.rid).date())
        }) {
            continue;
        }
        if !by_rid.is_empty() && by_rid.contains_key(&inst.rid) {
            continue; // listed from the override itself
        }
        // The latest THISANDFUTURE override before this instance, if any.
        let future = futures.iter().rev().find(|f| f.0 < inst.rid);
        let (record, shift) = match future {
            Some((_, shift, o)) => (*o, *shift),
            None => (m, Duration::zero()),
        };
        let (start, end, dates) = if let Some(date) = inst.date {
            let days = inst
                .dur
                .map(|p| ((p + 86_399) / 86_400).max(1))
                .unwrap_or_else(|| all_day_days(record, Some(m), None));
            let date = date + Duration::days(shift.num_days());
            let end_date = date + Duration::days(days);
            (
                resolver.instant(&IcsTime::Date { date }),
                resolver.instant(&IcsTime::Date { date: end_date }),
                Some((date, end_date)),
            )
        } else {
            let len = inst.dur.map_or_else(
                || {
                    if std::ptr::eq(record, m) {
                        base_len
                    } else {
                        let s = record
                            .start
                            .as_ref()
                            .map(|s| resolver.instant(s))
                            .unwrap_or(inst.rid);
                        timed_duration(record, Some(m), s, resolver)
                    }
                },
                Length::exact,
            );
            let s = inst.rid + shift;
            let written = inst
                .local
                .filter(|_| shift.is_zero() && std::ptr::eq(record, m));
            // Nominal days are counted in the zone of the record's own DTSTART.
            let end = len.end(s, written, || match record.start.as_ref() {
                Some(t) if !std::ptr::eq(record, m) => resolver.zone_of(t),
                _ => zone.clone(),
            });
            (s, end, None)
        };
        if !opts.window.overlaps(start, end) {
            continue;
        }
        if emitted >= quota {
            truncated = true;
            reason.get_or_insert_with(|| budget_reason(budget));
            break;
        }
        emitted += 1;
        let rid = recurring.then_some(inst.rid);
        push_occurrence(
            record,
            Some(m),
            rid,
            start,
            end,
            dates,
            truncated,
            cal,
            opts,
            out,
        );
    }
    budget.take(emitted, per_occ);
    budget.take_steps(steps);
    if let Some(need) = need {
        // Rules may count `quota + margin` instances; the list may hold `quota`.
        let margin = limits.max_counted - quota;
        *need = Some(Need {
            per_occ,
            quota: emitted.max(counted.saturating_sub(margin)),
            steps,
        });
    }
    if truncated {
        truncation.cut(|| {
            format!(
                "event {:?}: {}",
                m.uid,
                reason.unwrap_or_else(|| "occurrences cut".into())
            )
        });
        // Flag every occurrence of this event, not only those after the cap.
        for o in out.iter_mut().rev() {
            if o.uid != m.uid {
                break;
            }
            o.truncated = true;
        }
    }
}

/// Why an event's list stopped at its share of the budget, in words.
fn budget_reason(budget: &Budget) -> String {
    format!(
        "the agenda's budget of {} occurrences ({} MB) was reached",
        budget.total_occurrences,
        budget.total_bytes >> 20
    )
}

fn to_local(zone: &Zone, all_day: bool, opts: &ExpandOptions, t: DateTime<Utc>) -> NaiveDateTime {
    if all_day {
        t.with_timezone(&opts.tz).naive_local()
    } else {
        zone.to_local(t)
    }
}

/// Builds one occurrence from `ev`, borrowing missing display fields from the master.
#[allow(clippy::too_many_arguments)]
fn push_occurrence(
    ev: &EventRecord,
    master: Option<&EventRecord>,
    rid: Option<DateTime<Utc>>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    dates: Option<(NaiveDate, NaiveDate)>,
    truncated: bool,
    cal: &Calendar,
    opts: &ExpandOptions,
    out: &mut Vec<Occurrence>,
) {
    if !Window::overlaps(&opts.window, start, end) {
        return;
    }
    let m = master.filter(|m| !std::ptr::eq(*m, ev));
    let summary = if ev.summary.is_empty() {
        m.map(|m| m.summary.clone()).unwrap_or_default()
    } else {
        ev.summary.clone()
    };
    let pick = |f: fn(&EventRecord) -> &Option<String>| -> Option<String> {
        f(ev).clone().or_else(|| m.and_then(|m| f(m).clone()))
    };
    let attendees = if ev.attendees.is_empty() {
        m.map(|m| m.attendees.as_slice()).unwrap_or_default()
    } else {
        ev.attendees.as_slice()
    };
    let alarms_src = if ev.alarms.is_empty() {
        m.map(|m| m.alarms.as_slice()).unwrap_or_default()
    } else {
        ev.alarms.as_slice()
    };
    let dur = (end - start).num_seconds();
    let alarms = alarms_src
        .iter()
        .map(|a| match *a {
            AlarmDef::Relative {
                seconds,
                related_end,
            } => AlarmTrigger::Relative {
                seconds: if related_end { seconds + dur } else { seconds },
            },
            AlarmDef::Absolute { at } => AlarmTrigger::Absolute { at },
        })
        .collect();
    let status = ev.status.as_deref();
    let master_cancelled = m.is_some_and(|m| m.status.as_deref() == Some("CANCELLED"));
    let has_prefix = |p: &str| {
        summary
            .as_bytes()
            .get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes()))
    };
    let prefix_cancelled =
        opts.canceled_prefix && (has_prefix("canceled:") || has_prefix("cancelled:"));
    let categories = if ev.categories.is_empty() {
        m.map(|m| m.categories.clone()).unwrap_or_default()
    } else {
        ev.categories.clone()
    };
    out.push(Occurrence {
        source: opts.source.clone(),
        source_id: opts.source_id,
        uid: ev.uid.clone(),
        recurrence_id: rid,
        summary,
        start,
        end,
        all_day: dates.is_some(),
        start_date: dates.map(|d| d.0),
        end_date: dates.map(|d| d.1),
        cancelled: status == Some("CANCELLED") || master_cancelled || prefix_cancelled,
        tentative: status == Some("TENTATIVE"),
        free: ev.free,
        location: pick(|e| &e.location),
        description: ev
            .description
            .clone()
            .or_else(|| m.and_then(|m| m.description.clone())),
        join_url: pick(|e| &e.join_url),
        my_status: my_status(attendees, &opts.me_emails),
        attendees: u32::try_from(attendees.len()).unwrap_or(u32::MAX),
        organizer: pick(|e| &e.organizer),
        organizer_name: pick(|e| &e.organizer_name),
        alarms,
        categories,
        color: ev
            .color
            .clone()
            .or_else(|| m.and_then(|m| m.color.clone()))
            .or_else(|| cal.meta.color.clone()),
        truncated,
    });
}
