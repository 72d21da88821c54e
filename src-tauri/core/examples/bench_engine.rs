//! Engine benchmark: parse throughput and expansion throughput against PRODUCT.md targets.
//!
//! `python3 shared/tools/gen_ics.py 10500 /tmp/feed.ics`
//! `cargo run --release -p calendarbot-core --example bench_engine -- /tmp/feed.ics`
//! (`-- FILE --parse-only`: the parse line alone, for scripts/bench.sh)
//!
//! Prints: parse MB/s (target: at least 40), expansion occurrences/s over a year (target:
//! at least 500k), a pathological feed's time (target: at most 500 ms a feed), and, for
//! comparison, the icalendar crate's own parser on the same bytes (why the engine parses
//! lines itself).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use calendarbot_core::ics::{self, ExpandOptions};
use calendarbot_core::model::Window;
use chrono::{DateTime, Utc};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("runs > 0"))
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: bench_engine FILE.ics [FROM_RFC3339 | --parse-only]");
        std::process::exit(2);
    });
    let body = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(2);
    });
    let mb = body.len() as f64 / 1e6;

    let (t_parse, cal) = best_of(5, || ics::parse_feed(&body).expect("feed parses"));
    let parse_mbs = mb / t_parse.as_secs_f64();
    println!(
        "parse: {:.2} MB, {} events, {} warnings, best {:.1} ms = {:.1} MB/s (target >= 40) {}",
        mb,
        cal.events.len(),
        cal.meta.warnings.len(),
        t_parse.as_secs_f64() * 1e3,
        parse_mbs,
        if parse_mbs >= 40.0 {
            "OK"
        } else {
            "BELOW TARGET"
        }
    );

    if std::env::args().nth(2).as_deref() == Some("--parse-only") {
        // scripts/bench.sh prints this line next to the agenda comparison.
        return;
    }

    // The year the feed's events start in (gen_ics.py writes 2025-2027).
    let from: DateTime<Utc> = std::env::args()
        .nth(2)
        .map(|s| s.parse().expect("FROM is RFC 3339"))
        .unwrap_or_else(|| "2026-01-01T00:00:00Z".parse().expect("literal"));
    let opts = ExpandOptions {
        window: Window {
            from,
            to: from + chrono::Duration::days(365),
        },
        tz: chrono_tz::Tz::Europe__Berlin,
        source: "bench".into(),
        source_id: Some(1),
        me_emails: vec!["me@example.com".into()],
        canceled_prefix: true,
    };
    if std::env::var_os("BENCH_EXPAND_ONLY").is_some() {
        // For profiling expansion alone (perf record ...).
        let (t, occ) = best_of(20, || ics::expand(&cal, &opts));
        println!(
            "expand only: {} occurrences, best {:.1} ms",
            occ.len(),
            t.as_secs_f64() * 1e3
        );
        return;
    }
    let (t_exp, occ) = best_of(10, || ics::expand(&cal, &opts));
    let rate = occ.len() as f64 / t_exp.as_secs_f64();
    println!(
        "expand: {} occurrences over a year in {:.1} ms = {:.0} occ/s (target >= 500k) {}",
        occ.len(),
        t_exp.as_secs_f64() * 1e3,
        rate,
        if rate >= 500_000.0 {
            "OK"
        } else {
            "BELOW TARGET"
        }
    );
    let (t_out, out) = best_of(3, || ics::output::to_jsonl(&occ));
    println!(
        "jsonl: {:.1} MB in {:.1} ms",
        out.len() as f64 / 1e6,
        t_out.as_secs_f64() * 1e3
    );

    // Pathological rules (RELIABILITY 26-29) in one feed.
    let mut bad = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    let rules = [
        ("20260301T000000Z", "FREQ=SECONDLY"),
        ("20000101T000000Z", "FREQ=MINUTELY"),
        ("20000101T090000Z", "FREQ=DAILY;COUNT=1000000000"),
        (
            "20000101T000000Z",
            "FREQ=MINUTELY;COUNT=1000000000;BYHOUR=9",
        ),
        ("20000101T000000Z", "FREQ=SECONDLY;BYMINUTE=5"),
    ];
    for (i, (start, rule)) in rules.iter().enumerate() {
        bad.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:p{i}\r\nDTSTART:{start}\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"
        ));
    }
    bad.push_str("END:VCALENDAR\r\n");
    let bad_cal = ics::parse_feed(bad.as_bytes()).expect("pathological feed parses");
    let week = ExpandOptions {
        window: Window {
            from: "2026-03-02T00:00:00Z".parse().expect("literal"),
            to: "2026-03-09T00:00:00Z".parse().expect("literal"),
        },
        ..opts.clone()
    };
    let t = Instant::now();
    let n = ics::expand(&bad_cal, &week).len();
    println!(
        "pathological: {} rules, {} occurrences in {:.1} ms (target <= 10 ms a rule, 500 ms a feed)",
        rules.len(),
        n,
        t.elapsed().as_secs_f64() * 1e3
    );

    // For comparison: the icalendar crate's parser on the same text (unfold + read).
    if let Ok(text) = std::str::from_utf8(&body) {
        let handle = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn({
                let text = text.to_string();
                move || {
                    best_of(3, || {
                        let unfolded = icalendar::parser::unfold(&text);
                        icalendar::parser::read_calendar(&unfolded)
                            .map(|c| c.components.len())
                            .unwrap_or(0)
                    })
                }
            })
            .expect("spawn");
        let (t_ical, n) = handle.join().expect("icalendar parser thread");
        println!(
            "icalendar 0.17 parser (comparison only): {} components, {:.1} ms = {:.1} MB/s",
            n,
            t_ical.as_secs_f64() * 1e3,
            mb / t_ical.as_secs_f64()
        );
    }
}
