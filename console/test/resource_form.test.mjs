// The pure parts of the resource form: which rules each item type offers, an item to the editor's
// row and back, the request body (what an edit keeps), and where the hub's errors point.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { bodyOf, describeField, itemOf, mayEdit, placeOfError, rowOf, rulesFor, staleBounds, TYPES } from '../src/pages/resource_form.js';

const PROVIDER = '114401009P0Y2GG12L';
const stored = {
  code: `${PROVIDER}-00001`,
  provider_code: PROVIDER,
  status: 'published',
  version: 3,
  item_count: 3,
  record_count: 120,
  name: '企业登记信息',
  summary: '企业的登记信息',
  category: 'basic',
  format: 'JSON',
  key: 'uscc',
  share_type: 'conditional',
  share_conditions: null,
  legal_basis: '《企业信息公示暂行条例》',
  share_methods: ['api'],
  update_cycle: 'daily',
  related_codes: [],
  min_group_size: null,
  aggregate_policy: { min_group_size: 5, epsilon_per_day: 10, epsilon_per_query: 1 },
  quality_mode: 'reject',
  items: [
    { name: 'uscc', title: '统一社会信用代码', type: 'string', required: true, sensitivity: 'public', mask: null, check: 'uscc' },
    { name: 'legal_person_id', title: '法定代表人身份证号', type: 'string', required: false, sensitivity: 'sensitive', mask: 'id_number', check: 'citizen_id' },
    { name: 'reg_capital', title: '注册资本', type: 'number', required: false, sensitivity: 'internal', mask: null, min: 0, max: 1e12, enum: undefined },
  ],
};

test('each type offers the rules the hub accepts for it', () => {
  assert.deepEqual(rulesFor('string'), ['pattern', 'enum', 'code_list', 'max_length', 'check', 'unique']);
  assert.deepEqual(rulesFor('integer'), ['enum', 'min', 'max', 'unique']);
  assert.deepEqual(rulesFor('number'), ['enum', 'min', 'max', 'unique']);
  assert.deepEqual(rulesFor('date'), ['unique']);
  assert.deepEqual(rulesFor('boolean'), []);
  assert.equal(TYPES.length, 6);
});

test('a stored item comes back from the editor as it was', () => {
  for (const item of stored.items) {
    const expected = Object.fromEntries(Object.entries(item).filter(([, v]) => v !== null && v !== undefined));
    assert.deepEqual(itemOf(rowOf(item)), expected, item.name);
  }
});

test('rules a type does not take, empty controls and a mask the item cannot have are left out', () => {
  const row = { ...rowOf({ name: 'age', title: '年龄', type: 'integer', sensitivity: 'public' }), pattern: '^x$', max_length: '9', mask: 'name', min: ' 0 ', max: '', enum: '' };
  assert.deepEqual(itemOf(row), { name: 'age', title: '年龄', type: 'integer', required: false, sensitivity: 'public', min: 0 });
  // Enum values one a line, numbers for numeric items; text that is not a number goes as typed,
  // so the hub names the mistake.
  assert.deepEqual(itemOf({ ...row, enum: '1\n 2 \n\n3.5' }).enum, [1, 2, 3.5]);
  assert.deepEqual(itemOf({ ...row, min: '1o' }).min, '1o');
  const text = rowOf({ name: 'district', title: '区', type: 'string', sensitivity: 'public' });
  assert.deepEqual(itemOf({ ...text, enum: '天河区\n越秀区', code_list: 'gb2260', unique: true }), {
    name: 'district', title: '区', type: 'string', required: false, sensitivity: 'public', enum: ['天河区', '越秀区'], code_list: 'gb2260', unique: true,
  });
});

test('an edit keeps the fields the form does not show and drops what the hub answers but does not take', () => {
  const values = {
    name: ' 企业登记信息 ', summary: '企业的登记信息（新）', format: 'JSON', share_conditions: '', legal_basis: stored.legal_basis,
    provider_code: PROVIDER, category: 'basic', share_type: 'conditional', update_cycle: 'daily', quality_mode: 'flag', key: 'uscc',
    share_methods: ['api', 'bulk'], source: { ministry_code: '', national_resource_code: '', channel: '', agreement: '' },
  };
  const body = bodyOf(stored, values, stored.items.map(rowOf));
  for (const gone of ['code', 'status', 'version', 'item_count', 'record_count', 'share_conditions', 'min_group_size', 'source']) assert.ok(!(gone in body), gone);
  assert.deepEqual(body.aggregate_policy, stored.aggregate_policy);
  assert.deepEqual(body.related_codes, []);
  assert.equal(body.name, '企业登记信息');
  assert.equal(body.summary, '企业的登记信息（新）');
  assert.equal(body.quality_mode, 'flag');
  assert.deepEqual(body.share_methods, ['api', 'bulk']);
  assert.equal(body.items.length, 3);
  const returned = bodyOf({}, { ...values, source: { ministry_code: '11100000MB0143028R', national_resource_code: '', channel: 'batch', agreement: ' 协议 ' } }, []);
  assert.deepEqual(returned.source, { ministry_code: '11100000MB0143028R', agreement: '协议', channel: 'batch' });
});

test("the hub's error fields point at the form's controls", () => {
  assert.deepEqual(placeOfError('items[3].mask'), { item: 3, field: 'mask' });
  assert.deepEqual(placeOfError('items[0]'), { item: 0, field: 'name' });
  assert.deepEqual(placeOfError('key'), { item: null, field: 'key' });
  assert.deepEqual(placeOfError(undefined), { item: null, field: '' });
});

test("the provider's officers and hub_admin edit a dataset that is not retired", () => {
  assert.ok(mayEdit({ roles: ['agency_data_officer'], agency_code: PROVIDER }, stored));
  assert.ok(mayEdit({ roles: ['hub_admin'] }, stored));
  assert.ok(!mayEdit({ roles: ['agency_data_officer'], agency_code: '11440100XYDWCM5T1B' }, stored));
  assert.ok(!mayEdit({ roles: ['agency_operator'], agency_code: PROVIDER }, stored));
  assert.ok(!mayEdit({ roles: ['hub_admin'] }, { ...stored, status: 'retired' }));
  assert.ok(!mayEdit({ roles: ['hub_admin'] }, { ...stored, kind: 'service' }));
  assert.ok(!mayEdit({ roles: ['hub_admin'] }, { ...stored, kind: 'computation' }));
  // A licence's items follow the licence template: not this editor's.
  assert.ok(!mayEdit({ roles: ['hub_admin'] }, { ...stored, kind: 'licence' }));
});

test('a mask of "full" is the default a sensitive text item has, and an enum keeps its values exactly', () => {
  const item = { name: 'holder', title: '姓名', type: 'string', required: false, sensitivity: 'sensitive', mask: 'full' };
  assert.equal(rowOf(item).mask, '');
  assert.ok(!('mask' in itemOf(rowOf(item))), 'the hub stores full again');
  assert.deepEqual(itemOf(rowOf({ ...item, enum: [' A', 'B '] })).enum, [' A', 'B ']);
});

test('bounds of the aggregate policy on items removed or no longer numbers are left out', () => {
  const policy = { min_group_size: 5, epsilon_per_day: 10, bounds: { reg_capital: [0, 1e9], gone: [0, 1] } };
  const base = { ...stored, aggregate_policy: policy };
  const values = { name: 'x', share_methods: ['api'] };
  assert.deepEqual(staleBounds(policy, stored.items), ['gone']);
  assert.deepEqual(bodyOf(base, values, stored.items.map(rowOf)).aggregate_policy, { min_group_size: 5, epsilon_per_day: 10, bounds: { reg_capital: [0, 1e9] } });
  const text = stored.items.map(rowOf).map((r) => (r.name === 'reg_capital' ? { ...r, type: 'string' } : r));
  assert.deepEqual(bodyOf(base, values, text).aggregate_policy, { min_group_size: 5, epsilon_per_day: 10 });
  assert.deepEqual(policy.bounds, { reg_capital: [0, 1e9], gone: [0, 1] }, 'the stored policy is not changed');
});

test("the hub's error fields in the form's words, in both languages", () => {
  const storage = { getItem: () => null, setItem: () => {} };
  const rows = stored.items.map(rowOf);
  setLang('zh', storage);
  assert.equal(describeField('items[2].max', rows), '第 3 项（reg_capital）最大值');
  assert.equal(describeField('items[1].mask', rows), '第 2 项（legal_person_id）脱敏规则');
  assert.equal(describeField('items[7].name', rows), '第 8 项（—）名称');
  assert.equal(describeField('key', rows), '主键信息项');
  assert.equal(describeField('aggregate_policy.bounds.kwh', rows), '聚合统计策略 bounds.kwh');
  assert.equal(describeField('related_codes[0]', rows), 'related_codes[0]');
  setLang('en', storage);
  assert.equal(describeField('items[0].check', rows), 'item 1 (uscc) Check character');
  setLang('zh', storage);
});
