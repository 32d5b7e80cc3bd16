// The theme dashboard (主题看板): the city's economy by theme (经济运行, 营商环境 …), each indicator
// as this year against last year, with its latest value and the change on a year earlier, and the
// districts side by side where the indicator is broken down by district. Drawn with ECharts (the
// same chunk as the overview), laid out for a large screen and for print.
import { api, listAll } from '../api.js';
import { fill, h } from '../dom.js';
import { formatNumber } from '../format.js';
import { t } from '../i18n.js';
import { card, errorBox, filterSelect, loading, pageHeader, setState } from '../ui.js';
import { parsePeriod } from './indicators.js';

// Guangzhou's districts (GB/T 2260), for the breakdown's labels.
export const DISTRICTS = {
  440103: '荔湾区',
  440104: '越秀区',
  440105: '海珠区',
  440106: '天河区',
  440111: '白云区',
  440112: '黄埔区',
  440113: '番禺区',
  440114: '花都区',
  440115: '南沙区',
  440117: '从化区',
  440118: '增城区',
};

/**
 * A series' values by year: {labels, years: [last, this], rows: {year: [value|null …]}} with one
 * slot per period of the year (12 months, 4 quarters, 1 year), for the two latest years that
 * have a value; `latest` the newest value and `change` its ratio to the same period a year
 * earlier (null without one).
 */
export function yearOverYear(series, frequency) {
  const slots = frequency === 'monthly' ? 12 : frequency === 'quarterly' ? 4 : 1;
  const byYear = new Map();
  let latest = null;
  for (const v of series) {
    const p = parsePeriod(v.period, frequency);
    if (!p) continue;
    if (!byYear.has(p.year)) byYear.set(p.year, Array(slots).fill(null));
    byYear.get(p.year)[p.index - 1] = v.value;
    if (!latest || v.period > latest.period) latest = { ...v, year: p.year, index: p.index };
  }
  if (!latest) return { labels: [], years: [], rows: {}, latest: null, change: null };
  const years = [latest.year - 1, latest.year];
  const rows = Object.fromEntries(years.map((y) => [y, byYear.get(y) ?? Array(slots).fill(null)]));
  const before = rows[latest.year - 1][latest.index - 1];
  const change = before === null || before === 0 ? null : (latest.value - before) / Math.abs(before);
  const labels = Array.from({ length: slots }, (_, i) => (frequency === 'monthly' ? t('dashboard.month', { n: i + 1 }) : frequency === 'quarterly' ? `Q${i + 1}` : ''));
  return { labels, years, rows, latest, change };
}

function lineOption(yoy, unit) {
  return {
    tooltip: { trigger: 'axis', formatter: (items) => items.map((i) => `${i.seriesName} ${i.name}: ${i.value === null || i.value === undefined ? '—' : formatNumber(i.value)} ${unit}`).join('\n') },
    legend: { top: 0 },
    grid: { left: 56, right: 16, top: 32, bottom: 28 },
    xAxis: { type: 'category', data: yoy.labels },
    yAxis: { type: 'value', scale: true },
    series: yoy.years.map((y, i) => ({ name: String(y), type: 'line', data: yoy.rows[y], connectNulls: false, symbolSize: 6, lineStyle: { width: i === 1 ? 3 : 2, type: i === 1 ? 'solid' : 'dashed' } })),
  };
}

function districtOption(latest, unit) {
  const entries = Object.entries(latest.dimensions?.district ?? {}).sort((a, b) => b[1] - a[1]);
  return {
    tooltip: { trigger: 'axis', formatter: (items) => items.map((i) => `${i.name}: ${formatNumber(i.value)} ${unit}`).join('\n') },
    grid: { left: 64, right: 16, top: 16, bottom: 48 },
    xAxis: { type: 'category', data: entries.map(([code]) => DISTRICTS[code] ?? code), axisLabel: { rotate: 30 } },
    yAxis: { type: 'value' },
    series: [{ type: 'bar', data: entries.map(([, v]) => v) }],
  };
}

export async function render(el, ctx) {
  const body = h('div', {}, loading());
  el.append(pageHeader(t('dashboard.title'), h('span', { class: 'muted' }, t('dashboard.intro'))), body);
  let indicators;
  try {
    indicators = await listAll('/indicators', { status: 'active' });
  } catch (error) {
    fill(body, card(null, errorBox(error, () => ctx.navigate('dashboard'))));
    setState(el, 'error');
    return;
  }
  const themes = [...new Set(indicators.map((i) => i.theme))].sort();
  const theme = themes.includes(ctx.params.get('theme')) ? ctx.params.get('theme') : themes[0];
  const shown = indicators.filter((i) => i.theme === theme).sort((a, b) => a.code.localeCompare(b.code));
  const toolbar = h(
    'div',
    { class: 'toolbar no-print' },
    filterSelect('dashboard-theme', t('dashboard.theme'), themes, theme ?? '', (s) => s, (s) => ctx.navigate('dashboard', { theme: s })),
    h('div', { class: 'toolbar-end' }, h('button', { type: 'button', class: 'btn', id: 'dashboard-print', onclick: () => window.print() }, t('dashboard.print'))),
  );
  if (!shown.length) {
    fill(body, card(null, h('div', {}, toolbar, h('p', { class: 'muted' }, t('dashboard.empty')))));
    setState(el, 'ready');
    return;
  }
  const chartsModule = import('../charts.js');
  const seriesOf = await Promise.allSettled(shown.map((i) => api.get(`/indicators/${encodeURIComponent(i.code)}/values`)));
  const { mountChart } = await chartsModule;
  const mounted = [];
  const cards = shown.map((indicator, n) => {
    const result = seriesOf[n];
    if (result.status === 'rejected') return card(indicator.name, errorBox(result.reason), { class: 'dashboard-card' });
    const yoy = yearOverYear(result.value.items, indicator.frequency);
    const chart = h('div', { class: 'chart', role: 'img', 'aria-label': t('dashboard.chart_label', { name: indicator.name }) });
    const district = yoy.latest?.dimensions?.district ? h('div', { class: 'chart', role: 'img', 'aria-label': t('dashboard.district_label', { name: indicator.name, period: yoy.latest.period }) }) : null;
    const headline = yoy.latest
      ? h(
          'div',
          { class: 'dashboard-kpi' },
          h('span', { class: 'kpi-value' }, formatNumber(yoy.latest.value)),
          h('span', { class: 'muted' }, ` ${indicator.unit} · ${yoy.latest.period}`),
          yoy.change === null ? null : h('span', { class: ['dashboard-change', yoy.change >= 0 ? 'up' : 'down'] }, ` ${t('dashboard.yoy')} ${yoy.change >= 0 ? '+' : ''}${(yoy.change * 100).toFixed(1)}%`),
        )
      : h('p', { class: 'muted' }, t('indicators.no_values'));
    const section = card(indicator.name, h('div', {}, headline, chart, district ? h('h3', { class: 'small' }, t('dashboard.by_district', { period: yoy.latest.period })) : null, district), {
      class: 'dashboard-card',
      dataset: { code: indicator.code },
    });
    // Drawn once the card is in the page (ECharts measures its box).
    queueMicrotask(() => {
      if (yoy.latest) {
        mounted.push(mountChart(chart, lineOption(yoy, indicator.unit)));
        chart.dataset.points = String(yoy.years.reduce((n2, y) => n2 + yoy.rows[y].filter((v) => v !== null).length, 0));
      }
      if (district) {
        mounted.push(mountChart(district, districtOption(yoy.latest, indicator.unit)));
        district.dataset.points = String(Object.keys(yoy.latest.dimensions.district).length);
      }
    });
    return section;
  });
  fill(body, card(null, toolbar), h('div', { class: 'dashboard-grid' }, cards));
  await new Promise((resolve) => queueMicrotask(resolve));
  const resize = () => mounted.forEach((c) => c.resize());
  window.addEventListener('resize', resize);
  ctx.onLeave(() => {
    window.removeEventListener('resize', resize);
    mounted.forEach((c) => c.dispose());
  });
  setState(el, 'ready');
}
