// The pure parts of the to-do page (todo.js): which sections each role sees, and each section's
// items, overdue and soonest due first, from the lists the hub gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { itemsOf, sectionsFor } from '../src/pages/todo.js';

const TAX = '11440100XYDWCM5T1B';
const MARKET = '114401009P0Y2GG12L';
const ids = (sections) => sections.map((s) => s.id);

test('each role its own sections', () => {
  assert.deepEqual(ids(sectionsFor({ roles: ['agency_cdo'] })), ['decide', 'objections', 'demands', 'expiring', 'waiting', 'report', 'alerts']);
  assert.deepEqual(ids(sectionsFor({ roles: ['agency_data_officer'] })), ['decide', 'objections', 'demands', 'expiring', 'waiting', 'report']);
  assert.deepEqual(ids(sectionsFor({ roles: ['agency_operator'] })), ['objections']);
  assert.deepEqual(ids(sectionsFor({ roles: ['coordinator'] })), ['alerts', 'escalations', 'unassigned']);
  assert.deepEqual(ids(sectionsFor({ roles: ['agency_system'] })), []);
});

test('items: the agency’s own, overdue first, then the soonest due; due soon within two days', () => {
  setLang('zh', null, false);
  const me = { agency_code: MARKET, roles: ['agency_cdo'] };
  const today = '2026-12-07';
  const lists = {
    incoming: [
      { id: 'later', status: 'pending', resource_code: 'R1', consumer_code: TAX, due_at: '2026-12-15T15:59:59Z' },
      { id: 'late', status: 'pending', resource_code: 'R1', consumer_code: TAX, due_at: '2026-12-04T15:59:59Z' },
      { id: 'soon', status: 'pending', resource_code: 'R2', consumer_code: TAX, due_at: '2026-12-08T15:59:59Z' },
      { id: 'done', status: 'approved', resource_code: 'R2', consumer_code: TAX, due_at: '2026-12-01T15:59:59Z' },
    ],
    objections: [
      { id: 'mine', status: 'open', provider_code: MARKET, consumer_code: TAX, resource_code: 'R1', key: 'K', due_at: '2026-12-10T00:00:00Z' },
      { id: 'raised-by-us', status: 'open', provider_code: TAX, consumer_code: MARKET, resource_code: 'R9', due_at: '2026-12-10T00:00:00Z' },
    ],
    grants: [
      { id: 'ends', status: 'active', consumer_code: MARKET, provider_code: TAX, resource_code: 'R3', valid_until: '2026-12-20T15:59:59Z' },
      { id: 'far', status: 'active', consumer_code: MARKET, provider_code: TAX, resource_code: 'R3', valid_until: '2027-06-30T15:59:59Z' },
      { id: 'given', status: 'active', consumer_code: TAX, provider_code: MARKET, resource_code: 'R1', valid_until: '2026-12-09T15:59:59Z' },
      { id: 'revoked', status: 'revoked', consumer_code: MARKET, provider_code: TAX, resource_code: 'R3', valid_until: '2026-12-09T15:59:59Z' },
    ],
  };
  const resource = (c) => `资源${c}`;
  const decide = itemsOf('decide', lists, me, { today, resource });
  assert.deepEqual(decide.map((i) => i.id), ['late', 'soon', 'later']);
  assert.deepEqual(decide.map((i) => [i.overdue, i.soon]), [[true, false], [false, true], [false, false]]);
  assert.equal(decide[0].title, '资源R1');
  assert.deepEqual(itemsOf('objections', lists, me, { today }).map((i) => i.id), ['mine']);
  const expiring = itemsOf('expiring', lists, me, { today, name: (c) => (c === TAX ? '税务局' : c) });
  assert.deepEqual(expiring.map((i) => i.id), ['given', 'ends']);
  assert.ok(expiring[0].detail.includes('税务局'));
  assert.deepEqual(itemsOf('alerts', { alerts: [{ id: 'a', status: 'open', rule: 'stale_resource', severity: 'warning', opened_at: '2026-12-01T00:00:00Z' }, { id: 'b', status: 'acknowledged' }] }, me, { today }).map((i) => i.id), ['a']);
  assert.deepEqual(itemsOf('decide', {}, me, { today }), [], 'a list not read is empty');
});

test('indicators to report: the agency\'s own active ones whose next period waits, overdue first', () => {
  setLang('zh', null, false);
  const me = { agency_code: MARKET, roles: ['agency_data_officer'] };
  const lists = {
    indicators: [
      { code: 'LATER', name: '新登记市场主体', reporter_code: MARKET, status: 'active', next_period: '2026-11', next_due_at: '2026-12-08T15:59:59Z' },
      { code: 'LATE', name: '实有市场主体', reporter_code: MARKET, status: 'active', next_period: '2026-10', next_due_at: '2026-11-06T15:59:59Z' },
      { code: 'DONE', name: '企业开办平均时长', reporter_code: MARKET, status: 'active', next_period: null, next_due_at: null },
      { code: 'OTHER', name: '税收收入', reporter_code: TAX, status: 'active', next_period: '2026-11', next_due_at: '2026-12-08T15:59:59Z' },
    ],
  };
  const items = itemsOf('report', lists, me, { today: '2026-12-07' });
  assert.deepEqual(items.map((i) => i.id), ['LATE', 'LATER']);
  assert.equal(items[0].overdue, true);
  assert.equal(items[1].soon, true);
  assert.equal(items[0].detail, '报告期 2026-10');
});
