//! `secrets.json` under parallel writers in separate processes: eight processes each
//! add two sources and remove one at once; every one succeeds, every remaining source
//! resolves, and no removed source leaves its credentials (or a temporary file) behind.
//!
//! The children are this test binary re-run with `--ignored --exact child` and the
//! directory and their number in their own environment (nothing process-wide is set).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use calendarbot_core::db::{self, Access};
use calendarbot_core::paths::Paths;
use calendarbot_core::secrets::{Preference, SecretStore};
use calendarbot_core::sources::{self, NewSource};

const DIR_VAR: &str = "CALENDARBOT_SECRETS_TEST_DIR";
const N_VAR: &str = "CALENDARBOT_SECRETS_TEST_N";
const PROCESSES: usize = 8;

#[test]
#[ignore = "child process of eight_processes_add_and_remove_sources_at_once"]
fn child() {
    let (Some(dir), Some(n)) = (std::env::var_os(DIR_VAR), std::env::var_os(N_VAR)) else {
        return;
    };
    let n = n.to_string_lossy().into_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let paths = Paths::under(dir);
        let pool = db::open_store(&paths, Access::Write).await.unwrap();
        let secrets = SecretStore::open(&paths.secrets_file(), Preference::FileOnly);
        let add = |name: String| {
            let (pool, secrets) = (&pool, &secrets);
            async move {
                sources::add(
                    pool,
                    secrets,
                    NewSource {
                        location: format!("https://{name}.example/private-TOKEN/x.ics"),
                        name: Some(name),
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
            }
        };
        add(format!("keep{n}")).await;
        let gone = add(format!("drop{n}")).await;
        sources::remove(&pool, &secrets, gone.id).await.unwrap();
        db::close(&pool).await;
    });
}

#[tokio::test]
async fn eight_processes_add_and_remove_sources_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|n| {
            Command::new(&exe)
                .args(["--ignored", "--exact", "child", "--test-threads", "1"])
                .env(DIR_VAR, dir.path())
                .env(N_VAR, n.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let paths = Paths::under(dir.path());
    let pool = db::open_store(&paths, Access::Write).await.unwrap();
    let secrets = SecretStore::open(&paths.secrets_file(), Preference::FileOnly);
    let list = sources::list(&pool).await.unwrap();
    let names: BTreeSet<String> = list.iter().map(|s| s.name.clone()).collect();
    let expected: BTreeSet<String> = (0..PROCESSES).map(|n| format!("keep{n}")).collect();
    assert_eq!(names, expected);
    for s in list {
        sources::resolve(&pool, &secrets, s).await.unwrap();
    }
    let keys: BTreeSet<String> = secrets.file_keys().unwrap().into_iter().collect();
    let named: BTreeSet<String> = sqlx::query_scalar::<_, String>("SELECT secret_key FROM sources")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(keys, named, "orphan or missing credentials");
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    db::close(&pool).await;
}
