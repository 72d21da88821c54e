// Agenda: a day or a week as a time grid (hours down the side, one column per day) with
// an all-day row on top, events in their calendar's colour, overlapping events side by
// side, a line at the current time on today and past events dimmed. A small month
// beside it jumps to any date; an event opens its details (event-details.js).
// Navigable with Previous / Today / Next and the keyboard (see app.js).
import {
  $, el, invoke, errorText, say, joinButton, badges, paintEvent, keepFocus,
  timeFmt, dayFmt, longDayFmt, parseDay, dayKey, addDays, dayStart,
} from '../lib.js';
import { createMonth, weekStart } from './month.js';
import { createDetails } from './event-details.js';

/** @typedef {import('../bindings').OccurrenceView} OccurrenceView */
/** @typedef {{ o: OccurrenceView, top: number, bottom: number, col?: number, cols?: number }} Block */

const DAY_MINUTES = 1440;
// A block is never drawn shorter than this (zero-length events too), so its title fits.
const MIN_MINUTES = 20;
// Without an event to show, the grid opens scrolled to this hour.
const DEFAULT_HOUR = 8;

const ms = (s) => new Date(s).getTime();

/** Start and end (exclusive) of a local day, in epoch ms. */
function dayBounds(key) {
  return { start: dayStart(key).getTime(), end: dayStart(dayKey(addDays(parseDay(key), 1))).getTime() };
}

/** Minutes from local midnight on the wall clock (what a calendar's hour lines show), clamped to the day. */
function minuteOf(t, day) {
  if (t <= day.start) return 0;
  if (t >= day.end) return DAY_MINUTES;
  const d = new Date(t);
  return d.getHours() * 60 + d.getMinutes() + d.getSeconds() / 60;
}

/**
 * Whether `o` shows on the day `key`, and where: the all-day row (all-day events, and
 * timed ones that cover the whole day) or the grid.
 * @param {OccurrenceView} o
 * @param {string} key
 * @param {{ start: number, end: number }} day
 * @returns {'all-day' | 'timed' | null}
 */
function placeOn(o, key, day) {
  if (o.all_day) {
    const first = o.start_date || dayKey(new Date(o.start));
    const after = o.end_date || dayKey(addDays(parseDay(first), 1));
    return first <= key && key < after ? 'all-day' : null;
  }
  const s = ms(o.start);
  const e = ms(o.end);
  if (e <= s) return s >= day.start && s < day.end ? 'timed' : null;
  if (s <= day.start && e >= day.end) return 'all-day';
  return s < day.end && e > day.start ? 'timed' : null;
}

/**
 * Column packing: overlapping blocks sit side by side. Blocks that overlap one another,
 * directly or through others, form a cluster split into as many columns as it needs at
 * its busiest; each block takes the first column that is free at its start.
 * @param {Block[]} blocks sorted by top, longer first
 */
export function pack(blocks) {
  /** @type {Block[]} */
  let cluster = [];
  /** @type {number[]} the bottom of the last block in each column */
  let columns = [];
  let clusterBottom = -1;
  const close = () => { for (const b of cluster) b.cols = columns.length; cluster = []; columns = []; };
  for (const b of blocks) {
    if (b.top >= clusterBottom) close();
    let col = columns.findIndex((bottom) => bottom <= b.top);
    if (col < 0) col = columns.push(b.bottom) - 1;
    else columns[col] = b.bottom;
    b.col = col;
    cluster.push(b);
    clusterBottom = Math.max(clusterBottom, b.bottom);
  }
  close();
  return blocks;
}

/**
 * The blocks of one day's timed events, in minutes of the day, packed.
 * @param {OccurrenceView[]} timed
 * @param {{ start: number, end: number }} day
 */
function layout(timed, day) {
  const blocks = timed.map((o) => {
    let top = minuteOf(ms(o.start), day);
    let bottom = Math.max(minuteOf(ms(o.end), day), top + MIN_MINUTES);
    if (bottom > DAY_MINUTES) { bottom = DAY_MINUTES; top = Math.min(top, DAY_MINUTES - MIN_MINUTES); }
    return { o, top, bottom };
  });
  blocks.sort((a, b) => a.top - b.top || b.bottom - a.bottom);
  return pack(blocks);
}

/**
 * "09:00–09:30", with "…" for an end on another day.
 * @param {OccurrenceView} o
 * @param {{ start: number, end: number }} day
 */
function timeLabel(o, day) {
  const s = ms(o.start);
  const e = ms(o.end);
  if (e <= s) return timeFmt.format(new Date(s));
  const from = s < day.start ? '…' : timeFmt.format(new Date(s));
  const to = e > day.end ? '…' : timeFmt.format(new Date(e));
  return `${from}–${to}`;
}

/** @param {OccurrenceView} o @param {number} now */
const isPast = (o, now) => ms(o.end) <= now;

/**
 * The classes of an event block (style.css draws all but 'event' as a tint of the colour).
 * @param {OccurrenceView} o
 * @param {number} now
 */
function stateClasses(o, now) {
  return [
    'event', o.cancelled ? 'cancelled' : '', o.my_status === 'declined' ? 'declined' : '',
    o.tentative || o.my_status === 'tentative' ? 'tentative' : '', o.free ? 'free' : '',
    isPast(o, now) ? 'past' : '',
  ].filter(Boolean).join(' ');
}

/** The hour labels in the clock of the times (lib.js applyClock): "9 AM" or "09". */
const hourLabel = (h) => {
  const hour12 = !!timeFmt.resolvedOptions().hour12;
  return new Intl.DateTimeFormat(undefined, { hour: hour12 ? 'numeric' : '2-digit', hour12 }).format(new Date(2000, 0, 1, h));
};
// A column's head: short enough for a week of columns in the window ("Wed 2").
const columnFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric' });

/** The hour labels down the side of the grid. */
function gutter() {
  const labels = [];
  for (let h = 1; h < 24; h++) {
    const label = el('span', { class: 'hour' }, hourLabel(h));
    label.style.setProperty('--at', String(h));
    labels.push(label);
  }
  return el('div', { class: 'gutter', 'aria-hidden': 'true' },
    el('div', { class: 'day-head' }, el('div', { class: 'day-name' }), el('div', { class: 'all-day-label' }, 'all day')),
    el('div', { class: 'timeline' }, labels));
}

/** Where the grid opens when its range changes: a little before now on today, else before the first event. */
function openingHour(timedStarts, todayShown, now) {
  if (todayShown) return Math.max(0, new Date(now).getHours() - 1.5);
  if (!timedStarts.length) return DEFAULT_HOUR;
  return Math.max(0, Math.min(...timedStarts) / 60 - 0.5);
}

export function createAgendaPage() {
  const state = { anchor: addDays(new Date(), 0), view: 'day' };
  /** What is on screen: its range (to keep the scroll position across reloads) and its day. */
  const shown = { range: '', today: '', signature: '' };
  /** @type {Map<string, OccurrenceView>} */
  let byKey = new Map();
  let seq = 0;
  const details = createDetails();
  const month = createMonth({ onPick: (date) => { state.anchor = date; load().catch(() => {}); } });

  const range = () => {
    const first = state.view === 'week' ? weekStart(state.anchor) : state.anchor;
    return { first, days: state.view === 'week' ? 7 : 1 };
  };

  function onError(e) { say($('#agenda-status'), errorText(e), 'error'); }

  /** @param {OccurrenceView} o */
  function openDetails(o) {
    details.open(o, () => {
      const again = [...document.querySelectorAll('#agenda-list li[data-key]')].find((n) => n.getAttribute('data-key') === o.key);
      /** @type {HTMLElement | null} */
      const button = again && again.querySelector('button.event-open');
      if (button) button.focus();
    });
  }

  /**
   * One event: a button that opens its details, and its Join button.
   * @param {OccurrenceView} o
   * @param {string} label
   * @param {number} now
   */
  function eventItem(o, label, now) {
    const item = el('li', { class: stateClasses(o, now), 'data-key': o.key, 'data-testid': 'agenda-item' },
      el('button', { type: 'button', class: 'event-open', 'aria-haspopup': 'dialog', on: { click: () => openDetails(o) } },
        el('span', { class: 'summary', dir: 'auto' }, o.summary || '(no title)'),
        label ? [' ', el('span', { class: 'time' }, label)] : '',
        badges(o),
        o.location ? el('span', { class: 'location', dir: 'auto' }, o.location) : ''),
      joinButton(o, onError));
    return paintEvent(item, o.color);
  }

  /**
   * @param {Block} b
   * @param {{ start: number, end: number }} day
   * @param {number} now
   */
  function timedItem(b, day, now) {
    const item = eventItem(b.o, timeLabel(b.o, day), now);
    item.style.setProperty('--top', String(b.top / 60));
    item.style.setProperty('--length', String((b.bottom - b.top) / 60));
    item.style.setProperty('--col', String(b.col));
    item.style.setProperty('--cols', String(b.cols));
    return item;
  }

  function nowLine(now, day) {
    const line = el('div', { class: 'now-line', 'data-testid': 'now-line', 'aria-hidden': 'true' });
    line.style.setProperty('--top', String(minuteOf(now, day) / 60));
    return line;
  }

  /**
   * @param {Date} date
   * @param {OccurrenceView[]} list sorted
   * @param {number} now
   */
  function dayColumn(date, list, now) {
    const key = dayKey(date);
    const day = dayBounds(key);
    const isToday = key === dayKey(new Date(now));
    const allDay = list.filter((o) => placeOn(o, key, day) === 'all-day');
    const blocks = layout(list.filter((o) => placeOn(o, key, day) === 'timed'), day);
    const section = el('section', {
      class: `day${isToday ? ' today' : ''}`, 'data-date': key,
      'aria-current': isToday ? 'date' : null, 'aria-labelledby': `day-${key}`,
    },
    el('div', { class: 'day-head' },
      el('h3', { id: `day-${key}`, class: 'day-name', 'aria-label': longDayFmt.format(date) }, columnFmt.format(date)),
      el('ul', { class: 'events all-day', 'aria-label': 'All day' }, allDay.map((o) => eventItem(o, '', now)))),
    el('div', { class: 'timeline' },
      el('ol', { class: 'events timed', 'aria-label': 'Timed events' }, blocks.map((b) => timedItem(b, day, now))),
      isToday ? nowLine(now, day) : ''));
    return { section, allDayCount: allDay.length, starts: blocks.map((b) => b.top) };
  }

  /**
   * @param {OccurrenceView[]} list
   * @param {Date} first
   * @param {number} days
   */
  function render(list, first, days) {
    const now = Date.now();
    if (!list.length) say($('#agenda-status'), days === 1 ? 'No events on this day.' : 'No events this week.');
    // A refresh that changed nothing here (most do) leaves the grid alone: no new nodes
    // under the user's focus or pointer; tick() keeps the now line moving.
    const signature = `${state.view}:${dayKey(first)}:${dayKey(new Date(now))}:${JSON.stringify(list)}`;
    if (signature === shown.signature) return void tick();
    shown.signature = signature;
    const sorted = [...list].sort((a, b) => ms(a.start) - ms(b.start) || String(a.summary).localeCompare(String(b.summary)));
    byKey = new Map(sorted.map((o) => [o.key, o]));
    const columns = [];
    for (let i = 0; i < days; i++) columns.push(dayColumn(addDays(first, i), sorted, now));
    const grid = el('div', { class: 'grid' }, gutter(), columns.map((c) => c.section));
    grid.style.setProperty('--days', String(days));
    // Every column's all-day row is as tall as the fullest one, so the hours line up.
    grid.style.setProperty('--all-day-rows', String(Math.max(1, ...columns.map((c) => c.allDayCount))));
    const scroller = $('#agenda-list');
    keepFocus(scroller, 'data-key', () => scroller.replaceChildren(grid));
    const rangeKey = `${state.view}:${dayKey(first)}`;
    if (shown.range !== rangeKey) {
      const todayShown = columns.some((c) => c.section.classList.contains('today'));
      const hour = openingHour(columns.flatMap((c) => c.starts), todayShown, now);
      const hourPx = grid.querySelector('.timeline').getBoundingClientRect().height / 24;
      scroller.scrollTop = hour * hourPx;
    }
    shown.range = rangeKey;
    shown.today = dayKey(new Date(now));
    // An open dialog whose event is gone after a reload (deleted, moved out of range) closes.
    if (details.key && !byKey.has(details.key)) details.close();
  }

  function renderHeader() {
    const { first, days } = range();
    const last = addDays(first, days - 1);
    $('#agenda-title').textContent = days === 1 ? longDayFmt.format(first) : `${dayFmt.format(first)} – ${dayFmt.format(last)}`;
    for (const v of ['day', 'week']) $(`#agenda-view-${v}`).setAttribute('aria-pressed', String(state.view === v));
    $('#agenda-list').dataset.view = state.view;
    $('#agenda-list').dataset.from = dayKey(first);
    month.set(state.anchor, dayKey(first), dayKey(last));
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

  /**
   * Once a minute while shown (app.js): moves the now line and dims what has ended,
   * without asking the backend; after midnight "today" moved, so it reloads.
   */
  function tick() {
    const now = Date.now();
    if (dayKey(new Date(now)) !== shown.today) return load();
    const today = document.querySelector('#agenda-list section.day.today');
    const line = today && today.querySelector('.now-line');
    if (line) /** @type {HTMLElement} */ (line).style.setProperty('--top', String(minuteOf(now, dayBounds(shown.today)) / 60));
    for (const item of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('#agenda-list li.event:not(.past)'))) {
      const o = byKey.get(item.dataset.key);
      if (o && isPast(o, now)) item.classList.add('past');
    }
    return Promise.resolve();
  }

  const step = () => (state.view === 'week' ? 7 : 1);
  const api = {
    load,
    tick,
    refreshEvery: 60_000,
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
