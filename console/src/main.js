// The console's shell: sign-in, the header and navigation, and hash routing (#/report?from=...,
// #/computations/CODE for one item of a page that takes a path) to one page module at a time.
import './styles.css';

import { api, clearSession, getSession, listAll, onUnauthorized, signIn } from './api.js';
import { fill, h } from './dom.js';
import { getLang, initLang, LANG_NAMES, LANGS, onLangChange, setLang, t, tv } from './i18n.js';
import { canSee, PAGES, pagesFor } from './roles.js';
import { errorBox, message, setState } from './ui.js';
import * as overview from './pages/overview.js';
import * as report from './pages/report.js';
import * as catalog from './pages/catalog.js';
import * as inbox from './pages/inbox.js';
import * as alerts from './pages/alerts.js';
import * as ledger from './pages/ledger.js';
import * as issues from './pages/issues.js';
import * as grants from './pages/grants.js';
import * as demands from './pages/demands.js';
import * as escalations from './pages/escalations.js';
import * as returns from './pages/returns.js';
import * as indicators from './pages/indicators.js';
import * as dashboard from './pages/dashboard.js';
import * as agencyAdmin from './pages/agencies.js';
import * as computations from './pages/computations.js';
import * as applications from './pages/apply.js';
import * as people from './pages/people.js';
import * as account from './pages/account.js';
import * as objections from './pages/objections.js';
import * as records from './pages/records.js';
import * as todo from './pages/todo.js';

const pageModules = { todo, overview, dashboard, report, issues, catalog, records, computations, inbox, applications, grants, objections, demands, escalations, returns, indicators, alerts, agencies: agencyAdmin, people, ledger, account };
const root = document.getElementById('app');

// Set once signed in.
let me = null;
let agencies = new Map();
let leaveCurrent = [];

// --- routing ----------------------------------------------------------------------------------

/** The route: its page, the rest of its path (decoded segments) and its query. */
function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [page, ...rest] = path.split('/');
  let segments;
  try {
    segments = rest.filter(Boolean).map(decodeURIComponent);
  } catch {
    segments = null; // a malformed %-escape: no such page
  }
  return { page, path: segments, params: new URLSearchParams(query) };
}

function navigate(page, params = {}) {
  const qs = new URLSearchParams(params).toString();
  const hash = `#/${page}${qs ? `?${qs}` : ''}`;
  // The same address again (a refresh, a repeated search) fires no hashchange: route at once.
  if (location.hash === hash) route();
  else location.hash = hash;
}

function leave() {
  for (const fn of leaveCurrent) {
    try {
      fn();
    } catch {
      // a page's clean-up must not stop the next page
    }
  }
  leaveCurrent = [];
}

function route() {
  if (!me) return;
  const { page, path, params } = parseHash();
  const allowed = pagesFor(me.roles);
  if (!page) {
    navigate(allowed[0] ?? 'catalog');
    return;
  }
  leave();
  for (const a of document.querySelectorAll('.sidenav a')) {
    a.classList.toggle('active', a.dataset.route === page);
    if (a.dataset.route === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = document.getElementById('view');
  const el = h('div', { class: 'page', dataset: { page } });
  fill(view, el);
  // A path under a page (#/computations/CODE) only where the page takes one.
  if (!PAGES.includes(page) || !path || (path.length && !pageModules[page].takesPath)) {
    setState(el, 'not-found');
    fill(el, message('info', t('app.not_found')));
    return;
  }
  if (!canSee(me.roles, page)) {
    setState(el, 'no-access');
    fill(
      el,
      h(
        'div',
        { class: 'no-access card' },
        h('div', { class: 'no-access-icon', 'aria-hidden': 'true' }, '⛔'),
        h('h1', {}, t('app.no_access_title')),
        h('p', {}, t('app.no_access')),
      ),
    );
    return;
  }
  setState(el, 'loading');
  const ctx = {
    me,
    params,
    /** The route's path under the page, decoded: ['CODE'] for #/computations/CODE, else []. */
    path,
    navigate,
    agencyName: (code) => (code ? (agencies.get(code) ?? code) : '—'),
    /** Every agency as {code, name}, by name. */
    agencyList: () => [...agencies].map(([code, name]) => ({ code, name })).sort((a, b) => a.name.localeCompare(b.name, 'zh-CN')),
    /** Reads the agencies' names again (after one was renamed). */
    reloadAgencies: loadAgencies,
    signedOut,
    onLeave: (fn) => leaveCurrent.push(fn),
  };
  Promise.resolve(pageModules[page].render(el, ctx)).catch((error) => {
    setState(el, 'error');
    el.append(errorBox(error));
  });
}

// --- the shell --------------------------------------------------------------------------------

const EMBLEM = `<svg viewBox="0 0 32 32" width="32" height="32" aria-hidden="true">
  <rect x="1" y="1" width="30" height="30" rx="7" fill="#c8102e"/>
  <path d="M8 21h16M10 21V13M16 21V10M22 21V15" stroke="#fff" stroke-width="2.4" stroke-linecap="round"/>
  <circle cx="16" cy="8.5" r="1.8" fill="#ffd65c"/></svg>`;

// Navigation icons: inline SVG paths (24×24), so the page needs no images at all.
const NAV_ICONS = {
  todo: 'M9 3h6v2h4v17H5V5h4zm0 4H7v13h10V7h-2v2H9zm1.5 6.5 1.5 1.5 3.5-3.5 1 1-4.5 4.5-2.5-2.5z',
  overview: 'M4 20V10h3v10zm6.5 0V4h3v16zM17 20v-7h3v7z',
  report: 'M6 2h9l5 5v15H6zm8 1.5V8h4.5zM8 12v2h10v-2zm0 4v2h10v-2z',
  catalog: 'M3 4h18v4H3zm0 6h18v4H3zm0 6h18v4H3z',
  inbox: 'M3 5h18v14H3zm2 2v.5l7 4.5 7-4.5V7zm0 2.9V17h14V9.9l-7 4.5z',
  applications: 'M6 2h12v4h-2V4H8v16h4v2H6zm3 6h6v2H9zm0 4h4v2H9zm9.5 1 3.5 3.5-5.5 5.5H13v-3.5z',
  alerts: 'M12 2 1 21h22zm-1 7h2v6h-2zm0 8h2v2h-2z',
  ledger: 'M12 1 3 5v6c0 5.5 3.8 10.7 9 12 5.2-1.3 9-6.5 9-12V5zm-1.5 15.5-4-4 1.4-1.4 2.6 2.6 5.6-5.6 1.4 1.4z',
  issues: 'M5 2h14v20l-7-4-7 4zm3 4v2h8V6zm0 4v2h8v-2z',
  grants: 'M7 14a5 5 0 1 1 4.9-6H23v4h-2v4h-4v-4h-5.1A5 5 0 0 1 7 14zm0-3a2 2 0 1 0 0-4 2 2 0 0 0 0 4z',
  demands: 'M4 3h16v4H4zm0 7h10v4H4zm0 7h16v4H4zm13-7h3v3h-3z',
  escalations: 'M12 2 4 10h5v6h6v-6h5zM4 19h16v3H4z',
  returns: 'M12 3a9 9 0 1 1-8.5 6H1l4-4 4 4H6.6A6 6 0 1 0 12 6zm-1 4h2v5l4 2.3-1 1.7-5-3z',
  indicators: 'M3 3h2v16h16v2H3zm4 10h2v4H7zm4-4h2v8h-2zm4-3h2v11h-2zm4 5h2v6h-2z',
  dashboard: 'M3 3h8v8H3zm10 0h8v5h-8zM3 13h8v8H3zm10-3h8v11h-8z',
  agencies: 'M3 21V8l9-5 9 5v13h-7v-6h-4v6zm4-10v2h2v-2zm8 0v2h2v-2z',
  computations: 'M5 3h14v5h-2V5H8.8l5 7-5 7H17v-3h2v5H5v-1.6L10.7 12 5 4.6z',
  records: 'M12 2 7 7h3v6h4V7h3zM4 15h3v4h10v-4h3v7H4z',
  objections: 'M4 3h16v12H8l-4 4zm7 3v4h2V6zm0 6v2h2v-2z',
  people: 'M9 11a4 4 0 1 1 0-8 4 4 0 0 1 0 8zm-7 9v-1.5C2 15.5 5.1 13 9 13s7 2.5 7 5.5V20zm15-9.5a3 3 0 1 1 0-6 3 3 0 0 1 0 6zM18 20v-1.5c0-1.7-.7-3.3-1.9-4.5 3.3.3 5.9 2.2 5.9 4.5V20z',
  account: 'M12 12a5 5 0 1 1 0-10 5 5 0 0 1 0 10zm-9 10v-2c0-3.3 4-6 9-6s9 2.7 9 6v2z',
};

function navIcon(page) {
  const span = h('span', { class: 'nav-icon', 'aria-hidden': 'true' });
  span.innerHTML = `<svg viewBox="0 0 24 24"><path d="${NAV_ICONS[page]}"/></svg>`; // constants of this file
  return span;
}

function emblem() {
  const span = h('span', { class: 'emblem' });
  span.innerHTML = EMBLEM; // a constant of this file, not data
  return span;
}

function langSwitch() {
  return h(
    'label',
    { class: 'lang-switch' },
    h('span', { class: 'sr-only' }, t('app.lang_label')),
    h(
      'select',
      { id: 'lang-select', 'aria-label': t('app.lang_label'), onchange: (e) => setLang(e.target.value) },
      LANGS.map((l) => h('option', { value: l, selected: l === getLang() }, LANG_NAMES[l])),
    ),
  );
}

function brand() {
  return h(
    'div',
    { class: 'brand' },
    emblem(),
    h('div', {}, h('div', { class: 'brand-title' }, t('app.title')), h('div', { class: 'brand-sub' }, t('app.subtitle'))),
  );
}

function renderShell() {
  document.title = t('app.title');
  const roles = me.roles.map((r) => tv('role', r)).join('、');
  const header = h(
    'header',
    { class: 'topbar' },
    brand(),
    h(
      'div',
      { class: 'topbar-right' },
      langSwitch(),
      h(
        'div',
        { class: 'user', title: t('app.signed_in_as') },
        h('span', { class: 'user-name', id: 'user-name' }, h('a', { href: '#/account', title: t('nav.account') }, me.name)),
        h('span', { class: 'user-meta' }, [me.agency_code ? agencies.get(me.agency_code) ?? me.agency_code : null, roles].filter(Boolean).join(' · ')),
      ),
      h('button', { class: 'btn btn-ghost', id: 'sign-out', type: 'button', onclick: signOut }, t('app.sign_out')),
    ),
  );
  const nav = h(
    'nav',
    { class: 'sidenav', 'aria-label': t('app.subtitle') },
    h(
      'ul',
      {},
      pagesFor(me.roles).map((p) =>
        h('li', {}, h('a', { href: `#/${p}`, dataset: { route: p } }, navIcon(p), t(`nav.${p}`))),
      ),
    ),
    h('div', { class: 'sidenav-foot' }, t('app.footer')),
  );
  fill(root, header, h('div', { class: 'shell' }, nav, h('main', { id: 'view', tabindex: '-1' })));
  route();
}

function signOut() {
  // The session ends on the hub too, so a copy of its token is worth nothing from now on; the
  // console does not wait for the answer (it forgets the token either way).
  const session = getSession();
  if (session && me?.token_id) {
    fetch(`/api/v1/tokens/${encodeURIComponent(me.token_id)}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${session.token}` },
      credentials: 'omit',
      cache: 'no-store',
      keepalive: true,
    }).catch(() => {});
  }
  signedOut();
}

/** Forgets the session in the page and shows the sign-in form (the hub has ended it already). */
function signedOut() {
  clearSession();
  me = null;
  leave();
  showSignIn('signed_out');
}

// --- sign-in ----------------------------------------------------------------------------------

function showSignIn(note) {
  me = null;
  leave();
  document.title = t('app.title');
  const error = h('div', { class: 'signin-error', 'aria-live': 'polite' });
  const name = h('input', { id: 'signin-name', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { class: 'btn btn-primary btn-block', type: 'submit', id: 'signin-submit' }, t('signin.submit'));
  const form = h(
    'form',
    {
      class: 'signin-card',
      id: 'signin-form',
      onsubmit: async (e) => {
        e.preventDefault();
        submit.disabled = true;
        submit.textContent = t('signin.busy');
        fill(error);
        try {
          await signIn(name.value.trim(), password.value);
          await start();
        } catch (err) {
          // A refused sign-in is said in the console's language; anything else as the hub put it.
          fill(error, err.status === 401 ? message('error', t('signin.failed')) : errorBox(err));
          submit.disabled = false;
          submit.textContent = t('signin.submit');
        }
      },
    },
    h('div', { class: 'signin-brand' }, brand()),
    h('h1', {}, t('signin.title')),
    h('p', { class: 'muted' }, t('signin.hint')),
    note ? message(note === 'expired' ? 'warning' : 'info', t(`signin.${note}`)) : null,
    h('label', { class: 'field' }, h('span', {}, t('signin.name')), name),
    h('label', { class: 'field' }, h('span', {}, t('signin.password')), password),
    error,
    submit,
  );
  fill(root, h('div', { class: 'signin-page', dataset: { page: 'signin' } }, h('div', { class: 'signin-lang' }, langSwitch()), form));
  name.focus();
}

async function start() {
  const view = h('div', { class: 'boot' }, h('span', { class: 'spinner' }));
  fill(root, view);
  try {
    me = await api.get('/me');
    me.roles ??= [];
  } catch (error) {
    if (error.status === 401) return; // onUnauthorized shows the sign-in form
    fill(root, h('div', { class: 'boot' }, errorBox(error, start)));
    return;
  }
  // Agency names for codes everywhere; the console still works with bare codes without them.
  try {
    await loadAgencies();
  } catch {
    if (!getSession()) return;
    agencies = new Map();
  }
  renderShell();
}

async function loadAgencies() {
  agencies = new Map((await listAll('/agencies')).map((a) => [a.code, a.name]));
}

// --- boot -------------------------------------------------------------------------------------

initLang();
onUnauthorized(() => showSignIn('expired'));
onLangChange(() => (me ? renderShell() : showSignIn()));
window.addEventListener('hashchange', route);
if (getSession()) start();
else showSignIn();
