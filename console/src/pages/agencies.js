// Agencies (机构管理), for the hub's administrators: the member agencies, renamed, moved under
// another parent, disabled or enabled again, or succeeded by another in a reorganisation
// (机构改革). A disabled agency's principals are refused at once, on every node.
import { api, listAll } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { actionButton, actionForm, badge, card, dataTable, emptyRow, errorBox, flashArea, flashNext, loading, pageHeader, rowPanels, setState } from '../ui.js';

const COLUMNS = ['code', 'name', 'level', 'parent', 'status', 'actions'];

/**
 * The PATCH body that takes `agency` to the edited values: only what changed (name trimmed;
 * parent '' for none → null); null when nothing did.
 */
export function agencyChange(agency, { name, parent_code: parent }) {
  const change = {};
  const newName = String(name ?? '').trim();
  if (newName && newName !== agency.name) change.name = newName;
  const newParent = parent || null;
  if (newParent !== (agency.parent_code ?? null)) change.parent_code = newParent;
  return Object.keys(change).length ? change : null;
}

/** The codes of `code` and every agency under it: none of them may become its parent. */
export function selfAndDescendants(code, agencies) {
  const children = new Map();
  for (const a of agencies) {
    if (!a.parent_code) continue;
    if (!children.has(a.parent_code)) children.set(a.parent_code, []);
    children.get(a.parent_code).push(a.code);
  }
  const out = new Set([code]);
  const stack = [code];
  while (stack.length) {
    for (const child of children.get(stack.pop()) ?? []) {
      if (out.has(child)) continue;
      out.add(child);
      stack.push(child);
    }
  }
  return out;
}

// --- the actions ---------------------------------------------------------------------------------

const patch = (agency, body) => api.patch(`/agencies/${encodeURIComponent(agency.code)}`, body);

function editForm(agency, all, done, cancel) {
  const name = h('input', { type: 'text', id: `agency-name-${agency.code}`, value: agency.name, maxlength: 200 });
  const excluded = selfAndDescendants(agency.code, all);
  const parent = h(
    'select',
    { id: `agency-parent-${agency.code}` },
    h('option', { value: '' }, t('agencies.no_parent')),
    all.filter((a) => !excluded.has(a.code)).map((a) => h('option', { value: a.code, selected: a.code === agency.parent_code }, `${a.name}（${a.code}）`)),
  );
  return actionForm({
    action: 'edit',
    fields: [
      [t('agencies.field.name'), name],
      [t('agencies.field.parent'), parent],
    ],
    confirmLabel: t('agencies.confirm_edit'),
    validate: () => (!name.value.trim() ? t('agencies.name_required') : agencyChange(agency, { name: name.value, parent_code: parent.value }) ? null : t('agencies.unchanged')),
    submit: async () => {
      const changed = await patch(agency, agencyChange(agency, { name: name.value, parent_code: parent.value }));
      done(t('agencies.saved', { name: changed.name }));
    },
    cancel,
  });
}

function statusForm(status) {
  return (agency, all, done, cancel) =>
    actionForm({
      action: status === 'disabled' ? 'disable' : 'enable',
      danger: status === 'disabled',
      note: t(status === 'disabled' ? 'agencies.disable_note' : 'agencies.enable_note', { name: agency.name }),
      fields: [],
      confirmLabel: t(status === 'disabled' ? 'agencies.confirm_disable' : 'agencies.confirm_enable'),
      submit: async () => {
        await patch(agency, { status });
        done(t(status === 'disabled' ? 'agencies.disabled' : 'agencies.enabled', { name: agency.name }));
      },
      cancel,
    });
}

function successionForm(agency, all, done, cancel) {
  const successor = h(
    'select',
    { id: `agency-successor-${agency.code}` },
    h('option', { value: '' }, t('agencies.choose_successor')),
    all.filter((a) => a.code !== agency.code && a.status !== 'disabled').map((a) => h('option', { value: a.code }, `${a.name}（${a.code}）`)),
  );
  return actionForm({
    action: 'succeed',
    danger: true,
    note: t('agencies.succeed_note', { name: agency.name }),
    fields: [[t('agencies.field.successor'), successor]],
    confirmLabel: t('agencies.confirm_succeed'),
    validate: () => (successor.value ? null : t('agencies.successor_required')),
    submit: async () => {
      const out = await api.post(`/agencies/${encodeURIComponent(agency.code)}/succession`, { successor_code: successor.value });
      done(t('agencies.succeeded', { name: agency.name, successor: successor.selectedOptions[0].textContent, ...out.moved }));
    },
    cancel,
  });
}

/**
 * The actions on an agency, in the order of their buttons: when each is offered, and its form
 * (agency, every agency, done(message), cancel) → element. A new action is one more entry.
 */
export const ACTIONS = [
  { id: 'edit', label: 'agencies.edit', kind: '', offered: () => true, form: editForm },
  { id: 'disable', label: 'agencies.disable', kind: 'btn-danger-outline', offered: (a) => a.status !== 'disabled', form: statusForm('disabled') },
  // A succeeded agency stays disabled: its duties are its successor's.
  { id: 'enable', label: 'agencies.enable', kind: 'btn-primary', offered: (a) => a.status === 'disabled' && !a.successor_code, form: statusForm('active') },
  { id: 'succeed', label: 'agencies.succeed', kind: 'btn-danger-outline', offered: (a) => a.status !== 'disabled', form: successionForm },
];

// --- the page ----------------------------------------------------------------------------------

export async function render(el, ctx) {
  const q = (ctx.params.get('q') ?? '').trim();
  const search = h('input', { type: 'search', id: 'agencies-q', value: q, placeholder: t('agencies.search') });
  const body = h('div', {}, loading());
  el.append(
    pageHeader(t('agencies.title'), h('span', { class: 'muted' }, t('agencies.intro'))),
    card(
      null,
      h(
        'form',
        {
          class: 'toolbar',
          onsubmit: (e) => {
            e.preventDefault();
            ctx.navigate('agencies', search.value.trim() ? { q: search.value.trim() } : {});
          },
        },
        h('label', { class: 'field-inline grow' }, h('span', {}, t('common.search')), search),
        h('button', { type: 'submit', class: 'btn', id: 'agencies-search' }, t('common.search')),
      ),
    ),
    flashArea(),
    card(null, body),
  );

  let all;
  try {
    all = await listAll('/agencies');
  } catch (error) {
    fill(body, errorBox(error, () => ctx.navigate('agencies')));
    setState(el, 'error');
    return;
  }
  all.sort((a, b) => a.code.localeCompare(b.code));
  const names = new Map(all.map((a) => [a.code, a.name]));
  const shown = q ? all.filter((a) => a.name.includes(q) || a.code.includes(q.toUpperCase())) : all;

  const tbody = h('tbody', {});
  const panels = rowPanels();
  const done = async (text) => {
    // Names are shown everywhere by code: read them again.
    await ctx.reloadAgencies().catch(() => {});
    flashNext(text);
    ctx.navigate('agencies', q ? { q } : {});
  };
  for (const a of shown) {
    const panel = panels.add(COLUMNS.length);
    const actions = ACTIONS.filter((x) => x.offered(a)).map((x) =>
      actionButton(x.id, t(x.label), () => panel.toggle(x.id, () => x.form(a, all, done, () => panel.hide())), x.kind),
    );
    tbody.append(
      h(
        'tr',
        { dataset: { code: a.code, status: a.status } },
        h('td', {}, h('code', {}, a.code)),
        h('td', { class: 'strong agency-name' }, a.name),
        h('td', {}, tv('level', a.level)),
        h('td', {}, a.parent_code ? (names.get(a.parent_code) ?? a.parent_code) : '—'),
        h(
          'td',
          { class: 'status-cell' },
          badge(tv('agencies.status', a.status), a.status === 'disabled' ? 'danger' : 'ok'),
          a.disabled_at ? h('div', { class: 'muted small' }, formatTime(a.disabled_at)) : null,
          a.successor_code ? h('div', { class: 'small successor' }, t('agencies.successor', { name: names.get(a.successor_code) ?? a.successor_code })) : null,
        ),
        h('td', { class: 'actions' }, actions),
      ),
      panel.row,
    );
  }
  if (!shown.length) tbody.append(emptyRow(COLUMNS.length, t('agencies.empty')));
  fill(body, h('p', { class: 'muted small' }, t('agencies.count', { shown: shown.length, total: all.length })), dataTable('agencies-table', COLUMNS.map((c) => t(`agencies.col.${c}`)), tbody));
  setState(el, 'ready');
}
