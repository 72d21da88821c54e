//! `calendarbot` with no subcommand: becomes the tray app, `calendarbot-app` from the
//! same directory, with `--data-dir DIR` (as resolved from the argument or
//! `CALENDARBOT_DATA_DIR`, so `ps` shows which one runs) and `--show` as given. On Unix it
//! is the same process (exec): the pid a script or a desktop session started is the
//! app's, and signals reach it.

use std::path::Path;
use std::process::{Command, ExitCode};

use calendarbot_core::paths::{sibling_binary, APP_BINARY};

use super::out::escape;
use super::say;

pub fn app(data_dir: Option<&Path>, show: bool) -> ExitCode {
    let app = match sibling_binary(APP_BINARY) {
        Ok(app) => app,
        Err(e) => {
            say(&format!("cannot find the tray app: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let mut command = Command::new(&app);
    if let Some(dir) = data_dir {
        command.arg("--data-dir").arg(dir);
    }
    if show {
        command.arg("--show");
    }
    let failed = |e: std::io::Error| {
        let shown = escape(&app.display().to_string());
        say(&format!("cannot start the tray app {shown}: {e}"));
        ExitCode::FAILURE
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // exec returns only when it failed.
        failed(command.exec())
    }
    #[cfg(not(unix))]
    match command.status() {
        Ok(status) => ExitCode::from(status.code().map_or(1, |c| c.clamp(0, 255) as u8)),
        Err(e) => failed(e),
    }
}
