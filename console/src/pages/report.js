// The sharing-status report (共享情况通报) of a period: every agency by rank, and the same as a
// CSV or XLSX file fetched with the session's token.
import { api } from '../api.js';
import { cityToday, isDate, lastMonth, thisMonth, thisQuarter } from '../dates.js';
import { fill, h } from '../dom.js';
import { formatNumber, formatTime } from '../format.js';
import { locale, t } from '../i18n.js';
import { card, downloadButton as downloadFile, errorBox, loading, message, pageHeader, setState, table } from '../ui.js';
import { qualityReportTable } from './quality.js';

// API.md's report columns, in the order shown.
const COLUMNS = [
  'rank',
  'agency_name',
  'agency_code',
  'score',
  'resources_catalogued',
  'resources_published',
  'resources_newly_published',
  'resources_with_data',
  'resources_empty',
  'resources_fresh',
  'resources_stale',
  'applications_received',
  'applications_approved',
  'applications_rejected',
  'applications_overdue',
  'median_reply_hours',
  'demands_received',
  'demands_answered_on_time',
  'demands_overdue',
  'escalations_received',
  'indicators_due',
  'indicators_on_time',
  'requests_served',
  'requests_made',
  'records_shared',
  'denied_requests',
  'objections_received',
  'objections_resolved_on_time',
  'objections_overdue',
  'service_calls_served',
  'data_quality',
  'service_availability',
];
const TEXT_COLUMNS = new Set(['agency_name', 'agency_code']);
const STICKY = { rank: 'sticky-1', agency_name: 'sticky-2' };

/** A share 0..1 as a percentage ("99.5%"); — for null (no calls in the period). */
function formatPercent(share) {
  if (share === null || share === undefined || typeof share !== 'number') return '—';
  return share.toLocaleString(locale(), { style: 'percent', maximumFractionDigits: 1 });
}

function columns() {
  return COLUMNS.map((key) => ({
    key,
    label: t(`report.col.${key}`),
    class: [TEXT_COLUMNS.has(key) ? 'text' : 'num', STICKY[key]].filter(Boolean).join(' '),
    render: TEXT_COLUMNS.has(key)
      ? undefined
      : key === 'service_availability'
        ? (row) => formatPercent(row[key])
        : (row) => formatNumber(row[key], ['score', 'median_reply_hours', 'data_quality'].includes(key) ? 1 : undefined),
  }));
}

/**
 * The totals below the ranking: every count column summed, and how many members were connected
 * (an allowed request, a service call, a push or an import in the period).
 */
function totalsTable(totals) {
  if (!totals) return null;
  const counts = COLUMNS.filter((key) => typeof totals[key] === 'number');
  return h(
    'div',
    { class: 'report-totals', id: 'report-totals' },
    h('h3', {}, t('report.totals')),
    h('p', { class: 'strong', id: 'report-connected' }, t('report.connected', { connected: formatNumber(totals.members_connected), total: formatNumber(totals.agencies) })),
    h(
      'dl',
      { class: 'totals-grid' },
      counts.map((key) => [h('dt', {}, t(`report.col.${key}`)), h('dd', { dataset: { total: key } }, formatNumber(totals[key]))]),
    ),
  );
}

export async function render(el, ctx) {
  const today = cityToday();
  const fallback = thisMonth(today);
  const period = {
    from: isDate(ctx.params.get('from')) ? ctx.params.get('from') : fallback.from,
    to: isDate(ctx.params.get('to')) ? ctx.params.get('to') : fallback.to,
  };

  const from = h('input', { type: 'date', id: 'report-from', value: period.from, required: true });
  const to = h('input', { type: 'date', id: 'report-to', value: period.to, required: true });
  const formError = h('div', { 'aria-live': 'polite' });
  const show = (p) => {
    if (p.from > p.to) {
      fill(formError, message('error', t('report.bad_period')));
      return;
    }
    ctx.navigate('report', p);
  };
  const quick = (label, range) =>
    h('button', { type: 'button', class: 'btn btn-small btn-quiet', onclick: () => show(range) }, label);

  const status = h('div', { class: 'downloads-status', 'aria-live': 'polite' });
  const downloadButton = (format, label) =>
    downloadFile(label, { id: `download-${format}` }, status, '/reports/sharing-status', { ...period, format }, `sharing-status-${period.from}-${period.to}.${format}`);

  const form = h(
    'form',
    {
      class: 'toolbar',
      onsubmit: (e) => {
        e.preventDefault();
        show({ from: from.value, to: to.value });
      },
    },
    h('label', { class: 'field-inline' }, h('span', {}, t('report.from')), from),
    h('label', { class: 'field-inline' }, h('span', {}, t('report.to')), to),
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'report-query' }, t('report.query')),
    h(
      'div',
      { class: 'quick' },
      quick(t('report.this_month'), thisMonth(today)),
      quick(t('report.last_month'), lastMonth(today)),
      quick(t('report.this_quarter'), thisQuarter(today)),
    ),
    h('div', { class: 'toolbar-end' }, downloadButton('csv', t('report.download_csv')), downloadButton('xlsx', t('report.download_xlsx'))),
  );

  const body = h('div', {}, loading());
  el.append(pageHeader(t('report.title')), card(null, [form, formError, status]), card(null, body, { class: 'report-card' }));

  let report;
  try {
    report = await api.get('/reports/sharing-status', period);
  } catch (error) {
    fill(body, errorBox(error, () => ctx.navigate('report', period)));
    setState(el, 'error');
    return;
  }
  const rows = [...report.agencies].sort((a, b) => a.rank - b.rank);
  fill(body,
    h(
      'p',
      { class: 'muted report-meta' },
      t('report.generated', { from: report.from, to: report.to, at: formatTime(report.generated_at), count: rows.length }),
    ),
    table(columns(), rows, { className: 'report-table', rowAttrs: (r) => ({ dataset: { agency: r.agency_code } }) }),
    totalsTable(report.totals),
  );
  // The data-quality report of the same period (docs/exchange.md "Quality"), below.
  const qualityStatus = h('div', { class: 'downloads-status', 'aria-live': 'polite' });
  const qualityDownload = (format, label) =>
    downloadFile(label, { id: `quality-download-${format}` }, qualityStatus, '/reports/data-quality', { ...period, format }, `data-quality-${period.from}-${period.to}.${format}`);
  const qualityBody = h('div', { id: 'quality-report' }, loading());
  el.append(
    card(
      t('quality.report_title'),
      [h('div', { class: 'toolbar' }, h('p', { class: 'muted' }, t('quality.report_note')), h('div', { class: 'toolbar-end' }, qualityDownload('csv', t('report.download_csv')), qualityDownload('xlsx', t('report.download_xlsx')))), qualityStatus, qualityBody],
      { class: 'report-card' },
    ),
  );
  try {
    fill(qualityBody, qualityReportTable(await api.get('/reports/data-quality', period)));
  } catch (error) {
    fill(qualityBody, errorBox(error));
  }
  setState(el, 'ready');
}
