// The details of one occurrence, in a modal dialog: time, place, people, calendar, the
// description with the meeting invitation's boilerplate (Teams, Google Meet, Zoom dial-in
// blocks) folded into a closed <details>, the Join button (opened by Rust, by key), and
// Hide: this occurrence, or every occurrence of a recurring event (a hide rule in the
// backend, by source, UID and RECURRENCE-ID; Settings → Hidden events undoes it).
import { $, el, dot, when, joinButton, badges, errorText, say, invoke } from '../lib.js';

/** @typedef {import('../bindings').OccurrenceView} OccurrenceView */

const DESCRIPTION_LIMIT = 4000;

// A line that opens or closes an invitation block: Teams' row of underscores, Google's
// "-::~:~::~:~::-" ribbon, or any long row of rule characters.
const SEPARATOR = /^\s*(?:[_\-=~*─━]{10,}|(?:-::~:~::~)[:~-]*)\s*$/;
// A line that starts the boilerplate of a meeting invitation: from it on, the rest is
// joining instructions.
const MARKER = new RegExp([
  'microsoft teams meeting', 'join on your computer', 'click here to join', 'join the meeting now',
  'join with a video conferencing device', 'or call in \\(audio only\\)', 'phone conference id:',
  'find a local number', 'meeting options', 'join with google meet', 'join by phone',
  'more phone numbers', 'learn more about meet', 'join zoom meeting',
  'one tap mobile', '.*is inviting you to a scheduled zoom meeting', 'dial by your location', 'find your local number', 'join by sip', 'join by h\\.323',
  'meeting id:', 'passcode:', 'meeting password:', 'please do not edit this section',
].map((m) => `^\\s*${m}`).join('|'), 'i');
// A dial-in line: mostly a phone number ("+1 646-931-3860,,123456789# US (New York)").
const DIAL_IN = /^\s*(?:tel:)?\+?\d[\d\s().,#*/-]{7,}(?:\s+[\p{L}\s(),.-]{0,40})?$/u;

/**
 * "Ann Lee <ann@example.org>", the name or the address alone, as the feed gives them.
 * @param {import('../bindings').OccurrenceView} o
 */
function organizer(o) {
  if (o.organizer_name && o.organizer && o.organizer !== o.organizer_name) return `${o.organizer_name} <${o.organizer}>`;
  return o.organizer_name || o.organizer || '';
}

/**
 * Splits a description into what the organizer wrote and the invitation's boilerplate.
 * A separator opens a block that runs to the next separator; a marker line folds the
 * rest of the text; a dial-in number line is folded on its own.
 * @param {string} text
 * @returns {{ body: string, boilerplate: string }}
 */
export function splitDescription(text) {
  const lines = String(text).split(/\r?\n/);
  const body = [];
  const folded = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (SEPARATOR.test(line)) {
      let close = lines.findIndex((l, j) => j > i && SEPARATOR.test(l));
      if (close < 0) close = lines.length - 1;
      folded.push(...lines.slice(i, close + 1));
      i = close;
    } else if (MARKER.test(line)) {
      folded.push(...lines.slice(i));
      break;
    } else if (DIAL_IN.test(line)) {
      folded.push(line);
    } else {
      body.push(line);
    }
  }
  const tidy = (list) => list.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return { body: tidy(body), boilerplate: tidy(folded) };
}

const cut = (s) => (s.length > DESCRIPTION_LIMIT ? `${s.slice(0, DESCRIPTION_LIMIT)}…` : s);

/** @param {string} label @param {any} value */
const fact = (label, value) => (value ? [el('dt', {}, label), el('dd', { dir: 'auto' }, value)] : []);

/** @param {OccurrenceView} o */
function description(o) {
  if (!o.description) return [];
  const { body, boilerplate } = splitDescription(o.description);
  return [
    body ? el('div', { class: 'description', dir: 'auto', 'data-testid': 'details-description' }, cut(body)) : '',
    boilerplate ? el('details', { class: 'boilerplate', 'data-testid': 'details-boilerplate' },
      el('summary', {}, 'Joining instructions and dial-in numbers'),
      el('div', { class: 'description', dir: 'auto' }, cut(boilerplate))) : '',
  ];
}

/** @param {OccurrenceView} o */
function people(o) {
  if (!o.attendees) return '';
  return `${o.attendees} attendee${o.attendees === 1 ? '' : 's'}`;
}

/**
 * The Hide buttons: the occurrence, and the series when it repeats (an event of the demo
 * calendar, which has no source, has none). `done(rule)` runs once the rule is stored.
 * @param {OccurrenceView} o
 * @param {(e: unknown) => void} onError
 * @param {(rule: import('../bindings').HiddenView) => void} done
 */
function hideButtons(o, onError, done) {
  if (o.source_id === null || o.source_id === undefined) return [];
  /** @param {boolean} series */
  const hide = async (series) => {
    /** @type {import('../bindings').HideInput} */
    const input = { source_id: o.source_id, uid: o.uid, title: o.summary };
    // An occurrence of a series is named by its RECURRENCE-ID; a one-off event by its UID.
    if (!series && o.recurrence_id) input.recurrence_id = o.recurrence_id;
    try {
      done(await invoke('hide_event', { input }));
    } catch (e) {
      onError(e);
    }
  };
  return [
    el('button', { type: 'button', 'data-testid': 'hide-occurrence', on: { click: () => hide(false) } }, 'Hide this occurrence'),
    o.recurrence_id
      ? el('button', { type: 'button', 'data-testid': 'hide-series', on: { click: () => hide(true) } }, 'Hide all in this series')
      : '',
  ];
}

/**
 * The dialog's controller: open(o, opener) fills and shows it; closing gives the focus
 * back to the event it was opened from (or to the agenda's title when it was hidden).
 */
export function createDetails() {
  /** @type {HTMLDialogElement} */
  const dialog = $('#event-details');
  /** @type {(() => void) | null} */
  let restore = null;

  dialog.addEventListener('close', () => {
    if (restore) restore();
    restore = null;
    delete dialog.dataset.hidden;
    // The event is gone from the agenda (hidden): the focus goes to the agenda's title.
    if (!document.activeElement || document.activeElement === document.body) $('#agenda-title')?.focus();
  });

  /**
   * @param {OccurrenceView} o
   * @param {() => void} giveFocusBack
   */
  function open(o, giveFocusBack) {
    const status = el('p', { class: 'status', 'aria-live': 'polite' });
    const onError = (e) => say(status, errorText(e), 'error');
    dialog.dataset.key = o.key;
    delete dialog.dataset.hidden;
    const actions = el('div', { class: 'actions' }, joinButton(o, onError), hideButtons(o, onError, hidden));
    /**
     * Hidden: the dialog stays open (the agenda leaves it alone, see `key`) with Undo.
     * @param {import('../bindings').HiddenView} rule
     */
    function hidden(rule) {
      dialog.dataset.hidden = 'true';
      const undo = el('button', {
        type: 'button', 'data-testid': 'hide-undo', on: {
          click: () => invoke('unhide_event', { id: rule.id }).then(() => open(o, giveFocusBack), onError),
        },
      }, 'Undo');
      const what = rule.recurrence_id || !o.recurrence_id ? 'This occurrence is' : 'Every occurrence of this series is';
      actions.replaceChildren(undo);
      say(status, `${what} hidden from the tray, the window and reminders. Settings → Hidden events lists it.`, 'ok');
      undo.focus();
    }
    dialog.replaceChildren(
      el('div', { class: 'details-head' },
        el('h3', { id: 'event-details-title', class: 'summary', dir: 'auto', tabindex: '-1' }, o.summary || '(no title)'),
        el('button', { type: 'button', class: 'close', 'aria-label': 'Close', on: { click: () => dialog.close() } }, 'Close')),
      el('div', { class: 'details-badges' }, badges(o)),
      el('dl', { class: 'details-facts' },
        fact('When', when(o)),
        fact('Where', o.location),
        fact('Organizer', organizer(o)),
        fact('People', people(o)),
        fact('Calendar', o.source ? el('span', {}, dot(o.color), ' ', o.source) : ''),
        fact('Categories', o.categories && o.categories.length ? o.categories.join(', ') : '')),
      ...description(o),
      actions,
      status);
    restore = giveFocusBack;
    if (!dialog.open) dialog.showModal();
    $('#event-details-title').focus();
  }

  // A hidden event leaves the agenda: `key` is then null, so the agenda does not close
  // the dialog under the user's Undo.
  return { open, close: () => dialog.open && dialog.close(), get key() { return dialog.open && !dialog.dataset.hidden ? dialog.dataset.key : null; } };
}
