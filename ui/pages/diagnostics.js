// Diagnostics: what `calendarbot status` shows (sources with health and circuit
// breakers, recent errors, tasks and memory), the background loops, paths and version.
import { $, el, invoke, errorText, say, bytes, duration, formatDateTime, relative } from '../lib.js';
import { health } from './sources.js';

/** @typedef {import('../bindings').Diagnostics} Diagnostics */
/** @typedef {import('../bindings').CircuitState} CircuitState */
/** @typedef {import('../bindings').SourceStatus} SourceStatus */

function table(id, caption, headers, rows, empty) {
  if (!rows.length) return el('div', { id, class: 'diag-block' }, el('h3', {}, caption), el('p', { class: 'muted empty' }, empty));
  return el('div', { id, class: 'diag-block' }, el('table', { class: 'diag' },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c ?? '')))))));
}

function dl(id, caption, pairs) {
  const items = pairs.filter(([, v]) => v !== undefined && v !== null && v !== '');
  return el('div', { id, class: 'diag-block' }, el('h3', {}, caption),
    el('dl', { class: 'diag-pairs' }, items.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))])));
}

/** @type {Record<CircuitState, string>} */
const CIRCUIT = { closed: 'closed (normal)', open: 'open (paused)', half_open: 'half-open (retrying)' };
/** @type {Record<SourceStatus, string>} */
const STATUS = { ok: 'ok', warning: 'warning', error: 'error', pending: 'not fetched yet', disabled: 'disabled' };

export function createDiagnosticsPage() {
  let seq = 0;

  /** @param {Diagnostics} d */
  function render(d) {
    const t = d.tasks;
    const mem = t.memory;
    const blocks = [
      dl('diag-app', 'Application', [
        ['Version', d.version], ['Data folder', d.data_dir], ['Log folder', d.log_dir],
      ]),
      dl('diag-memory', 'Memory and blocking work', [
        ['Resident memory', bytes(mem.rss_bytes)], ['Anonymous memory', bytes(mem.anon_bytes)],
        ['Blocking jobs in flight', t.blocking_in_flight], ['Blocking jobs in total', t.blocking_total],
      ]),
      table('diag-sources', 'Calendars and circuit breakers', ['Calendar', 'Enabled', 'Status', 'Circuit', 'Last success', 'Events', 'Problems'],
        d.sources.map((s) => {
          const h = s.health;
          return [s.name, s.enabled ? 'yes' : 'no', h ? STATUS[h.status] : '', h ? CIRCUIT[h.circuit] : '',
            h && h.last_success ? relative(h.last_success) : 'never',
            h ? String(h.events) : '', health(h).problems.join(' ') || 'none'];
        }), 'No calendars configured: the demo calendar is shown.'),
      table('diag-errors', 'Recent errors', ['When', 'Where', 'Message'],
        d.recent_errors.map((e) => [formatDateTime(e.at), e.source, e.message]), 'No recent errors.'),
      table('diag-loops', 'Background updates that failed', ['Task', 'Failures in a row', 'Failing since', 'Next try', 'Last error'],
        d.loops.map((l) => [l.name, String(l.failures), l.failing_since ? formatDateTime(l.failing_since) : 'recovered',
          l.retry_at ? relative(l.retry_at) : '', l.last_error || '']), 'None: every background update works.'),
      table('diag-active', 'Running tasks', ['Id', 'Task', 'Started', 'Running for'],
        t.active.map((a) => [String(a.id), a.name, formatDateTime(a.started_at), duration(a.running_ms)]), 'No task is running.'),
      table('diag-finished', 'Recently finished tasks', ['Task', 'Started', 'Took', 'Outcome', 'Memory change'],
        t.finished.map((f) => [f.name, formatDateTime(f.started_at), duration(f.duration_ms), f.outcome, bytes(f.rss_delta_bytes)]),
        'No finished task yet.'),
    ];
    $('#diagnostics').replaceChildren(...blocks);
  }

  async function load() {
    const mine = ++seq;
    try {
      const d = await invoke('get_diagnostics');
      if (mine !== seq) return;
      render(d);
      say($('#diagnostics-status'), `Updated ${new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' }).format(new Date())}.`);
    } catch (e) {
      if (mine === seq) say($('#diagnostics-status'), errorText(e), 'error');
    }
  }

  $('#diagnostics-refresh').addEventListener('click', load);
  return { load };
}
