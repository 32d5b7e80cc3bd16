// The pure parts of the catalog's data-quality section and the item rules in words.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatShare, itemRules } from '../src/format.js';
import { setLang } from '../src/i18n.js';
import { maySeeQuality, ruleLabel, scoreKind } from '../src/pages/quality.js';

const MARKET = '114401009P0Y2GG12L';
const registration = { code: 'R1', provider_code: MARKET, kind: 'dataset', items: [{ name: 'district', title: '所在区' }] };
const storage = { getItem: () => null, setItem: () => {} };

test("who sees a dataset's quality: the provider's people and the hub's staff", () => {
  for (const roles of [['agency_cdo'], ['agency_data_officer'], ['agency_operator'], ['agency_system']]) {
    assert.ok(maySeeQuality({ roles, agency_code: MARKET }, registration), roles.join());
  }
  assert.ok(maySeeQuality({ roles: ['coordinator'] }, registration));
  assert.ok(maySeeQuality({ roles: ['hub_admin'] }, registration));
  assert.ok(!maySeeQuality({ roles: ['agency_cdo'], agency_code: '11440100XYDWCM5T1B' }, registration));
  assert.ok(!maySeeQuality({ roles: ['agency_cdo'], agency_code: '' }, { ...registration, provider_code: '' }));
  // A service keeps its data at home: nothing to measure.
  assert.ok(!maySeeQuality({ roles: ['hub_admin'] }, { ...registration, kind: 'service' }));
});

test('scores, shares and rule names in words', () => {
  setLang('zh', storage);
  assert.equal(scoreKind(95), 'ok');
  assert.equal(scoreKind(60), 'warn');
  assert.equal(scoreKind(12.5), 'danger');
  assert.equal(scoreKind(undefined), 'muted');
  assert.equal(formatShare(0.98251), '98.3%');
  assert.equal(formatShare(null), '—');
  assert.deepEqual(ruleLabel('district.code_list', registration), { item: '所在区', rule: '代码表' });
  assert.deepEqual(ruleLabel('other_item.unique', registration), { item: 'other_item', rule: '唯一性' });
  assert.deepEqual(itemRules({ unique: true, max_length: 20 }), ['最多 20 个字符', '取值唯一']);
  setLang('en', storage);
  assert.deepEqual(ruleLabel('district.check', registration), { item: '所在区', rule: 'Check character' });
  setLang('zh', storage);
});

test("the data-quality report's table: lowest score first, never measured last, means of shares", async () => {
  const { meanOf, qualityOrder } = await import('../src/pages/quality.js');
  const rows = [
    { resource_code: 'B', score: 90 },
    { resource_code: 'C', score: null },
    { resource_code: 'A', score: 90 },
    { resource_code: 'D', score: 12.5 },
  ];
  assert.deepEqual(qualityOrder(rows).map((r) => r.resource_code), ['D', 'A', 'B', 'C']);
  assert.equal(meanOf({ a: 1, b: 0.5 }), 0.75);
  assert.equal(meanOf({}), null);
  assert.equal(meanOf(undefined), null);
});
