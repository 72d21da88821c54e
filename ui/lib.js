// Shared helpers for CalendarBot's window. Every string that comes from a feed or
// the backend is inserted with textContent (through el()), never innerHTML, and never
// used as a URL: feed text is hostile input. Links open only through Rust, by key.
export const invoke = (cmd, args) => window.__TAURI_INTERNALS__.invoke(cmd, args);

export const $ = (sel, root = document) => root.querySelector(sel);

// Bidi overrides and isolates (a "gnp.exe" spoof) and C0 controls other than tab and
// newline are dropped from displayed text; everything else is shown literally.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;
export const clean = (s) => s.replace(CONTROL, '');

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'hidden') node[k] = v;
    else if (k === 'style' || k === 'href' || k === 'src' || k.startsWith('on')) throw new Error(`el(): ${k} is not allowed`);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === '' || c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(clean(String(c))));
  }
  return node;
}

/** The message of an invoke error ({ code, message }), or of anything else thrown. */
export function errorText(e) {
  if (e && typeof e === 'object' && typeof e.message === 'string') return e.message;
  return String(e ?? 'unknown error');
}

/** Shows a status or error message in a live region; `kind` is 'error', 'ok' or ''. */
export function say(node, text, kind = '') {
  if (!node) return;
  node.classList.add('status');
  node.classList.toggle('error', kind === 'error');
  node.classList.toggle('ok', kind === 'ok');
  node.textContent = text || '';
}

const COLOR = /^#[0-9a-fA-F]{6}$/;
export const validColor = (c) => typeof c === 'string' && COLOR.test(c);

/** A calendar colour dot; the colour is applied only when it is a plain #RRGGBB. */
export function dot(color) {
  const d = el('span', { class: 'dot', 'aria-hidden': 'true' });
  if (validColor(color)) d.style.backgroundColor = color;
  return d;
}

export const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
export const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
export const longDayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });
export const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relFmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** A Date at local noon of a 'YYYY-MM-DD' string (noon keeps day arithmetic clear of DST). */
export function parseDay(s) {
  const [y, m, d] = String(s).split('-').map(Number);
  return new Date(y, m - 1, d, 12, 0, 0);
}
/** The local calendar date of a Date, as 'YYYY-MM-DD'. */
export function dayKey(date) {
  const p = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}`;
}
export function addDays(date, n) {
  const d = new Date(date.getFullYear(), date.getMonth(), date.getDate() + n, 12, 0, 0);
  return d;
}
/** Local midnight of a 'YYYY-MM-DD' day, as a Date. */
export function dayStart(key) {
  const d = parseDay(key);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate(), 0, 0, 0);
}

export function formatDateTime(rfc3339) {
  if (!rfc3339) return '';
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? String(rfc3339) : dateTimeFmt.format(d);
}

/** "3 minutes ago", "in 2 hours", from an RFC 3339 string. */
export function relative(rfc3339, now = Date.now()) {
  if (!rfc3339) return '';
  const t = new Date(rfc3339).getTime();
  if (Number.isNaN(t)) return String(rfc3339);
  const s = Math.round((t - now) / 1000);
  const a = Math.abs(s);
  if (a < 45) return relFmt.format(0, 'second');
  if (a < 45 * 60) return relFmt.format(Math.round(s / 60), 'minute');
  if (a < 22 * 3600) return relFmt.format(Math.round(s / 3600), 'hour');
  return relFmt.format(Math.round(s / 86400), 'day');
}

export function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function bytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '';
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  for (const unit of ['B', 'KiB', 'MiB', 'GiB']) {
    if (v < 1024 || unit === 'GiB') return `${sign}${unit === 'B' ? v : v.toFixed(1)} ${unit}`;
    v /= 1024;
  }
  return '';
}

/** "all day", or "Mon, Mar 2 09:00–09:30" in the local zone. */
export function when(o) {
  if (o.all_day) {
    if (o.start_date && o.end_date) {
      const last = addDays(parseDay(o.end_date), -1);
      if (dayKey(last) !== o.start_date) return `all day, ${dayFmt.format(parseDay(o.start_date))}–${dayFmt.format(last)}`;
    }
    return o.start_date ? `all day, ${dayFmt.format(parseDay(o.start_date))}` : 'all day';
  }
  const s = new Date(o.start);
  const e = new Date(o.end);
  const sameDay = dayKey(s) === dayKey(e) || e - s <= 0;
  return sameDay
    ? `${dayFmt.format(s)} ${timeFmt.format(s)}–${timeFmt.format(e)}`
    : `${dayFmt.format(s)} ${timeFmt.format(s)} – ${dayFmt.format(e)} ${timeFmt.format(e)}`;
}

const UNSAFE_SCHEME = /^\s*(javascript|data|vbscript|file|blob):/i;

/** Join button: opens the meeting through Rust by key; the URL itself is never used here. */
export function joinButton(o, onError) {
  if (!o.join_url || o.cancelled || UNSAFE_SCHEME.test(o.join_url)) return '';
  return el('button', {
    type: 'button', class: 'join', 'data-testid': 'join', 'data-key': o.key,
    'aria-label': `Join ${o.summary || 'meeting'}`,
    on: { click: () => invoke('join_occurrence', { key: o.key }).catch((e) => onError && onError(e)) },
  }, 'Join');
}

/** Small words next to an event: cancelled, declined, tentative, free, ... */
export function badges(o, extra = []) {
  const list = [];
  if (o.cancelled) list.push(['cancelled', 'cancelled']);
  if (o.my_status === 'declined') list.push(['declined', 'declined']);
  if (o.tentative || o.my_status === 'tentative') list.push(['tentative', 'tentative']);
  if (o.my_status === 'needs_action') list.push(['needs-action', 'not answered']);
  if (o.free) list.push(['free', 'free']);
  if (o.truncated) list.push(['truncated', 'recurrence cut short']);
  list.push(...extra);
  return list.map(([cls, text]) => el('span', { class: `badge badge-${cls}` }, text));
}

/** CSS classes of an event row. */
export function eventClasses(o) {
  return [
    o.cancelled ? 'cancelled' : '',
    o.my_status === 'declined' ? 'declined' : '',
    o.tentative || o.my_status === 'tentative' ? 'tentative' : '',
    o.free ? 'free' : '',
  ].filter(Boolean).join(' ');
}
