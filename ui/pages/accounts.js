// The "Add account" form on the Sources page: a CalDAV server address (or an e-mail
// address on a known provider), a user name and an app password; "Find calendars"
// lists the account's calendars with their colours, and the ticked ones are added.
// The password is sent with each of the two calls and cleared from the form after.
import { $, el, invoke, errorText, say, dot } from '../lib.js';

/** @typedef {import('../bindings').AccountInput} AccountInput */
/** @typedef {import('../bindings').AccountPreview} AccountPreview */

/** @param {{ onAdded: () => Promise<void> }} options */
export function createAccountForm({ onAdded }) {
  const status = () => $('#account-form-status');
  /** What "Find calendars" was asked for: adding uses it only while the form still says so. */
  let found = /** @type {{ input: AccountInput, preview: AccountPreview } | null} */ (null);

  /** @returns {AccountInput} */
  function formInput() {
    const address = $('#account-address').value.trim();
    const user = $('#account-user').value.trim();
    const password = $('#account-password').value;
    if (!address) throw new Error('Enter the server’s address (https://…) or your e-mail address.');
    if (!user || !password) throw new Error('Enter the user name and the app password.');
    return { address, user, password };
  }

  const same = (a, b) => a.address === b.address && a.user === b.user && a.password === b.password;

  function setBusy(busy) {
    $('#account-test').disabled = busy;
    $('#account-add').disabled = busy || !found || !ticked().length;
    $('#account-form').setAttribute('aria-busy', String(busy));
  }

  /** @returns {string[]} the hrefs of the ticked calendars not added yet */
  function ticked() {
    return [...document.querySelectorAll('#account-calendar-list input[type="checkbox"]')]
      .filter((b) => /** @type {HTMLInputElement} */ (b).checked && !/** @type {HTMLInputElement} */ (b).disabled)
      .map((b) => /** @type {HTMLInputElement} */ (b).value);
  }

  function clearList() {
    found = null;
    $('#account-calendar-list').replaceChildren();
    $('#account-calendars').hidden = true;
    $('#account-add').disabled = true;
  }

  /** @param {AccountPreview} preview */
  function renderList(preview) {
    const items = preview.calendars.map((c, i) => {
      const id = `account-cal-${i}`;
      const box = el('input', {
        type: 'checkbox', id, value: c.href, checked: true, disabled: c.added,
        on: { change: () => { $('#account-add').disabled = !ticked().length; } },
      });
      return el('li', {}, el('label', { for: id }, box, dot(c.color), c.name,
        c.added ? el('span', { class: 'badge' }, 'already added') : ''));
    });
    $('#account-calendar-list').replaceChildren(...items);
    $('#account-calendars-legend').textContent = `Calendars of this ${preview.provider} account (${preview.server})`;
    $('#account-calendars').hidden = false;
  }

  async function discover() {
    let input;
    try { input = formInput(); } catch (e) { say(status(), errorText(e), 'error'); return; }
    clearList();
    setBusy(true);
    say(status(), 'Looking for the account’s calendars…');
    try {
      const preview = await invoke('discover_account', { input });
      found = { input, preview };
      renderList(preview);
      const n = preview.calendars.length;
      const fresh = preview.calendars.filter((c) => !c.added).length;
      say(status(), fresh
        ? `Found ${n} calendar${n === 1 ? '' : 's'}. Untick the ones you do not want, then add.`
        : 'Every calendar of this account is already added.', 'ok');
    } catch (e) {
      say(status(), errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  }

  async function add(ev) {
    ev.preventDefault();
    let input;
    try { input = formInput(); } catch (e) { say(status(), errorText(e), 'error'); return; }
    if (!found || !same(found.input, input)) {
      clearList();
      say(status(), 'The account changed: find its calendars again first.', 'error');
      return;
    }
    const calendars = ticked();
    if (!calendars.length) { say(status(), 'Tick at least one calendar.', 'error'); return; }
    setBusy(true);
    say(status(), 'Adding…');
    try {
      const added = await invoke('add_account', { input, calendars });
      for (const f of ['#account-address', '#account-user', '#account-password']) $(f).value = '';
      clearList();
      const names = added.map((s) => `“${s.name}”`).join(', ');
      say(status(), `Added ${names || 'nothing new'}. The first sync is running.`, 'ok');
      await onAdded();
    } catch (e) {
      say(status(), errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  }

  // A changed address or user makes the listed calendars someone else's.
  for (const f of ['#account-address', '#account-user']) $(f).addEventListener('input', () => { if (found) clearList(); });
  $('#account-test').addEventListener('click', discover);
  $('#account-form').addEventListener('submit', add);
}
