// Settings: one control per key, saved on change; pause notifications; refresh now; the
// hidden events (hide rules made from an event's details), each with Unhide.
import { $, el, invoke, errorText, say, formatDateTime, keepFocus } from '../lib.js';

/** @typedef {import('../bindings').SettingView} SettingView */
/** @typedef {import('../bindings').SettingGroup} SettingGroup */
/** @typedef {import('../bindings').PauseMode} PauseMode */
/** @typedef {import('../bindings').HiddenView} HiddenView */

/** The headings, in the order shown. */
/** @type {[SettingGroup, string][]} */
const GROUPS = [['reminders', 'Reminders'], ['calendars', 'Calendars'], ['appearance', 'Appearance'], ['advanced', 'Advanced']];

/** A default in words: "on", "off", "5", "none". */
/** @param {SettingView} s */
function defaultWords(s) {
  if (s.kind === 'bool') return s.default === 'true' ? 'on' : 'off';
  return s.default === '' ? 'none' : s.default;
}

/** The allowed range of a number in words ("from 0 to 1440"). */
/** @param {SettingView} s */
function rangeWords(s) {
  const min = typeof s.min === 'number' ? s.min : null;
  const max = typeof s.max === 'number' ? s.max : null;
  if (s.kind !== 'int' || (min === null && max === null)) return '';
  if (min !== null && max !== null) return `From ${min} to ${max}.`;
  return min !== null ? `At least ${min}.` : `At most ${max}.`;
}

/** The reason of a refused value without the key the command line needs ("invalid value for KEY: …"). */
function reasonWords(text) {
  const reason = text.replace(/^invalid value for [^:]+:\s*/, '');
  const sentence = reason.charAt(0).toUpperCase() + reason.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

const cssId = (key) => `setting-${String(key).replace(/[^A-Za-z0-9_-]/g, '-')}`;

/**
 * @param {SettingView} s
 * @param {(input: any, value: string) => void} save
 */
function control(s, save) {
  const id = cssId(s.key);
  // Read-only here (changed with the command line only): shown, not editable.
  const common = {
    id, 'data-key': s.key, 'data-testid': 'setting', 'aria-describedby': `${id}-help ${id}-status`, disabled: s.read_only,
  };
  switch (s.kind) {
    case 'bool':
      return el('input', { ...common, type: 'checkbox', checked: s.value === 'true', on: { change: (e) => save(e.target, e.target.checked ? 'true' : 'false') } });
    case 'int':
      return el('input', {
        ...common, type: 'number', inputmode: 'numeric', step: '1', value: s.value,
        min: typeof s.min === 'number' ? String(s.min) : null, max: typeof s.max === 'number' ? String(s.max) : null,
        on: { change: (e) => save(e.target, e.target.value.trim()) },
      });
    case 'choice':
      return el('select', { ...common, on: { change: (e) => save(e.target, e.target.value) } },
        (s.choices || []).map((c) => el('option', { value: c, selected: c === s.value ? 'selected' : null }, c)));
    case 'emails':
    case 'minutes':
    case 'patterns':
    case 'shortcut':
      return el('input', {
        ...common, type: 'text', value: s.value, spellcheck: 'false', autocomplete: 'off',
        placeholder: { emails: 'me@example.com, me@work.example', minutes: '5,10', patterns: 'Lunch*, *focus time*', shortcut: 'Ctrl+Alt+J' }[s.kind] || null,
        on: { change: (e) => save(e.target, e.target.value.trim()) },
      });
  }
}

function setControl(input, value) {
  if (input.type === 'checkbox') input.checked = value === 'true';
  else input.value = value;
  input.dataset.value = value;
}

function pausedWords(until) {
  return until ? `Notifications are paused until ${formatDateTime(until)}.` : 'Notifications are on.';
}

/**
 * Which occurrences a rule hides, in words.
 * @param {HiddenView} h
 */
function scopeWords(h) {
  return h.recurrence_id ? `Only ${formatDateTime(h.recurrence_id)}` : 'All occurrences';
}

/**
 * The "Hidden events" section, before the settings: its list is filled by load().
 * @returns {{ list: HTMLElement, status: HTMLElement }}
 */
function hiddenSection() {
  const list = el('ul', { id: 'hidden-list', class: 'hidden-events', 'aria-labelledby': 'hidden-heading' });
  const status = el('p', { id: 'hidden-status', class: 'status', 'aria-live': 'polite' });
  $('#settings-list').before(el('section', { class: 'hidden-section', 'aria-labelledby': 'hidden-heading' },
    el('h3', { id: 'hidden-heading' }, 'Hidden events'),
    el('p', { class: 'muted help' }, 'Not shown in the tray or the window and never reminded of. Hide an event from its details in the Agenda; calendarbot hide list shows the same.'),
    list, status));
  return { list, status };
}

export function createSettingsPage() {
  let seq = 0;
  const hiddenUi = hiddenSection();

  /** @param {HiddenView} h */
  async function unhide(h) {
    say(hiddenUi.status, 'Saving…');
    try {
      await invoke('unhide_event', { id: h.id });
      say(hiddenUi.status, `“${h.title || '(no title)'}” is shown again.`, 'ok');
      await loadHidden();
    } catch (e) {
      say(hiddenUi.status, errorText(e), 'error');
    }
  }

  /** @param {HiddenView} h */
  const hiddenRow = (h) => el('li', { class: 'hidden-event', 'data-hidden-id': String(h.id), 'data-testid': 'hidden-event' },
    el('div', { class: 'hidden-body' },
      el('span', { class: 'summary', dir: 'auto' }, h.title || '(no title)'),
      el('span', { class: 'muted' }, `${scopeWords(h)} · ${h.source}`)),
    el('button', { type: 'button', 'data-testid': 'unhide', 'aria-label': `Unhide ${h.title || 'event'}`, on: { click: () => unhide(h) } }, 'Unhide'));

  async function loadHidden() {
    const list = await invoke('list_hidden');
    keepFocus(hiddenUi.list, 'data-hidden-id', () => hiddenUi.list.replaceChildren(...(list.length
      ? list.map(hiddenRow)
      : [el('li', { class: 'empty muted', 'data-testid': 'hidden-none' }, 'Nothing is hidden.')])));
  }

  // Per-setting messages survive a re-render (a saved setting makes the backend emit a change).
  const notes = new Map();
  async function save(input, value) {
    const key = input.dataset.key;
    const status = { set: (text, kind = '') => { notes.set(key, [text, kind]); say($(`#${cssId(key)}-status`), text, kind); } };
    status.set('Saving…');
    try {
      const stored = await invoke('set_setting', { key: input.dataset.key, value });
      setControl(input, typeof stored === 'string' ? stored : value);
      status.set('Saved.', 'ok');
    } catch (e) {
      // The field goes back to the value in force; the reason stays beside it.
      setControl(input, input.dataset.value);
      status.set(`${reasonWords(errorText(e))} Kept ${input.type === 'checkbox' ? (input.checked ? 'on' : 'off') : `“${input.dataset.value}”`}.`, 'error');
    }
  }

  /** @param {SettingView} s */
  function row(s) {
    const id = cssId(s.key);
    const input = control(s, save);
    input.dataset.value = s.value;
    const isBool = s.kind === 'bool';
    const status = el('p', { id: `${id}-status`, class: 'status', 'aria-live': 'polite' });
    const [text, kind] = notes.get(s.key) || ['', ''];
    say(status, text, kind);
    const label = el('label', { for: id, class: 'setting-label' }, s.label);
    const cli = s.read_only
      ? `Changed only from the command line: calendarbot settings set ${s.key} VALUE`
      : `calendarbot settings set ${s.key}`;
    return el('li', { class: `setting setting-${s.kind}`, 'data-setting': s.key },
      isBool ? el('div', { class: 'setting-control' }, input, label) : el('div', { class: 'setting-control' }, label, input),
      el('p', { id: `${id}-help`, class: 'muted help' },
        [s.help, rangeWords(s), `Default: ${defaultWords(s)}.`].filter(Boolean).join(' ')),
      el('p', { class: 'muted help setting-key' }, cli),
      status);
  }

  /** @param {SettingView[]} settings */
  function groups(settings) {
    return GROUPS.map(([group, title]) => {
      const rows = settings.filter((s) => s.group === group);
      if (!rows.length) return null;
      const hid = `settings-group-${group}`;
      return el('li', { class: 'settings-group', 'data-group': group },
        el('h3', { id: hid }, title),
        el('ul', { class: 'settings', 'aria-labelledby': hid }, rows.map(row)));
    }).filter(Boolean);
  }

  async function load() {
    const mine = ++seq;
    const list = $('#settings-list');
    // Do not rebuild under the user's hands: a change elsewhere re-loads the page.
    if (list.contains(document.activeElement) && list.childElementCount) return;
    try {
      const settings = await invoke('get_settings');
      if (mine !== seq) return;
      list.replaceChildren(...groups(settings));
      say($('#settings-status'), '');
      await loadHidden();
    } catch (e) {
      if (mine === seq) say($('#settings-status'), errorText(e), 'error');
    }
  }

  /** @param {PauseMode} mode */
  async function pause(mode) {
    say($('#pause-status'), 'Saving…');
    try {
      const r = await invoke('pause_notifications', { mode });
      say($('#pause-status'), pausedWords(r && r.paused_until), 'ok');
    } catch (e) {
      say($('#pause-status'), errorText(e), 'error');
    }
  }

  async function refresh() {
    const b = $('#refresh-now');
    b.disabled = true;
    say($('#refresh-status'), 'Refreshing…');
    try {
      await invoke('refresh_now');
      say($('#refresh-status'), 'Refresh started.', 'ok');
    } catch (e) {
      say($('#refresh-status'), errorText(e), 'error');
    } finally {
      b.disabled = false;
    }
  }

  $('#pause-1h').addEventListener('click', () => pause('1h'));
  $('#pause-tomorrow').addEventListener('click', () => pause('tomorrow'));
  $('#pause-resume').addEventListener('click', () => pause('resume'));
  $('#refresh-now').addEventListener('click', refresh);

  return { load };
}
