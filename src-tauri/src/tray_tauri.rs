//! The tray through Tauri's own tray API (tray-icon + muda), for the platforms where
//! its menu icons reach the user (on Linux they do not reach dbusmenu: see `tray_gtk`).
//! Compiled everywhere so it stays checked; used where Linux is not.
#![cfg_attr(target_os = "linux", allow(dead_code))]

use std::collections::HashMap;
use std::sync::Mutex;

use tauri::image::Image;
use tauri::menu::{IconMenuItem, Menu, MenuItem as TauriMenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use calendarbot_core::menu_model::{self, MenuItem, MenuModel};

use crate::tray_pixels::{self, DOT_SIZE, ICON_SIZE};

pub const TRAY_ID: &str = "calendarbot";

/// The plain tray icon.
const PLAIN_ICON: &[u8] = include_bytes!("../../icons/tray.png");

/// The dot images of the menu's event lines, by colour: a menu is rebuilt each minute
/// near a meeting, the dots need drawing once.
#[derive(Default)]
struct DotCache(Mutex<HashMap<String, Image<'static>>>);

impl DotCache {
    fn get(&self, color: &str) -> Image<'static> {
        let mut dots = self.0.lock().unwrap_or_else(|e| e.into_inner());
        dots.entry(color.to_string())
            .or_insert_with(|| {
                let rgb = menu_model::parse_hex(color).unwrap_or([0x80, 0x80, 0x80]);
                Image::new_owned(tray_pixels::dot(rgb), DOT_SIZE, DOT_SIZE)
            })
            .clone()
    }
}

/// The tray icon for a model: the minutes in the last hour, else the plain icon.
fn icon_for(badge: Option<i64>) -> tauri::Result<Image<'static>> {
    Ok(match badge {
        Some(minutes) => Image::new_owned(tray_pixels::minutes_icon(minutes), ICON_SIZE, ICON_SIZE),
        None => Image::from_bytes(PLAIN_ICON)?.to_owned(),
    })
}

/// Creates the tray icon showing `model`.
pub fn create<R: Runtime>(
    app: &AppHandle<R>,
    model: &MenuModel,
    on_click: fn(&AppHandle<R>, &str),
) -> tauri::Result<()> {
    app.manage(DotCache::default());
    let menu = render(app, model)?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon_for(model.badge)?)
        .tooltip(&model.title)
        .title(&model.title)
        .menu(&menu)
        .on_menu_event(move |app, event| on_click(app, event.id().as_ref()))
        .build(app)?;
    Ok(())
}

/// Shows `model` in place of `before`.
pub fn update<R: Runtime>(
    app: &AppHandle<R>,
    before: Option<&MenuModel>,
    model: &MenuModel,
) -> tauri::Result<()> {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        tray.set_menu(Some(render(app, model)?))?;
        tray.set_title(Some(&model.title))?;
        tray.set_tooltip(Some(&model.title))?;
        if before.map(|m| m.badge) != Some(model.badge) {
            tray.set_icon(Some(icon_for(model.badge)?))?;
        }
    }
    Ok(())
}

fn render<R: Runtime>(app: &AppHandle<R>, model: &MenuModel) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    for (n, item) in model.items.iter().enumerate() {
        match item {
            MenuItem::Action { id, label, enabled } => {
                menu.append(&TauriMenuItem::with_id(
                    app,
                    id.as_string(),
                    menu_model::menu_label(label),
                    *enabled,
                    None::<&str>,
                )?)?;
            }
            MenuItem::Event { id, label, color } => {
                let icon = match app.try_state::<DotCache>() {
                    Some(cache) => cache.get(color),
                    None => DotCache::default().get(color),
                };
                menu.append(&IconMenuItem::with_id(
                    app,
                    id.as_string(),
                    menu_model::menu_label(label),
                    true,
                    Some(icon),
                    None::<&str>,
                )?)?;
            }
            MenuItem::Info(label) => {
                menu.append(&TauriMenuItem::with_id(
                    app,
                    format!("info:{n}"),
                    menu_model::menu_label(label),
                    false,
                    None::<&str>,
                )?)?;
            }
            MenuItem::Separator => menu.append(&PredefinedMenuItem::separator(app)?)?,
        }
    }
    Ok(menu)
}
