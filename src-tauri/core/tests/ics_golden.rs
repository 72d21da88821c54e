//! Golden corpus: every `tests/fixtures/ics/NAME.ics` is parsed and expanded, and the
//! `jsonl` agenda output is compared with `NAME.jsonl` (or `error: ...` for rejected feeds,
//! followed by `warning: ...` lines for parse warnings).
//!
//! Options come from an optional `NAME.opts` (`key=value` lines: `from`, `to` as RFC 3339,
//! `tz` as IANA name, `me` comma-separated addresses, `canceled_prefix` true/false);
//! defaults: 2026-01-01T00:00:00Z to 2027-01-01T00:00:00Z, UTC, no "me", prefix on.
//! `UPDATE_GOLDEN=1 cargo test -p calendarbot-core --test ics_golden` rewrites the goldens;
//! every rewritten golden must be checked by hand before it is committed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use calendarbot_core::ics::{self, output, ExpandOptions};
use calendarbot_core::model::Window;
use chrono::{DateTime, Utc};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ics")
}

fn opts_for(path: &Path) -> ExpandOptions {
    let mut from: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let mut to: DateTime<Utc> = "2027-01-01T00:00:00Z".parse().unwrap();
    let mut tz = chrono_tz::Tz::UTC;
    let mut me = Vec::new();
    let mut canceled_prefix = true;
    if let Ok(text) = std::fs::read_to_string(path.with_extension("opts")) {
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim();
            match k.trim() {
                "from" => from = v.parse().unwrap(),
                "to" => to = v.parse().unwrap(),
                "tz" => tz = v.parse().unwrap(),
                "me" => me = v.split(',').map(|s| s.trim().to_lowercase()).collect(),
                "canceled_prefix" => canceled_prefix = v == "true",
                other => panic!("unknown option {other} in {}", path.display()),
            }
        }
    }
    ExpandOptions {
        window: Window { from, to },
        tz,
        source: "fixture".into(),
        source_id: None,
        me_emails: me,
        canceled_prefix,
    }
}

/// The golden text of one fixture.
pub fn render(path: &Path) -> String {
    let body = std::fs::read(path).unwrap();
    match ics::parse_feed(&body) {
        Err(e) => format!("error: {e}\n"),
        Ok(cal) => {
            // The cache stores records as JSON: expand what a round trip gives back.
            let json = serde_json::to_string(&cal).unwrap();
            let cal: ics::Calendar = serde_json::from_str(&json).unwrap();
            let occ = ics::expand(&cal, &opts_for(path));
            let mut s = output::to_jsonl(&occ);
            for w in &cal.meta.warnings {
                s.push_str(&format!("warning: {w}\n"));
            }
            s
        }
    }
}

#[test]
fn golden_corpus() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ics"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "fixture corpus missing");
    let mut failures = Vec::new();
    for path in &paths {
        let got = render(path);
        let golden = path.with_extension("jsonl");
        if update {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "--- {}\nwant:\n{want}\ngot:\n{got}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatch(es):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
