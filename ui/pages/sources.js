// Sources: the configured calendars with their health, and the "Add calendar" form.
// Locations arrive already redacted by the backend; secrets typed here are sent once
// and cleared from the form afterwards.
import { $, el, invoke, errorText, say, dot, validColor, relative, formatDateTime, clean } from '../lib.js';
import { createAccountForm } from './accounts.js';

/** @typedef {import('../bindings').SourceView} SourceView */
/** @typedef {import('../bindings').HealthView} HealthView */
/** @typedef {import('../bindings').SourceStatus} SourceStatus */
/** @typedef {import('../bindings').AuthKind} AuthKind */
/** @typedef {import('../bindings').StoreKind} StoreKind */
/** @typedef {import('../bindings').SourceInput} SourceInput */
/** @typedef {import('../bindings').SourcePatch} SourcePatch */

const PALETTE = ['#2563eb', '#16a34a', '#db2777', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#dc2626'];

/** @type {Record<import('../bindings').LocationKind, string>} */
const KIND_WORDS = { file: 'local file', http: 'web', caldav: 'CalDAV account' };
/** @type {Record<AuthKind, string>} */
const AUTH_WORDS = { none: 'no sign-in', basic: 'user name and password', bearer: 'token', headers: 'extra headers' };
/** @type {Record<SourceStatus, string>} */
const STATUS_WORDS = {
  ok: 'Working', warning: 'Working, with warnings', error: 'Failing', pending: 'Not fetched yet', disabled: 'Disabled',
};

/** @param {StoreKind | null | undefined} store */
export function secretStoreWords(store) {
  if (store === 'keyring') return 'Credentials are stored in the system keyring.';
  if (store === 'file') return "Credentials are stored in a private file in the app's data folder (no keyring available).";
  return '';
}

const sentence = (t) => (/[.!?…]$/.test(t) ? t : `${t}.`);

/**
 * The health of a source in words: what is fine, and what is wrong.
 * @param {HealthView | null | undefined} h
 * @param {boolean} [enabled]
 * @returns {{ info: string[], problems: string[] }}
 */
export function health(h, enabled = true) {
  const info = [];
  const problems = [];
  if (!enabled) info.push('Disabled.');
  if (!h) return { info, problems };
  // "Disabled." is said once, above.
  const status = h.status === 'disabled' ? '' : STATUS_WORDS[h.status];
  if (status) info.push(`${status}.`);
  if (h.last_success) info.push(`Last updated ${relative(h.last_success)} (${formatDateTime(h.last_success)}).`);
  else if (h.status !== 'pending' && h.status !== 'disabled') info.push('Never updated successfully.');
  if (h.last_checked && h.last_checked !== h.last_success) info.push(`Last checked ${relative(h.last_checked)}.`);
  if (typeof h.events === 'number') info.push(`${h.events} event${h.events === 1 ? '' : 's'}.`);
  if (h.last_error) problems.push(sentence(`Last error: ${h.last_error}`));
  if (h.circuit === 'open') problems.push('Paused after repeated failures; it will be retried later.');
  else if (h.circuit === 'half_open') problems.push('Retrying after repeated failures.');
  if (h.stale) problems.push('Warning: the events shown from this calendar may be out of date.');
  if (h.cut) problems.push(sentence(`Warning: ${h.cut}`));
  return { info, problems };
}

/**
 * The health of a source as one line of words.
 * @param {HealthView | null | undefined} h
 * @param {boolean} [enabled]
 */
export function healthWords(h, enabled = true) {
  const { info, problems } = health(h, enabled);
  return [...info, ...problems];
}

export function createSourcesPage() {
  const confirming = new Set();
  let count = 0;
  let seq = 0;

  const listStatus = () => $('#sources-status');
  const formStatus = () => $('#source-form-status');

  // Per-row messages ("Saved.", an error) survive the re-render that follows a change.
  const notes = new Map();
  function note(id, text, kind = '') {
    if (text) notes.set(id, [text, kind]); else notes.delete(id);
    say($(`#sources-list li[data-id="${CSS.escape(String(id))}"] .row-status`), text, kind);
  }

  /**
   * @param {number} id
   * @param {SourcePatch} patch
   * @param {any} [input] the control to put back when the change is refused
   */
  async function update(id, patch, input) {
    note(id, 'Saving…');
    try {
      await invoke('update_source', { id, patch });
      note(id, 'Saved.', 'ok');
      await load();
    } catch (e) {
      note(id, errorText(e), 'error');
      if (input && input.dataset.original !== undefined) {
        if (input.type === 'checkbox') input.checked = input.dataset.original === 'true';
        else input.value = input.dataset.original;
      }
    }
  }

  /** @param {SourceView} s */
  async function remove(s) {
    note(s.id, 'Removing…');
    try {
      await invoke('remove_source', { id: s.id });
      confirming.delete(s.id);
      say(listStatus(), `Removed “${s.name}”.`, 'ok');
      await load();
    } catch (e) {
      note(s.id, errorText(e), 'error');
    }
  }

  /** @param {SourceView} s */
  function sourceRow(s) {
    const id = s.id;
    const nameInput = el('input', {
      type: 'text', class: 'source-name-edit', 'data-testid': 'source-name-edit', value: clean(s.name || ''),
      'aria-label': 'Calendar name', maxlength: '200', dir: 'auto',
      on: {
        change: (ev) => {
          const v = ev.target.value.trim();
          if (!v) { note(id, 'A calendar needs a name: type one and press Enter.', 'error'); return; }
          if (v !== s.name) update(id, { name: v }, ev.target);
        },
      },
    });
    nameInput.dataset.original = s.name || '';
    const colorInput = el('input', {
      type: 'color', 'data-testid': 'source-color-edit', value: validColor(s.color) ? s.color : '#2563eb',
      'aria-label': `Colour of ${s.name || 'calendar'}`,
      on: { change: (ev) => { if (validColor(ev.target.value) && ev.target.value !== s.color) update(id, { color: ev.target.value }, ev.target); } },
    });
    colorInput.dataset.original = colorInput.value;
    const enabled = el('input', {
      type: 'checkbox', 'data-testid': 'source-enabled', checked: !!s.enabled, id: `source-enabled-${id}`,
      on: { change: (ev) => update(id, { enabled: ev.target.checked }, ev.target) },
    });
    enabled.dataset.original = String(!!s.enabled);
    const reminders = el('input', {
      type: 'checkbox', 'data-testid': 'source-reminders', checked: !s.muted, id: `source-reminders-${id}`,
      on: { change: (ev) => update(id, { muted: !ev.target.checked }, ev.target) },
    });
    reminders.dataset.original = String(!s.muted);
    // Blank: the global notify.lead_minutes.
    const lead = el('input', {
      type: 'number', min: '0', max: '1440', step: '1', inputmode: 'numeric', class: 'source-lead',
      'data-testid': 'source-lead', id: `source-lead-${id}`, placeholder: 'default',
      value: typeof s.lead_minutes === 'number' ? String(s.lead_minutes) : '', disabled: !!s.muted,
      on: {
        change: (ev) => {
          const v = ev.target.value.trim();
          update(id, { lead_minutes: v === '' ? null : Number(v) }, ev.target);
        },
      },
    });
    lead.dataset.original = lead.value;

    const removeArea = confirming.has(id)
      ? el('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm removal' },
        el('span', {}, `Remove “${s.name}”? Its cached events are deleted${s.secret_store ? ' and its stored credentials forgotten' : ''}.`),
        el('button', { type: 'button', class: 'danger', 'data-testid': 'source-remove-confirm', on: { click: () => remove(s) } }, 'Remove'),
        el('button', { type: 'button', 'data-testid': 'source-remove-cancel', on: { click: () => { confirming.delete(id); render(); } } }, 'Cancel'))
      : el('button', {
        type: 'button', class: 'danger-outline', 'data-testid': 'source-remove',
        'aria-label': `Remove ${s.name || 'calendar'}`,
        on: { click: () => { confirming.add(id); render(); } },
      }, 'Remove…');

    const h = s.health;
    const interval = typeof s.interval_minutes === 'number' ? `every ${s.interval_minutes} min` : 'default refresh interval';
    return el('li', {
      class: `source status-${h ? h.status : 'unknown'}${s.enabled ? '' : ' disabled'}${h && h.stale ? ' stale' : ''}`,
      'data-id': String(id), 'data-testid': 'source',
    },
    el('div', { class: 'source-head' }, dot(s.color), nameInput, colorInput,
      el('label', { class: 'toggle', for: `source-enabled-${id}` }, enabled, ' Enabled'),
      removeArea),
    el('div', { class: 'muted source-meta' },
      el('span', { dir: 'auto', class: 'location' }, s.location || ''),
      ` · ${KIND_WORDS[s.kind] || 'web'} · ${AUTH_WORDS[s.auth] || s.auth || 'no sign-in'} · ${interval}`),
    el('div', { class: 'source-reminders' },
      el('label', { class: 'toggle', for: `source-reminders-${id}` }, reminders, ' Reminders'),
      el('label', { for: `source-lead-${id}` }, ' ', lead, ' min before')),
    sourceHealth(h, s.enabled),
    s.secret_store ? el('p', { class: 'muted', 'data-testid': 'source-secret-store' }, secretStoreWords(s.secret_store)) : '',
    rowNote(id));
  }

  function rowNote(id) {
    const p = el('p', { class: 'row-status status', 'data-testid': 'source-status', 'aria-live': 'polite' });
    const [text, kind] = notes.get(id) || ['', ''];
    say(p, text, kind);
    return p;
  }

  /**
   * @param {HealthView | null} h
   * @param {boolean} enabled
   */
  function sourceHealth(h, enabled) {
    const { info, problems } = health(h, enabled);
    return el('div', { class: `health health-${h ? h.status : 'unknown'}`, 'data-testid': 'source-health' },
      el('p', { class: 'health-info' }, info.join(' ')),
      problems.map((t) => el('p', { class: 'health-problem' }, t)));
  }

  /** @type {SourceView[]} */
  let sources = [];
  function render() {
    const list = $('#sources-list');
    // Keep the keyboard focus (and a name being typed) across re-renders.
    const active = /** @type {any} */ (document.activeElement);
    const li = active && list.contains(active) ? active.closest('li[data-id]') : null;
    const keep = li ? { id: li.dataset.id, testid: active.dataset.testid, value: active.type === 'text' ? active.value : null } : null;
    list.replaceChildren(...sources.map(sourceRow));
    if (!sources.length) list.append(el('li', { class: 'muted empty' }, 'No calendars yet: add one below.'));
    if (keep) {
      const row = list.querySelector(`li[data-id="${CSS.escape(keep.id)}"]`);
      const target = row && (row.querySelector(`[data-testid="${keep.testid}"]`) || row.querySelector('[data-testid="source-remove"], [data-testid="source-remove-cancel"]'));
      if (target) {
        if (keep.value !== null && target.type === 'text') target.value = keep.value;
        target.focus();
      }
    }
  }

  async function load() {
    const mine = ++seq;
    try {
      const list = await invoke('list_sources');
      if (mine !== seq) return;
      sources = Array.isArray(list) ? list : [];
      count = sources.length;
      for (const id of [...confirming]) if (!sources.some((s) => s.id === id)) confirming.delete(id);
      for (const id of [...notes.keys()]) if (!sources.some((s) => s.id === id)) notes.delete(id);
      render();
    } catch (e) {
      if (mine === seq) say(listStatus(), errorText(e), 'error');
    }
  }

  // ---- The "Add calendar" form ----
  // Add and Test connection run the same probe in the core: a location that does not
  // answer with a calendar is refused in words, with "Add anyway" next to the refusal.
  // After a failed test, Add stays disabled until the address or sign-in changes, so it
  // never looks as if the test had passed.
  /** Error codes of a refusal the user may override: api::sources::ADD_ANYWAY_CODES (tests/commands.rs checks they agree). */
  const ANYWAY_CODES = new Set(['not_a_calendar', 'unauthorized', 'fetch_failed']);
  /** @type {{ token: string, location: string } | null} a file from the chooser */
  let chosen = null;
  let failedTest = false;

  const anywayButton = el('button', {
    type: 'button', id: 'source-add-anyway', 'data-testid': 'source-add-anyway', hidden: true,
    on: { click: () => add(null, true) },
  }, 'Add anyway');
  const chooseButton = el('button', {
    type: 'button', id: 'source-choose', 'data-testid': 'source-choose',
    'aria-describedby': 'source-location-help', on: { click: choose },
  }, 'Choose file…');
  {
    // Beside the address field, and "Add anyway" beside the form's status line.
    const input = $('#source-location');
    const row = el('div', { class: 'location-row' });
    input.replaceWith(row);
    row.append(input, chooseButton);
    const status = formStatus();
    const refusal = el('div', { class: 'refusal' });
    status.replaceWith(refusal);
    refusal.append(status, anywayButton);
  }

  /** Shows the form's outcome; `anyway`: the refusal may be overridden. */
  function outcome(text, kind = '', anyway = false) {
    say(formStatus(), text, kind);
    anywayButton.hidden = !anyway;
  }

  /** The address or sign-in changed: what was tested or refused no longer applies. */
  function changed() {
    failedTest = false;
    anywayButton.hidden = true;
    $('#source-add').disabled = false;
  }

  function showAuthFields() {
    const kind = $('#source-auth').value;
    $('#source-basic').hidden = kind !== 'basic';
    $('#source-bearer').hidden = kind !== 'bearer';
  }

  /** @returns {SourceInput} */
  function formInput() {
    const location = $('#source-location').value.trim();
    const kind = $('#source-auth').value;
    const name = $('#source-name').value.trim();
    const color = $('#source-color').value;
    if (!location) throw new Error('Enter the calendar’s address (https://…, webcal://…), choose a .ics file, or type the path of one in your home folder.');
    const auth = { kind, user: null, password: null, token: null };
    if (kind === 'basic') {
      auth.user = $('#source-user').value;
      auth.password = $('#source-password').value;
      if (!auth.user || !auth.password) throw new Error('Enter both the user name and the password.');
    } else if (kind === 'bearer') {
      auth.token = $('#source-token').value.trim();
      if (!auth.token) throw new Error('Enter the token.');
    }
    const picked = chosen && chosen.location === location ? chosen.token : null;
    return { location, name: name || null, color: validColor(color) ? color : null, auth, chosen: picked };
  }

  function setBusy(busy) {
    $('#source-test').disabled = busy;
    $('#source-add').disabled = busy || failedTest;
    chooseButton.disabled = busy;
    anywayButton.disabled = busy;
    $('#source-form').setAttribute('aria-busy', String(busy));
  }

  async function choose() {
    setBusy(true);
    try {
      const r = await invoke('choose_source_file');
      if (r) {
        $('#source-location').value = r.location;
        chosen = r;
        changed();
        outcome('File chosen: test it or add it.');
      }
    } catch (e) {
      outcome(errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  }

  async function test() {
    let input;
    try { input = formInput(); } catch (e) { outcome(errorText(e), 'error'); return; }
    setBusy(true);
    outcome('Testing the connection…');
    try {
      const r = await invoke('test_source', { input });
      const what = [r.provider, r.ok ? `${r.events} event${r.events === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
      failedTest = !r.ok;
      if (r.ok) {
        // The name Add will use when none is typed.
        if (r.name) $('#source-name').placeholder = r.name;
        outcome(`Connection works${what ? ` (${what})` : ''}.${r.name ? ` It is called “${r.name}”.` : ''}`, 'ok');
      } else {
        outcome(`It did not work${r.provider ? ` (${r.provider})` : ''}: ${r.message || 'unknown error'}`, 'error', r.add_anyway);
      }
    } catch (e) {
      outcome(errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  }

  /**
   * @param {Event | null} ev
   * @param {boolean} [anyway] add even though it did not answer with a calendar
   */
  async function add(ev, anyway = false) {
    if (ev) ev.preventDefault();
    // Enter in a field submits the form: a disabled Add means "not until it changes".
    if (!anyway && failedTest) return;
    let input;
    try { input = formInput(); } catch (e) { outcome(errorText(e), 'error'); return; }
    input.add_anyway = anyway;
    setBusy(true);
    outcome(anyway ? 'Adding anyway…' : 'Checking the calendar and adding it…');
    try {
      const s = await invoke('add_source', { input });
      for (const f of ['#source-location', '#source-name', '#source-user', '#source-password', '#source-token']) $(f).value = '';
      $('#source-name').placeholder = 'Work';
      $('#source-auth').value = 'none';
      chosen = null;
      changed();
      showAuthFields();
      $('#source-color').value = PALETTE[(count + 1) % PALETTE.length];
      const where = s && s.secret_store ? ` ${secretStoreWords(s.secret_store)}` : '';
      outcome(`Added “${(s && s.name) || input.name || input.location}”.${where}`, 'ok');
      await load();
    } catch (e) {
      const code = e && typeof e === 'object' ? /** @type {any} */ (e).code : '';
      const anywayOk = ANYWAY_CODES.has(code);
      outcome(anywayOk ? `Not added: ${errorText(e)}` : errorText(e), 'error', anywayOk);
    } finally {
      setBusy(false);
    }
  }

  for (const f of ['#source-location', '#source-user', '#source-password', '#source-token']) {
    $(f).addEventListener('input', changed);
  }
  $('#source-auth').addEventListener('change', changed);
  $('#source-auth').addEventListener('change', showAuthFields);
  $('#source-test').addEventListener('click', test);
  $('#source-form').addEventListener('submit', add);
  showAuthFields();
  createAccountForm({ onAdded: load });

  return { load };
}
