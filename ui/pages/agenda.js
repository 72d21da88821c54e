// Agenda: a day or a week, grouped by local day, with an all-day row on top of each
// day. Navigable with Previous / Today / Next (and the keyboard, see app.js).
import {
  $, el, invoke, errorText, say, dot, joinButton, badges, eventClasses,
  timeFmt, dayFmt, longDayFmt, parseDay, dayKey, addDays, dayStart,
} from '../lib.js';

/** @typedef {import('../bindings').OccurrenceView} OccurrenceView */

const DESCRIPTION_LIMIT = 4000;

/** Monday of the week holding `date`. */
function weekStart(date) {
  const back = (date.getDay() + 6) % 7;
  return addDays(date, -back);
}

const ms = (s) => new Date(s).getTime();

/** Keys of the timed, attended occurrences that overlap another one. */
/** @param {OccurrenceView[]} list */
function concurrentKeys(list) {
  const timed = list
    .filter((o) => !o.all_day && !o.cancelled && !o.free && o.my_status !== 'declined' && ms(o.end) > ms(o.start))
    .sort((a, b) => ms(a.start) - ms(b.start));
  const keys = new Set();
  for (let i = 0; i < timed.length; i++) {
    const end = ms(timed[i].end);
    for (let j = i + 1; j < timed.length && ms(timed[j].start) < end; j++) {
      keys.add(timed[i].key);
      keys.add(timed[j].key);
    }
  }
  return keys;
}

/**
 * @param {OccurrenceView} o
 * @param {string} key
 * @param {number} start
 * @param {number} end
 */
function onDay(o, key, start, end) {
  if (o.all_day) {
    const first = o.start_date || dayKey(new Date(o.start));
    const after = o.end_date || dayKey(addDays(parseDay(first), 1));
    return first <= key && key < after;
  }
  const s = ms(o.start);
  const e = ms(o.end);
  if (e <= s) return s >= start && s < end;
  return s < end && e > start;
}

/**
 * @param {OccurrenceView} o
 * @param {number} start
 * @param {number} end
 */
function timeLabel(o, start, end) {
  const s = ms(o.start);
  const e = ms(o.end);
  if (e <= s) return timeFmt.format(new Date(s));
  const from = s < start ? '…' : timeFmt.format(new Date(s));
  const to = e > end ? '…' : timeFmt.format(new Date(e));
  if (s < start && e > end) return 'all day (continues)';
  return `${from}–${to}`;
}

/** @param {OccurrenceView} o */
function details(o) {
  const parts = [];
  if (o.organizer) parts.push(el('div', {}, 'Organizer: ', el('span', { dir: 'auto' }, o.organizer)));
  if (o.attendees) parts.push(el('div', {}, `${o.attendees} attendee${o.attendees === 1 ? '' : 's'}`));
  if (Array.isArray(o.categories) && o.categories.length) parts.push(el('div', {}, 'Categories: ', el('span', { dir: 'auto' }, o.categories.join(', '))));
  if (o.description) {
    const text = o.description.length > DESCRIPTION_LIMIT ? `${o.description.slice(0, DESCRIPTION_LIMIT)}…` : o.description;
    parts.push(el('div', { class: 'description', dir: 'auto' }, text));
  }
  if (!parts.length) return '';
  return el('details', { class: 'more' }, el('summary', {}, 'Details'), ...parts);
}

export function createAgendaPage() {
  const state = { anchor: addDays(new Date(), 0), view: 'day' };
  let seq = 0;

  const range = () => {
    const first = state.view === 'week' ? weekStart(state.anchor) : state.anchor;
    return { first, days: state.view === 'week' ? 7 : 1 };
  };

  function onError(e) { say($('#agenda-status'), errorText(e), 'error'); }

  /**
   * @param {OccurrenceView} o
   * @param {string} label
   * @param {boolean} concurrent
   */
  function row(o, label, concurrent) {
    /** @type {[string, string][]} */
    const extra = concurrent ? [['concurrent', 'overlaps another meeting']] : [];
    return el('li', { class: eventClasses(o), 'data-key': o.key, 'data-testid': 'agenda-item' },
      dot(o.color),
      el('span', { class: 'time' }, label),
      el('span', { class: 'body' },
        el('span', { class: 'summary', dir: 'auto' }, o.summary || '(no title)'),
        badges(o, extra),
        o.location ? el('span', { class: 'muted location', dir: 'auto' }, o.location) : '',
        el('span', { class: 'muted source', dir: 'auto' }, o.source),
        details(o)),
      joinButton(o, onError));
  }

  /**
   * @param {OccurrenceView[]} list
   * @param {Date} first
   * @param {number} days
   */
  function render(list, first, days) {
    const concurrent = concurrentKeys(list);
    const today = dayKey(new Date());
    const sorted = [...list].sort((a, b) => ms(a.start) - ms(b.start) || String(a.summary).localeCompare(String(b.summary)));
    const sections = [];
    for (let i = 0; i < days; i++) {
      const date = addDays(first, i);
      const key = dayKey(date);
      const start = dayStart(key).getTime();
      const end = dayStart(dayKey(addDays(date, 1))).getTime();
      const here = sorted.filter((o) => onDay(o, key, start, end));
      const allDay = here.filter((o) => o.all_day);
      const timed = here.filter((o) => !o.all_day);
      const section = el('section', {
        class: `day${key === today ? ' today' : ''}`, 'data-date': key,
        'aria-current': key === today ? 'date' : null, 'aria-labelledby': `day-${key}`,
      }, el('h3', { id: `day-${key}` }, longDayFmt.format(date), key === today ? el('span', { class: 'badge badge-today' }, 'today') : ''));
      if (allDay.length) {
        section.append(el('ul', { class: 'events all-day', 'aria-label': 'All day' },
          allDay.map((o) => row(o, 'all day', false))));
      }
      if (timed.length) {
        section.append(el('ol', { class: 'events timed' },
          timed.map((o) => row(o, timeLabel(o, start, end), concurrent.has(o.key)))));
      }
      if (!here.length) section.append(el('p', { class: 'muted empty' }, 'No events.'));
      sections.push(section);
    }
    $('#agenda-list').replaceChildren(...sections);
  }

  function renderHeader() {
    const { first, days } = range();
    const title = days === 1
      ? longDayFmt.format(first)
      : `${dayFmt.format(first)} – ${dayFmt.format(addDays(first, days - 1))}`;
    $('#agenda-title').textContent = title;
    for (const v of ['day', 'week']) {
      $(`#agenda-view-${v}`).setAttribute('aria-pressed', String(state.view === v));
    }
    $('#agenda-list').dataset.view = state.view;
    $('#agenda-list').dataset.from = dayKey(first);
  }

  async function load() {
    const mine = ++seq;
    renderHeader();
    const { first, days } = range();
    say($('#agenda-status'), '');
    $('#agenda-list').setAttribute('aria-busy', 'true');
    try {
      const list = await invoke('get_agenda', { from: dayKey(first), days });
      if (mine !== seq) return;
      render(Array.isArray(list) ? list : [], first, days);
    } catch (e) {
      if (mine === seq) onError(e);
    } finally {
      if (mine === seq) $('#agenda-list').removeAttribute('aria-busy');
    }
  }

  const step = () => (state.view === 'week' ? 7 : 1);
  const api = {
    load,
    prev() { state.anchor = addDays(state.anchor, -step()); return load(); },
    next() { state.anchor = addDays(state.anchor, step()); return load(); },
    today() { state.anchor = addDays(new Date(), 0); return load(); },
    setView(view) { if (view === 'day' || view === 'week') { state.view = view; return load(); } return Promise.resolve(); },
  };

  $('#agenda-prev').addEventListener('click', () => api.prev());
  $('#agenda-next').addEventListener('click', () => api.next());
  $('#agenda-today').addEventListener('click', () => api.today());
  $('#agenda-view-day').addEventListener('click', () => api.setView('day'));
  $('#agenda-view-week').addEventListener('click', () => api.setView('week'));
  return api;
}
