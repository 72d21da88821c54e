// CalendarBot's window. Every string that comes from a feed or the backend is
// inserted with textContent (el() in lib.js), never innerHTML: feed text is hostile
// input. Links are opened only by Rust, through join_occurrence(key).
import { createNextPage } from './pages/next.js';
import { createAgendaPage } from './pages/agenda.js';
import { createSourcesPage } from './pages/sources.js';
import { createSettingsPage } from './pages/settings.js';
import { createDiagnosticsPage } from './pages/diagnostics.js';
import { invoke, applyClock } from './lib.js';

const pages = {
  next: createNextPage({ go: (p) => show(p, { focus: true }) }),
  agenda: createAgendaPage(),
  sources: createSourcesPage(),
  settings: createSettingsPage(),
  diagnostics: createDiagnosticsPage(),
};
let current = 'next';
let timer = null;

const visible = () => document.visibilityState !== 'hidden';

function reload() {
  const page = pages[current];
  if (page) page.load().catch(() => {});
}

// Periodic refresh (the countdown on "What's next", the agenda's now line) only while
// the window is visible and that page is shown: no timers otherwise. A page with a
// tick() updates itself in place; the others are re-loaded.
function schedule() {
  if (timer) { clearInterval(timer); timer = null; }
  const page = pages[current];
  const every = page && page.refreshEvery;
  if (every && visible()) timer = setInterval(() => (page.tick ? page.tick() : page.load()).catch(() => {}), every);
}

// The heading of a page: the target of the focus when the page is shown, so a screen
// reader reads where the user went and Tab continues from the page's top.
function heading(page) {
  const section = document.getElementById(`page-${page}`);
  const h = section && document.getElementById(section.getAttribute('aria-labelledby'));
  if (h && !h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
  return h;
}

/**
 * @param {string} page
 * @param {{ focus?: boolean }} [options] focus: move the focus to the page's heading (a navigation by the user)
 */
function show(page, { focus = false } = {}) {
  if (!pages[page]) return;
  current = page;
  for (const b of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('nav button[data-page]'))) {
    if (b.dataset.page === page) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
  }
  for (const s of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.page'))) s.hidden = s.id !== `page-${page}`;
  document.body.dataset.page = page;
  if (focus) heading(page)?.focus();
  reload();
  schedule();
}

for (const b of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('nav button[data-page]'))) b.addEventListener('click', () => show(b.dataset.page, { focus: true }));

document.addEventListener('visibilitychange', () => {
  if (visible()) reload();
  schedule();
});

// Ctrl+W closes the window (the app stays in the tray; the webview is freed).
document.addEventListener('keydown', (e) => {
  if (!e.ctrlKey || e.altKey || e.metaKey || e.key.toLowerCase() !== 'w') return;
  e.preventDefault();
  invoke('close_window').catch(() => {});
});

// Keyboard: on the agenda, ←/→ or [/] move, t goes to today, d/w switch the view.
document.addEventListener('keydown', (e) => {
  if (current !== 'agenda' || e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey) return;
  const t = /** @type {any} */ (e.target);
  // Not while typing, nor behind an open event dialog (its own keys: Tab, Esc).
  if (t && (t.closest('input, select, textarea, [contenteditable], dialog') || t.isContentEditable)) return;
  const agenda = pages.agenda;
  const actions = {
    ArrowLeft: agenda.prev, '[': agenda.prev, ArrowRight: agenda.next, ']': agenda.next,
    t: agenda.today, T: agenda.today, d: () => agenda.setView('day'), w: () => agenda.setView('week'),
  };
  const action = actions[e.key];
  if (!action) return;
  e.preventDefault();
  action().catch(() => {});
});

// Backend events: re-load the page shown when the cache or the sources change.
// Same call shape as @tauri-apps/api/event listen() in Tauri 2.
let pending = null;
function onChanged() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; if (visible()) reload(); }, 150);
}
/**
 * @param {import('./bindings').EventName} event
 * @param {() => void} handler
 */
function listen(event, handler) {
  const internals = window.__TAURI_INTERNALS__;
  if (!internals || typeof internals.transformCallback !== 'function') return Promise.resolve();
  return internals.invoke('plugin:event|listen', {
    event, target: { kind: 'Any' }, handler: internals.transformCallback(handler),
  }).catch(() => {});
}
listen('agenda-changed', onChanged);
listen('sources-changed', onChanged);

// The clock first, so the first page already writes times as the tray does.
invoke('get_overview').then((o) => applyClock(o.clock)).catch(() => {}).finally(() => show('next'));
