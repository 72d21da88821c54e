//! Case 31, GZIP-BOMB: about 1 MB of gzip that inflates to 1 GiB is aborted at the
//! decoded cap (10 MB), memory stays bounded, the breaker counts a failure and the
//! cache keeps its data. Alone in its file: it measures this process's memory.

#![allow(clippy::unwrap_used)]

mod fetch_common;

use std::io::Write;
use std::time::{Duration, Instant};

use calendarbot_core::cache;
use calendarbot_core::refresh::{self, OutcomeKind};
use fetch_common::*;

/// gzip of `gib` GiB of zeros, written in 1 MiB steps (never all in memory).
fn gzip_bomb(mib: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..mib {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case31_gzip_bomb_is_cut_at_the_decoded_cap() {
    let bomb = gzip_bomb(1024);
    assert!(bomb.len() < 1_200_000, "bomb is {} bytes", bomb.len());
    let (server, mode) = {
        let mode = std::sync::Arc::new(std::sync::Mutex::new(Reply::ok(feed("good", 3))));
        let m = mode.clone();
        (
            Server::start(move |_| m.lock().unwrap().clone()).await,
            mode,
        )
    };
    let cfg = calendarbot_core::fetch::FetchConfig {
        total_timeout: Duration::from_secs(30),
        ..quick_config()
    };
    let env = Env::new(cfg).await;
    let id = env.add(&server.url("/cal.ics")).await;
    refresh::sync(env.deps.clone()).await.unwrap();

    *mode.lock().unwrap() = Reply::Full {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "text/calendar".into()),
            ("Content-Encoding".into(), "gzip".into()),
        ],
        body: bomb,
    };
    let (rss_before, _) = rss();
    let started = Instant::now();
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    let took = started.elapsed();
    let (rss_after, hwm) = rss();
    match &out[0].kind {
        OutcomeKind::Failed { code, message } => {
            assert_eq!(code, "too_large");
            assert_eq!(message, "feed larger than 10 MB");
        }
        other => panic!("{other:?}"),
    }
    let growth = hwm.saturating_sub(rss_before);
    eprintln!(
        "gzip bomb: aborted in {took:?}; RSS before {} MB, after {} MB, peak growth {} MB",
        rss_before >> 20,
        rss_after >> 20,
        growth >> 20
    );
    // The cap is 10 MB of decoded data; allow the decoder's buffers on top, never 1 GiB.
    assert!(
        growth < 40 * 1024 * 1024,
        "peak RSS grew by {} MB",
        growth >> 20
    );
    assert!(took < Duration::from_secs(10));
    let st = cache::feed_state(&env.pool, id).await.unwrap();
    assert_eq!(st.breaker.consecutive_failures, 1);
    assert_eq!(cached_uids(&env.db_path(), id).await.len(), 3);
}
