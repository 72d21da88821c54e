//! The tray on Linux, drawn with GTK and libayatana-appindicator directly (the same
//! library Tauri's tray uses there).
//!
//! Why not Tauri's tray here: its menu items with an icon (muda's `IconMenuItem`) are a
//! plain GtkMenuItem holding a box with an image, and libdbusmenu-gtk, which exports the
//! menu to the panel, takes icons only from a GtkImageMenuItem: the calendar dots never
//! reached any panel (measured: no `icon-data` over dbusmenu). gtk-rs 0.18 has no binding
//! for the deprecated GtkImageMenuItem, so it is made through GtkBuilder (which finds the
//! type by name) and set up through its properties, all in safe code.
//!
//! Everything GTK is touched on the main thread only (`run_on_main_thread`); the
//! indicator lives in managed state behind a `ThreadGuard`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use gtk::gdk_pixbuf::{Colorspace, Pixbuf};
use gtk::glib::{self, thread_guard::ThreadGuard};
use gtk::prelude::*;
use libappindicator::{AppIndicator, AppIndicatorStatus};
use tauri::{AppHandle, Manager, Runtime};

use calendarbot_core::menu_model::{self, MenuItem, MenuModel};

use crate::tray_pixels::{self, DOT_SIZE, ICON_SIZE};

/// The plain tray icon.
const PLAIN_ICON: &[u8] = include_bytes!("../../icons/tray.png");
/// The indicator's id: its D-Bus object is /org/ayatana/NotificationItem/calendarbot.
const INDICATOR_ID: &str = "calendarbot";

/// What a click on a menu line calls, with the line's `MenuId` string.
pub type OnClick<R> = fn(&AppHandle<R>, &str);

/// The tray's GTK side, managed by Tauri.
#[derive(Default)]
pub struct GtkTray(Mutex<Option<ThreadGuard<Indicator>>>);

pub struct Indicator {
    indicator: AppIndicator,
    dir: PathBuf,
    icon_path: PathBuf,
    counter: u32,
    /// The badge the icon file shows.
    badge: Option<i64>,
    /// Dot images by colour (drawn once).
    dots: HashMap<String, Pixbuf>,
}

/// Shows `model` in the tray (creating the indicator the first time), on the main thread.
pub fn show<R: Runtime>(app: &AppHandle<R>, model: MenuModel, on_click: OnClick<R>) {
    let handle = app.clone();
    let queued = app.run_on_main_thread(move || {
        let Some(tray) = handle.try_state::<GtkTray>() else {
            return;
        };
        let mut slot = tray.0.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            match Indicator::new() {
                Ok(indicator) => *slot = Some(ThreadGuard::new(indicator)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot create the tray icon");
                    return;
                }
            }
        }
        if let Some(indicator) = slot.as_mut() {
            indicator.get_mut().apply(&handle, &model, on_click);
        }
    });
    if let Err(e) = queued {
        tracing::warn!(error = %e, "cannot update the tray on the main thread");
    }
}

/// Where the icon files go: the session's runtime directory (as tray-icon does).
fn icon_dir() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("calendarbot-tray")
}

fn pixbuf(rgba: Vec<u8>, side: u32) -> Pixbuf {
    let side = side as i32;
    Pixbuf::from_bytes(
        &glib::Bytes::from_owned(rgba),
        Colorspace::Rgb,
        true,
        8,
        side,
        side,
        side * 4,
    )
}

impl Indicator {
    fn new() -> Result<Self, String> {
        let dir = icon_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        remove_stale_icons(&dir);
        let icon_path = dir.join(format!("calendarbot-{}-0.png", std::process::id()));
        std::fs::write(&icon_path, PLAIN_ICON).map_err(|e| e.to_string())?;
        let mut indicator = AppIndicator::with_path(
            INDICATOR_ID,
            &icon_path.to_string_lossy(),
            &dir.to_string_lossy(),
        );
        indicator.set_icon_full(&icon_path.to_string_lossy(), "CalendarBot");
        indicator.set_status(AppIndicatorStatus::Active);
        Ok(Self {
            indicator,
            dir,
            icon_path,
            counter: 0,
            badge: None,
            dots: HashMap::new(),
        })
    }

    fn apply<R: Runtime>(&mut self, app: &AppHandle<R>, model: &MenuModel, on_click: OnClick<R>) {
        if self.badge != model.badge {
            match self.write_icon(model.badge) {
                Ok(()) => self.badge = model.badge,
                Err(e) => tracing::warn!(error = %e, "cannot write the tray icon"),
            }
        }
        // The label beside the icon (appindicator's label); the title is what hosts
        // without labels show as the tooltip.
        self.indicator.set_label(&model.title, "");
        self.indicator
            .set_title(&format!("CalendarBot: {}", model.title));
        let mut menu = gtk::Menu::new();
        for item in &model.items {
            let widget = match item {
                MenuItem::Action { id, label, enabled } => {
                    let w = gtk::MenuItem::with_mnemonic(&menu_model::menu_label(label));
                    w.set_sensitive(*enabled);
                    connect(&w, app, id.as_string(), on_click);
                    w
                }
                MenuItem::Event { id, label, color } => {
                    let dot = self
                        .dots
                        .entry(color.clone())
                        .or_insert_with(|| {
                            let rgb = menu_model::parse_hex(color).unwrap_or([0x80, 0x80, 0x80]);
                            pixbuf(tray_pixels::dot(rgb), DOT_SIZE)
                        })
                        .clone();
                    let w = image_menu_item(&menu_model::menu_label(label), &dot);
                    connect(&w, app, id.as_string(), on_click);
                    w
                }
                MenuItem::Info(label) => {
                    let w = gtk::MenuItem::with_mnemonic(&menu_model::menu_label(label));
                    w.set_sensitive(false);
                    w
                }
                MenuItem::Separator => gtk::SeparatorMenuItem::new().upcast(),
            };
            menu.append(&widget);
        }
        menu.show_all();
        self.indicator.set_menu(&mut menu);
    }

    /// Writes the icon for `badge` to a new file (hosts cache icons by name) and points
    /// the indicator at it; the previous file is removed.
    fn write_icon(&mut self, badge: Option<i64>) -> Result<(), String> {
        self.counter += 1;
        let path = self.dir.join(format!(
            "calendarbot-{}-{}.png",
            std::process::id(),
            self.counter
        ));
        match badge {
            Some(minutes) => pixbuf(tray_pixels::minutes_icon(minutes), ICON_SIZE)
                .savev(&path, "png", &[])
                .map_err(|e| e.to_string())?,
            None => std::fs::write(&path, PLAIN_ICON).map_err(|e| e.to_string())?,
        }
        self.indicator
            .set_icon_full(&path.to_string_lossy(), "CalendarBot");
        let old = std::mem::replace(&mut self.icon_path, path);
        let _ = std::fs::remove_file(old);
        Ok(())
    }
}

/// Removes the icon files of CalendarBot processes that are gone (the files of this
/// one are replaced as the icon changes; at exit they are left, as nothing runs then).
fn remove_stale_icons(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_string_lossy()
            .strip_prefix("calendarbot-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
            if pid != std::process::id() && !alive {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn connect<R: Runtime>(w: &gtk::MenuItem, app: &AppHandle<R>, id: String, on_click: OnClick<R>) {
    let app = app.clone();
    w.connect_activate(move |_| on_click(&app, &id));
}

/// A GtkImageMenuItem showing `image` (always, whatever the theme's menu-images
/// setting), with a mnemonic label like the other lines.
fn image_menu_item(label: &str, image: &Pixbuf) -> gtk::MenuItem {
    let builder = gtk::Builder::from_string(
        "<interface><object class=\"GtkImageMenuItem\" id=\"item\"/></interface>",
    );
    let item: gtk::MenuItem = match builder.object("item") {
        Some(item) => item,
        // GTK without the deprecated class: a line without its dot.
        None => return gtk::MenuItem::with_mnemonic(label),
    };
    item.set_label(label);
    item.set_use_underline(true);
    let picture = gtk::Image::from_pixbuf(Some(image));
    item.set_property("image", &picture);
    item.set_property("always-show-image", true);
    item
}
