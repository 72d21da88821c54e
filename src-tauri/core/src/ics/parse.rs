//! Components to records: VCALENDAR properties to [`CalendarMeta`], each VEVENT to an
//! [`EventRecord`], each VTIMEZONE to a [`CustomZone`].
//!
//! Iterative (a stack of component names, no recursion) and lenient: a line that is not a
//! content line, or a VEVENT without a usable DTSTART, is skipped and counted in
//! `meta.warnings`; the rest of the feed is kept. VTODO, VJOURNAL, VFREEBUSY and unknown
//! components are ignored. Warnings never quote feed content beyond a UID or TZID.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::attendees;
use super::lines::{parse_line, ContentLine, Unfolder};
use super::links;
use super::text::{
    clean_description, clean_line, clean_summary, split_list, unescape, MAX_DESCRIPTION_BYTES,
    MAX_LINE_BYTES,
};
use super::tz::is_resolvable;
use super::value::{
    parse_date, parse_date_time, parse_duration, parse_duration_parts, parse_time_value,
    parse_utc_offset,
};
use super::vtimezone::{CustomZone, Observance};
use super::{AlarmDef, Calendar, EventRecord, IcsTime, RDate};

/// At most this many warnings are kept verbatim; the rest are counted.
const MAX_WARNINGS: usize = 50;

struct Warnings {
    list: Vec<String>,
    dropped: usize,
}

impl Warnings {
    fn push(&mut self, w: String) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(w);
        } else {
            self.dropped += 1;
        }
    }
}

/// What is being collected at the moment.
enum Collect<'a> {
    None,
    /// VEVENT lines, unsplit (see [`RawEvent`]); `in_alarm` is the index of the VALARM
    /// being read, if inside one.
    Event {
        depth: usize,
        raw: RawEvent<'a>,
        in_alarm: Option<usize>,
    },
    Zone {
        depth: usize,
        props: Vec<ContentLine<'static>>,
        observances: Vec<(bool, Vec<ContentLine<'static>>)>,
        in_obs: Option<usize>,
    },
}

/// One VEVENT's lines as unfolded bytes, split and built later (on several threads).
#[derive(Default)]
struct RawEvent<'a> {
    props: Vec<Cow<'a, [u8]>>,
    alarms: Vec<Vec<Cow<'a, [u8]>>>,
}

/// A component finished, in feed order: warnings are reported in this order whatever
/// thread built the event.
enum Done {
    Event(usize),
    Warning(String),
}

/// Events per thread below which building them on one thread is faster.
const EVENTS_PER_THREAD: usize = 512;

/// Parses a body that passed [`super::scan::prescan`].
///
/// Two passes: the first walks the lines once, tracking components and collecting each
/// VEVENT's lines unsplit (only BEGIN/END lines are split, to follow the nesting); the
/// second splits and builds the events, in pieces on up to [`build_threads`] threads,
/// and the results are put back in feed order, so the calendar (events, warnings and
/// their order) is exactly what one sequential pass gives.
pub fn parse_calendar(body: &[u8]) -> Calendar {
    let mut cal = Calendar::default();
    let mut warnings = Warnings {
        list: Vec::new(),
        dropped: 0,
    };
    let mut stack: Vec<String> = Vec::new();
    let mut collect = Collect::None;
    let mut bad_lines = 0usize;
    let mut raw_events: Vec<RawEvent<'_>> = Vec::new();
    let mut done: Vec<Done> = Vec::new();

    for raw in Unfolder::new(body) {
        // Inside a VEVENT, properties the engine never reads (DTSTAMP, CREATED, X-...) are
        // skipped before they are split: about a third of a typical feed's lines.
        let in_event = matches!(collect, Collect::Event { .. });
        if in_event && !wanted_in_event(&raw) {
            continue;
        }
        if maybe_begin_or_end(&raw) {
            let Some(line) = parse_line(&raw) else {
                bad_lines += 1;
                continue;
            };
            if line.name == "BEGIN" {
                let comp = line.value.trim().to_ascii_uppercase();
                stack.push(comp.clone());
                let depth = stack.len();
                match &mut collect {
                    Collect::None if depth == 2 && comp == "VEVENT" => {
                        collect = Collect::Event {
                            depth,
                            raw: RawEvent::default(),
                            in_alarm: None,
                        };
                    }
                    Collect::None if depth == 2 && comp == "VTIMEZONE" => {
                        collect = Collect::Zone {
                            depth,
                            props: Vec::new(),
                            observances: Vec::new(),
                            in_obs: None,
                        };
                    }
                    Collect::Event {
                        depth: d,
                        raw,
                        in_alarm,
                    } if depth == *d + 1 && comp == "VALARM" => {
                        raw.alarms.push(Vec::new());
                        *in_alarm = Some(raw.alarms.len() - 1);
                    }
                    Collect::Zone {
                        depth: d,
                        observances,
                        in_obs,
                        ..
                    } if depth == *d + 1 && (comp == "STANDARD" || comp == "DAYLIGHT") => {
                        observances.push((comp == "DAYLIGHT", Vec::new()));
                        *in_obs = Some(observances.len() - 1);
                    }
                    _ => {}
                }
                continue;
            }
            if line.name == "END" {
                let comp = line.value.trim().to_ascii_uppercase();
                // Pop to the matching BEGIN (tolerates a missing END of an inner component).
                // An END that matches nothing (`BEGIN:VTODO ... END:VTOOD`) closes the
                // innermost open component, so the rest of the calendar is still read; it
                // never closes the VCALENDAR itself.
                let pos = match stack.iter().rposition(|c| *c == comp) {
                    Some(pos) => pos,
                    None if stack.len() > 1 => {
                        bad_lines += 1;
                        stack.len() - 1
                    }
                    None => {
                        bad_lines += 1;
                        continue;
                    }
                };
                let depth = pos + 1;
                stack.truncate(pos);
                let finished = match &mut collect {
                    Collect::Event {
                        depth: d, in_alarm, ..
                    } => {
                        if depth == *d + 1 {
                            *in_alarm = None;
                        }
                        depth <= *d
                    }
                    Collect::Zone {
                        depth: d, in_obs, ..
                    } => {
                        if depth == *d + 1 {
                            *in_obs = None;
                        }
                        depth <= *d
                    }
                    Collect::None => false,
                };
                if finished {
                    match std::mem::replace(&mut collect, Collect::None) {
                        Collect::Event { raw, .. } => {
                            done.push(Done::Event(raw_events.len()));
                            raw_events.push(raw);
                        }
                        Collect::Zone {
                            props, observances, ..
                        } => match build_zone(&props, &observances) {
                            Ok(z) => cal.meta.timezones.push(z),
                            Err(why) => done.push(Done::Warning(why)),
                        },
                        Collect::None => {}
                    }
                }
                continue;
            }
        }
        // (A line that only looked like BEGIN or END is split again: rare.)
        other_line(&mut cal, &mut collect, stack.len(), raw, &mut bad_lines);
    }

    let (built, bad_in_events) = build_events(&raw_events);
    bad_lines += bad_in_events;
    let mut built = built.into_iter().map(Some).collect::<Vec<_>>();
    for d in done {
        match d {
            Done::Event(i) => match built[i].take() {
                Some(Ok(ev)) => cal.events.push(ev),
                Some(Err(why)) => warnings.push(why),
                None => {}
            },
            Done::Warning(why) => warnings.push(why),
        }
    }
    if bad_lines > 0 {
        warnings.push(format!("{bad_lines} malformed line(s) skipped"));
    }

    // Zones nobody can resolve: say so once per TZID (events are still shown).
    let mut unknown = BTreeSet::new();
    // (Each TZID is looked up once, not once per event time.)
    let mut known: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for ev in &cal.events {
        let times = ev
            .start
            .iter()
            .chain(ev.end.iter())
            .chain(ev.exdates.iter());
        for t in times {
            if let IcsTime::Zoned { tzid, .. } = t {
                if known.contains(tzid.as_str()) || unknown.contains(tzid) {
                    continue;
                }
                if is_resolvable(tzid, &cal.meta.timezones) {
                    known.insert(tzid);
                } else {
                    unknown.insert(tzid.clone());
                }
            }
        }
    }
    for tzid in unknown {
        warnings.push(format!(
            "unknown time zone {tzid:?}: times read in the calendar's default zone"
        ));
    }
    check_events(&cal.events, &mut warnings);
    if warnings.dropped > 0 {
        let n = warnings.dropped;
        warnings.list.push(format!("{n} more warning(s)"));
    }
    cal.meta.warnings = warnings.list;
    cal
}

/// A line that is neither BEGIN nor END, where the component being collected wants it.
/// Event lines are kept unsplit; a line nobody keeps is still split, so a malformed one
/// is counted as malformed wherever it is.
fn other_line<'a>(
    cal: &mut Calendar,
    collect: &mut Collect<'a>,
    depth: usize,
    raw: Cow<'a, [u8]>,
    bad_lines: &mut usize,
) {
    if let Collect::Event {
        depth: d,
        raw: ev,
        in_alarm,
    } = collect
    {
        if depth == *d {
            ev.props.push(raw);
        } else if let (Some(i), true) = (*in_alarm, depth == *d + 1) {
            ev.alarms[i].push(raw);
        } else if parse_line(&raw).is_none() {
            *bad_lines += 1;
        }
        return;
    }
    let Some(line) = parse_line(&raw) else {
        *bad_lines += 1;
        return;
    };
    match collect {
        Collect::Zone {
            depth: d,
            props,
            observances,
            in_obs,
        } => {
            if depth == *d {
                props.push(line.into_owned());
            } else if let Some(i) = *in_obs {
                if depth == *d + 1 {
                    observances[i].1.push(line.into_owned());
                }
            }
        }
        Collect::None if depth == 1 => read_meta(cal, &line),
        _ => {}
    }
}

/// True unless the unfolded line surely is not a BEGIN or END line: its name, after
/// leading whitespace, starts with neither word (case-insensitive) and is ASCII there.
/// (A non-ASCII start may be Unicode whitespace that [`parse_line`] trims.)
fn maybe_begin_or_end(raw: &[u8]) -> bool {
    let start = raw
        .iter()
        .position(|&b| !(b.is_ascii_whitespace() || b == 0x0B))
        .unwrap_or(raw.len());
    let rest = &raw[start..];
    match rest.first() {
        Some(b) if !b.is_ascii() => true,
        Some(b'B' | b'b') => rest.len() >= 5 && rest[..5].eq_ignore_ascii_case(b"BEGIN"),
        Some(b'E' | b'e') => rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"END"),
        _ => false,
    }
}

/// Threads for building events: the machine's cores, at most 4, fewer for small feeds.
fn build_threads(events: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(4).min(events / EVENTS_PER_THREAD).max(1)
}

/// Splits and builds every collected VEVENT, in feed order; also returns the lines that
/// were not content lines.
fn build_events(raw: &[RawEvent<'_>]) -> (Vec<Result<EventRecord, String>>, usize) {
    fn split<'b>(lines: &'b [Cow<'_, [u8]>], bad: &mut usize) -> Vec<ContentLine<'b>> {
        let out: Vec<ContentLine<'b>> = lines.iter().filter_map(|l| parse_line(l)).collect();
        *bad += lines.len() - out.len();
        out
    }
    fn piece(raw: &[RawEvent<'_>]) -> (Vec<Result<EventRecord, String>>, usize) {
        let mut bad = 0usize;
        let built = raw
            .iter()
            .map(|ev| {
                let props = split(&ev.props, &mut bad);
                let alarms: Vec<Vec<ContentLine<'_>>> =
                    ev.alarms.iter().map(|a| split(a, &mut bad)).collect();
                build_event(&props, &alarms)
            })
            .collect();
        (built, bad)
    }
    let threads = build_threads(raw.len());
    if threads == 1 {
        return piece(raw);
    }
    let per = raw.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = raw.chunks(per).map(|c| s.spawn(|| piece(c))).collect();
        let mut all = Vec::with_capacity(raw.len());
        let mut bad = 0;
        for h in handles {
            // A panic while building is a bug: show it, as one thread would.
            let (built, b) = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            all.extend(built);
            bad += b;
        }
        (all, bad)
    })
}

/// Properties read from a VEVENT or its VALARMs (see [`build_event`], [`build_alarm`]).
const EVENT_PROPERTIES: &[&str] = &[
    "BEGIN",
    "END",
    "UID",
    "RECURRENCE-ID",
    "SEQUENCE",
    "SUMMARY",
    "LOCATION",
    "DESCRIPTION",
    "DTSTART",
    "DTEND",
    "DURATION",
    "RRULE",
    "RDATE",
    "EXDATE",
    "STATUS",
    "TRANSP",
    "X-MICROSOFT-CDO-BUSYSTATUS",
    "ATTENDEE",
    "ORGANIZER",
    "CATEGORIES",
    "COLOR",
    "URL",
    "CONFERENCE",
    "X-GOOGLE-CONFERENCE",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL",
    "X-MICROSOFT-ONLINEMEETINGCONFLINK",
    "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK",
    "ACTION",
    "TRIGGER",
];

/// True when the unfolded line's property name is one [`EVENT_PROPERTIES`] lists.
fn wanted_in_event(raw: &[u8]) -> bool {
    let end = memchr::memchr2(b';', b':', raw).unwrap_or(raw.len());
    let name = super::scan::trim_ascii(&raw[..end]);
    // Most lines are rejected by their length and first letter before any comparison.
    let Some(first) = name.first().map(u8::to_ascii_uppercase) else {
        return false;
    };
    EVENT_PROPERTIES.iter().any(|p| {
        p.len() == name.len() && p.as_bytes()[0] == first && p.as_bytes().eq_ignore_ascii_case(name)
    })
}

/// Feed-level checks that do not drop anything but are worth telling the user about:
/// duplicate masters for one UID (expansion uses the highest SEQUENCE, then the later one)
/// and rules whose UNTIL is before DTSTART (shown once, at DTSTART).
fn check_events(events: &[EventRecord], warnings: &mut Warnings) {
    let mut masters: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for ev in events.iter().filter(|e| e.recurrence_id.is_none()) {
        *masters.entry(ev.uid.as_str()).or_default() += 1;
        let start = match &ev.start {
            Some(IcsTime::Date { date }) => date.and_time(Default::default()),
            Some(IcsTime::Floating { at } | IcsTime::Utc { at } | IcsTime::Zoned { at, .. }) => *at,
            None => continue,
        };
        for rule in &ev.rrules {
            let until = rule.split(';').find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("UNTIL").then_some(v)
            });
            let until = until.and_then(|v| {
                parse_date_time(v)
                    .map(|x| x.0)
                    .or_else(|| parse_date(v).and_then(|d| d.and_hms_opt(23, 59, 59)))
            });
            // A day of tolerance: UNTIL is UTC while DTSTART is local.
            if until.is_some_and(|u| u + chrono::Duration::days(1) < start) {
                warnings.push(format!(
                    "event {:?}: UNTIL is before DTSTART; shown once at DTSTART",
                    ev.uid
                ));
            }
        }
    }
    let mut dups: Vec<(&str, usize)> = masters.into_iter().filter(|(_, n)| *n > 1).collect();
    dups.sort_unstable();
    for (uid, n) in dups {
        warnings.push(format!(
            "{n} events share UID {uid:?}: the one with the highest SEQUENCE is shown"
        ));
    }
}

fn read_meta(cal: &mut Calendar, line: &ContentLine) {
    let m = &mut cal.meta;
    match &*line.name {
        // X-WR-CALNAME wins over NAME whichever comes first.
        "X-WR-CALNAME" | "NAME" if m.name.is_none() || line.name == "X-WR-CALNAME" => {
            m.name = Some(clean_line(&unescape(raw_prefix(
                &line.value,
                MAX_LINE_BYTES,
            ))));
        }
        "X-APPLE-CALENDAR-COLOR" | "COLOR" => {
            if let Some(c) = normalise_color(&line.value) {
                m.color = Some(c);
            }
        }
        "X-WR-TIMEZONE" => {
            let v = unescape(line.value.trim());
            if !v.is_empty() {
                m.default_tz = Some(v);
            }
        }
        "REFRESH-INTERVAL" | "X-PUBLISHED-TTL" => {
            if let Some(secs) = parse_duration(&line.value) {
                if secs > 0 {
                    m.refresh_interval_secs = Some(secs.unsigned_abs());
                }
            }
        }
        _ => {}
    }
}

/// Builds one VEVENT; `Err` says why it was skipped.
fn build_event(props: &[ContentLine], alarms: &[Vec<ContentLine>]) -> Result<EventRecord, String> {
    let mut ev = EventRecord::default();
    let mut vendor_links: Vec<String> = Vec::new();
    let mut url: Option<String> = None;
    let mut busy_free = false;
    let mut transparent = false;
    let mut bad_start = false;
    for p in props {
        match &*p.name {
            "UID" => ev.uid = clean_line(&unescape(raw_prefix(&p.value, MAX_LINE_BYTES))),
            "RECURRENCE-ID" => {
                ev.recurrence_id = Some(p.value.trim().to_string());
                ev.recurrence_id_time = parse_time_value(&p.value, p);
                ev.this_and_future = p
                    .param("RANGE")
                    .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"));
            }
            "SEQUENCE" => ev.sequence = p.value.trim().parse().unwrap_or(0),
            "SUMMARY" => {
                ev.summary = clean_summary(&unescape(raw_prefix(&p.value, MAX_LINE_BYTES)))
            }
            "LOCATION" => {
                let l = clean_line(&unescape(raw_prefix(&p.value, MAX_LINE_BYTES)));
                ev.location = (!l.is_empty()).then_some(l);
            }
            "DESCRIPTION" => {
                let d = clean_description(&unescape(raw_prefix(&p.value, MAX_DESCRIPTION_BYTES)));
                ev.description = (!d.trim().is_empty()).then(|| d.into());
            }
            "DTSTART" => {
                ev.start = parse_time_value(&p.value, p);
                bad_start = ev.start.is_none();
            }
            "DTEND" => ev.end = parse_time_value(&p.value, p),
            "DURATION" => {
                let parts = parse_duration_parts(&p.value);
                ev.duration_secs = parse_duration(&p.value);
                ev.duration_days = parts.map_or(0, |(days, _)| days);
            }
            "RRULE" => ev.rrules.push(p.value.trim().to_string()),
            "RDATE" => ev.rdates.extend(parse_rdates(p)),
            "EXDATE" => ev
                .exdates
                .extend(p.value.split(',').filter_map(|v| parse_time_value(v, p))),
            "STATUS" => ev.status = Some(p.value.trim().to_ascii_uppercase()),
            "TRANSP" => transparent = p.value.trim().eq_ignore_ascii_case("TRANSPARENT"),
            "X-MICROSOFT-CDO-BUSYSTATUS" => busy_free = p.value.trim().eq_ignore_ascii_case("FREE"),
            "ATTENDEE" => ev.attendees.push(attendees::attendee(p)),
            "ORGANIZER" => {
                ev.organizer = attendees::organizer(p);
                ev.organizer_name = attendees::organizer_name(p);
            }
            "CATEGORIES" => ev.categories.extend(
                split_list(raw_prefix(&p.value, MAX_LINE_BYTES))
                    .iter()
                    .map(|c| clean_line(c))
                    .filter(|c| !c.is_empty()),
            ),
            "COLOR" => ev.color = normalise_color(&p.value),
            "URL" => url = Some(p.value.trim().to_string()),
            "CONFERENCE"
            | "X-GOOGLE-CONFERENCE"
            | "X-MICROSOFT-SKYPETEAMSMEETINGURL"
            | "X-MICROSOFT-ONLINEMEETINGCONFLINK"
            | "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK" => {
                vendor_links.push(unescape(p.value.trim()))
            }
            _ => {}
        }
    }
    ev.free = transparent || busy_free;
    if ev.uid.is_empty() {
        // No UID (invalid, but seen in hand-written files): a stable synthetic one, so the
        // event is still listed and reminders can key on it.
        ev.uid = format!(
            "no-uid-{:016x}",
            fnv1a(format!("{:?}|{}", ev.start, ev.summary).as_bytes())
        );
    }
    if ev.start.is_none() {
        // An override may omit DTSTART in sloppy feeds: it keeps its original time.
        if let Some(rid) = &ev.recurrence_id_time {
            ev.start = Some(rid.clone());
        } else {
            let why = if bad_start { "unreadable" } else { "no" };
            return Err(format!("event {:?} skipped: {why} DTSTART", ev.uid));
        }
    }
    for alarm in alarms {
        if let Some(a) = build_alarm(alarm) {
            ev.alarms.push(a);
        }
    }
    ev.join_url = links::find_join_url(
        &vendor_links,
        url.as_deref(),
        ev.location.as_deref(),
        ev.description.as_deref(),
    );
    Ok(ev)
}

fn parse_rdates(p: &ContentLine) -> Vec<RDate> {
    p.value
        .split(',')
        .filter_map(|v| {
            if let Some((start, end)) = v.split_once('/') {
                let start = parse_time_value(start, p)?;
                let duration_secs = if let Some(d) = parse_duration(end) {
                    Some(d)
                } else {
                    let (e, utc) = parse_date_time(end)?;
                    let s = match &start {
                        IcsTime::Utc { at } | IcsTime::Floating { at } => *at,
                        IcsTime::Zoned { at, .. } => *at,
                        IcsTime::Date { date } => date.and_time(Default::default()),
                    };
                    // A period end in UTC with a zoned start is approximate here (the zone
                    // offset is not known yet); providers write both ends alike.
                    let _ = utc;
                    Some((e - s).num_seconds())
                };
                Some(RDate {
                    start,
                    duration_secs,
                })
            } else {
                Some(RDate {
                    start: parse_time_value(v, p)?,
                    duration_secs: None,
                })
            }
        })
        .collect()
}

/// DISPLAY and AUDIO alarms (EMAIL and PROCEDURE are not ours to fire).
fn build_alarm(lines: &[ContentLine]) -> Option<AlarmDef> {
    let action = lines
        .iter()
        .find(|l| l.name == "ACTION")
        .map(|l| l.value.trim().to_ascii_uppercase());
    if matches!(action.as_deref(), Some(a) if a != "DISPLAY" && a != "AUDIO") {
        return None;
    }
    let trigger = lines.iter().find(|l| l.name == "TRIGGER")?;
    let absolute = trigger
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"));
    if absolute
        || (!trigger
            .value
            .trim_start_matches(['+', '-'])
            .starts_with(['P', 'p']))
    {
        let (at, _utc) = parse_date_time(&trigger.value)?;
        return Some(AlarmDef::Absolute { at: at.and_utc() });
    }
    let seconds = parse_duration(&trigger.value)?;
    let related_end = trigger
        .param("RELATED")
        .is_some_and(|r| r.eq_ignore_ascii_case("END"));
    Some(AlarmDef::Relative {
        seconds,
        related_end,
    })
}

fn build_zone(
    props: &[ContentLine],
    obs: &[(bool, Vec<ContentLine>)],
) -> Result<CustomZone, String> {
    let tzid = props
        .iter()
        .find(|p| p.name == "TZID")
        // TZID is TEXT: `(UTC+07:00) Bangkok\, Hanoi\, Jakarta` names the zone that
        // DTSTART;TZID="(UTC+07:00) Bangkok, Hanoi, Jakarta" refers to.
        .map(|p| unescape(p.value.trim()))
        .ok_or_else(|| "VTIMEZONE without TZID skipped".to_string())?;
    let mut observances = Vec::new();
    for (daylight, lines) in obs {
        let get = |name: &str| lines.iter().find(|l| l.name == name);
        let Some(dtstart) = get("DTSTART").and_then(|l| {
            parse_date_time(&l.value)
                .map(|(at, _)| at)
                .or_else(|| parse_date(&l.value).map(|d| d.and_time(Default::default())))
        }) else {
            continue;
        };
        let Some(offset_to) = get("TZOFFSETTO").and_then(|l| parse_utc_offset(&l.value)) else {
            continue;
        };
        let offset_from = get("TZOFFSETFROM")
            .and_then(|l| parse_utc_offset(&l.value))
            .unwrap_or(offset_to);
        let rdates = lines
            .iter()
            .filter(|l| l.name == "RDATE")
            .flat_map(|l| {
                l.value
                    .split(',')
                    .filter_map(|v| parse_date_time(v).map(|x| x.0))
            })
            .collect();
        observances.push(Observance {
            daylight: *daylight,
            dtstart,
            offset_from,
            offset_to,
            rrule: get("RRULE").map(|l| l.value.trim().to_string()),
            rdates,
        });
    }
    if observances.is_empty() {
        return Err(format!(
            "VTIMEZONE {tzid:?} has no usable STANDARD/DAYLIGHT; skipped"
        ));
    }
    Ok(CustomZone { tzid, observances })
}

/// `#RRGGBB` from `#RRGGBB`, `#RRGGBBAA` (Apple) or a few CSS colour names (RFC 7986).
pub fn normalise_color(v: &str) -> Option<String> {
    let v = v.trim();
    if let Some(hex) = v.strip_prefix('#') {
        if (hex.len() == 6 || hex.len() == 8) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(format!("#{}", hex[..6].to_ascii_uppercase()));
        }
        if hex.len() == 3 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut s = String::from("#");
            for c in hex.chars() {
                s.push(c.to_ascii_uppercase());
                s.push(c.to_ascii_uppercase());
            }
            return Some(s);
        }
        return None;
    }
    let named = match v.to_ascii_lowercase().as_str() {
        "black" => "#000000",
        "white" => "#FFFFFF",
        "red" => "#FF0000",
        "green" => "#008000",
        "blue" => "#0000FF",
        "yellow" => "#FFFF00",
        "orange" => "#FFA500",
        "purple" => "#800080",
        "pink" => "#FFC0CB",
        "gray" | "grey" => "#808080",
        "brown" => "#A52A2A",
        "teal" => "#008080",
        "navy" => "#000080",
        "turquoise" => "#40E0D0",
        "crimson" => "#DC143C",
        "gold" => "#FFD700",
        "olive" => "#808000",
        "maroon" => "#800000",
        "lime" => "#00FF00",
        "aqua" | "cyan" => "#00FFFF",
        "fuchsia" | "magenta" => "#FF00FF",
        "silver" => "#C0C0C0",
        "indigo" => "#4B0082",
        "violet" => "#EE82EE",
        "salmon" => "#FA8072",
        "tomato" => "#FF6347",
        "coral" => "#FF7F50",
        "skyblue" => "#87CEEB",
        _ => return None,
    };
    Some(named.to_string())
}

/// A raw TEXT value cut to what can matter after unescaping and [`clean_line`]-style caps:
/// escapes only shrink text, so `4 * max` raw bytes always hold `max` clean ones (bar
/// runs of removed controls). A 1 MB SUMMARY is thus never unescaped whole.
fn raw_prefix(v: &str, max: usize) -> &str {
    let max = max.saturating_mul(4);
    if v.len() <= max {
        return v;
    }
    let mut end = max;
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    &v[..end]
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
