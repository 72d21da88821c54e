//! Peak memory and CPU of the three hostile feeds of issue 15, each parsed and expanded
//! as a whole agenda over 10 years and written as `jsonl`, as `calendarbot agenda` does:
//! - `minutely`: 10,000 `FREQ=MINUTELY` events (about 1.2 MB);
//! - `summaries`: 9 minutely events with 1 MB summaries and 1 MB descriptions;
//! - `dense`: 1,000 dense rules (sub-minute BYSECOND rules and yearly rules with 8,784
//!   candidates a year from 1900).
//!
//! `cargo run --release -p calendarbot-core --example bench_hostile` runs each case in a
//! child process (peak RSS, `VmHWM`, only grows) and prints, per case: feed size,
//! occurrences listed, whether the budget cut (`truncated`), peak RSS above the process's
//! idle RSS, and CPU seconds. The bound to meet: 150 MB and 5 s.

use std::process::Command;
use std::time::Instant;

use calendarbot_core::agenda::{self, SourceCalendar};
use calendarbot_core::ics;
use calendarbot_core::model::Window;
use calendarbot_core::settings::Settings;

fn feed(case: &str) -> Vec<u8> {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n");
    let mut push = |uid: String, lines: String| {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{lines}END:VEVENT\r\n"
        ));
    };
    match case {
        "minutely" => {
            for i in 0..10_000 {
                push(
                    format!("m{i}"),
                    "DTSTART:20200101T000000Z\r\nRRULE:FREQ=MINUTELY\r\nSUMMARY:spam\r\n".into(),
                );
            }
        }
        "summaries" => {
            let big = "A".repeat(1 << 20);
            for i in 0..9 {
                push(
                    format!("s{i}"),
                    format!(
                        "DTSTART:20200101T000000Z\r\nRRULE:FREQ=MINUTELY\r\nSUMMARY:{big}\r\n\
                         DESCRIPTION:{big}\r\n"
                    ),
                );
            }
        }
        "dense" => {
            let days: Vec<String> = (1..=28).map(|d| d.to_string()).collect();
            let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
            for i in 0..1_000 {
                let rule = if i % 2 == 0 {
                    "FREQ=MINUTELY;BYSECOND=0,10,20,30,40,50".to_string()
                } else {
                    format!(
                        "FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYMONTHDAY={};BYHOUR={}",
                        days.join(","),
                        hours.join(",")
                    )
                };
                push(
                    format!("d{i}"),
                    format!("DTSTART:19000101T000000Z\r\nRRULE:{rule}\r\nSUMMARY:dense\r\n"),
                );
            }
        }
        other => panic!("unknown case {other}"),
    }
    s.push_str("END:VCALENDAR\r\n");
    s.into_bytes()
}

/// A writer that only counts.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// (VmRSS, VmHWM) in kB.
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// User + system CPU seconds of this process.
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the ")".
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 / 100.0
}

fn run_case(case: &str) {
    let body = feed(case);
    let (idle, _) = rss();
    let cpu0 = cpu();
    let wall = Instant::now();
    let calendar = match ics::parse_feed(&body) {
        Ok(c) => c,
        Err(e) => panic!("{case}: {e}"),
    };
    let sources = vec![SourceCalendar {
        source_id: Some(1),
        name: case.into(),
        calendar,
    }];
    let window = Window {
        from: "2026-01-01T00:00:00Z".parse().unwrap_or_default(),
        to: "2036-01-01T00:00:00Z".parse().unwrap_or_default(),
    };
    let agenda =
        agenda::expand_all_report(&sources, window, chrono_tz::Tz::UTC, &Settings::default());
    // Written as `calendarbot agenda` writes it: through one buffered writer, here to a
    // counter instead of a pipe (holding 70 MB of output would be the bench's memory).
    let mut out = std::io::BufWriter::new(Counter(0));
    if let Err(e) = ics::output::write_jsonl(&mut out, &agenda.occurrences) {
        panic!("{case}: {e}");
    }
    let written = out.into_inner().map_or(0, |c| c.0);
    let (_, peak) = rss();
    println!(
        "{case:>9}: feed {:>6.2} MB, {:>7} occurrences, truncated {:5} ({} events), \
         jsonl {:>6.1} MB, peak RSS above idle {:>6.1} MB, CPU {:.2} s, wall {:.2} s",
        body.len() as f64 / 1e6,
        agenda.occurrences.len(),
        agenda.truncated,
        agenda
            .cuts
            .iter()
            .map(|c| c.truncation.events)
            .sum::<usize>(),
        written as f64 / 1e6,
        peak.saturating_sub(idle) as f64 / 1024.0,
        cpu() - cpu0,
        wall.elapsed().as_secs_f64(),
    );
}

fn main() {
    if let Some(case) = std::env::args().nth(1) {
        run_case(&case);
        return;
    }
    let me = std::env::current_exe().unwrap_or_default();
    for case in ["minutely", "summaries", "dense"] {
        let status = Command::new(&me).arg(case).status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("{case}: child failed");
        }
    }
}
