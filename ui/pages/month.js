// The small month beside the agenda: pick any date to show its day or week. One
// button per day with a roving tabindex (Tab enters the month once; the arrows,
// PageUp/PageDown and Home/End move inside it, Enter picks).
import { $, el, dayKey, addDays, parseDay, longDayFmt, keepFocus } from '../lib.js';

const monthFmt = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' });
const weekdayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const weekdayLongFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long' });

/** Monday of the week holding `date` (the agenda's weeks start on Monday too). */
export function weekStart(date) {
  return addDays(date, -((date.getDay() + 6) % 7));
}

const firstOfMonth = (date) => new Date(date.getFullYear(), date.getMonth(), 1, 12, 0, 0);
const shiftMonth = (date, n) => new Date(date.getFullYear(), date.getMonth() + n, 1, 12, 0, 0);

/** Moves a date by whole months, keeping the day where the month has it (Jan 31 → Feb 28). */
function addMonths(date, n) {
  const first = shiftMonth(date, n);
  const last = new Date(first.getFullYear(), first.getMonth() + 1, 0, 12).getDate();
  return new Date(first.getFullYear(), first.getMonth(), Math.min(date.getDate(), last), 12, 0, 0);
}

const KEY_MOVES = {
  ArrowLeft: (d) => addDays(d, -1), ArrowRight: (d) => addDays(d, 1),
  ArrowUp: (d) => addDays(d, -7), ArrowDown: (d) => addDays(d, 7),
  Home: (d) => weekStart(d), End: (d) => addDays(weekStart(d), 6),
  PageUp: (d) => addMonths(d, -1), PageDown: (d) => addMonths(d, 1),
};

/**
 * @param {{ onPick: (date: Date) => void }} options
 */
export function createMonth({ onPick }) {
  const root = $('#agenda-month');
  const state = { shown: firstOfMonth(new Date()), focus: dayKey(new Date()), from: '', to: '' };

  function dayButton(date) {
    const key = dayKey(date);
    const today = key === dayKey(new Date());
    const classes = [
      date.getMonth() !== state.shown.getMonth() ? 'other-month' : '',
      key >= state.from && key <= state.to ? 'in-range' : '',
      today ? 'today' : '',
    ].filter(Boolean).join(' ');
    return el('button', {
      type: 'button', class: classes || null, 'data-date': key, tabindex: key === state.focus ? '0' : '-1',
      'aria-label': longDayFmt.format(date), 'aria-current': today ? 'date' : null,
      on: { click: () => { state.focus = key; onPick(parseDay(key)); } },
    }, String(date.getDate()));
  }

  function render(focusAfter) {
    const first = weekStart(state.shown);
    const head = el('tr', {}, [0, 1, 2, 3, 4, 5, 6].map((i) => {
      const d = addDays(first, i);
      return el('th', { scope: 'col' }, el('abbr', { title: weekdayLongFmt.format(d) }, weekdayFmt.format(d).slice(0, 2)));
    }));
    const rows = [];
    for (let w = 0; w < 6; w++) {
      rows.push(el('tr', {}, [0, 1, 2, 3, 4, 5, 6].map((i) => el('td', {}, dayButton(addDays(first, w * 7 + i))))));
    }
    root.replaceChildren(
      el('div', { class: 'month-head' },
        el('button', { type: 'button', class: 'month-step', 'data-step': '-1', 'aria-label': 'Previous month', on: { click: () => step(-1) } }, '‹'),
        el('h3', { id: 'agenda-month-title', 'aria-live': 'polite' }, monthFmt.format(state.shown)),
        el('button', { type: 'button', class: 'month-step', 'data-step': '1', 'aria-label': 'Next month', on: { click: () => step(1) } }, '›')),
      el('table', { class: 'month-grid', 'aria-labelledby': 'agenda-month-title', on: { keydown: onKey } },
        el('thead', {}, head), el('tbody', {}, rows)));
    if (focusAfter) {
      const b = root.querySelector(`button[data-date="${state.focus}"]`);
      if (b) b.focus();
    }
  }

  function step(n) {
    state.shown = shiftMonth(state.shown, n);
    state.focus = dayKey(addMonths(parseDay(state.focus), n));
    keepFocus(root, 'data-step', () => render(false));
  }

  /** @param {KeyboardEvent} e */
  function onKey(e) {
    const move = KEY_MOVES[e.key];
    if (!move || e.ctrlKey || e.altKey || e.metaKey) return;
    // Handled here: the agenda's own ←/→ (app.js) skip events already handled.
    e.preventDefault();
    const date = move(parseDay(state.focus));
    state.focus = dayKey(date);
    if (date.getMonth() !== state.shown.getMonth() || date.getFullYear() !== state.shown.getFullYear()) {
      state.shown = firstOfMonth(date);
    }
    render(true);
  }

  /**
   * Shows the month of `anchor` with the days `from`..`to` ('YYYY-MM-DD') marked.
   * @param {Date} anchor
   * @param {string} from
   * @param {string} to
   */
  function set(anchor, from, to) {
    const hadFocus = root.contains(document.activeElement) && document.activeElement.matches('button[data-date]');
    Object.assign(state, { shown: firstOfMonth(anchor), focus: dayKey(anchor), from, to });
    render(hadFocus);
  }

  return { set };
}
