// Early warnings (监测预警): open or acknowledged alerts, each acknowledged in place.
import { api } from '../api.js';
import { fill, h } from '../dom.js';
import { formatNumber, formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { badge, card, errorBox, loading, message, moreButton, pageHeader, setState } from '../ui.js';

const STATUSES = ['open', 'acknowledged'];
const SEVERITY_KIND = { info: 'info', warning: 'warn', critical: 'danger' };

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

// The detail object, whatever the rule put in it, as key: value lines. Keys the rules of today
// use have names in the dictionary; agency codes, update cycles and times are shown as such.
function detailValue(key, value, ctx) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  if (key.endsWith('consumer_code') || key === 'agency_code' || key === 'provider_code') return ctx.agencyName(value);
  if (key === 'update_cycle') return tv('cycle', value);
  if (typeof value === 'string' && RFC3339.test(value)) return formatTime(value);
  if (typeof value === 'number') return formatNumber(value);
  return String(value);
}

function detailList(detail, ctx) {
  if (!detail || typeof detail !== 'object') return detail ?? '—';
  const entries = Object.entries(detail);
  if (!entries.length) return '—';
  return h(
    'dl',
    { class: 'kv kv-compact' },
    entries.map(([k, v]) => [h('dt', {}, tv('detail', k)), h('dd', { dataset: { key: k } }, detailValue(k, v, ctx))]),
  );
}

let lastResult = null;

export async function render(el, ctx) {
  const status = STATUSES.includes(ctx.params.get('status')) ? ctx.params.get('status') : 'open';
  const select = h(
    'select',
    { id: 'alerts-status', onchange: (e) => ctx.navigate('alerts', { status: e.target.value }) },
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, t(`alerts.status.${s}`))),
  );
  const flash = h('div', { 'aria-live': 'polite' });
  if (lastResult) flash.append(message('success', lastResult));
  lastResult = null;
  const body = h('div', {}, loading());
  el.append(
    pageHeader(t('alerts.title')),
    card(null, h('div', { class: 'toolbar' }, h('label', { class: 'field-inline' }, h('span', {}, t('alerts.status')), select))),
    flash,
    card(null, body),
  );

  const cols = ['severity', 'rule', 'agency', 'resource', 'detail', 'opened_at', 'state'];
  // The hub's staff acknowledge; an agency's CDO reads its own agency's alerts only.
  const staff = ['hub_admin', 'coordinator'].some((r) => ctx.me.roles.includes(r));
  const tbody = h('tbody', {});
  const footer = h('div', { class: 'table-footer' });
  let shown = 0;

  const ack = async (alert, button, cell) => {
    button.disabled = true;
    try {
      await api.post(`/alerts/${encodeURIComponent(alert.id)}/ack`);
      lastResult = t('alerts.acked');
      ctx.navigate('alerts', { status });
    } catch (error) {
      cell.append(errorBox(error));
      button.disabled = false;
    }
  };

  const addRows = (items) => {
    for (const a of items) {
      const state = h('td', { class: 'actions' });
      if (a.status === 'open' && staff) {
        const button = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'ack' } }, t('alerts.ack'));
        button.addEventListener('click', () => ack(a, button, state));
        state.append(button);
      } else {
        state.append(
          h(
            'span',
            { class: 'muted small' },
            a.acknowledged_at
              ? t('alerts.acked_by', {
                  // The hub names the principal by id: say "you" for one's own.
                  by: a.acknowledged_by === ctx.me.principal_id ? t('alerts.by_you') : (a.acknowledged_by ?? '—'),
                  at: formatTime(a.acknowledged_at),
                })
              : tv('alerts.status', a.status),
          ),
        );
      }
      tbody.append(
        h(
          'tr',
          { dataset: { id: a.id, severity: a.severity } },
          h('td', {}, badge(tv('severity', a.severity), SEVERITY_KIND[a.severity] ?? '')),
          h('td', { class: 'strong' }, tv('rule', a.rule)),
          h('td', {}, ctx.agencyName(a.agency_code)),
          h('td', {}, a.resource_code ? h('code', {}, a.resource_code) : '—'),
          h('td', {}, detailList(a.detail, ctx)),
          h('td', {}, formatTime(a.opened_at)),
          state,
        ),
      );
    }
    shown += items.length;
  };

  const loadPage = async (cursor) => {
    const page = await api.get('/alerts', { status, limit: 100, cursor });
    addRows(page.items);
    fill(footer, moreButton(page.next_cursor, loadPage, footer));
  };

  try {
    await loadPage();
  } catch (error) {
    fill(body, errorBox(error, () => ctx.navigate('alerts', { status })));
    setState(el, 'error');
    return;
  }
  if (!shown) tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: cols.length }, t('alerts.empty'))));
  fill(body,
    h(
      'div',
      { class: 'table-wrap', tabindex: '0' },
      h('table', { class: 'data-table', id: 'alerts-table' }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, t(`alerts.col.${c}`))))), tbody),
    ),
    footer,
  );
  setState(el, 'ready');
}
