// The demand list (需求清单): data needs nothing in the catalog meets. An agency's officers post
// them and answer those assigned to their agency; the coordination group assigns (and reassigns)
// them with a working-day deadline; the asker accepts the answer or disputes it.
import { api, listAll } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { isOfficer, isStaff } from '../roles.js';
import { actionButton, actionForm, badge, card, dataTable, errorBox, filterSelect, flashArea, flashNext, loading, pageHeader, pagedRows, pageSizeOf, rowPanels, setState } from '../ui.js';

const STATUSES = ['', 'open', 'assigned', 'answered', 'disputed', 'closed', 'overdue'];
const DIRECTIONS = ['', 'incoming', 'outgoing'];
const OUTCOMES = ['catalogued', 'not_held', 'refused'];
const STATUS_KIND = { open: 'info', assigned: 'warn', answered: 'info', disputed: 'danger', closed: 'ok' };
const COLUMNS = ['title', 'consumer', 'provider', 'items', 'status', 'due_at', 'answer', 'actions'];

/**
 * The items a demand wants, from what was typed: one per line, or separated by commas or 、
 * (people list them both ways); blanks and repeats dropped, order kept.
 */
export function parseItems(text) {
  const seen = new Set();
  for (const part of String(text ?? '').split(/[\n\r,，、;；]+/)) {
    const item = part.trim();
    if (item) seen.add(item);
  }
  return [...seen];
}

const pick = (value, allowed) => (allowed.includes(value) ? value : '');

function agencyOptions(ctx, { exclude = [], none } = {}) {
  return [
    none ? h('option', { value: '' }, none) : null,
    ctx
      .agencyList()
      .filter((a) => !exclude.includes(a.code))
      .map((a) => h('option', { value: a.code }, a.name)),
  ];
}

const text = (attrs) => h('input', { type: 'text', ...attrs });
const area = (attrs) => h('textarea', { rows: 2, ...attrs });

// --- posting a demand ------------------------------------------------------------------------

function postForm(ctx, close) {
  const title = text({ id: 'demand-title', maxlength: 200 });
  const description = area({ id: 'demand-description', rows: 3, maxlength: 4000 });
  const items = area({ id: 'demand-items', rows: 3, placeholder: t('demands.items_placeholder') });
  const purpose = text({ id: 'demand-purpose', maxlength: 500 });
  const legalBasis = text({ id: 'demand-legal-basis', maxlength: 1000 });
  const suggested = h(
    'select',
    { id: 'demand-suggested' },
    agencyOptions(ctx, { exclude: [ctx.me.agency_code], none: t('demands.no_suggestion') }),
  );
  return actionForm({
    action: 'post',
    fields: [
      [t('demands.field.title'), title],
      [t('demands.field.description'), description],
      [t('demands.field.items_wanted'), items],
      [t('demands.field.purpose'), purpose],
      [t('demands.field.legal_basis'), legalBasis],
      [t('demands.field.suggested_provider'), suggested],
    ],
    confirmLabel: t('demands.submit_post'),
    validate: () =>
      [title, description, purpose].some((f) => !f.value.trim()) || !parseItems(items.value).length
        ? t('demands.fill_required')
        : null,
    submit: async () => {
      const body = {
        title: title.value.trim(),
        description: description.value.trim(),
        items_wanted: parseItems(items.value),
        purpose: purpose.value.trim(),
      };
      if (legalBasis.value.trim()) body.legal_basis = legalBasis.value.trim();
      if (suggested.value) body.suggested_provider_code = suggested.value;
      const demand = await api.post('/demands', body);
      flashNext(t('demands.posted', { title: demand.title }));
      ctx.navigate('demands', { direction: 'outgoing' });
    },
    cancel: close,
  });
}

// --- the actions on a demand -----------------------------------------------------------------

function assignForm(demand, ctx, done, cancel) {
  const provider = h(
    'select',
    { id: `assign-${demand.id}` },
    agencyOptions(ctx, { exclude: [demand.consumer_code], none: t('demands.choose_provider') }),
  );
  provider.value = demand.provider_code ?? demand.suggested_provider_code ?? '';
  return actionForm({
    action: 'assign',
    note: t('demands.assign_note'),
    fields: [[t('demands.field.provider'), provider]],
    confirmLabel: t(demand.provider_code ? 'demands.confirm_reassign' : 'demands.confirm_assign'),
    validate: () => (provider.value ? null : t('demands.choose_provider')),
    submit: async () => {
      const answer = await api.post(`/demands/${encodeURIComponent(demand.id)}/assignment`, { provider_code: provider.value });
      done(t('demands.assigned', { title: demand.title, provider: ctx.agencyName(answer.provider_code), due: formatTime(answer.due_at) }));
    },
    cancel,
  });
}

function respondForm(demand, ctx, done, cancel) {
  const outcome = h(
    'select',
    { id: `outcome-${demand.id}` },
    OUTCOMES.map((o) => h('option', { value: o }, tv('demands.outcome', o))),
  );
  const resource = h('select', { id: `resource-${demand.id}` }, h('option', { value: '' }, t('app.loading')));
  const reason = area({ id: `reason-${demand.id}`, maxlength: 2000 });
  const resourceField = h('label', { class: 'field' }, h('span', {}, t('demands.field.resource')), resource);
  const reasonField = h('label', { class: 'field' }, h('span', {}, t('demands.field.reason')), reason);
  const sync = () => {
    resourceField.hidden = outcome.value !== 'catalogued';
    reasonField.hidden = outcome.value === 'catalogued';
  };
  outcome.addEventListener('change', sync);
  // The agency's own published resources: a catalogued answer names one of them.
  listAll('/resources', { provider: demand.provider_code, status: 'published' })
    .then((list) =>
      fill(
        resource,
        h('option', { value: '' }, list.length ? t('demands.choose_resource') : t('demands.no_resources')),
        list.map((r) => h('option', { value: r.code }, `${r.name}（${r.code}）`)),
      ),
    )
    .catch(() => fill(resource, h('option', { value: '' }, t('demands.no_resources'))));
  const form = actionForm({
    action: 'respond',
    fields: [[t('demands.field.outcome'), outcome]],
    confirmLabel: t('demands.confirm_respond'),
    validate: () => {
      if (outcome.value === 'catalogued') return resource.value ? null : t('demands.resource_required');
      return reason.value.trim() ? null : t('demands.reason_required');
    },
    submit: async () => {
      const body = { outcome: outcome.value };
      if (outcome.value === 'catalogued') body.resource_code = resource.value;
      else body.reason = reason.value.trim();
      await api.post(`/demands/${encodeURIComponent(demand.id)}/response`, body);
      done(t('demands.responded', { title: demand.title }));
    },
    cancel,
  });
  form.querySelector('.form-fields').append(resourceField, reasonField);
  sync();
  return form;
}

function acceptanceForm(accepted, demand, ctx, done, cancel) {
  const note = area({ id: `note-${demand.id}`, maxlength: 2000 });
  return actionForm({
    action: accepted ? 'accept' : 'dispute',
    danger: !accepted,
    fields: [[t(accepted ? 'demands.field.note_optional' : 'demands.field.note'), note]],
    confirmLabel: t(accepted ? 'demands.confirm_accept' : 'demands.confirm_dispute'),
    validate: () => (!accepted && !note.value.trim() ? t('demands.note_required') : null),
    submit: async () => {
      const body = { accepted };
      if (note.value.trim()) body.note = note.value.trim();
      await api.post(`/demands/${encodeURIComponent(demand.id)}/acceptance`, body);
      done(t(accepted ? 'demands.accepted' : 'demands.disputed', { title: demand.title }));
    },
    cancel,
  });
}

/** The actions the signed-in principal may take on a demand: [id, label, kind, form]. */
function actionsFor(demand, ctx) {
  const { roles, agency_code: own } = ctx.me;
  const actions = [];
  if (isStaff(roles) && ['open', 'assigned', 'disputed'].includes(demand.status)) {
    actions.push(['assign', t(demand.provider_code ? 'demands.reassign' : 'demands.assign'), 'btn-primary', assignForm]);
  }
  if (isOfficer(roles) && own) {
    if (demand.status === 'assigned' && demand.provider_code === own) {
      actions.push(['respond', t('demands.respond'), 'btn-primary', respondForm]);
    }
    if (demand.status === 'answered' && demand.consumer_code === own) {
      actions.push(['accept', t('demands.accept'), 'btn-primary', (...a) => acceptanceForm(true, ...a)]);
      actions.push(['dispute', t('demands.dispute'), 'btn-danger-outline', (...a) => acceptanceForm(false, ...a)]);
    }
  }
  return actions;
}

// --- a demand's details and history ------------------------------------------------------------

const field = (label, value, key) => (value ? [h('dt', {}, label), h('dd', { dataset: { field: key } }, value)] : null);

function details(demand, ctx) {
  const steps = [
    ['posted', demand.created_at],
    ['assigned', demand.assigned_at],
    ['answered', demand.answered_at],
    ['closed', demand.closed_at],
  ].filter(([, at]) => at);
  return h(
    'div',
    { class: 'demand-details grid-2' },
    h(
      'dl',
      { class: 'kv' },
      field(t('demands.field.description'), demand.description, 'description'),
      field(t('demands.field.purpose'), demand.purpose, 'purpose'),
      field(t('demands.field.legal_basis'), demand.legal_basis, 'legal_basis'),
      field(t('demands.field.suggested_provider'), demand.suggested_provider_code && ctx.agencyName(demand.suggested_provider_code), 'suggested'),
      field(t('demands.field.outcome'), demand.outcome && tv('demands.outcome', demand.outcome), 'outcome'),
      field(t('demands.field.resource'), demand.resource_code && h('code', {}, demand.resource_code), 'resource_code'),
      field(t('demands.field.reason'), demand.reason, 'reason'),
      field(t('demands.field.acceptance_note'), demand.acceptance_note, 'acceptance_note'),
      field(t('demands.field.id'), h('code', {}, demand.id), 'id'),
    ),
    h(
      'div',
      {},
      h('h3', {}, t('demands.history')),
      h(
        'ol',
        { class: 'timeline' },
        steps.map(([step, at]) =>
          h('li', { dataset: { step } }, h('span', { class: 'muted small' }, formatTime(at)), ' ', tv('demands.step', step)),
        ),
      ),
      demand.status === 'disputed' ? h('p', { class: 'muted small' }, t('demands.disputed_hint')) : null,
    ),
  );
}

function answerCell(demand) {
  if (!demand.outcome) return '—';
  return h(
    'div',
    {},
    badge(tv('demands.outcome', demand.outcome), demand.outcome === 'catalogued' ? 'ok' : 'muted'),
    demand.resource_code ? h('div', {}, h('code', {}, demand.resource_code)) : null,
    demand.reason ? h('div', { class: 'muted small' }, demand.reason) : null,
  );
}

// --- the page ----------------------------------------------------------------------------------

export async function render(el, ctx) {
  const officer = isOfficer(ctx.me.roles) && ctx.me.agency_code;
  const status = pick(ctx.params.get('status'), STATUSES);
  // Staff see every agency's demands: direction means something only for an agency.
  const direction = officer ? pick(ctx.params.get('direction'), DIRECTIONS) : '';
  const query = { status, direction };
  const go = (change) => ctx.navigate('demands', Object.fromEntries(Object.entries({ ...query, ...change }).filter(([, v]) => v)));

  const postArea = h('div', {});
  const postButton = officer
    ? h(
        'button',
        {
          type: 'button',
          class: 'btn btn-primary',
          id: 'demand-new',
          onclick: () => fill(postArea, card(t('demands.new_title'), postForm(ctx, () => fill(postArea)), { class: 'new-demand' })),
        },
        t('demands.new'),
      )
    : null;
  const body = h('div', {}, loading());
  el.append(
    pageHeader(t('demands.title'), h('span', { class: 'muted' }, t(officer ? 'demands.intro_agency' : 'demands.intro_staff'))),
    card(
      null,
      h(
        'div',
        { class: 'toolbar' },
        officer ? filterSelect('demands-direction', t('demands.direction'), DIRECTIONS, direction, (d) => tv('demands.direction', d || 'all'), (d) => go({ direction: d })) : null,
        filterSelect('demands-status', t('demands.status'), STATUSES, status, (s) => tv('demands.status', s || 'all'), (s) => go({ status: s })),
        h('div', { class: 'toolbar-end' }, postButton),
      ),
    ),
    flashArea(),
    postArea,
    card(null, body),
  );

  const tbody = h('tbody', {});
  const panels = rowPanels();
  const done = (text) => {
    flashNext(text);
    go({});
  };
  // A page at a time, newest first within it: the list is the group's in-tray.
  const add = (demands) => {
    const newest = [...demands].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    for (const d of newest) {
      const panel = panels.add(COLUMNS.length);
      const actions = actionsFor(d, ctx).map(([id, label, kind, form]) =>
        actionButton(id, label, () => panel.toggle(id, () => form(d, ctx, done, () => panel.hide())), kind),
      );
      actions.push(actionButton('details', t('demands.details'), () => panel.toggle('details', () => details(d, ctx)), 'btn-quiet'));
      tbody.append(
        h(
          'tr',
          { dataset: { id: d.id, status: d.status } },
          h('td', { class: 'strong' }, d.title, h('div', { class: 'muted small clamp' }, d.description)),
          h('td', {}, ctx.agencyName(d.consumer_code)),
          h(
            'td',
            {},
            d.provider_code
              ? ctx.agencyName(d.provider_code)
              : d.suggested_provider_code
                ? h('span', { class: 'muted' }, t('demands.suggested', { agency: ctx.agencyName(d.suggested_provider_code) }))
                : '—',
          ),
          h('td', {}, h('div', { class: 'chips' }, d.items_wanted.map((i) => h('span', { class: 'chip' }, i)))),
          h(
            'td',
            { class: 'status-cell' },
            badge(tv('demands.status', d.status), STATUS_KIND[d.status] ?? ''),
            d.overdue ? [' ', badge(t('demands.overdue'), 'danger')] : null,
          ),
          h('td', { class: 'due' }, formatTime(d.due_at)),
          h('td', {}, answerCell(d)),
          h('td', { class: 'actions' }, actions),
        ),
        panel.row,
      );
    }
  };
  try {
    const footer = await pagedRows({ id: 'demands', path: '/demands', query, pageSize: pageSizeOf(ctx.params), tbody, add, colspan: COLUMNS.length, emptyText: t('demands.empty') });
    fill(body, dataTable('demands-table', COLUMNS.map((c) => t(`demands.col.${c}`)), tbody), footer);
  } catch (error) {
    fill(body, errorBox(error, () => go({})));
    setState(el, 'error');
    return;
  }
  setState(el, 'ready');
}
