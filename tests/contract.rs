//! The typed contract between Rust and the window (`commands::contract`): the committed
//! `ui/bindings.d.ts` is what the Rust types generate, the UI type-checks against it,
//! and the checker refuses a word Rust never sends.
//!
//! `UPDATE_BINDINGS=1 cargo test --test contract` rewrites the declarations. The type
//! checker is the pinned TypeScript in `node_modules` (`scripts/ensure-deps.sh test`).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use calendarbot_lib::commands::contract::{self, BINDINGS_PATH};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_bindings_are_what_the_rust_types_generate() {
    let path = root().join(BINDINGS_PATH);
    let generated = contract::typescript();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{BINDINGS_PATH} is stale: run `UPDATE_BINDINGS=1 cargo test --test contract` and commit it"
    );
}

#[test]
fn every_command_has_a_typed_signature() {
    let ts = contract::typescript();
    for word in [
        "get_overview: { args: {  }; result: Overview }",
        "get_agenda: { args: { from: string; days: number }; result: Array<OccurrenceView> }",
        "test_source: { args: { input: SourceInput }; result: ConnectionTest }",
        "export type SourceStatus = \"ok\" | \"warning\" | \"error\" | \"pending\" | \"disabled\";",
        "export type CircuitState = \"closed\" | \"open\" | \"half_open\";",
        "export type EventName = AppEvent;",
    ] {
        assert!(ts.contains(word), "{word} missing from:\n{ts}");
    }
}

/// Runs the pinned tsc on the project at `dir` (a tsconfig.json and ui/).
fn tsc(dir: &Path) -> (bool, String) {
    let bin = root().join("node_modules/.bin/tsc");
    assert!(
        bin.exists(),
        "{} is missing: run scripts/ensure-deps.sh test",
        bin.display()
    );
    let out = Command::new(bin)
        .args(["--noEmit", "--checkJs", "--pretty", "false", "-p"])
        .arg(dir.join("tsconfig.json"))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A copy of tsconfig.json and ui/ to change without touching the tree.
fn copy_of_the_ui() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("tsconfig.json"),
        dir.path().join("tsconfig.json"),
    )
    .unwrap();
    let status = Command::new("cp")
        .arg("-r")
        .arg(root().join("ui"))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

#[test]
fn the_ui_type_checks_against_the_bindings() {
    let (ok, out) = tsc(&root());
    assert!(ok, "tsc found errors in ui/:\n{out}");
}

/// The mismatches the checker exists for: a status word, a breaker state and a field
/// that Rust never sends each fail the check, and say where.
#[test]
fn the_checker_refuses_what_rust_never_sends() {
    let cases = [
        (
            "status.js",
            "/** @param {import('../bindings').HealthView} h */\nexport const fresh = (h) => h.status === 'never';\n",
            "TS2367",
        ),
        (
            "circuit.js",
            "/** @param {import('../bindings').HealthView} h */\nexport const probing = (h) => h.circuit === 'halfopen';\n",
            "TS2367",
        ),
        (
            "words.js",
            "/** @type {Record<import('../bindings').SourceStatus, string>} */\nexport const WORDS = { ok: '', warning: '', error: '', pending: '', disabled: '', stale: '' };\n",
            "TS2353",
        ),
        (
            "field.js",
            "import { invoke } from '../lib.js';\nexport const tables = async () => (await invoke('get_diagnostics')).breakers;\n",
            "TS2339",
        ),
    ];
    for (file, source, code) in cases {
        let dir = copy_of_the_ui();
        std::fs::write(dir.path().join("ui/pages").join(file), source).unwrap();
        let (ok, out) = tsc(dir.path());
        assert!(!ok, "{file} passed the checker");
        assert!(
            out.contains(&format!("ui/pages/{file}")) && out.contains(code),
            "{file}: expected {code}, got:\n{out}"
        );
    }
}

/// A command no window can call is a feature that does not exist: each command of the
/// table must be in the build script's manifest and allowed in a capability. The reminder
/// window's capability allows its own commands only (it shows feed text on top of
/// everything: least privilege).
#[test]
fn every_command_is_allowed_for_the_window() {
    let mut types = contract::Declarations::default();
    let read = |name: &str| {
        std::fs::read_to_string(root().join("src-tauri/capabilities").join(name)).unwrap()
    };
    let (main, alert) = (read("main.json"), read("alert.json"));
    let build = std::fs::read_to_string(root().join("src-tauri/build.rs")).unwrap();
    let alert_only = ["get_alert", "alert_action"];
    for c in calendarbot_lib::commands::signatures(&mut types) {
        let permission = format!("\"allow-{}\"", c.name.replace('_', "-"));
        let (home, other) = if alert_only.contains(&c.name) {
            (&alert, &main)
        } else {
            (&main, &alert)
        };
        assert!(home.contains(&permission), "{permission} missing");
        assert!(
            !other.contains(&permission) || c.name == "close_window",
            "{permission} is granted to a window that does not need it"
        );
        assert!(
            build.contains(&format!("\"{}\"", c.name)),
            "{} missing from build.rs",
            c.name
        );
    }
}
