// Objections (数据异议): a consumer that has seen a record raises an objection on some of its
// items (a legal person out of date, a wrong address); the provider corrects the record and
// resolves it as corrected, or rejects it with a note, within the working days the hub sets; the
// consumer sees the outcome. The record is read here first where one wishes (a data request under
// the grant, with its ledger entry), or named by its key. The hub decides who may object (a
// holder of a read, query or changes grant covering the items: `403 no_grant` to anyone else,
// whether the record exists or not) and that "corrected" needs a later version (`409`).
import { api, listAll, resourcesOf } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { isStaff } from '../roles.js';
import { actionButton, actionForm, badge, card, dataTable, errorBox, filterSelect, flashArea, flashNext, loading, message, pageHeader, pagedRows, pageSizeOf, rowPanels, setState } from '../ui.js';
import { readRecord, recordView } from './record_reader.js';

const SEEING = ['read', 'query', 'changes'];
const STATUS_KIND = { open: 'info', resolved: 'ok' };
const OUTCOME_KIND = { corrected: 'ok', rejected: 'muted' };
export const DESCRIPTION_MAX = 2000;
export const NOTE_MAX = 2000;

/** The grants `me`'s agency may object under: its own, active, with an operation that shows records. */
export function objectableGrants(grants, me) {
  return grants.filter((g) => g.consumer_code === me.agency_code && g.status === 'active' && g.operations.some((o) => SEEING.includes(o)));
}

/** Whether `me` may resolve `objection`: its provider's officers and operators, while open. */
export function mayResolve(me, objection) {
  const roles = me.roles ?? [];
  return objection.status === 'open' && objection.provider_code === me.agency_code && ['agency_cdo', 'agency_data_officer', 'agency_operator'].some((r) => roles.includes(r));
}

/** What is wrong with an objection before it is sent: [{field, message}]. */
export function objectionProblems({ grant, key, ref, items, description }) {
  const out = [];
  if (!grant) out.push({ field: 'grant', message: t('objections.grant_required') });
  if (!(key ?? '').trim() && !ref) out.push({ field: 'key', message: t('objections.key_required') });
  if (!items?.length) out.push({ field: 'items', message: t('objections.items_required') });
  const text = (description ?? '').trim();
  if (!text) out.push({ field: 'description', message: t('objections.description_required') });
  else if ([...text].length > DESCRIPTION_MAX) out.push({ field: 'description', message: t('objections.description_long', { max: DESCRIPTION_MAX }) });
  return out;
}

/**
 * The request that raises it: {path, body}. A record read with its key withheld (the grant masks
 * it) is named by its ref, as the hub gave it; else by its key, in the path.
 */
export function objectionRequest({ resourceCode, key, ref, items, description }) {
  const code = encodeURIComponent(resourceCode);
  const body = { items: [...items], description: description.trim() };
  if (ref) return { path: `/resources/${code}/objections`, body: { ref, ...body } };
  return { path: `/resources/${code}/records/${encodeURIComponent(key.trim())}/objections`, body };
}

/** Open ones first, the soonest due first; then the resolved, the latest first. */
export function byDue(a, b) {
  const oa = a.status === 'open' ? 0 : 1;
  const ob = b.status === 'open' ? 0 : 1;
  if (oa !== ob) return oa - ob;
  return oa === 0 ? String(a.due_at).localeCompare(String(b.due_at)) : String(b.resolved_at ?? b.created_at).localeCompare(String(a.resolved_at ?? a.created_at));
}

// --- raising one -------------------------------------------------------------------------------

function raiseCard(ctx, grants, byCode, prefill) {
  const grantSelect = h(
    'select',
    { id: 'objection-grant' },
    h('option', { value: '' }, t('objections.choose_grant')),
    grants.map((g) => h('option', { value: g.id, selected: g.resource_code === prefill.resource }, `${byCode.get(g.resource_code)?.name ?? g.resource_code}（${ctx.agencyName(g.provider_code)}）`)),
  );
  const key = h('input', { type: 'text', id: 'objection-key', maxlength: 512, value: prefill.key ?? '', autocomplete: 'off' });
  const readButton = h('button', { type: 'button', class: 'btn', id: 'objection-read' }, t('objections.read'));
  const recordBox = h('div', { class: 'objection-record', 'aria-live': 'polite' });
  const itemsSet = h('fieldset', { class: 'apply-choices', id: 'objection-items' }, h('legend', {}, t('objections.items')));
  const description = h('textarea', { id: 'objection-description', rows: 3, maxlength: DESCRIPTION_MAX });
  let ref = null; // the record's ref, when it was read with its key withheld
  const grantOf = () => grants.find((g) => g.id === grantSelect.value) ?? null;
  const fillItems = () => {
    const g = grantOf();
    const titles = new Map((byCode.get(g?.resource_code)?.items ?? []).map((i) => [i.name, i.title]));
    fill(
      itemsSet,
      h('legend', {}, t('objections.items')),
      g
        ? g.items.map((i) => {
            const box = h('input', { type: 'checkbox', value: i, id: `objection-item-${i}` });
            return h('label', { class: 'apply-choice', for: box.id }, box, h('span', {}, titles.get(i) ?? i));
          })
        : h('span', { class: 'muted small' }, t('objections.items_after_grant')),
    );
  };
  const forget = () => {
    ref = null;
    fill(recordBox);
  };
  grantSelect.addEventListener('change', () => {
    forget();
    fillItems();
  });
  key.addEventListener('input', forget);
  readButton.addEventListener('click', async () => {
    const g = grantOf();
    if (!g || !key.value.trim()) {
      fill(recordBox, message('error', t(g ? 'objections.key_required' : 'objections.grant_required')));
      return;
    }
    if (!g.operations.includes('read')) {
      fill(recordBox, message('info', t('objections.no_read')));
      return;
    }
    readButton.disabled = true;
    fill(recordBox, loading());
    const asked = key.value.trim();
    try {
      const answer = await readRecord(g, asked, 'console-objection');
      // The grant or the key changed while it was read: this answer is about another record.
      if (grantOf() !== g || key.value.trim() !== asked) return;
      if (answer.ok) ref = answer.body.key === undefined && answer.body.ref ? answer.body.ref : null;
      fill(recordBox, recordView(answer, byCode.get(g.resource_code), 'objection-record-table'));
    } catch (error) {
      fill(recordBox, errorBox(error));
    } finally {
      readButton.disabled = false;
    }
  });
  fillItems();
  const form = actionForm({
    action: 'raise-objection',
    note: t('objections.raise_note'),
    fields: [
      [t('objections.grant'), grantSelect],
      [t('objections.key'), h('span', { class: 'password-field' }, key, readButton)],
      [t('objections.items'), itemsSet],
      [t('objections.description'), description],
    ],
    confirmLabel: t('objections.confirm_raise'),
    validate: () => {
      const problems = objectionProblems({ grant: grantOf(), key: key.value, ref, items: [...itemsSet.querySelectorAll('input:checked')].map((b) => b.value), description: description.value });
      return problems.length ? problems.map((p) => p.message).join(' ') : null;
    },
    submit: async () => {
      const g = grantOf();
      const request = objectionRequest({ resourceCode: g.resource_code, key: key.value, ref, items: [...itemsSet.querySelectorAll('input:checked')].map((b) => b.value), description: description.value });
      const out = await api.post(request.path, request.body);
      flashNext(t('objections.raised', { resource: byCode.get(g.resource_code)?.name ?? g.resource_code, due: formatTime(out.due_at) }));
      ctx.navigate('objections');
    },
  });
  // The record read sits under its key.
  form.querySelector('.form-fields').insertBefore(recordBox, form.querySelector('.form-fields').children[2]);
  return card(t('objections.raise'), form, { id: 'objections-raise' });
}

// --- resolving one -----------------------------------------------------------------------------

function resolveForm(o, done, cancel) {
  const outcome = h(
    'fieldset',
    { class: 'apply-choices', id: `resolve-outcome-${o.id}` },
    h('legend', {}, t('objections.outcome')),
    ['corrected', 'rejected'].map((v) => {
      const radio = h('input', { type: 'radio', name: `outcome-${o.id}`, value: v, id: `resolve-${v}-${o.id}` });
      return h('label', { class: 'apply-choice', for: radio.id }, radio, h('span', {}, tv('objections.outcome', v)));
    }),
  );
  const note = h('textarea', { id: `resolve-note-${o.id}`, rows: 2, maxlength: NOTE_MAX });
  const chosen = () => outcome.querySelector('input:checked')?.value ?? '';
  return actionForm({
    action: 'resolve',
    note: t('objections.resolve_note'),
    fields: [
      [t('objections.outcome'), outcome],
      [t('objections.field_note'), note],
    ],
    confirmLabel: t('objections.confirm_resolve'),
    validate: () => (!chosen() ? t('objections.outcome_required') : note.value.trim() ? null : t('objections.note_required')),
    submit: async () => {
      await api.post(`/objections/${encodeURIComponent(o.id)}/resolution`, { outcome: chosen(), note: note.value.trim() });
      done(t('objections.resolved', { outcome: tv('objections.outcome', chosen()) }));
    },
    cancel,
  });
}

// --- the lists ---------------------------------------------------------------------------------

const COLUMNS = {
  incoming: ['resource', 'record', 'consumer', 'items', 'description', 'status', 'due', 'outcome', 'actions'],
  outgoing: ['resource', 'record', 'provider', 'items', 'description', 'status', 'due', 'outcome'],
  all: ['resource', 'record', 'provider', 'consumer', 'items', 'description', 'status', 'due', 'outcome'],
};

async function objectionTable(id, side, query, ctx) {
  const columns = COLUMNS[side];
  const tbody = h('tbody', {});
  const panels = rowPanels();
  const done = (text) => {
    flashNext(text);
    ctx.navigate('objections', Object.fromEntries(ctx.params));
  };
  const add = async (objections) => {
    const byCode = await resourcesOf(objections.map((o) => o.resource_code));
    for (const o of [...objections].sort(byDue)) {
      const panel = panels.add(columns.length);
      const resource = byCode.get(o.resource_code);
      const titles = new Map((resource?.items ?? []).map((i) => [i.name, i.title]));
      const cells = {
        resource: h('td', {}, h('div', { class: 'strong' }, resource?.name ?? o.resource_code), h('div', { class: 'muted small' }, o.resource_code)),
        record: h('td', {}, h('code', {}, o.key ?? t('objections.key_withheld'))),
        provider: h('td', {}, ctx.agencyName(o.provider_code)),
        consumer: h('td', {}, ctx.agencyName(o.consumer_code)),
        items: h('td', {}, h('div', { class: 'chips' }, o.items.map((i) => h('span', { class: 'chip', title: i }, titles.get(i) ?? i)))),
        description: h('td', { class: 'purpose' }, o.description),
        status: h('td', { class: 'status-cell' }, badge(tv('objections.status', o.status), STATUS_KIND[o.status] ?? ''), o.overdue ? [' ', badge(t('inbox.overdue'), 'danger')] : null),
        due: h('td', {}, o.status === 'open' ? formatTime(o.due_at) : formatTime(o.resolved_at)),
        outcome: h('td', { class: 'opinion' }, o.outcome ? [badge(tv('objections.outcome', o.outcome), OUTCOME_KIND[o.outcome] ?? ''), o.note ? h('div', { class: 'small' }, o.note) : null] : '—'),
        actions: h('td', { class: 'actions' }, mayResolve(ctx.me, o) ? actionButton('resolve', t('objections.resolve'), () => panel.toggle('resolve', () => resolveForm(o, done, () => panel.hide())), 'btn-primary') : '—'),
      };
      tbody.append(h('tr', { dataset: { id: o.id, status: o.status, outcome: o.outcome ?? '' } }, columns.map((c) => cells[c])), panel.row);
    }
  };
  const footer = await pagedRows({ id, path: '/objections', query, pageSize: pageSizeOf(ctx.params), tbody, add, colspan: columns.length, emptyText: t('objections.empty') });
  return h('div', {}, dataTable(id, columns.map((c) => t(`objections.col.${c}`)), tbody), footer);
}

// --- the page ----------------------------------------------------------------------------------

export async function render(el, ctx) {
  const me = ctx.me;
  const staff = isStaff(me.roles);
  const status = ctx.params.get('status') ?? '';
  const body = h('div', {}, loading());
  const filters = h(
    'div',
    { class: 'toolbar' },
    filterSelect('objections-status', t('objections.status_filter'), ['', 'open', 'overdue', 'resolved'], status, (s) => (s ? tv('objections.status', s) : t('objections.all')), (v) =>
      ctx.navigate('objections', v ? { status: v } : {}),
    ),
  );
  el.append(pageHeader(t('objections.title'), h('span', { class: 'muted' }, t(staff ? 'objections.intro_staff' : 'objections.intro'))), flashArea(), card(null, filters), body);

  // Each list a page at a time (an agency's objections grow for years); the grants it may object
  // under, whole (its live read grants, for the form's choice).
  try {
    if (staff) {
      fill(body, card(t('objections.all_list'), await objectionTable('objections-all', 'all', { status }, ctx)));
    } else {
      const [incoming, outgoing, received] = await Promise.all([
        objectionTable('objections-incoming', 'incoming', { direction: 'incoming', status }, ctx),
        objectionTable('objections-outgoing', 'outgoing', { direction: 'outgoing', status }, ctx),
        me.agency_code ? listAll('/grants', { consumer: me.agency_code }) : [],
      ]);
      const grants = objectableGrants(received, me);
      const byCode = await resourcesOf(grants.map((g) => g.resource_code));
      const prefill = { resource: ctx.params.get('resource'), key: ctx.params.get('key') };
      fill(
        body,
        card(t('objections.incoming'), incoming),
        card(t('objections.outgoing'), outgoing),
        grants.length ? raiseCard(ctx, grants, byCode, prefill) : card(t('objections.raise'), h('p', { class: 'muted' }, t('objections.no_grants'))),
      );
    }
  } catch (error) {
    fill(body, card(null, errorBox(error, () => ctx.navigate('objections'))));
    setState(el, 'error');
    return;
  }
  setState(el, 'ready');
}
