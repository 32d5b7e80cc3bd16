// Applying for a resource (申请使用), from its catalog entry (#/catalog/CODE/apply), and the
// agency's own applications (我的申请, #/applications): their state, due date and the provider's
// opinion, a pending one withdrawn. The form keeps the hub's rules (sharing/service.cpp `apply`)
// so that a person learns of a mistake before sending; the hub checks everything again, and its
// answer is shown as it gives it: approved with its grant at once (an unconditional resource),
// pending with its due date in working days (a conditional one), or refused with the reason.
import { api, resourcesOf } from '../api.js';
import { addDays, cityToday } from '../dates.js';
import { fill, h } from '../dom.js';
import { formatTime, operationLabel } from '../format.js';
import { t, tv } from '../i18n.js';
import { isOfficer } from '../roles.js';
import { actionButton, actionForm, badge, card, dataTable, errorBox, filterSelect, flashArea, flashNext, loading, message, pageHeader, pagedRows, pageSizeOf, rowPanels, setState } from '../ui.js';

/** What a dataset is applied for with (a service's operations are its own; not this form). */
export const DATASET_OPERATIONS = ['read', 'query', 'changes', 'verify', 'aggregate'];
// An application's end: a date, the end of that day in the city, at most sharing.max_valid_days
// (366 by default) from now, so at most 365 days on from today.
export const MAX_DAYS_AHEAD = 365;
const PURPOSE_CODE = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_PURPOSE_CODES = 50;
const STATUS_KIND = { approved: 'ok', pending: 'info', rejected: 'danger', withdrawn: 'muted' };

/**
 * Whether `me` may apply for `resource`: an officer (agency_cdo, agency_data_officer) of another
 * agency than its provider, for a published dataset that is shared (unconditionally or on
 * conditions).
 */
export function mayApply(me, resource) {
  return (
    !!resource &&
    !!me?.agency_code &&
    isOfficer(me.roles) &&
    resource.provider_code !== me.agency_code &&
    resource.status === 'published' &&
    resource.share_type !== 'none' &&
    (resource.kind ?? 'dataset') === 'dataset'
  );
}

/** Purpose codes as typed: separated by commas, 、 or white space; duplicates dropped. */
export function purposeCodesOf(text) {
  return [...new Set(String(text ?? '').split(/[\s,，、]+/).filter(Boolean))];
}

/**
 * The first day an application's end may be: today for an unconditional resource (approved at
 * once, the grant lasting to the end of the day), tomorrow for a conditional one (the provider
 * decides later, and a period already over cannot be approved).
 */
export function earliestEnd(resource, today = cityToday()) {
  return resource.share_type === 'unconditional' ? today : addDays(today, 1);
}

/**
 * What is wrong with an application before it is sent, as [field, message] pairs in the form's
 * order (empty when nothing): the hub's own rules.
 */
export function problemsOf(resource, form, today = cityToday()) {
  const problems = [];
  const titles = new Map((resource.items ?? []).map((i) => [i.name, i.title || i.name]));
  const sensitive = new Set((resource.items ?? []).filter((i) => i.sensitivity === 'sensitive').map((i) => i.name));
  if (!form.items.length) problems.push(['items', t('apply.need_items')]);
  for (const name of form.items) if (!titles.has(name)) problems.push(['items', t('apply.unknown_item', { name })]);
  for (const name of form.clear) {
    if (!form.items.includes(name) || !sensitive.has(name)) {
      problems.push(['clear_items', t('apply.clear_only_sensitive', { name: titles.get(name) ?? name })]);
    }
  }
  if (!form.operations.length) problems.push(['operations', t('apply.need_operations')]);
  if (!form.purpose.trim()) problems.push(['purpose', t('apply.need_purpose')]);
  if (form.purposeCodes.length > MAX_PURPOSE_CODES) problems.push(['purpose_codes', t('apply.too_many_purpose_codes', { max: MAX_PURPOSE_CODES })]);
  for (const code of form.purposeCodes) if (!PURPOSE_CODE.test(code)) problems.push(['purpose_codes', t('apply.bad_purpose_code', { code })]);
  const first = earliestEnd(resource, today);
  const last = addDays(today, MAX_DAYS_AHEAD);
  if (!form.validUntil || form.validUntil < first || form.validUntil > last) {
    problems.push(['valid_until', t('apply.until_range', { from: first, to: last })]);
  }
  return problems;
}

/** The order of 我的申请: pending first, the soonest due first; then the latest made first. */
export function byUrgency(a, b) {
  const pa = a.status === 'pending';
  const pb = b.status === 'pending';
  if (pa !== pb) return pa ? -1 : 1;
  return pa ? String(a.due_at).localeCompare(String(b.due_at)) : String(b.created_at).localeCompare(String(a.created_at));
}

/** The body of POST /applications for a checked form (items in the resource's order). */
export function bodyOf(resource, form) {
  const order = (resource.items ?? []).map((i) => i.name);
  const inOrder = (list) => order.filter((n) => list.includes(n));
  const body = {
    resource_code: resource.code,
    items: inOrder(form.items),
    operations: DATASET_OPERATIONS.filter((o) => form.operations.includes(o)),
    purpose: form.purpose.trim(),
    valid_until: form.validUntil,
  };
  const clear = inOrder(form.clear.filter((n) => form.items.includes(n)));
  if (clear.length) body.clear_items = clear;
  if (form.purposeCodes.length) body.purpose_codes = form.purposeCodes;
  if (form.legalBasis.trim()) body.legal_basis = form.legalBasis.trim();
  return body;
}

/** The hub's answer to an application, in words. */
export function answerText(answer) {
  if (answer.status === 'approved') return t('apply.approved_now', { grant: answer.grant_id ?? '—' });
  if (answer.status === 'pending') return t('apply.pending_until', { due: formatTime(answer.due_at) });
  return t('apply.answered', { status: tv('applications.status', answer.status) });
}

/** Whether `me` may withdraw `application`: pending, its own agency's, and `me` an officer. */
export function mayWithdraw(me, application) {
  return application.status === 'pending' && isOfficer(me?.roles) && application.consumer_code === me?.agency_code;
}

// --- the form ------------------------------------------------------------------------------------

function checkbox(id, checked, label, attrs = {}) {
  const input = h('input', { type: 'checkbox', id, checked, ...attrs });
  return { input, label: h('label', { class: 'apply-choice', for: id }, input, h('span', {}, label)) };
}

export async function renderForm(el, ctx, code) {
  const body = h('div', {}, loading());
  el.append(pageHeader(t('apply.title')), card(null, body));
  let resource;
  try {
    resource = await api.get(`/resources/${encodeURIComponent(code)}`);
  } catch (error) {
    fill(body, errorBox(error, () => ctx.navigate(`catalog/${encodeURIComponent(code)}/apply`)));
    setState(el, 'error');
    return;
  }
  if (!mayApply(ctx.me, resource)) {
    fill(body, message('info', resource.provider_code === ctx.me?.agency_code ? t('apply.own_resource') : t('apply.not_offered')));
    setState(el, 'no-access');
    return;
  }
  const today = cityToday();
  const items = (resource.items ?? []).map((item) => {
    const use = checkbox(`apply-item-${item.name}`, true, t('apply.item_label', { title: item.title || item.name, name: item.name }), { dataset: { item: item.name } });
    const sensitive = item.sensitivity === 'sensitive';
    const clear = sensitive ? checkbox(`apply-clear-${item.name}`, false, t('apply.in_clear'), { dataset: { clear: item.name } }) : null;
    // An item not asked for cannot be asked in clear: its box is cleared and disabled.
    if (clear) {
      use.input.addEventListener('change', () => {
        clear.input.disabled = !use.input.checked;
        if (!use.input.checked) clear.input.checked = false;
      });
    }
    return { item, use, clear };
  });
  const operations = DATASET_OPERATIONS.map((op) => ({ op, box: checkbox(`apply-op-${op}`, op === 'read', tv('operation', op), { dataset: { operation: op } }) }));
  const purpose = h('textarea', { id: 'apply-purpose', rows: 3, maxlength: 500, required: true, 'aria-required': 'true' });
  const purposeCodes = h('input', { id: 'apply-purpose-codes', type: 'text', maxlength: 3300 });
  const legalBasis = h('input', { id: 'apply-legal-basis', type: 'text', maxlength: 1000 });
  const validUntil = h('input', { id: 'apply-valid-until', type: 'date', min: earliestEnd(resource, today), max: addDays(today, MAX_DAYS_AHEAD), value: addDays(today, MAX_DAYS_AHEAD) });
  const result = h('div', { class: 'apply-result', 'aria-live': 'polite' });

  const formState = () => ({
    items: items.filter((i) => i.use.input.checked).map((i) => i.item.name),
    clear: items.filter((i) => i.use.input.checked && i.clear?.input.checked).map((i) => i.item.name),
    operations: operations.filter((o) => o.box.input.checked).map((o) => o.op),
    purpose: purpose.value,
    purposeCodes: purposeCodesOf(purposeCodes.value),
    legalBasis: legalBasis.value,
    validUntil: validUntil.value,
  });
  const itemsSet = h(
    'fieldset',
    { class: 'apply-choices', id: 'apply-items' },
    h('legend', {}, t('apply.items')),
    items.map(({ item, use, clear }) =>
      h('div', { class: 'apply-item' }, use.label, item.sensitivity === 'sensitive' ? [badge(t('apply.masked'), 'warn'), clear.label] : null),
    ),
  );
  const opsSet = h('fieldset', { class: 'apply-choices', id: 'apply-operations' }, h('legend', {}, t('apply.operations')), operations.map((o) => o.box.label));
  const form = actionForm({
    action: 'apply',
    note: t(resource.share_type === 'unconditional' ? 'apply.note_unconditional' : 'apply.note_conditional', {
      resource: resource.name,
      provider: ctx.agencyName(resource.provider_code),
    }),
    fields: [
      [t('apply.items'), itemsSet],
      [t('apply.operations'), opsSet],
      [t('apply.purpose'), purpose],
      [t('apply.purpose_codes'), purposeCodes],
      [t('apply.legal_basis'), legalBasis],
      [t('apply.valid_until'), validUntil],
    ],
    confirmLabel: t('apply.submit'),
    validate: () => {
      const problems = problemsOf(resource, formState(), today);
      if (!problems.length) return null;
      // The first control in error takes the focus; the message lists them all.
      const first = { items: itemsSet, clear_items: itemsSet, operations: opsSet, purpose, purpose_codes: purposeCodes, valid_until: validUntil }[problems[0][0]];
      const clearBox = problems[0][0] === 'clear_items' ? itemsSet.querySelector('input[data-clear]:checked') : null;
      (clearBox ?? first.querySelector?.('input') ?? first).focus();
      return problems.map(([, text]) => text).join(' ');
    },
    submit: async () => {
      const answer = await api.post('/applications', bodyOf(resource, formState()));
      fill(
        result,
        message('success', answerText(answer)),
        h(
          'p',
          {},
          answer.grant_id ? h('a', { href: '#/grants', class: 'btn btn-small' }, t('apply.to_grants')) : null,
          ' ',
          h('a', { href: '#/applications', class: 'btn btn-small' }, t('apply.to_applications')),
        ),
      );
      form.hidden = true;
      result.tabIndex = -1;
      result.focus();
    },
    cancel: () => ctx.navigate('catalog', { q: resource.name }),
  });
  fill(
    body,
    h('dl', { class: 'kv' }, h('dt', {}, t('apply.resource')), h('dd', { class: 'strong' }, resource.name, h('span', { class: 'muted small' }, ` ${resource.code}`)), h('dt', {}, t('apply.provider')), h('dd', {}, ctx.agencyName(resource.provider_code)), h('dt', {}, t('catalog.col.share_type')), h('dd', {}, tv('share_type', resource.share_type))),
    form,
    result,
  );
  setState(el, 'ready');
}

// --- my applications -----------------------------------------------------------------------------

const COLUMNS = ['resource', 'provider', 'items', 'operations', 'purpose', 'status', 'due_at', 'opinion', 'actions'];

export async function render(el, ctx) {
  const status = ctx.params.get('status') ?? '';
  const body = h('div', {}, loading());
  const filters = h(
    'div',
    { class: 'toolbar' },
    filterSelect('applications-status', t('applications.status_filter'), ['', 'pending', 'approved', 'rejected', 'withdrawn', 'overdue'], status, (s) => (s ? tv('applications.status', s) : t('applications.all')), (v) =>
      ctx.navigate('applications', v ? { status: v } : {}),
    ),
  );
  el.append(pageHeader(t('applications.title'), h('span', { class: 'muted' }, t('applications.intro'))), flashArea(), card(null, h('div', {}, filters, body)));
  const tbody = h('tbody', {});
  const panels = rowPanels();
  // A page at a time, the most urgent first within it (an agency applies for years).
  const add = async (page) => {
    const byCode = await resourcesOf(page.map((a) => a.resource_code));
    for (const app of [...page].sort(byUrgency)) {
      const resource = byCode.get(app.resource_code);
      const titles = new Map((resource?.items ?? []).map((i) => [i.name, i.title]));
      const panel = panels.add(COLUMNS.length);
      const withdraw = () => {
        panel.toggle('withdraw', () =>
          actionForm({
            action: 'withdraw',
            danger: true,
            note: t('applications.withdraw_note', { resource: resource?.name ?? app.resource_code }),
            fields: [],
            confirmLabel: t('applications.confirm_withdraw'),
            submit: async () => {
              await api.post(`/applications/${encodeURIComponent(app.id)}/withdraw`);
              flashNext(t('applications.withdrawn', { resource: resource?.name ?? app.resource_code }));
              ctx.navigate('applications');
            },
            cancel: () => panel.hide(),
          }),
        );
        // No field to type in: the confirmation takes the focus.
        panel.row.querySelector('button[data-confirm="withdraw"]')?.focus();
      };
      tbody.append(
        h(
          'tr',
          { dataset: { id: app.id, status: app.status } },
          h('td', { class: 'strong' }, resource?.name ?? app.resource_code, h('div', { class: 'muted small' }, app.resource_code)),
          h('td', {}, ctx.agencyName(resource?.provider_code ?? app.provider_code)),
          h('td', {}, h('div', { class: 'chips' }, app.items.map((i) => h('span', { class: 'chip', title: app.clear_items?.includes(i) ? `${i} · ${t('apply.in_clear')}` : i }, titles.get(i) ?? i)))),
          h('td', {}, (app.operations ?? []).map((o) => operationLabel(o, resource)).join('、')),
          h('td', { class: 'purpose' }, app.purpose),
          h('td', {}, badge(tv('applications.status', app.status), STATUS_KIND[app.status] ?? '')),
          h('td', {}, app.status === 'pending' ? [formatTime(app.due_at), app.overdue ? [' ', badge(t('inbox.overdue'), 'danger')] : null] : '—'),
          h('td', { class: 'opinion' }, app.opinion ?? '—'),
          h('td', { class: 'actions' }, mayWithdraw(ctx.me, app) ? actionButton('withdraw', t('applications.withdraw'), withdraw, 'btn-danger-outline') : null),
        ),
        panel.row,
      );
    }
  };
  try {
    // Its own agency's (a principal with a hub-level role too would otherwise be given all).
    const footer = await pagedRows({
      id: 'applications',
      path: '/applications',
      query: { direction: 'outgoing', agency: ctx.me?.agency_code, status },
      pageSize: pageSizeOf(ctx.params),
      tbody,
      add,
      colspan: COLUMNS.length,
      emptyText: t('applications.empty'),
    });
    fill(body, dataTable('applications-table', COLUMNS.map((c) => t(`applications.col.${c}`)), tbody), footer);
  } catch (error) {
    fill(body, errorBox(error, () => ctx.navigate('applications')));
    setState(el, 'error');
    return;
  }
  setState(el, 'ready');
}
