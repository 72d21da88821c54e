// "What's next": the current and next meeting, the countdown headline and the
// coming events. Re-loaded every 30 s while the window is visible and shown.
import { $, el, invoke, errorText, dot, when, joinButton, badges, eventClasses, paintEvent } from '../lib.js';

/** @typedef {import('../bindings').OccurrenceView} OccurrenceView */

function showError(e) {
  $('#headline').replaceChildren(el('span', { class: 'error' }, errorText(e)));
}

/** @param {OccurrenceView} o */
function eventRow(o) {
  return el('li', { class: eventClasses(o), 'data-key': o.key }, dot(o.color),
    el('span', { class: 'time' }, when(o)),
    el('span', { class: 'summary', dir: 'auto' }, o.summary), badges(o),
    el('span', { class: 'muted source', dir: 'auto' }, o.source), joinButton(o, showError));
}

/**
 * @param {string} label
 * @param {OccurrenceView | null} o
 * @param {string} id
 */
function card(label, o, id) {
  if (!o) return '';
  return paintEvent(el('div', { class: `card ${eventClasses(o)}`.trim(), id, 'data-key': o.key },
    el('div', { class: 'muted' }, label, ' · ', el('span', { class: 'source', dir: 'auto' }, o.source)),
    el('strong', { class: 'summary', dir: 'auto' }, o.summary), badges(o),
    el('div', {}, when(o)),
    o.location ? el('div', { class: 'muted', dir: 'auto' }, o.location) : '',
    o.attendees ? el('div', { class: 'muted' }, `${o.attendees} attendee${o.attendees === 1 ? '' : 's'}`) : '',
    joinButton(o, showError)), o.color);
}

export function createNextPage({ go }) {
  let seq = 0;
  async function load() {
    const mine = ++seq;
    let o;
    try {
      o = await invoke('get_overview');
    } catch (e) {
      if (mine === seq) showError(e);
      return;
    }
    if (mine !== seq) return;
    $('#headline').textContent = o.headline;
    const demo = o.demo
      ? el('p', { class: 'muted', id: 'demo-note' }, 'Showing the demo calendar: ',
        el('button', { type: 'button', class: 'link', 'data-testid': 'go-sources', on: { click: () => go('sources') } }, 'add your calendar'),
        ' under Sources.')
      : '';
    $('#now-next').replaceChildren(card('Now', o.current, 'now-card'), card('Next', o.next, 'next-card'), demo);
    const upcoming = o.upcoming.slice(0, 50);
    $('#upcoming').replaceChildren(...upcoming.map(eventRow));
    if (!upcoming.length) $('#upcoming').append(el('li', { class: 'muted empty' }, 'Nothing in the coming week.'));
  }
  return { load, refreshEvery: 30_000 };
}
