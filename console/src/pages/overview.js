// Overview: this month's agency ranking, the last 30 days' shares per day, and shares by
// resource category (reports/sharing-status and reports/activity).
import { api } from '../api.js';
import { cityToday, daysBetween, lastDays, thisMonth } from '../dates.js';
import { h } from '../dom.js';
import { formatNumber } from '../format.js';
import { t, tv } from '../i18n.js';
import { card, errorBox, pageHeader, setState } from '../ui.js';

const TOP_AGENCIES = 15;

function kpi(label, value, kind) {
  return h('div', { class: ['kpi', kind && `kpi-${kind}`] }, h('div', { class: 'kpi-label' }, label), h('div', { class: 'kpi-value' }, value));
}

function rankingOption(report) {
  const top = [...report.agencies].sort((a, b) => a.rank - b.rank).slice(0, TOP_AGENCIES).reverse();
  return {
    points: top.length,
    option: {
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', splitLine: { lineStyle: { color: '#e8edf3' } } },
      yAxis: {
        type: 'category',
        data: top.map((a) => `${a.rank}. ${a.agency_name}`),
        axisTick: { show: false },
        axisLabel: { width: 220, overflow: 'truncate' },
      },
      series: [
        {
          name: t('overview.score'),
          type: 'bar',
          data: top.map((a) => a.score),
          barMaxWidth: 16,
          itemStyle: { borderRadius: [0, 4, 4, 0] },
          label: { show: true, position: 'right', formatter: ({ value }) => formatNumber(value, 1) },
        },
      ],
    },
  };
}

function trendOption(activity, period) {
  const byDay = new Map(activity.days.map((d) => [d.day, d]));
  const days = daysBetween(period.from, period.to);
  return {
    points: days.length,
    option: {
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      xAxis: { type: 'category', data: days.map((d) => d.slice(5)), boundaryGap: false },
      yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#e8edf3' } } },
      series: [
        { name: t('overview.allowed'), type: 'line', areaStyle: { opacity: 0.12 }, data: days.map((d) => byDay.get(d)?.requests ?? 0) },
        { name: t('overview.denied'), type: 'line', data: days.map((d) => byDay.get(d)?.denied ?? 0) },
      ],
    },
  };
}

function categoryOption(activity) {
  const data = activity.categories.map((c) => ({ name: tv('category', c.category), value: c.requests, records: c.records }));
  return {
    points: data.length,
    option: {
      tooltip: {
        trigger: 'item',
        // Plain text, drawn into the canvas (charts.js); braces would be rich-text markup.
        formatter: (p) =>
          [p.name, `${t('overview.requests')}: ${formatNumber(p.value)} (${p.percent}%)`, `${t('overview.records')}: ${formatNumber(p.data.records)}`]
            .map((line) => String(line).replace(/[{}]/g, ''))
            .join('\n'),
      },
      legend: { bottom: 0 },
      series: [
        {
          name: t('overview.requests'),
          type: 'pie',
          radius: ['42%', '70%'],
          center: ['50%', '45%'],
          itemStyle: { borderColor: '#fff', borderWidth: 2 },
          label: { formatter: '{b}\n{d}%' },
          data,
        },
      ],
    },
  };
}

export async function render(el, ctx) {
  const today = cityToday();
  const month = thisMonth(today);
  const recent = lastDays(today, 30);

  const kpis = h('div', { class: 'kpis' });
  const box = (name) => h('div', { class: 'chart', dataset: { chart: name } });
  const charts = { ranking: box('ranking'), trend: box('trend'), categories: box('categories') };
  el.append(
    pageHeader(t('overview.title'), h('span', { class: 'muted' }, `${recent.from} – ${recent.to}`)),
    kpis,
    h(
      'div',
      { class: 'grid-2' },
      card(t('overview.ranking'), charts.ranking, { class: 'span-2 chart-card-tall' }),
      card(t('overview.trend'), charts.trend),
      card(t('overview.categories'), charts.categories),
    ),
  );

  const chartsModule = import('../charts.js');
  const [report, activity] = await Promise.allSettled([
    api.get('/reports/sharing-status', month),
    api.get('/reports/activity', recent),
  ]);
  const { mountChart } = await chartsModule;

  const mounted = [];
  const draw = (name, result, build) => {
    if (result.status === 'rejected') {
      charts[name].replaceWith(errorBox(result.reason));
      return false;
    }
    const { points, option } = build(result.value);
    mounted.push(mountChart(charts[name], option));
    charts[name].dataset.points = String(points);
    return true;
  };
  const ok = [
    draw('ranking', report, rankingOption),
    draw('trend', activity, (a) => trendOption(a, recent)),
    draw('categories', activity, categoryOption),
  ];

  const sum = (key) => activity.value.days.reduce((n, d) => n + (d[key] ?? 0), 0);
  if (activity.status === 'fulfilled') {
    kpis.append(
      kpi(t('overview.kpi.requests'), formatNumber(sum('requests'))),
      kpi(t('overview.kpi.denied'), formatNumber(sum('denied')), 'warn'),
      kpi(t('overview.kpi.records'), formatNumber(sum('records'))),
    );
  }
  if (report.status === 'fulfilled') {
    const published = report.value.agencies.reduce((n, a) => n + (a.resources_published ?? 0), 0);
    kpis.append(kpi(t('overview.kpi.published'), formatNumber(published)));
  }

  const resize = () => mounted.forEach((c) => c.resize());
  window.addEventListener('resize', resize);
  ctx.onLeave(() => {
    window.removeEventListener('resize', resize);
    mounted.forEach((c) => c.dispose());
  });
  setState(el, ok.every(Boolean) ? 'ready' : 'error');
}
