// WCAG 2 contrast of every text/background pair the window's stylesheet uses, in light
// and dark, read from the custom properties in ui/style.css. Exits 1 below 4.5:1.
// Run: node scripts/contrast.mjs
import { readFileSync } from 'node:fs';

const css = readFileSync(new URL('../ui/style.css', import.meta.url), 'utf8');
const vars = (block) => Object.fromEntries([...block.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})/g)].map((m) => [m[1], m[2]]));
const light = vars(css.match(/:root\s*\{([^}]*)\}/)[1]);
const dark = { ...light, ...vars(css.match(/prefers-color-scheme: dark\)\s*\{\s*:root\s*\{([^}]*)\}/)[1]) };

const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const hex = (c) => `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
function luminance(h) {
  const [r, g, b] = rgb(h).map((v) => { const c = v / 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
// color-mix(in srgb, c p%, base): the tint of soft (past, cancelled, ...) event blocks.
const mix = (c, p, base) => hex(rgb(c).map((v, i) => v * p + rgb(base)[i] * (1 - p)));
const tint = Number(css.match(/--soft-mix:\s*([\d.]+)%/)[1]) / 100;

// [what, text variable, background variable or a literal colour]
const PAIRS = [
  ['body text', 'fg', 'bg'], ['body text on a card / odd row', 'fg', 'card'],
  ['.muted (times, hints)', 'muted', 'bg'], ['.muted on a card / odd row', 'muted', 'card'],
  ['links, today, badge-today', 'accent', 'bg'], ['accent on a card', 'accent', 'card'],
  ['errors, cancelled badge', 'error', 'bg'], ['error on a card', 'error', 'card'],
  ['warnings, tentative badge', 'warn', 'bg'], ['warn on a card', 'warn', 'card'],
  ['ok status', 'ok', 'bg'], ['ok on a card', 'ok', 'card'],
  ['primary / Join / pressed buttons', 'on-accent', 'accent'], ['danger button', 'on-accent', 'error'],
];
// Soft event blocks keep --fg text (nothing muted inside) on a tint of the calendar's
// colour; the extremes (black, white, pure hues) bound every colour a calendar can have.
// Solid blocks need no rows: lib.js inkFor() picks black or white, one of which always
// reaches 4.58:1; without a calendar colour they are on-accent on accent, listed above.
const SOFT = ['accent', '#000000', '#ffffff', '#ff0000', '#00ff00', '#0000ff', '#ffff00', '#2563eb'];

let worst = Infinity;
for (const [scheme, v] of [['light', light], ['dark', dark]]) {
  console.log(`\n${scheme}`);
  const row = (what, fg, bg) => {
    const r = ratio(fg, bg);
    worst = Math.min(worst, r);
    console.log(`${r >= 4.5 ? '  ok ' : 'FAIL '} ${r.toFixed(2).padStart(5)}  ${fg} on ${bg}  ${what}`);
  };
  for (const [what, fg, bg] of PAIRS) row(what, v[fg], v[bg] || bg);
  for (const c of SOFT) {
    const base = v[c] || c;
    row(`past/cancelled block tinted ${c}`, v.fg, mix(base, tint, v.bg));
  }
}
console.log(`\nlowest: ${worst.toFixed(2)}:1`);
process.exit(worst >= 4.5 ? 0 : 1);
