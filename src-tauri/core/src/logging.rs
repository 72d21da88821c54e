//! One tracing pipeline: an `EnvFilter` (`RUST_LOG`, default info), stderr, and a daily
//! rolling file in the log directory. The returned guard flushes the file writer; the
//! app keeps it until shutdown.

use std::path::Path;

/// What the app keeps until shutdown so the file writer is flushed.
pub use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Logging for the tray app: stderr and `<log_dir>/calendarbot.log.<date>`.
pub fn init_app(log_dir: &Path) -> WorkerGuard {
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("calendarbot")
        .filename_suffix("log")
        .max_log_files(7)
        .build(log_dir)
        .unwrap_or_else(|_| tracing_appender::rolling::never(log_dir, "calendarbot.log"));
    let (file_writer, guard) = tracing_appender::non_blocking(appender);
    let _ = tracing_subscriber::registry()
        .with(filter("info"))
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(fmt::layer().with_ansi(false).with_writer(file_writer))
        .try_init();
    guard
}

/// Logging for CLI commands: warnings and errors on stderr only, so stdout stays
/// machine-readable.
pub fn init_cli() {
    let _ = tracing_subscriber::registry()
        .with(filter("warn"))
        .with(fmt::layer().with_writer(std::io::stderr))
        .try_init();
}

fn filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
}
