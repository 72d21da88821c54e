//! Starting the tray app: display and session bus, single instance, runtime, logging,
//! backend, tray, signals.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use tauri::{Manager, RunEvent};

use calendarbot_core::backend::Backend;
use calendarbot_core::clock::SystemClock;
use calendarbot_core::logging;
use calendarbot_core::paths::Paths;

use crate::lifecycle::{self, ExitDecision};
use crate::state::AppState;
use crate::{commands, instance, notifications, shortcut, tray, window};

/// Runs the tray app until Quit or a signal. Exit codes: 0 after a graceful
/// shutdown or when another instance was asked to show its window, 2 without a display or
/// a session bus, 1 on failure.
pub fn run(data_dir: Option<&Path>, show: bool) -> ExitCode {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!(
            "calendarbot: no display (DISPLAY and WAYLAND_DISPLAY are unset), so the tray app cannot start.\n\
             Use the command line instead, e.g. `calendarbot agenda`, `calendarbot next` or `calendarbot --help`."
        );
        return ExitCode::from(2);
    }
    // Before the lock: a copy that cannot run the tray, notifications or the forwarding
    // of a second launch must not hold it (a later normal launch would then do nothing).
    let bus = match instance::session_bus() {
        Ok(bus) => bus,
        Err(e) => {
            eprintln!(
                "calendarbot: no D-Bus session bus ({e}), so the tray app cannot start (its tray icon, notifications and single-instance check need one).\n\
                 Use the command line instead, e.g. `calendarbot agenda`, `calendarbot next` or `calendarbot --help`."
            );
            return ExitCode::from(2);
        }
    };
    let paths = match Paths::resolve(data_dir).and_then(|p| p.create().map(|()| p)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("calendarbot: cannot prepare the data directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bus_name = instance::bus_name(&paths.data_dir);
    let lock = match instance::claim(&paths.lock_file(), &bus, &bus_name) {
        Ok(instance::Launch::Primary(lock)) => lock,
        Ok(instance::Launch::Forwarded { pid }) => {
            let pid = pid.map_or_else(String::new, |p| format!(" (pid {p})"));
            eprintln!("calendarbot: already running{pid}; asked it to show its window");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("calendarbot: {e}");
            return ExitCode::FAILURE;
        }
    };
    let log_guard = logging::init_app(&paths.log_dir);

    // The runtime lives for the whole process; Tauri spawns on it instead of making its own.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Blocking work (parsing, notifications, opening links) is bounded.
        .max_blocking_threads(8)
        .thread_name("calendarbot-rt")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("calendarbot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    tauri::async_runtime::set(runtime.handle().clone());
    let runtime_handle = runtime.handle().clone();

    // The dialog plugin serves the Sources page's "Choose file…", opened from Rust only
    // (commands::sources::choose_source_file); the page gets no dialog permission.
    let builder = tauri::Builder::default().plugin(tauri_plugin_dialog::init());
    let app = commands::register(builder)
        .setup(move |app| {
            // Setup runs on the GTK thread: enter the runtime so tasks spawned here
            // (through the tracker) land on it.
            let _runtime = runtime_handle.enter();
            // First, so a second launch that waits for the name is answered early.
            let handle = app.handle().clone();
            if let Err(e) = instance::serve(&bus, &bus_name, move || window::open(&handle)) {
                tracing::warn!(error = %e, "cannot serve --show on the session bus");
            }
            app.manage(instance::BusClaim(bus));
            let started = std::time::Instant::now();
            let backend = tauri::async_runtime::block_on(Backend::open(
                paths.clone(),
                Arc::new(SystemClock),
            ))?;
            app.manage(AppState::new(backend.clone(), Some(log_guard), lock));
            tray::create(app.handle())?;
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "tray populated from the cache"
            );
            tray::spawn_updater(app.handle());
            lifecycle::watch_signals(app.handle());
            backend.start();
            notifications::start(app.handle());
            shortcut::watch(app.handle());
            if show {
                window::open(app.handle());
            }
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("calendarbot: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|app, event| match event {
        RunEvent::ExitRequested { code, api, .. } => {
            let state = app.state::<AppState>();
            let exiting = state.exiting.load(std::sync::atomic::Ordering::SeqCst);
            let drained = state.drained.load(std::sync::atomic::Ordering::SeqCst);
            match lifecycle::decide_exit(code, exiting, drained) {
                ExitDecision::Allow => {}
                ExitDecision::KeepRunning => api.prevent_exit(),
                ExitDecision::ShutdownThenExit => {
                    api.prevent_exit();
                    lifecycle::shutdown(app);
                }
            }
        }
        RunEvent::Exit => lifecycle::on_exit(app),
        _ => {}
    });
    ExitCode::SUCCESS
}
