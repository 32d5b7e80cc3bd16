// The pure parts of indicator reporting (indicators.js): periods as the hub writes them, and the
// warnings the report form gives before sending what the hub would refuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mayReport, parsePeriod, plausibility, previousPeriod, uploadType } from '../src/pages/indicators.js';

test('periods of each frequency, and the one before', () => {
  assert.deepEqual(parsePeriod('2026-11', 'monthly'), { year: 2026, index: 11 });
  assert.deepEqual(parsePeriod('2026-Q3', 'quarterly'), { year: 2026, index: 3 });
  assert.deepEqual(parsePeriod('2026', 'yearly'), { year: 2026, index: 1 });
  for (const [text, f] of [['2026-13', 'monthly'], ['2026-Q3', 'monthly'], ['2026-1', 'monthly'], ['2026-Q5', 'quarterly'], ['2026-03', 'quarterly'], ['2026-01', 'yearly'], ['1989', 'yearly'], ['', 'monthly']]) {
    assert.equal(parsePeriod(text, f), null, `${text} as ${f}`);
  }
  assert.equal(previousPeriod('2026-01', 'monthly'), '2025-12');
  assert.equal(previousPeriod('2026-11', 'monthly'), '2026-10');
  assert.equal(previousPeriod('2026-Q1', 'quarterly'), '2025-Q4');
  assert.equal(previousPeriod('2026', 'yearly'), '2025');
  assert.equal(previousPeriod('nonsense', 'monthly'), null);
});

test('plausibility: bounds refuse, a large change asks for a note, as the hub does', () => {
  const indicator = { min: 0, max: 5000, max_change_ratio: 0.3 };
  assert.deepEqual(plausibility(indicator, '', 100), { error: 'number' });
  assert.deepEqual(plausibility(indicator, 'abc', 100), { error: 'number' });
  assert.deepEqual(plausibility(indicator, '-1', 100), { error: 'below' });
  assert.deepEqual(plausibility(indicator, '5000.5', 100), { error: 'above' });
  assert.deepEqual(plausibility(indicator, '120', 100), { change: 0.2, needsNote: false });
  assert.equal(plausibility(indicator, '131', 100).needsNote, true);
  assert.equal(plausibility(indicator, '69', 100).needsNote, true);
  // No previous value: nothing to compare; from zero, any change is beyond the ratio.
  assert.deepEqual(plausibility(indicator, '131', null), { change: null, needsNote: false });
  assert.equal(plausibility(indicator, '1', 0).needsNote, true);
  assert.equal(plausibility(indicator, '0', 0).needsNote, false);
  // No bounds and no ratio: any number goes.
  assert.deepEqual(plausibility({ min: null, max: null, max_change_ratio: null }, '-1e6', 5), { change: 200001, needsNote: false });
});

test('only the reporter agency\'s officers report, and only an active indicator', () => {
  const i = { reporter_code: 'A', status: 'active' };
  assert.equal(mayReport({ agency_code: 'A', roles: ['agency_data_officer'] }, i), true);
  assert.equal(mayReport({ agency_code: 'A', roles: ['agency_cdo'] }, i), true);
  assert.equal(mayReport({ agency_code: 'A', roles: ['agency_operator'] }, i), false);
  assert.equal(mayReport({ agency_code: 'B', roles: ['agency_cdo'] }, i), false);
  assert.equal(mayReport({ agency_code: 'A', roles: ['agency_cdo'] }, { ...i, status: 'retired' }), false);
  assert.equal(mayReport({ agency_code: '', roles: ['coordinator'] }, i), false);
});

test('an upload is CSV or XLSX by its name', () => {
  assert.equal(uploadType('十一月.csv'), 'text/csv');
  assert.equal(uploadType('Values.XLSX'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.equal(uploadType('values.xls'), null);
  assert.equal(uploadType(undefined), null);
});

test('the dashboard: a series as this year against last, the latest value and its change on a year', async () => {
  const { yearOverYear } = await import('../src/pages/dashboard.js');
  const series = [
    { period: '2025-11', value: 100 },
    { period: '2025-12', value: 90 },
    { period: '2026-01', value: 95 },
    { period: '2026-11', value: 110 },
  ];
  const yoy = yearOverYear(series, 'monthly');
  assert.deepEqual(yoy.years, [2025, 2026]);
  assert.equal(yoy.rows[2025][10], 100);
  assert.equal(yoy.rows[2026][0], 95);
  assert.equal(yoy.rows[2026][5], null);
  assert.equal(yoy.latest.period, '2026-11');
  assert.ok(Math.abs(yoy.change - 0.1) < 1e-12);
  const quarters = yearOverYear([{ period: '2026-Q3', value: 7 }], 'quarterly');
  assert.equal(quarters.labels.length, 4);
  assert.equal(quarters.change, null);
  assert.equal(yearOverYear([], 'monthly').latest, null);
});
