//! Agenda output for the command line (PRODUCT.md "Command-line contract").
//!
//! `jsonl`: one object a line, in the order given (callers pass [`super::expand`]'s output,
//! which is sorted by start), with `uid, summary, start, end, all_day, cancelled, source,
//! location, join_url` plus the other occurrence fields, keys in alphabetical order. Timed
//! `start`/`end` are RFC 3339 UTC with `Z` and whole seconds; all-day ones are dates (`end`
//! exclusive). `json`: an array of the same objects. `text`: one human line per occurrence
//! in the given zone, cancelled ones hidden. `ics`: see [`write_ics`].
//!
//! The `write_*` functions serialise straight into a writer (the command line passes one
//! buffered, locked stdout): no `serde_json::Value` and no `String` per occurrence, which
//! is most of the agenda's time on a large feed. The `to_*` functions return the same
//! bytes as a `String`.

use std::io::{self, Write};

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};
use chrono_tz::Tz;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::model::{AlarmTrigger, Occurrence, PartStat};

fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An instant as `YYYY-MM-DDTHH:MM:SSZ`, formatted on the stack.
struct UtcSecs(DateTime<Utc>);

impl Serialize for UtcSecs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let year = t.year();
        if !(0..=9999).contains(&year) {
            return s.serialize_str(&utc(t));
        }
        let mut b = *b"0000-00-00T00:00:00Z";
        let put = |b: &mut [u8; 20], at: usize, v: u32, digits: usize| {
            let mut v = v;
            for i in (0..digits).rev() {
                b[at + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(&mut b, 0, year as u32, 4);
        put(&mut b, 5, t.month(), 2);
        put(&mut b, 8, t.day(), 2);
        put(&mut b, 11, t.hour(), 2);
        put(&mut b, 14, t.minute(), 2);
        put(&mut b, 17, t.second(), 2);
        // Only ASCII digits and separators were written.
        s.serialize_str(std::str::from_utf8(&b).unwrap_or_default())
    }
}

/// A start or end: a date for all-day occurrences, an instant otherwise.
enum When {
    Date(NaiveDate),
    At(UtcSecs),
}

impl Serialize for When {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            When::Date(d) => s.collect_str(d),
            When::At(t) => t.serialize(s),
        }
    }
}

struct Alarm<'a>(&'a AlarmTrigger);

impl Serialize for Alarm<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        match self.0 {
            AlarmTrigger::Relative { seconds } => {
                m.serialize_entry("kind", "relative")?;
                m.serialize_entry("seconds", seconds)?;
            }
            AlarmTrigger::Absolute { at } => {
                m.serialize_entry("at", &UtcSecs(*at))?;
                m.serialize_entry("kind", "absolute")?;
            }
        }
        m.end()
    }
}

struct Alarms<'a>(&'a [AlarmTrigger]);

impl Serialize for Alarms<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(Alarm))
    }
}

/// The contract object of one occurrence, borrowed (keys in alphabetical order, as the
/// `serde_json::Value` form has them).
#[derive(serde::Serialize)]
struct Row<'a> {
    alarms: Alarms<'a>,
    all_day: bool,
    attendees: u32,
    cancelled: bool,
    categories: &'a [String],
    color: &'a Option<String>,
    description: &'a Option<std::sync::Arc<str>>,
    end: When,
    free: bool,
    join_url: &'a Option<String>,
    location: &'a Option<String>,
    my_status: &'a Option<PartStat>,
    organizer: &'a Option<String>,
    recurrence_id: Option<UtcSecs>,
    source: &'a str,
    start: When,
    summary: &'a str,
    tentative: bool,
    truncated: bool,
    uid: &'a str,
}

fn row(o: &Occurrence) -> Row<'_> {
    let (start, end) = match (o.all_day, o.start_date, o.end_date) {
        (true, Some(s), Some(e)) => (When::Date(s), When::Date(e)),
        _ => (When::At(UtcSecs(o.start)), When::At(UtcSecs(o.end))),
    };
    Row {
        alarms: Alarms(&o.alarms),
        all_day: o.all_day,
        attendees: o.attendees,
        cancelled: o.cancelled,
        categories: &o.categories,
        color: &o.color,
        description: &o.description,
        end,
        free: o.free,
        join_url: &o.join_url,
        location: &o.location,
        my_status: &o.my_status,
        organizer: &o.organizer,
        recurrence_id: o.recurrence_id.map(UtcSecs),
        source: &o.source,
        start,
        summary: &o.summary,
        tentative: o.tentative,
        truncated: o.truncated,
        uid: &o.uid,
    }
}

/// The contract object of one occurrence.
pub fn to_value(o: &Occurrence) -> serde_json::Value {
    serde_json::to_value(row(o)).unwrap_or_default()
}

fn json_err(e: serde_json::Error) -> io::Error {
    io::Error::from(e)
}

/// At most this many occurrences, and about [`PIECE_BYTES`] of JSON, per piece of
/// [`write_jsonl`]: a large agenda is never held twice in memory.
const JSONL_PIECE: usize = 2_048;
/// About 2 MB of JSON per piece: rows carrying 64 KB descriptions make a piece of 2,048
/// occurrences 130 MB (case "9 events with 1 MB summaries" of issue 15).
const PIECE_BYTES: usize = 2 << 20;

/// A row's JSON length, about: the fixed fields plus the texts that can be long.
fn row_bytes(o: &Occurrence) -> usize {
    let text = |t: &Option<String>| t.as_deref().map_or(0, str::len);
    400 + o.summary.len()
        + o.description.as_deref().map_or(0, str::len)
        + text(&o.location)
        + text(&o.join_url)
        + text(&o.organizer)
}

/// The list cut in order into pieces of at most [`JSONL_PIECE`] rows and about
/// [`PIECE_BYTES`] of JSON (one row at least).
fn pieces(occurrences: &[Occurrence]) -> Vec<&[Occurrence]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, o) in occurrences.iter().enumerate() {
        if i > start && (i - start == JSONL_PIECE || bytes + row_bytes(o) > PIECE_BYTES) {
            out.push(&occurrences[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += row_bytes(o);
    }
    if start < occurrences.len() {
        out.push(&occurrences[start..]);
    }
    out
}

/// One JSON object a line, each line ending in `\n`.
///
/// A large list is serialised in pieces on two threads (JSON escaping is most of the
/// cost of a big agenda), each piece into memory, and written in order: the bytes are
/// those of one sequential pass.
pub fn write_jsonl(w: &mut impl Write, occurrences: &[Occurrence]) -> io::Result<()> {
    fn piece(list: &[Occurrence]) -> Vec<u8> {
        let mut buf = Vec::with_capacity(list.iter().map(row_bytes).sum());
        for o in list {
            // Writing to a Vec cannot fail; serde_json only fails on a writer's error.
            let _ = serde_json::to_writer(&mut buf, &row(o));
            buf.push(b'\n');
        }
        buf
    }
    for pair in pieces(occurrences).chunks(2) {
        let [a, b] = pair else {
            w.write_all(&piece(pair[0]))?;
            continue;
        };
        let (first, second) = std::thread::scope(|s| {
            let second = s.spawn(|| piece(b));
            let first = piece(a);
            // A panic while serialising is a bug: show it, as a sequential pass would.
            (
                first,
                second
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            )
        });
        w.write_all(&first)?;
        w.write_all(&second)?;
    }
    Ok(())
}

/// A JSON array of the same objects (pretty-printed, with a final newline).
pub fn write_json(w: &mut impl Write, occurrences: &[Occurrence]) -> io::Result<()> {
    let rows: Vec<Row<'_>> = occurrences.iter().map(row).collect();
    serde_json::to_writer_pretty(&mut *w, &rows).map_err(json_err)?;
    w.write_all(b"\n")
}

fn to_string(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail, and serde_json writes UTF-8.
    let _ = f(&mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// [`write_jsonl`] into a `String`.
pub fn to_jsonl(occurrences: &[Occurrence]) -> String {
    to_string(|b| write_jsonl(b, occurrences))
}

/// [`write_json`] into a `String`.
pub fn to_json(occurrences: &[Occurrence]) -> String {
    to_string(|b| write_json(b, occurrences))
}

/// Human lines in `tz`: `2026-03-29 Sun 09:00-10:00  Standup  (Room 1)  [join URL]`;
/// all-day ones show `all day`; cancelled occurrences are hidden; control characters
/// in feed text are replaced so a title cannot rewrite the terminal.
pub fn write_text(w: &mut impl Write, occurrences: &[Occurrence], tz: Tz) -> io::Result<()> {
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
            // ISO dates (sortable, greppable); times in the one clock of every surface.
            let clock = crate::timefmt::TimeFormat::current();
            if s.date_naive() == e.date_naive() {
                format!(
                    "{} {}-{}",
                    s.format("%Y-%m-%d %a"),
                    clock.time(&s),
                    clock.time(&e)
                )
            } else {
                format!(
                    "{} {} - {} {}",
                    s.format("%Y-%m-%d %a"),
                    clock.time(&s),
                    e.format("%Y-%m-%d"),
                    clock.time(&e)
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
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// [`write_text`] into a `String`.
pub fn to_text(occurrences: &[Occurrence], tz: Tz) -> String {
    to_string(|b| write_text(b, occurrences, tz))
}

/// One text-format column: what the parser's boundary would drop becomes a space, so a
/// value that did not come through it cannot break the line either.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if super::text::is_unsafe(c) { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// The selected occurrences as one iCalendar file (`agenda --format ics`), built with the
/// icalendar crate so any client (Thunderbird, GNOME Calendar) can import a window of
/// several calendars as one.
///
/// Each occurrence is its own VEVENT with the event's UID and, when it is an instance of
/// a series, its RECURRENCE-ID, so an importer keeps instances apart and a later import
/// of the same window replaces rather than duplicates them. Times are UTC (`...Z`): no
/// VTIMEZONE is needed and every client reads the same instants; all-day occurrences
/// stay dates (`VALUE=DATE`, the RECURRENCE-ID as the date in `tz`, the zone the agenda
/// was expanded in). Cancelled occurrences are kept with `STATUS:CANCELLED`.
pub fn write_ics(w: &mut impl Write, occurrences: &[Occurrence], tz: Tz) -> io::Result<()> {
    w.write_all(to_ics(occurrences, tz).as_bytes())
}

/// [`write_ics`] into a `String`.
pub fn to_ics(occurrences: &[Occurrence], tz: Tz) -> String {
    use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

    let mut cal = Calendar::empty();
    cal.append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//CalendarBot//agenda export//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"));
    let stamp = occurrences
        .iter()
        .map(|o| o.start)
        .min()
        .unwrap_or(DateTime::UNIX_EPOCH);
    for o in occurrences {
        let mut ev = Event::new();
        ev.uid(&o.uid).summary(&ics_text(&o.summary));
        // DTSTAMP is required; the export is a snapshot, and a fixed stamp keeps two
        // exports of the same window byte-identical.
        ev.timestamp(stamp);
        match (o.all_day, o.start_date, o.end_date) {
            (true, Some(s), Some(e)) => {
                ev.starts(s).ends(e);
                if let Some(rid) = o.recurrence_id {
                    ev.recurrence_id(rid.with_timezone(&tz).date_naive());
                }
            }
            _ => {
                ev.starts(o.start).ends(o.end);
                if let Some(rid) = o.recurrence_id {
                    ev.recurrence_id(rid);
                }
            }
        }
        if let Some(l) = &o.location {
            ev.location(&ics_text(l));
        }
        if let Some(d) = &o.description {
            ev.description(&ics_text(d));
        }
        if let Some(u) = &o.join_url {
            ev.url(u);
        }
        if o.cancelled {
            ev.status(EventStatus::Cancelled);
        } else if o.tentative {
            ev.status(EventStatus::Tentative);
        }
        if o.free {
            ev.add_property("TRANSP", "TRANSPARENT");
        }
        if !o.categories.is_empty() {
            // CATEGORIES is a list: the crate does not escape its items.
            let items: Vec<String> = o
                .categories
                .iter()
                .map(|c| {
                    ics_text(c)
                        .replace('\\', "\\\\")
                        .replace(',', "\\,")
                        .replace(';', "\\;")
                })
                .collect();
            ev.add_property("CATEGORIES", items.join(","));
        }
        cal.push(ev.done());
    }
    cal.done().to_string()
}

/// Feed text as the crate should see it: it escapes `\ , ; \n` itself; a bare CR would
/// end the content line early.
fn ics_text(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn occurrences(descriptions: &[usize]) -> Vec<Occurrence> {
        let start: DateTime<Utc> = "2026-01-05T09:00:00Z".parse().unwrap();
        descriptions
            .iter()
            .enumerate()
            .map(|(i, &len)| Occurrence {
                description: (len > 0).then(|| "d".repeat(len).into()),
                ..Occurrence::timed("cal", &format!("u{i}"), "Standup", start, start)
            })
            .collect()
    }

    #[test]
    fn pieces_are_bounded_by_rows_and_by_bytes_and_keep_the_order() {
        // Small rows: pieces of JSONL_PIECE rows.
        let small = occurrences(&[0; 5_000]);
        let lens: Vec<usize> = pieces(&small).iter().map(|p| p.len()).collect();
        assert_eq!(lens, [2_048, 2_048, 904]);
        // Rows with 64 KB descriptions: about PIECE_BYTES each, never a 130 MB piece;
        // a row larger than a piece is a piece of its own.
        let big = occurrences(&[64 << 10, 64 << 10, 0, 3 << 20, 64 << 10]);
        let cut = pieces(&big);
        assert!(cut.len() >= 2, "{}", cut.len());
        for p in &cut {
            let bytes: usize = p.iter().map(row_bytes).sum();
            assert!(
                p.len() == 1 || bytes <= PIECE_BYTES,
                "{} rows, {bytes} B",
                p.len()
            );
        }
        let uids: Vec<&str> = cut.iter().flat_map(|p| p.iter().map(|o| &*o.uid)).collect();
        assert_eq!(uids, ["u0", "u1", "u2", "u3", "u4"]);
    }

    #[test]
    fn jsonl_in_pieces_is_the_sequential_bytes() {
        let mut sizes = vec![0; 3_000];
        sizes.extend([300 << 10; 12]);
        let list = occurrences(&sizes);
        let mut sequential = Vec::new();
        for o in &list {
            serde_json::to_writer(&mut sequential, &row(o)).unwrap();
            sequential.push(b'\n');
        }
        assert!(pieces(&list).len() > 3);
        assert_eq!(to_jsonl(&list).into_bytes(), sequential);
    }
}
