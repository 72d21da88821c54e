// Diagnostics: tasks, memory, circuit breakers, recent errors, paths and version.
// Every field except tasks, data_dir, log_dir and version is optional.
import { $, el, invoke, errorText, say, bytes, duration, formatDateTime, relative } from '../lib.js';
import { health } from './sources.js';

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

const CIRCUIT = { closed: 'closed (normal)', open: 'open (paused)', half_open: 'half-open (retrying)' };

export function createDiagnosticsPage() {
  let seq = 0;

  function render(d) {
    const t = d.tasks || {};
    const mem = t.memory || {};
    const active = Array.isArray(t.active) ? t.active : [];
    const finished = Array.isArray(t.finished) ? t.finished : [];
    const sources = Array.isArray(d.sources) ? d.sources : null;
    const errors = Array.isArray(d.recent_errors) ? d.recent_errors : null;
    const blocks = [
      dl('diag-app', 'Application', [
        ['Version', d.version], ['Data folder', d.data_dir], ['Log folder', d.log_dir],
      ]),
      dl('diag-memory', 'Memory and blocking work', [
        ['Resident memory', bytes(mem.rss_bytes)], ['Anonymous memory', bytes(mem.anon_bytes)],
        ['Blocking jobs in flight', t.blocking_in_flight], ['Blocking jobs in total', t.blocking_total],
      ]),
      table('diag-active', 'Running tasks', ['Id', 'Task', 'Started', 'Running for'],
        active.map((a) => [String(a.id ?? ''), a.name, formatDateTime(a.started_at), duration(a.running_ms)]), 'No task is running.'),
      table('diag-finished', 'Recently finished tasks', ['Task', 'Started', 'Took', 'Outcome', 'Memory change'],
        finished.map((f) => [f.name, formatDateTime(f.started_at), duration(f.duration_ms), f.outcome, bytes(f.rss_delta_bytes)]),
        'No finished task yet.'),
    ];
    if (sources) {
      blocks.push(table('diag-sources', 'Calendars and circuit breakers', ['Calendar', 'Enabled', 'Status', 'Circuit', 'Last success', 'Events', 'Problems'],
        sources.map((s) => {
          const h = s.health || {};
          return [s.name, s.enabled === false ? 'no' : 'yes', h.status, CIRCUIT[h.circuit] || h.circuit,
            h.last_success ? relative(h.last_success) : 'never',
            typeof h.events === 'number' ? String(h.events) : '', health(h).problems.join(' ') || 'none'];
        }), 'No calendars configured.'));
    }
    if (errors) {
      blocks.push(table('diag-errors', 'Recent errors', ['When', 'Calendar', 'Message'],
        errors.map((e) => [formatDateTime(e.at), e.source, e.message]), 'No recent errors.'));
    }
    $('#diagnostics').replaceChildren(...blocks);
  }

  async function load() {
    const mine = ++seq;
    try {
      const d = await invoke('get_diagnostics');
      if (mine !== seq) return;
      render(d || {});
      say($('#diagnostics-status'), `Updated ${new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' }).format(new Date())}.`);
    } catch (e) {
      if (mine === seq) say($('#diagnostics-status'), errorText(e), 'error');
    }
  }

  $('#diagnostics-refresh').addEventListener('click', load);
  return { load };
}
