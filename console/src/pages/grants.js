// Grants (授权): what the agency holds from others — renewed before they end, revoked grants
// showing why — and what it gives others, revoked with a reason the consumer is shown. The hub's
// staff see every grant. An aggregate grant under a differential-privacy budget shows what is
// left of today's ε.
import { api, resourcesOf } from '../api.js';
import { cityDate, cityToday, daysFrom, renewalEnd } from '../dates.js';
import { fill, h } from '../dom.js';
import { formatNumber, formatTime, operationLabel } from '../format.js';
import { t, tv } from '../i18n.js';
import { isOfficer, isStaff } from '../roles.js';
import { actionButton, actionForm, badge, card, dataTable, errorBox, filterSelect, flashArea, flashNext, loading, pageHeader, pagedRows, pageSizeOf, rowPanels, setState } from '../ui.js';

// The grant_expiring alert's warning time (monitor.grant_expiring_days, 14 by default).
const EXPIRING_DAYS = 14;
const STATUS_KIND = { active: 'ok', revoked: 'danger', ended: 'muted', expired: 'muted' };

// Which columns each list shows: the other party, never one's own agency.
const SIDES = {
  received: ['resource', 'provider', 'items', 'purpose', 'valid_until', 'status', 'actions'],
  given: ['resource', 'consumer', 'items', 'purpose', 'valid_until', 'status', 'actions'],
  all: ['resource', 'provider', 'consumer', 'items', 'purpose', 'valid_until', 'status', 'actions'],
};

// --- the actions -------------------------------------------------------------------------------

function renewForm(grant, done, cancel) {
  const current = cityDate(grant.valid_until);
  const until = h('input', {
    type: 'date',
    id: `renew-until-${grant.id}`,
    min: current,
    value: renewalEnd(grant.valid_until, cityToday()),
  });
  const reason = h('textarea', { id: `renew-reason-${grant.id}`, rows: 2, maxlength: 1000 });
  return actionForm({
    action: 'renew',
    note: t('grants.renew_note', { until: current }),
    fields: [
      [t('grants.field.new_until'), until],
      [t('grants.field.renew_reason'), reason],
    ],
    confirmLabel: t('grants.confirm_renew'),
    validate: () => {
      if (!until.value || until.value <= current) return t('grants.until_after', { until: current });
      return reason.value.trim() ? null : t('grants.reason_required');
    },
    submit: async () => {
      const answer = await api.post(`/grants/${encodeURIComponent(grant.id)}/renewal`, { valid_until: until.value, reason: reason.value.trim() });
      done(
        answer.status === 'approved'
          ? t('grants.renewed', { until: cityDate(answer.grant?.valid_until) || until.value })
          : t('grants.renewal_pending', { id: answer.application_id ?? '—', due: formatTime(answer.due_at) }),
      );
    },
    cancel,
  });
}

function revokeForm(grant, ctx, done, cancel) {
  const reason = h('textarea', { id: `revoke-reason-${grant.id}`, rows: 2, maxlength: 1000 });
  return actionForm({
    action: 'revoke',
    danger: true,
    note: t('grants.revoke_note', { consumer: ctx.agencyName(grant.consumer_code) }),
    fields: [[t('grants.field.revoke_reason'), reason]],
    confirmLabel: t('grants.confirm_revoke'),
    validate: () => (reason.value.trim() ? null : t('grants.revoke_reason_required')),
    submit: async () => {
      await api.post(`/grants/${encodeURIComponent(grant.id)}/revocation`, { reason: reason.value.trim() });
      done(t('grants.revoked', { consumer: ctx.agencyName(grant.consumer_code) }));
    },
    cancel,
  });
}

// --- cells ---------------------------------------------------------------------------------------

function statusCell(grant) {
  const daysLeft = daysFrom(cityToday(), cityDate(grant.valid_until));
  return h(
    'td',
    { class: 'status-cell' },
    badge(tv('grants.status', grant.status), STATUS_KIND[grant.status] ?? ''),
    grant.status === 'active' && daysLeft <= EXPIRING_DAYS ? [' ', badge(t('grants.expiring', { days: Math.max(daysLeft, 0) }), 'warn')] : null,
    grant.status === 'active' && daysLeft > EXPIRING_DAYS ? h('div', { class: 'muted small days-left' }, t('grants.days_left', { days: daysLeft })) : null,
    grant.revoked_reason
      ? h('div', { class: 'small revoked-reason', dataset: { field: 'revoked_reason' } }, t('grants.revoked_reason', { reason: grant.revoked_reason }))
      : null,
    grant.revoked_at ? h('div', { class: 'muted small' }, t('grants.revoked_at', { at: formatTime(grant.revoked_at) })) : null,
    grant.renewal_application_id
      ? h('div', { class: 'small renewal-pending', dataset: { field: 'renewal_application_id' } }, t('grants.renewal_waiting', { id: grant.renewal_application_id }))
      : null,
  );
}

/**
 * An aggregate grant's differential-privacy budget today (docs/privacy.md), as the page words it:
 * {spent, perDay, perQuery, remaining, queries, exhausted}, the numbers written in the page's language;
 * null for a grant without one (`privacy` null or absent).
 */
export function privacyBudget(privacy) {
  if (!privacy || typeof privacy !== 'object' || typeof privacy.epsilon_per_day !== 'number') return null;
  const num = (n) => formatNumber(typeof n === 'number' ? n : 0, 3);
  const queries = Math.max(0, Math.floor(privacy.queries_remaining_today ?? 0));
  return {
    spent: num(privacy.epsilon_spent_today),
    perDay: num(privacy.epsilon_per_day),
    perQuery: num(privacy.epsilon_per_query),
    remaining: num(privacy.epsilon_remaining),
    queries,
    exhausted: queries === 0,
  };
}

function privacyView(grant) {
  // A grant no longer live has no budget to spend, whatever the hub counts for today.
  if (grant.status !== 'active') return null;
  const b = privacyBudget(grant.privacy);
  if (!b) return null;
  const p = grant.privacy;
  return h(
    'div',
    {
      class: ['privacy-budget', b.exhausted && 'exhausted'],
      dataset: { field: 'privacy', remaining: String(p.epsilon_remaining ?? ''), queries: String(b.queries) },
      title: t('grants.privacy_help'),
    },
    h(
      'div',
      { class: 'privacy-line' },
      h('span', { class: 'privacy-text' }, t('grants.privacy', b)),
      b.exhausted ? [' ', badge(t('grants.privacy_exhausted'), 'warn')] : null,
    ),
    h('meter', {
      class: 'privacy-meter',
      min: '0',
      max: String(p.epsilon_per_day),
      value: String(Math.min(p.epsilon_spent_today ?? 0, p.epsilon_per_day)),
      // Spending is the worry here: green while most is left, amber past half, red near the end.
      low: String(p.epsilon_per_day / 2),
      high: String(p.epsilon_per_day * 0.8),
      optimum: '0',
      'aria-label': t('grants.privacy_meter'),
    }),
    h(
      'details',
      { class: 'privacy-help small' },
      h('summary', {}, t('grants.privacy_what')),
      h('p', {}, t('grants.privacy_help')),
      h('p', { class: 'muted' }, t('grants.privacy_per_query', b)),
    ),
  );
}

function itemsCell(grant, resource) {
  const titles = new Map((resource?.items ?? resource?.operations ?? []).map((i) => [i.name ?? i.id, i.title]));
  return h(
    'td',
    {},
    h('div', { class: 'chips' }, grant.items.map((i) => h('span', { class: 'chip', title: i }, titles.get(i) ?? i))),
    h('div', { class: 'muted small' }, grant.operations.map((o) => operationLabel(o, resource)).join('、')),
    privacyView(grant),
  );
}

/** A function that adds grants' rows (with their action panels) to `tbody`. */
function grantRows(tbody, side, ctx) {
  const columns = SIDES[side];
  const officer = isOfficer(ctx.me.roles);
  const admin = ctx.me.roles.includes('hub_admin');
  const panels = rowPanels();
  const done = (text) => {
    flashNext(text);
    ctx.navigate('grants');
  };
  return (grants, byCode) => {
    for (const g of grants) {
      const panel = panels.add(columns.length);
      const resource = byCode.get(g.resource_code);
      const actions = [];
      if (g.status === 'active' && side === 'received' && officer && !g.renewal_application_id) {
        actions.push(actionButton('renew', t('grants.renew'), () => panel.toggle('renew', () => renewForm(g, done, () => panel.hide())), 'btn-primary'));
      }
      if (g.status === 'active' && ((side === 'given' && officer) || (side === 'all' && admin))) {
        actions.push(actionButton('revoke', t('grants.revoke'), () => panel.toggle('revoke', () => revokeForm(g, ctx, done, () => panel.hide())), 'btn-danger-outline'));
      }
      const cells = {
        resource: h('td', {}, h('div', { class: 'strong' }, resource?.name ?? g.resource_code), h('div', { class: 'muted small' }, g.resource_code)),
        provider: h('td', {}, ctx.agencyName(g.provider_code)),
        consumer: h('td', {}, ctx.agencyName(g.consumer_code)),
        items: itemsCell(g, resource),
        purpose: h('td', { class: 'purpose' }, g.purpose),
        valid_until: h('td', { class: 'valid-until' }, formatTime(g.valid_until)),
        status: statusCell(g),
        actions: h('td', { class: 'actions' }, actions.length ? actions : '—'),
      };
      tbody.append(h('tr', { dataset: { id: g.id, status: g.status } }, columns.map((c) => cells[c])), panel.row);
    }
  };
}

/**
 * Every agency's grants, for the hub's staff: a page at a time by the API's cursor (the city's
 * grants run to thousands), filtered by the hub by resource and by consumer.
 */
async function staffGrants(body, ctx) {
  const resource = ctx.params.get('resource_code') ?? '';
  const consumer = ctx.params.get('consumer') ?? '';
  const columns = SIDES.all;
  const tbody = h('tbody', {});
  const add = grantRows(tbody, 'all', ctx);
  const footer = await pagedRows({
    id: 'grants',
    path: '/grants',
    query: { resource_code: resource, consumer },
    pageSize: pageSizeOf(ctx.params),
    tbody,
    add: async (items) => add(items, await resourcesOf(items.map((g) => g.resource_code))),
    colspan: columns.length,
    emptyText: t('grants.empty'),
  });
  const agencies = ctx.agencyList();
  const filters = h(
    'div',
    { class: 'toolbar' },
    filterSelect('grants-consumer', t('grants.col.consumer'), ['', ...agencies.map((a) => a.code)], consumer, (c) => (c ? ctx.agencyName(c) : t('grants.all_agencies')), (v) =>
      ctx.navigate('grants', Object.fromEntries(Object.entries({ resource_code: resource, consumer: v }).filter(([, x]) => x))),
    ),
  );
  fill(body, card(t('grants.all'), h('div', {}, filters, dataTable('grants-all', columns.map((c) => t(`grants.col.${c}`)), tbody), footer)));
}

// --- the page ----------------------------------------------------------------------------------

export async function render(el, ctx) {
  const own = ctx.me.agency_code;
  const staff = isStaff(ctx.me.roles);
  const body = h('div', {}, loading());
  el.append(pageHeader(t('grants.title'), h('span', { class: 'muted' }, t(staff ? 'grants.intro_staff' : 'grants.intro_agency'))), flashArea(), body);

  if (staff) {
    try {
      await staffGrants(body, ctx);
    } catch (error) {
      fill(body, card(null, errorBox(error, () => ctx.navigate('grants'))));
      setState(el, 'error');
      return;
    }
    setState(el, 'ready');
    return;
  }
  // Received and given, each a page at a time; in a page, live grants first, those ending
  // soonest first, then the rest, latest first.
  const order = (a, b) =>
    (a.status === 'active' ? 0 : 1) - (b.status === 'active' ? 0 : 1) ||
    (a.status === 'active' ? String(a.valid_until).localeCompare(String(b.valid_until)) : String(b.created_at).localeCompare(String(a.created_at)));
  const side = async (id, which, query) => {
    const tbody = h('tbody', {});
    const add = grantRows(tbody, which, ctx);
    const footer = await pagedRows({
      id,
      path: '/grants',
      query,
      pageSize: pageSizeOf(ctx.params),
      tbody,
      add: async (items) => add([...items].sort(order), await resourcesOf(items.map((g) => g.resource_code))),
      colspan: SIDES[which].length,
      emptyText: t('grants.empty'),
    });
    return h('div', {}, dataTable(id, SIDES[which].map((c) => t(`grants.col.${c}`)), tbody), footer);
  };
  try {
    const [received, given] = await Promise.all([side('grants-received', 'received', { consumer: own }), side('grants-given', 'given', { provider: own })]);
    fill(body, card(t('grants.received'), received), card(t('grants.given'), given));
  } catch (error) {
    fill(body, card(null, errorBox(error, () => ctx.navigate('grants'))));
    setState(el, 'error');
    return;
  }
  setState(el, 'ready');
}
