// The at-start reminder window: the meeting, a live countdown and a big Join button,
// above all other windows. Join, Snooze, Dismiss and Escape answer the backend's
// scheduler, which closes this window and the meeting's notification together; the
// meeting link never reaches this page (Join goes back through Rust).

import { $, el, dot, errorText, invoke, say } from './lib.js';

/** @typedef {import('./bindings').AlertAction} AlertAction */

/** "Starts in 0:45", "Starting now", "Started 3 min ago". */
export function countdown(start, now) {
  const s = Math.round((start - now) / 1000);
  if (s > 0) {
    const m = Math.floor(s / 60);
    return `Starts in ${m}:${String(s % 60).padStart(2, '0')}`;
  }
  const ago = Math.floor(-s / 60);
  return ago < 1 ? 'Starting now' : `Started ${ago} min ago`;
}

let busy = false;

/** @param {AlertAction} action */
async function act(action) {
  if (busy) return;
  busy = true;
  try {
    await invoke('alert_action', { action });
  } catch (e) {
    busy = false;
    say($('#alert-status'), errorText(e), 'error');
  }
}

async function load() {
  const alert = await invoke('get_alert');
  if (!alert) {
    await invoke('close_window');
    return;
  }
  const start = Date.parse(alert.start);
  $('#alert-calendar').replaceChildren(dot(alert.color), el('span', {}, alert.calendar));
  $('#alert-title').replaceChildren(alert.title);
  $('#alert-when').replaceChildren(alert.when);
  const location = $('#alert-location');
  location.hidden = !alert.location;
  location.replaceChildren(alert.location || '');
  const join = $('#alert-join');
  join.disabled = !alert.has_link;
  join.textContent = alert.has_link ? 'Join' : 'No link to join';
  join.onclick = () => act({ action: 'join' });
  $('#alert-snoozes').replaceChildren(...alert.snooze_minutes.map((m) =>
    el('button', { type: 'button', on: { click: () => act({ action: 'snooze', minutes: m }) } }, `Snooze ${m} min`)));
  $('#alert-dismiss').onclick = () => act({ action: 'dismiss' });
  const tick = () => { $('#alert-countdown').textContent = countdown(start, Date.now()); };
  tick();
  setInterval(tick, 1000);
  (alert.has_link ? join : $('#alert-title')).focus();
}

document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape') return;
  e.preventDefault();
  act({ action: 'dismiss' });
});

load().catch((e) => say($('#alert-status'), errorText(e), 'error'));
