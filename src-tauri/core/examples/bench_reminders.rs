//! Reminder timing benchmark: schedules many reminders over about 90 s of real time with a
//! recording notifier and a real SQLite file, then prints how late they were shown
//! (p50 / p99 / max), early fires and duplicates. Target (PRODUCT.md): never early,
//! p99 <= 1 s late.
//!
//! `cargo run --release -p calendarbot-core --example bench_reminders [COUNT] [SECONDS]`

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use calendarbot_core::clock::{Clock, SystemClock};
use calendarbot_core::db;
use calendarbot_core::model::Occurrence;
use calendarbot_core::monitor::Tasks;
use calendarbot_core::reminders::{RecordingNotifier, ReminderConfig, Scheduler};
use chrono::{Duration, Utc};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

fn occ(i: usize, start: chrono::DateTime<Utc>) -> Occurrence {
    Occurrence {
        source_id: Some(1),
        ..Occurrence::timed(
            "Bench",
            &format!("bench-{i}"),
            &format!("Meeting {i}"),
            start,
            start + Duration::minutes(30),
        )
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let seconds: i64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(90);
    let dir = tempfile::tempdir()?;
    let pool = db::open(&dir.path().join("bench.sqlite3")).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let t0 = clock.now() + Duration::seconds(3);
    let lead = 5;
    // Due instants spread evenly over `seconds`, at odd milliseconds; a few share an instant.
    let span_ms = seconds * 1000;
    let agenda: Vec<_> = (0..count)
        .map(|i| {
            let due = t0
                + Duration::milliseconds(
                    span_ms * i as i64 / count.max(1) as i64 + (i as i64 * 37) % 11,
                );
            occ(i, due + Duration::minutes(lead))
        })
        .collect();
    let dues: Vec<_> = agenda
        .iter()
        .map(|o| o.start - Duration::minutes(lead))
        .collect();
    let notifier = RecordingNotifier::new(clock.clone());
    let (_agenda_tx, agenda_rx) = watch::channel(Arc::new(agenda));
    let cfg = ReminderConfig {
        lead_minutes: lead,
        at_start: false,
        ..ReminderConfig::default()
    };
    let (_cfg_tx, cfg_rx) = watch::channel(cfg);
    let (_ev_tx, ev_rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let tasks = Tasks::new();
    let sched = Scheduler::new(
        pool.clone(),
        clock.clone(),
        Arc::new(notifier.clone()),
        ev_rx,
        agenda_rx,
        cfg_rx,
        cancel.clone(),
    );
    let started = Instant::now();
    let (handle, _shell) = sched.spawn(&tasks);
    println!("bench_reminders: {count} reminders over {seconds} s (real time), SQLite ledger, recording notifier");
    let deadline = StdDuration::from_secs(seconds as u64 + 30);
    while notifier.count() < count && started.elapsed() < deadline {
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    // A little longer, to catch duplicates.
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    let rounds = handle.status().borrow().rounds;
    cancel.cancel();
    tasks.tracker().close();
    tasks.tracker().wait().await;
    db::close(&pool).await;

    let shown = notifier.shown();
    let mut seen = HashSet::new();
    let mut dups = 0;
    let mut late_ms = Vec::new();
    let mut early = 0;
    for s in &shown {
        let i: usize = s
            .notification
            .title
            .trim_start_matches("Meeting ")
            .parse()?;
        if !seen.insert(i) {
            dups += 1;
            continue;
        }
        let late = (s.at - dues[i]).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0;
        if late < 0.0 {
            early += 1;
        }
        late_ms.push(late);
    }
    late_ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "shown: {} of {count}; duplicates: {dups}; early: {early}; loop rounds: {rounds}",
        seen.len()
    );
    println!(
        "lateness ms: p50 {:.2}  p99 {:.2}  max {:.2}",
        pct(&late_ms, 0.5),
        pct(&late_ms, 0.99),
        late_ms.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
