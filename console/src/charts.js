// The parts of ECharts the overview uses, and nothing else (tree-shaken into their own chunk,
// which only the overview page loads).
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export const PALETTE = ['#1f5fbf', '#d9453b', '#1a9c86', '#e8a317', '#6c4fc4', '#5b7089'];

const TEXT = { color: '#3b4a5e', fontFamily: 'system-ui, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif' };

/**
 * Draws `option` into `el` (canvas); returns the chart, to resize and dispose. Tooltips are drawn
 * into the canvas too (renderMode richText): ECharts' HTML tooltips carry style attributes, which
 * the console's Content-Security-Policy (style-src 'self', no 'unsafe-inline') refuses, and a
 * formatter's text then needs no HTML escaping.
 */
export function mountChart(el, option) {
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  const tooltip = option.tooltip && { renderMode: 'richText', ...option.tooltip };
  chart.setOption({ color: PALETTE, textStyle: TEXT, animationDuration: 400, ...option, ...(tooltip ? { tooltip } : {}) });
  return chart;
}
