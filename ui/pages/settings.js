// Settings: one control per key, saved on change; pause notifications; refresh now.
import { $, el, invoke, errorText, say, formatDateTime } from '../lib.js';

/** @typedef {import('../bindings').SettingView} SettingView */
/** @typedef {import('../bindings').PauseMode} PauseMode */

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
      return el('input', {
        ...common, type: 'text', value: s.value, spellcheck: 'false', autocomplete: 'off',
        placeholder: { emails: 'me@example.com, me@work.example', minutes: '5,10' }[s.kind] || null,
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

export function createSettingsPage() {
  let seq = 0;

  // Per-setting messages survive a re-render (a saved setting makes the backend emit a change).
  const notes = new Map();
  async function save(input, value) {
    const key = input.dataset.key;
    const status = { set: (text, kind = '') => { notes.set(key, [text, kind]); say($(`#${cssId(key)}-status`), text, kind); } };
    status.set('Saving…');
    try {
      const stored = await invoke('set_setting', { key: input.dataset.key, value });
      setControl(input, typeof stored === 'string' ? stored : value);
      input.removeAttribute('aria-invalid');
      status.set('Saved.', 'ok');
    } catch (e) {
      input.setAttribute('aria-invalid', 'true');
      status.set(errorText(e), 'error');
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
    if (kind === 'error') input.setAttribute('aria-invalid', 'true');
    const label = el('label', { for: id, class: 'setting-key' }, s.key);
    const range = s.kind === 'int' && (typeof s.min === 'number' || typeof s.max === 'number')
      ? ` (${[typeof s.min === 'number' ? `min ${s.min}` : '', typeof s.max === 'number' ? `max ${s.max}` : ''].filter(Boolean).join(', ')})` : '';
    return el('li', { class: `setting setting-${s.kind}`, 'data-setting': s.key },
      isBool ? el('div', { class: 'setting-control' }, input, label) : el('div', { class: 'setting-control' }, label, input),
      el('p', { id: `${id}-help`, class: 'muted help' }, s.help || '', range,
        s.default !== '' ? ` Default: ${s.default}.` : '',
        s.read_only ? ` Changed only from the command line: calendarbot settings set ${s.key} VALUE.` : ''),
      status);
  }

  async function load() {
    const mine = ++seq;
    const list = $('#settings-list');
    // Do not rebuild under the user's hands: a change elsewhere re-loads the page.
    if (list.contains(document.activeElement) && list.childElementCount) return;
    try {
      const settings = await invoke('get_settings');
      if (mine !== seq) return;
      list.replaceChildren(...settings.map(row));
      say($('#settings-status'), '');
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
