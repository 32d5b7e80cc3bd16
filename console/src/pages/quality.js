// A dataset's data quality (数据质量) in the catalog: its score, flagged records, freshness, open
// objections, and per item how complete and per rule how valid its records are
// (GET /api/v1/resources/{code}/quality; docs/exchange.md "Quality"). Shown to the provider's
// own people and the hub's staff: the hub answers anyone else 404.
import { api } from '../api.js';
import { fill, h } from '../dom.js';
import { formatNumber, formatShare, formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { isStaff } from '../roles.js';
import { badge, errorBox, loading, table } from '../ui.js';

/** The mean of an object's shares ({item: 0.98, ...}); null when it has none. */
export function meanOf(shares) {
  const values = Object.values(shares ?? {}).filter((v) => typeof v === 'number');
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** Rows by score, lowest first (what needs work first), never measured last; ties by code. */
export function qualityOrder(rows) {
  return [...(rows ?? [])].sort((a, b) => (a.score ?? 101) - (b.score ?? 101) || a.resource_code.localeCompare(b.resource_code));
}

const REPORT_COLUMNS = ['agency_name', 'resource_name', 'records', 'flagged_records', 'completeness', 'validity', 'fresh', 'objections_open', 'objections_raised', 'objections_corrected', 'score'];

/**
 * The data-quality report's table (GET /api/v1/reports/data-quality): a row per published
 * dataset, the lowest score first, so that what needs work comes first.
 */
export function qualityReportTable(report) {
  const rows = qualityOrder(report.rows);
  const render = {
    records: (r) => formatNumber(r.records),
    flagged_records: (r) => formatNumber(r.flagged_records),
    completeness: (r) => formatShare(meanOf(r.completeness)),
    validity: (r) => formatShare(meanOf(r.validity)),
    fresh: (r) => (r.fresh == null ? '—' : badge(r.fresh ? t('common.yes') : t('common.no'), r.fresh ? 'ok' : 'warn')),
    objections_open: (r) => formatNumber(r.objections_open),
    objections_raised: (r) => formatNumber(r.objections_raised),
    objections_corrected: (r) => formatNumber(r.objections_corrected),
    score: (r) => (r.score == null ? '—' : badge(formatNumber(r.score, 1), scoreKind(r.score))),
  };
  return table(
    REPORT_COLUMNS.map((key) => ({
      key,
      label: t(`quality.col.${key}`),
      class: key === 'agency_name' || key === 'resource_name' ? 'text' : 'num',
      render: render[key],
    })),
    rows,
    { className: 'quality-report', rowAttrs: (r) => ({ dataset: { resource: r.resource_code } }) },
  );
}

/** Whether `me` may see a resource's quality: the hub's staff and the provider's principals. */
export function maySeeQuality(me, resource) {
  if (!resource || resource.kind === 'service' || resource.kind === 'computation') return false;
  if (isStaff(me?.roles ?? [])) return true;
  return !!me?.agency_code && me.agency_code === resource.provider_code;
}

/** The kind of badge a score earns: 90 and above good, 60 and above fair, else poor. */
export function scoreKind(score) {
  if (typeof score !== 'number') return 'muted';
  return score >= 90 ? 'ok' : score >= 60 ? 'warn' : 'danger';
}

/**
 * A validity key "item.rule" as its item's title and the rule in words
 * ("所在区", "代码表"); the item's name when the resource does not list it.
 */
export function ruleLabel(key, resource) {
  const dot = key.lastIndexOf('.');
  const name = dot < 0 ? key : key.slice(0, dot);
  const rule = dot < 0 ? '' : key.slice(dot + 1);
  const item = (resource.items ?? []).find((i) => i.name === name);
  return { item: item?.title || name, rule: tv('quality.rule', rule) };
}

function view(q, resource) {
  const items = Object.entries(q.completeness ?? {}).map(([name, share]) => {
    const item = (resource.items ?? []).find((i) => i.name === name);
    return { name, title: item?.title || name, share };
  });
  const rules = Object.entries(q.validity ?? {}).map(([key, share]) => ({ key, ...ruleLabel(key, resource), share }));
  const shareCell = (row) => h('span', { class: row.share < 1 ? 'strong' : '' }, formatShare(row.share));
  return h(
    'div',
    { class: 'quality', dataset: { score: String(q.score) } },
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, t('quality.score')),
      h('dd', {}, badge(formatNumber(q.score, 2), scoreKind(q.score))),
      h('dt', {}, t('quality.records')),
      h('dd', {}, formatNumber(q.records), q.sampled != null ? h('span', { class: 'muted' }, ` (${t('quality.sampled', { n: formatNumber(q.sampled) })})`) : null),
      h('dt', {}, t('quality.flagged')),
      h('dd', { class: 'quality-flagged' }, formatNumber(q.flagged_records)),
      h('dt', {}, t('quality.fresh')),
      h('dd', {}, badge(q.fresh ? t('common.yes') : t('common.no'), q.fresh ? 'ok' : 'warn')),
      h('dt', {}, t('quality.objections_open')),
      h('dd', {}, formatNumber(q.objections_open)),
      h('dt', {}, t('quality.measured_at')),
      h('dd', {}, formatTime(q.measured_at)),
    ),
    items.length
      ? [
          h('h4', {}, t('quality.completeness')),
          table(
            [
              { key: 'title', label: t('quality.item') },
              { key: 'share', label: t('quality.share'), class: 'num', render: shareCell },
            ],
            items,
            { className: 'compact quality-completeness' },
          ),
        ]
      : h('p', { class: 'muted' }, t('quality.none')),
    rules.length
      ? [
          h('h4', {}, t('quality.validity')),
          table(
            [
              { key: 'item', label: t('quality.item') },
              { key: 'rule', label: t('quality.rule') },
              { key: 'share', label: t('quality.share'), class: 'num', render: shareCell },
            ],
            rules,
            { className: 'compact quality-validity' },
          ),
        ]
      : null,
  );
}

/** The section: loads the measurement when shown. */
export function qualitySection(resource) {
  const body = h('div', {}, loading());
  const section = h('section', { class: 'quality-section' }, h('h3', {}, t('quality.title')), body);
  const load = async () => {
    fill(body, loading());
    try {
      fill(body, view(await api.get(`/resources/${encodeURIComponent(resource.code)}/quality`), resource));
    } catch (error) {
      fill(body, errorBox(error, load));
    }
  };
  load();
  return section;
}
