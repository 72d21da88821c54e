//! Crash safety: a child process syncs two large local feeds into a database in a loop,
//! and is killed with SIGKILL at random moments, many times. After each kill the
//! database passes `PRAGMA integrity_check` and each source holds one generation of its
//! feed entirely (or nothing yet), never a mix or a part.
//!
//! The child is this test binary re-run with `--ignored --exact crash_child` and
//! `CALENDARBOT_CRASH_DIR` set. It says "synced" on stdout after each round; the parent
//! kills it at a random moment of the round after one it has seen finish, so every kill
//! lands in the middle of real work whatever the machine's load (a fixed delay from the
//! spawn killed it before its first commit on a loaded machine).

#![allow(clippy::unwrap_used)]

mod fetch_common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use calendarbot_core::refresh;
use calendarbot_core::sources::{self, NewSource};
use fetch_common::*;

const EVENTS: usize = 3000;
const DIR_VAR: &str = "CALENDARBOT_CRASH_DIR";
/// The child's line after each sync round.
const SYNCED: &str = "crash-child: synced";

fn feed_file(dir: &Path, n: usize) -> std::path::PathBuf {
    dir.join(format!("feed{n}.ics"))
}

#[test]
#[ignore = "child process of crash_safety_under_kill_9"]
fn crash_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let pool = calendarbot_core::db::open(&dir.join("cache.sqlite3"))
            .await
            .unwrap();
        let secrets = Arc::new(calendarbot_core::secrets::SecretStore::open(
            &dir.join("secrets.json"),
            calendarbot_core::secrets::Preference::FileOnly,
        ));
        if sources::list(&pool).await.unwrap().is_empty() {
            for n in 0..2 {
                let loc = feed_file(&dir, n).display().to_string();
                sources::add(
                    &pool,
                    &secrets,
                    NewSource {
                        location: loc,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            }
        }
        let deps = refresh::Deps {
            pool: pool.clone(),
            fetcher: Arc::new(calendarbot_core::fetch::Fetcher::new(quick_config()).unwrap()),
            secrets,
            clock: Arc::new(calendarbot_core::clock::SystemClock),
            parser: fake_parser(),
            options: Default::default(),
        };
        let mut generation: u64 = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as u64;
        loop {
            generation += 1;
            for n in 0..2 {
                // Written in place, not atomically: a kill mid-write leaves a truncated
                // feed, which must be refused without touching the cache.
                let path = feed_file(&dir, n);
                std::fs::write(&path, feed(&format!("g{generation}"), EVENTS)).unwrap();
                let bump = std::time::SystemTime::now() + Duration::from_secs(generation % 1000);
                let _ = std::fs::File::options()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_modified(bump));
            }
            let _ = refresh::sync(deps.clone()).await;
            println!("{SYNCED}");
        }
    });
}

#[tokio::test]
async fn crash_safety_under_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let rounds = 25;
    let mut committed = BTreeSet::new();
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "crash_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(DIR_VAR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for a finished round (the signal), then kill at a random point of the next
        // one: the delay is the fault's timing, not a synchronisation.
        let stdout = child.stdout.take().unwrap();
        let seen = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .any(|l| l.contains(SYNCED))
        });
        assert!(
            seen.await.unwrap(),
            "round {round}: the child ended before a sync"
        );
        let wait_ms: u64 = rand::random_range(0..400);
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let pool = calendarbot_core::db::open(&dir.path().join("cache.sqlite3"))
            .await
            .unwrap();
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(check, "ok", "round {round}");
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM sources")
            .fetch_all(&pool)
            .await
            .unwrap();
        for id in ids {
            let uids: Vec<String> =
                sqlx::query_scalar("SELECT uid FROM events WHERE source_id = ?")
                    .bind(id)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            let gens: BTreeSet<String> = uids
                .iter()
                .filter_map(|u| u.split('-').next())
                .map(str::to_string)
                .collect();
            assert!(
                uids.is_empty() || (uids.len() == EVENTS && gens.len() == 1),
                "round {round}: source {id} has {} events of {} generations",
                uids.len(),
                gens.len()
            );
            let count: i64 =
                sqlx::query_scalar("SELECT event_count FROM feeds WHERE source_id = ?")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            assert_eq!(count as usize, uids.len(), "feeds row and events disagree");
            if let Some(g) = gens.into_iter().next() {
                committed.insert(g);
            }
        }
        pool.close().await;
    }
    eprintln!(
        "{rounds} kills, {} distinct committed generations seen",
        committed.len()
    );
    assert!(
        committed.len() >= 3,
        "the child hardly ever committed: the test proved little"
    );
}
