// Generated from the Rust types by ts-rs (src-tauri/src/commands/contract.rs).
// Do not edit: `UPDATE_BINDINGS=1 cargo test --test contract` rewrites it.

export type AccountInput = { address: string, user: string, password: string, };
export type AccountPreview = { 
/**
 * "Nextcloud", "Fastmail", "iCloud" or "CalDAV".
 */
provider: string, 
/**
 * `scheme://host[:port]` of the calendar home.
 */
server: string, calendars: Array<CalendarChoice>, };
export type ActiveTask = { id: number, name: string, started_at: string, running_ms: number, };
export type AlarmTrigger = { "kind": "relative", seconds: number, } | { "kind": "absolute", at: string, };
export type Alert = { 
/**
 * The meeting's title, made safe like a notification's.
 */
title: string, start: string, end: string, 
/**
 * "14:00–14:30" in the user's zone and clock.
 */
when: string, location: string | null, 
/**
 * The calendar's name and colour.
 */
calendar: string, color: string | null, 
/**
 * Whether Join can do anything.
 */
has_link: boolean, 
/**
 * The Snooze buttons, in minutes.
 */
snooze_minutes: Array<number>, };
export type AlertAction = { "action": "join" } | { "action": "snooze", minutes: number, } | { "action": "dismiss" };
export type AppEvent = "agenda-changed" | "sources-changed";
export type AuthChoice = "none" | "basic" | "bearer";
export type AuthInput = { kind?: AuthChoice, user?: string, password?: string, token?: string, };
export type AuthKind = "none" | "basic" | "bearer" | "headers";
export type CalendarChoice = { 
/**
 * The collection's path: what the window sends back to add exactly this one.
 */
href: string, name: string, 
/**
 * `#RRGGBB`, from the server's `calendar-color`.
 */
color: string | null, 
/**
 * Already a source of this account (adding it again does nothing).
 */
added: boolean, };
export type ChosenFile = { 
/**
 * What the page sends back in [`SourceInput::chosen`].
 */
token: string, 
/**
 * The path, for the address field.
 */
location: string, };
export type CircuitState = "closed" | "open" | "half_open";
export type ConnectionTest = { ok: boolean, provider: string, events: number, message: string, 
/**
 * The feed's own name (X-WR-CALNAME): the name Add gives it when none is typed.
 */
name: string | null, 
/**
 * The test failed in a way "Add anyway" may override (the location answered
 * badly or not at all), not a location the window refuses.
 */
add_anyway: boolean, };
export type DateOrder = "day_month" | "month_day" | "year_month_day";
export type Diagnostics = { version: string, data_dir: string, log_dir: string, 
/**
 * Tasks, blocking pool and memory.
 */
tasks: TaskReport, sources: Array<SourceView>, 
/**
 * Background loops that failed at least once since the start.
 */
loops: Array<LoopHealth>, 
/**
 * Newest first.
 */
recent_errors: Array<RecentError>, };
export type FinishedTask = { name: string, started_at: string, duration_ms: number, 
/**
 * "ok", "cancelled" or the error in words.
 */
outcome: string, 
/**
 * Change in resident memory across the task (can be negative).
 */
rss_delta_bytes: number, };
export type HealthView = { status: SourceStatus, last_success: string | null, last_checked: string | null, last_error: string | null, circuit: CircuitState, 
/**
 * Until when an open circuit waits before its next probe.
 */
circuit_open_until: string | null, consecutive_failures: number, stale: boolean, events: number, 
/**
 * What the agenda leaves out of this calendar, in words (too many occurrences).
 */
cut: string | null, };
export type HiddenView = { id: number, source_id: number, 
/**
 * The calendar's name.
 */
source: string, uid: string, 
/**
 * `None`: every occurrence (the whole series).
 */
recurrence_id: string | null, title: string, created_at: string, };
export type HideInput = { source_id: number, uid: string, 
/**
 * The occurrence's RECURRENCE-ID (its original start, the `recurrence_id` of an
 * occurrence); absent or `null`: every occurrence of the UID (the whole series).
 */
recurrence_id?: string, 
/**
 * The title shown in the list of hidden events; absent: the event's own, from the
 * cache.
 */
title?: string, };
export type LocationKind = "file" | "http" | "caldav";
export type LoopHealth = { name: string, 
/**
 * Failures in a row; 0 while it works.
 */
failures: number, last_error: string | null, failing_since: string | null, 
/**
 * When the loop tries again (it also tries at once when the data changes).
 */
retry_at: string | null, };
export type Memory = { rss_bytes: number, anon_bytes: number, };
export type OccurrenceView = { key: string, 
/**
 * Display name of the calendar it came from (the file name for `--ics`).
 */
source: string, 
/**
 * Id of the configured source; `None` for `agenda --ics` files.
 */
source_id: number | null, uid: string, 
/**
 * The occurrence's original start (its RECURRENCE-ID), RFC 3339 UTC; together with
 * `source_id` and `uid` it identifies the occurrence even when an override moves it.
 */
recurrence_id: string | null, summary: string, 
/**
 * Start instant. For all-day occurrences: midnight of `start_date` in the zone the
 * agenda was expanded in.
 */
start: string, 
/**
 * End instant (exclusive); equal to `start` for zero-length events.
 */
end: string, all_day: boolean, 
/**
 * Calendar dates of an all-day occurrence; `end_date` is exclusive.
 */
start_date: string | null, end_date: string | null, 
/**
 * STATUS:CANCELLED on the master or the instance (or an Outlook "Canceled:" title
 * when that setting is on).
 */
cancelled: boolean, 
/**
 * STATUS:TENTATIVE on the event itself.
 */
tentative: boolean, 
/**
 * TRANSP:TRANSPARENT or X-MICROSOFT-CDO-BUSYSTATUS:FREE.
 */
free: boolean, location: string | null, 
/**
 * Shared with the event's other occurrences: up to 64 KB, once per event, not once
 * per instance (a daily meeting's dial-in text over ten years would be 230 MB).
 */
description: string | null, 
/**
 * The meeting link, already checked to be https/http or a known meeting scheme.
 */
join_url: string | null, 
/**
 * The user's own participation status, when one of `me.emails` is an attendee.
 */
my_status: PartStat | null, attendees: number, 
/**
 * The organizer's address (or name when the feed gives no address).
 */
organizer: string | null, 
/**
 * The organizer's name (CN), when the feed gives one.
 */
organizer_name: string | null, 
/**
 * The event's own VALARM triggers (DISPLAY and AUDIO alarms).
 */
alarms: Array<AlarmTrigger>, categories: Array<string>, 
/**
 * Event colour (RFC 7986 COLOR) or the calendar's colour, as `#RRGGBB`.
 */
color: string | null, 
/**
 * Expansion hit its budget for this event (a "suspicious recurrence").
 */
truncated: boolean, };
export type Overview = { now: string, tz: string, 
/**
 * How times are written (the system locale's hour cycle), as in the tray.
 */
clock: TimeFormat, demo: boolean, 
/**
 * "in 4 min: Standup", as in the tray.
 */
headline: string, current: OccurrenceView | null, next: OccurrenceView | null, 
/**
 * The agenda window's occurrences (today and the coming week).
 */
upcoming: Array<OccurrenceView>, };
export type PartStat = "accepted" | "declined" | "tentative" | "needs_action" | "delegated";
export type PauseMode = "1h" | "tomorrow" | "resume";
export type PauseState = { paused_until: string | null, };
export type RecentError = { at: string | null, 
/**
 * The calendar's name, or the background task's.
 */
source: string, message: string, };
export type SettingGroup = "reminders" | "calendars" | "appearance" | "advanced";
export type SettingKind = "bool" | "int" | "emails" | "minutes" | "choice" | "shortcut" | "patterns";
export type SettingView = { key: string, 
/**
 * What a person reads (the key is the command line's name).
 */
label: string, group: SettingGroup, value: string, default: string, kind: SettingKind, min: number | null, max: number | null, choices: Array<string>, help: string, 
/**
 * Changed only with `calendarbot settings set`, not from the window.
 */
read_only: boolean, };
export type SourceInput = { 
/**
 * An http(s) or webcal address, or the path of a .ics file under the home folder.
 */
location: string, name?: string, color?: string, auth?: AuthInput, 
/**
 * Add it even though it did not answer with a calendar (the "Add anyway" button).
 */
add_anyway?: boolean, 
/**
 * The token of a file picked with "Choose file…" (`choose_source_file`): then that
 * file is used and `location` is only what the form shows.
 */
chosen?: string, };
export type SourcePatch = { name?: string, color?: string, enabled?: boolean, interval_minutes?: number, muted?: boolean, 
/**
 * Absent: unchanged; `null`: back to notify.lead_minutes; a number: minutes.
 */
lead_minutes?: number | null, };
export type SourceStatus = "ok" | "warning" | "error" | "pending" | "disabled";
export type SourceView = { id: number, name: string, 
/**
 * `scheme://host[:port]` or the file path.
 */
location: string, kind: LocationKind, color: string | null, enabled: boolean, auth: AuthKind, interval_minutes: number | null, 
/**
 * No reminders for this calendar.
 */
muted: boolean, 
/**
 * Its own reminder lead time; `None`: notify.lead_minutes.
 */
lead_minutes: number | null, secret_store: StoreKind | null, health: HealthView | null, };
export type StoreKind = "keyring" | "file";
export type TaskReport = { active: Array<ActiveTask>, finished: Array<FinishedTask>, blocking_in_flight: number, blocking_total: number, memory: Memory, };
export type TimeFormat = { 
/**
 * "7:02 PM" instead of "19:02".
 */
hour12: boolean, date_order: DateOrder, };

/** Every command the window may call: its arguments and its result. */
export interface Commands {
  get_overview: { args: {  }; result: Overview };
  get_agenda: { args: { from: string; days: number }; result: Array<OccurrenceView> };
  join_occurrence: { args: { key: string }; result: null };
  get_settings: { args: {  }; result: Array<SettingView> };
  set_setting: { args: { key: string; value: string }; result: string };
  get_diagnostics: { args: {  }; result: Diagnostics };
  refresh_now: { args: {  }; result: null };
  pause_notifications: { args: { mode: PauseMode }; result: PauseState };
  close_window: { args: {  }; result: null };
  get_alert: { args: {  }; result: Alert | null };
  alert_action: { args: { action: AlertAction }; result: null };
  list_sources: { args: {  }; result: Array<SourceView> };
  add_source: { args: { input: SourceInput }; result: SourceView };
  discover_account: { args: { input: AccountInput }; result: AccountPreview };
  add_account: { args: { input: AccountInput; calendars: Array<string> }; result: Array<SourceView> };
  update_source: { args: { id: number; patch: SourcePatch }; result: SourceView };
  remove_source: { args: { id: number }; result: null };
  test_source: { args: { input: SourceInput }; result: ConnectionTest };
  list_hidden: { args: {  }; result: Array<HiddenView> };
  hide_event: { args: { input: HideInput }; result: HiddenView };
  unhide_event: { args: { id: number }; result: HiddenView };
  choose_source_file: { args: {  }; result: ChosenFile | null };
}

/** The events the window listens to. */
export type EventName = AppEvent;
