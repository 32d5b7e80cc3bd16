// People and systems (人员与系统): an agency's CDO manages its own agency's principals — people who
// sign in, systems that call with tokens — and the hub's administrators everyone's. Create one
// with the roles one may give, disable or enable it, reset a person's password, and issue, list
// and revoke a system's tokens: a new token is shown once, here, and never again (the hub keeps
// only its hash). The hub checks each of these itself (members/service.cpp); this page offers
// only what the signed-in principal may do.
import { api, listAll } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { actionButton, actionForm, badge, card, dataTable, emptyRow, errorBox, filterSelect, flashArea, flashNext, loading, message, moreButton, pageHeader, rowPanels, setState } from '../ui.js';

export const AGENCY_ROLES = ['agency_cdo', 'agency_data_officer', 'agency_operator', 'agency_system'];
export const HUB_ROLES = ['hub_admin', 'coordinator'];
// The hub's password rule (members_api.cpp check_password) and token lifetimes
// (auth.token_ttl_days_default 90, auth.token_ttl_days_max 366).
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 200;
export const TOKEN_DAYS = [30, 90, 180, 366];
export const TOKEN_DAYS_DEFAULT = 90;
const PAGE_SIZE = 50;
const COLUMNS = ['name', 'kind', 'roles', 'agency', 'status', 'actions'];

/** The roles `me` may give: every role for a hub_admin, agency_* roles for an agency_cdo, none else. */
export function grantableRoles(me) {
  if (me.roles.includes('hub_admin')) return [...AGENCY_ROLES, ...HUB_ROLES];
  if (me.roles.includes('agency_cdo')) return [...AGENCY_ROLES];
  return [];
}

/** Whether `me` may manage `principal` (its tokens, password, status): the hub answers 404 else. */
export function mayManage(me, principal) {
  if (me.roles.includes('hub_admin')) return true;
  if (!me.roles.includes('agency_cdo') || principal.agency_code !== me.agency_code) return false;
  // A principal of the agency holding a hub role (a coordinator seated there) is not the CDO's.
  return !principal.roles.some((r) => HUB_ROLES.includes(r));
}

// CR, LF and other control characters, which the hub refuses in names (API.md).
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** Characters as the hub counts them (code points). */
const length = (s) => [...s].length;

/** What is wrong with a password before it is sent ('' when nothing): the hub's own rule. */
export function passwordProblem(password) {
  const n = length(password ?? '');
  if (n < PASSWORD_MIN) return t('people.password_short', { min: PASSWORD_MIN });
  if (n > PASSWORD_MAX) return t('people.password_long', { max: PASSWORD_MAX });
  return '';
}

/**
 * What is wrong with a new principal's form before it is sent: [{field, message}], empty when
 * nothing. `form`: {agency, name, kind, roles, password}.
 */
export function principalProblems(form) {
  const out = [];
  const name = (form.name ?? '').trim();
  if (!name) out.push({ field: 'name', message: t('people.name_required') });
  else if (CONTROL.test(name)) out.push({ field: 'name', message: t('people.name_line') });
  else if (length(name) > 100) out.push({ field: 'name', message: t('people.name_long') });
  if (!form.roles?.length) out.push({ field: 'roles', message: t('people.roles_required') });
  if (form.roles?.some((r) => AGENCY_ROLES.includes(r)) && !form.agency) out.push({ field: 'agency_code', message: t('people.agency_required') });
  if (form.kind === 'user') {
    const problem = passwordProblem(form.password);
    if (problem) out.push({ field: 'password', message: problem });
  }
  return out;
}

/** The POST /principals body of the form: a password for people only. */
export function principalBody(form) {
  const body = { name: form.name.trim(), kind: form.kind, roles: [...form.roles] };
  if (form.agency) body.agency_code = form.agency;
  if (form.kind === 'user') body.password = form.password;
  return body;
}

/** A token's state at `now` (ms): active, expired or revoked. */
export function tokenState(token, now = Date.now()) {
  if (token.revoked_at) return 'revoked';
  return Date.parse(token.expires_at) <= now ? 'expired' : 'active';
}

/** Live tokens first (the one ending soonest first), then the rest, latest first. */
export function byTokenState(now = Date.now()) {
  return (a, b) => {
    const la = tokenState(a, now) === 'active' ? 0 : 1;
    const lb = tokenState(b, now) === 'active' ? 0 : 1;
    if (la !== lb) return la - lb;
    return la === 0 ? String(a.expires_at).localeCompare(String(b.expires_at)) : String(b.created_at).localeCompare(String(a.created_at));
  };
}

// Letters and digits that cannot be mistaken for one another when read aloud or copied by hand.
const PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random first password (16 characters; `random(n)` fills a Uint32Array, crypto's by default). */
export function generatePassword(random = (a) => crypto.getRandomValues(a)) {
  const values = random(new Uint32Array(16));
  return Array.from(values, (v) => PASSWORD_ALPHABET[v % PASSWORD_ALPHABET.length]).join('');
}

// --- controls ------------------------------------------------------------------------------------

/** A password box with a "generate" button that fills it with a random one, shown in clear. */
function passwordField(id) {
  const input = h('input', { type: 'text', id, autocomplete: 'new-password', spellcheck: 'false', maxlength: PASSWORD_MAX, minlength: PASSWORD_MIN });
  const generate = h('button', { type: 'button', class: 'btn btn-small', dataset: { generate: id }, onclick: () => (input.value = generatePassword()) }, t('people.generate'));
  const wrap = h('span', { class: 'password-field' }, input, generate);
  wrap.input = input;
  return wrap;
}

/** The element that shows a token once: the text, a copy button, and the warning. */
export function shownOnce(issued) {
  const text = h('input', { type: 'text', readonly: true, class: 'token-text', id: `token-${issued.id}`, value: issued.token, 'aria-label': t('people.token_value') });
  const status = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const copy = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small btn-primary',
      dataset: { copy: issued.id },
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(issued.token);
          status.textContent = t('people.copied');
        } catch {
          // No clipboard (an insecure context, a refusal): select it for Ctrl+C.
          text.select();
          status.textContent = t('people.copy_by_hand');
        }
      },
    },
    t('people.copy'),
  );
  return h(
    'div',
    { class: 'token-once', dataset: { tokenId: issued.id }, role: 'status' },
    message('warning', t('people.token_once', { expires: formatTime(issued.expires_at) })),
    h('div', { class: 'token-line' }, text, copy, status),
  );
}

// --- the actions ---------------------------------------------------------------------------------

const patch = (p, body) => api.patch(`/principals/${encodeURIComponent(p.id)}`, body);

function statusForm(disabled) {
  return (p, done, cancel) =>
    actionForm({
      action: disabled ? 'disable' : 'enable',
      danger: disabled,
      note: t(disabled ? 'people.disable_note' : 'people.enable_note', { name: p.name }),
      fields: [],
      confirmLabel: t(disabled ? 'people.confirm_disable' : 'people.confirm_enable'),
      submit: async () => {
        await patch(p, { disabled });
        done(t(disabled ? 'people.disabled_done' : 'people.enabled_done', { name: p.name }));
      },
      cancel,
    });
}

function passwordForm(p, done, cancel) {
  const password = passwordField(`reset-password-${p.id}`);
  return actionForm({
    action: 'reset-password',
    danger: true,
    note: t('people.reset_note', { name: p.name }),
    fields: [[t('people.field.new_password'), password]],
    confirmLabel: t('people.confirm_reset'),
    validate: () => passwordProblem(password.input.value) || null,
    submit: async () => {
      await patch(p, { password: password.input.value });
      done(t('people.reset_done', { name: p.name }));
    },
    cancel,
  });
}

/** A principal's tokens: the list with revoke, and a form that issues one and shows it once. */
function tokensPanel(p, close) {
  const list = h('div', {}, loading());
  const shown = h('div', { class: 'token-shown' });
  // A failed revocation is said here, never over a token just shown.
  const problems = h('div', { 'aria-live': 'polite' });
  const days = h(
    'select',
    { id: `token-days-${p.id}` },
    TOKEN_DAYS.map((d) => h('option', { value: String(d), selected: d === TOKEN_DAYS_DEFAULT }, t('people.days', { days: d }))),
  );
  const load = async () => {
    let tokens;
    try {
      tokens = await listAll(`/principals/${encodeURIComponent(p.id)}/tokens`);
    } catch (error) {
      fill(list, errorBox(error, load));
      return;
    }
    const now = Date.now();
    tokens.sort(byTokenState(now));
    const tbody = h('tbody', {});
    for (const token of tokens) {
      const state = tokenState(token, now);
      const revoke = async (e) => {
        e.target.disabled = true;
        fill(problems);
        try {
          await api.del(`/tokens/${encodeURIComponent(token.id)}`);
          await load();
        } catch (error) {
          e.target.disabled = false;
          fill(problems, errorBox(error));
        }
      };
      tbody.append(
        h(
          'tr',
          { dataset: { tokenId: token.id, state } },
          h('td', {}, h('code', {}, `hub_${token.prefix}_…`)),
          h('td', {}, tv('people.token_kind', token.kind)),
          h('td', {}, formatTime(token.created_at)),
          h('td', {}, formatTime(token.expires_at)),
          h('td', {}, badge(tv('people.token_state', state), state === 'active' ? 'ok' : 'muted'), token.revoked_at ? h('div', { class: 'muted small' }, formatTime(token.revoked_at)) : null),
          h('td', { class: 'actions' }, state === 'active' ? actionButton('revoke-token', t('people.revoke_token'), revoke, 'btn-danger-outline') : '—'),
        ),
      );
    }
    if (!tokens.length) tbody.append(emptyRow(6, t('people.no_tokens')));
    fill(list, dataTable(`tokens-${p.id}`, ['prefix', 'kind', 'created', 'expires', 'state', 'actions'].map((c) => t(`people.token_col.${c}`)), tbody, 'tokens-table'));
  };
  const issue = actionForm({
    action: 'issue-token',
    note: t('people.issue_note', { name: p.name }),
    fields: [[t('people.field.days'), days]],
    confirmLabel: t('people.confirm_issue'),
    submit: async () => {
      const issued = await api.post(`/principals/${encodeURIComponent(p.id)}/tokens`, { ttl_days: Number(days.value) });
      fill(shown, shownOnce(issued));
      shown.querySelector('button[data-copy]')?.focus();
      await load();
      // Another may be issued (a system rotating its token); the form stays open for it.
      issue.querySelector('button[data-confirm]').disabled = false;
    },
    cancel: close,
  });
  load();
  return h('div', { class: 'tokens-panel', dataset: { principal: p.id } }, h('h3', {}, t('people.tokens_of', { name: p.name })), shown, problems, list, issue);
}

/**
 * The actions on a principal, in the order of their buttons: when each is offered to `me`, and
 * its panel (principal, done(message), cancel) → element.
 */
const ACTIONS = [
  { id: 'tokens', label: 'people.tokens', kind: 'btn-primary', offered: (p) => p.kind === 'system' && !p.disabled, form: (p, done, cancel) => tokensPanel(p, cancel) },
  // One's own password is changed on 我的账户, with the current one asked again.
  { id: 'reset-password', label: 'people.reset', kind: '', offered: (p, me) => p.kind === 'user' && !p.disabled && p.id !== me.principal_id, form: passwordForm },
  { id: 'disable', label: 'people.disable', kind: 'btn-danger-outline', offered: (p, me) => !p.disabled && p.id !== me.principal_id, form: statusForm(true) },
  { id: 'enable', label: 'people.enable', kind: 'btn-primary', offered: (p) => p.disabled, form: statusForm(false) },
];

function createForm(ctx, agencyCode, done) {
  const me = ctx.me;
  const admin = me.roles.includes('hub_admin');
  const kind = h(
    'select',
    { id: 'new-principal-kind' },
    ['user', 'system'].map((k) => h('option', { value: k }, tv('people.kind', k))),
  );
  const name = h('input', { type: 'text', id: 'new-principal-name', maxlength: 100, autocomplete: 'off' });
  const roles = grantableRoles(me);
  const roleBoxes = roles.map((r) => h('input', { type: 'checkbox', value: r, id: `new-principal-role-${r}` }));
  const roleSet = h(
    'fieldset',
    { class: 'apply-choices', id: 'new-principal-roles' },
    h('legend', {}, t('people.field.roles')),
    roles.map((r, i) => h('label', { class: 'apply-choice', for: roleBoxes[i].id }, roleBoxes[i], h('span', {}, tv('role', r)))),
  );
  const agency = admin
    ? h('select', { id: 'new-principal-agency' }, h('option', { value: '' }, t('people.no_agency')), ctx.agencyList().map((a) => h('option', { value: a.code, selected: a.code === agencyCode }, `${a.name}（${a.code}）`)))
    : null;
  const password = passwordField('new-principal-password');
  const passwordRow = h('label', { class: 'field' }, h('span', {}, t('people.field.password')), password);
  const hint = h('p', { class: 'muted small' }, t('people.password_hint'));
  const fitKind = () => {
    const person = kind.value === 'user';
    passwordRow.hidden = !person;
    hint.hidden = !person;
    // A system usually holds agency_system; a person the officers' roles.
    if (!roleBoxes.some((b) => b.checked)) for (const b of roleBoxes) b.checked = !person && b.value === 'agency_system';
  };
  kind.addEventListener('change', fitKind);
  const formOf = () => ({
    agency: admin ? agency.value : me.agency_code,
    name: name.value,
    kind: kind.value,
    roles: roleBoxes.filter((b) => b.checked).map((b) => b.value),
    password: password.input.value,
  });
  const form = actionForm({
    action: 'create-principal',
    note: t(admin ? 'people.create_note_admin' : 'people.create_note', { agency: ctx.agencyName(me.agency_code) }),
    fields: [
      [t('people.field.kind'), kind],
      [t('people.field.name'), name],
      agency ? [t('people.field.agency'), agency] : null,
      [t('people.field.roles'), roleSet],
    ],
    confirmLabel: t('people.confirm_create'),
    validate: () => {
      const problems = principalProblems(formOf());
      return problems.length ? problems.map((p) => p.message).join(' ') : null;
    },
    submit: async () => {
      const form = formOf();
      const created = await api.post('/principals', principalBody(form));
      done(t(created.kind === 'user' ? 'people.created_user' : 'people.created_system', { name: created.name }), created);
    },
  });
  // The password and its hint go after the fields actionForm laid out.
  form.querySelector('.form-fields').append(passwordRow, hint);
  fitKind();
  return form;
}

// --- the page ----------------------------------------------------------------------------------

// The system just created, whose tokens panel opens when the page shows it.
let openNext = null;

export async function render(el, ctx) {
  const me = ctx.me;
  const admin = me.roles.includes('hub_admin');
  // The hub's administrators choose an agency (all by default); a CDO sees its own.
  const agency = admin ? (ctx.params.get('agency') ?? '') : me.agency_code;
  const role = ctx.params.get('role') ?? '';
  const query = (over) => {
    const q = { agency: admin ? agency : '', role, ...over };
    return Object.fromEntries(Object.entries(q).filter(([, v]) => v));
  };
  const filters = h(
    'div',
    { class: 'toolbar' },
    admin
      ? filterSelect('people-agency', t('people.field.agency'), ['', ...ctx.agencyList().map((a) => a.code)], agency, (c) => (c ? ctx.agencyName(c) : t('people.all_agencies')), (v) => ctx.navigate('people', query({ agency: v })))
      : null,
    filterSelect('people-role', t('people.field.role'), ['', ...grantableRoles(me)], role, (r) => (r ? tv('role', r) : t('people.all_roles')), (v) => ctx.navigate('people', query({ role: v }))),
  );
  const createCard = card(t('people.create'), null, { id: 'people-create' });
  const body = h('div', {}, loading());
  const footer = h('div', { class: 'list-footer' });
  el.append(
    pageHeader(t('people.title'), h('span', { class: 'muted' }, t(admin ? 'people.intro_admin' : 'people.intro', { agency: ctx.agencyName(me.agency_code) }))),
    flashArea(),
    card(null, filters),
    card(null, body, { id: 'people-list' }),
    createCard,
  );

  const done = (text) => {
    flashNext(text);
    ctx.navigate('people', query());
  };
  // After a system is created, its first token is what the CDO wants next: open its panel.
  const afterCreate = (text, principal) => {
    flashNext(text);
    if (principal.kind === 'system') openNext = principal.id;
    ctx.navigate('people', query());
  };
  createCard.append(createForm(ctx, agency, afterCreate));

  const tbody = h('tbody', {});
  const panels = rowPanels();
  const openAfter = openNext;
  openNext = null;
  const addRows = (principals) => {
    for (const p of principals) {
      const panel = panels.add(COLUMNS.length);
      const manage = mayManage(me, p);
      const actions = manage
        ? ACTIONS.filter((a) => a.offered(p, me)).map((a) => actionButton(a.id, t(a.label), () => panel.toggle(a.id, () => a.form(p, done, () => panel.hide())), a.kind))
        : [];
      tbody.append(
        h(
          'tr',
          { dataset: { id: p.id, name: p.name, kind: p.kind, disabled: String(p.disabled) } },
          h('td', { class: 'strong' }, p.name, p.id === me.principal_id ? h('span', { class: 'muted small' }, ` ${t('people.you')}`) : null),
          h('td', {}, tv('people.kind', p.kind)),
          h('td', {}, h('div', { class: 'chips' }, p.roles.map((r) => h('span', { class: 'chip' }, tv('role', r))))),
          h('td', {}, ctx.agencyName(p.agency_code)),
          h('td', { class: 'status-cell' }, badge(t(p.disabled ? 'people.state_disabled' : 'people.state_active'), p.disabled ? 'danger' : 'ok'), h('div', { class: 'muted small' }, formatTime(p.created_at))),
          h('td', { class: 'actions' }, actions.length ? actions : '—'),
        ),
        panel.row,
      );
      if (p.id === openAfter && p.kind === 'system') panel.show('tokens', tokensPanel(p, () => panel.hide()));
    }
  };
  const loadPage = async (cursor) => {
    const page = await api.get('/principals', { ...query(), limit: PAGE_SIZE, cursor });
    addRows(page.items);
    if (!cursor && !page.items.length) tbody.append(emptyRow(COLUMNS.length, t('people.empty')));
    fill(footer, moreButton(page.next_cursor, loadPage, footer, { id: 'people-more' }));
  };
  try {
    await loadPage(undefined);
  } catch (error) {
    fill(body, errorBox(error, () => ctx.navigate('people', query())));
    setState(el, 'error');
    return;
  }
  fill(body, dataTable('people-table', COLUMNS.map((c) => t(`people.col.${c}`)), tbody), footer);
  setState(el, 'ready');
}
