// The pure parts of applying (apply.js): who is offered the form, what is wrong before sending,
// the request body, the hub's answer in words, and who may withdraw.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { answerText, bodyOf, byUrgency, DATASET_OPERATIONS, earliestEnd, MAX_DAYS_AHEAD, mayApply, mayWithdraw, problemsOf, purposeCodesOf } from '../src/pages/apply.js';

const MARKET = '114401009P0Y2GG12L';
const TAX = '11440100MB2C92162Q';
const resource = {
  code: `${MARKET}-00001`,
  provider_code: MARKET,
  status: 'published',
  share_type: 'conditional',
  kind: 'dataset',
  name: '企业登记信息',
  items: [
    { name: 'uscc', title: '统一社会信用代码', sensitivity: 'public' },
    { name: 'name', title: '企业名称', sensitivity: 'public' },
    { name: 'legal_person_id', title: '法定代表人身份证号', sensitivity: 'sensitive', mask: 'id_number' },
  ],
};
const officer = { agency_code: TAX, roles: ['agency_data_officer'] };
const form = (over = {}) => ({
  items: ['uscc', 'legal_person_id'],
  clear: [],
  operations: ['read'],
  purpose: '纳税人登记信息核对',
  purposeCodes: [],
  legalBasis: '',
  validUntil: '2027-06-30',
  ...over,
});

test('the form is offered to another agency’s officers for a published, shared dataset', () => {
  assert.ok(mayApply(officer, resource));
  assert.ok(mayApply({ agency_code: TAX, roles: ['agency_cdo'] }, resource));
  assert.ok(!mayApply({ agency_code: MARKET, roles: ['agency_cdo'] }, resource), 'its own agency');
  assert.ok(!mayApply({ agency_code: TAX, roles: ['agency_operator'] }, resource), 'not an officer');
  assert.ok(!mayApply({ roles: ['hub_admin'] }, resource), 'no agency');
  assert.ok(!mayApply(officer, { ...resource, status: 'draft' }));
  assert.ok(!mayApply(officer, { ...resource, status: 'retired' }));
  assert.ok(!mayApply(officer, { ...resource, share_type: 'none' }));
  assert.ok(!mayApply(officer, { ...resource, kind: 'service' }));
  assert.ok(!mayApply(officer, null));
  assert.ok(mayApply(officer, { ...resource, kind: undefined }), 'a dataset by default');
});

test('what is wrong is found before sending, in the hub’s terms', () => {
  setLang('zh', undefined, false);
  const today = '2026-12-07';
  assert.deepEqual(problemsOf(resource, form(), today), []);
  const fields = (f) => problemsOf(resource, f, today).map(([field]) => field);
  assert.deepEqual(fields(form({ items: [] })), ['items']);
  assert.deepEqual(fields(form({ items: ['uscc', 'shoe_size'] })), ['items']);
  // Clear only for sensitive items that are asked for.
  assert.deepEqual(fields(form({ clear: ['legal_person_id'] })), []);
  assert.deepEqual(fields(form({ clear: ['uscc'] })), ['clear_items']);
  assert.deepEqual(fields(form({ items: ['uscc'], clear: ['legal_person_id'] })), ['clear_items']);
  assert.deepEqual(fields(form({ operations: [] })), ['operations']);
  // A purpose that says something: white space alone (U+3000 too) is none, for the hub too; one
  // character will do.
  assert.deepEqual(fields(form({ purpose: ' \u3000 ' })), ['purpose']);
  assert.deepEqual(fields(form({ purpose: '审' })), []);
  assert.deepEqual(fields(form({ purposeCodes: ['440100-A01', 'x y'] })), ['purpose_codes']);
  assert.deepEqual(fields(form({ purposeCodes: ['a'.repeat(65)] })), ['purpose_codes']);
  assert.deepEqual(fields(form({ purposeCodes: Array.from({ length: 51 }, (_, i) => `P${i}`) })), ['purpose_codes']);
  assert.deepEqual(fields(form({ purposeCodes: Array.from({ length: 50 }, (_, i) => `P${i}`) })), []);
  // A clear item is named by its title.
  assert.match(problemsOf(resource, form({ clear: ['uscc'] }), today)[0][1], /统一社会信用代码/);
  // Conditional: from tomorrow (the provider decides later) up to 365 days on (the end of that
  // day is within 366 days of now); unconditional: from today.
  assert.equal(earliestEnd(resource, today), '2026-12-08');
  assert.equal(earliestEnd({ ...resource, share_type: 'unconditional' }, today), today);
  assert.deepEqual(problemsOf({ ...resource, share_type: 'unconditional' }, form({ validUntil: today }), today), []);
  assert.deepEqual(fields(form({ validUntil: today })), ['valid_until']);
  assert.deepEqual(fields(form({ validUntil: '2026-12-08' })), []);
  assert.equal(MAX_DAYS_AHEAD, 365);
  assert.deepEqual(fields(form({ validUntil: '2027-12-07' })), []);
  assert.deepEqual(fields(form({ validUntil: '2027-12-08' })), ['valid_until']);
  assert.deepEqual(fields(form({ validUntil: '' })), ['valid_until']);
  assert.match(problemsOf(resource, form({ validUntil: '' }), today)[0][1], /2026-12-08.*2027-12-07/);
});

test('the body: items and clear items in the resource’s order, optional fields only when given', () => {
  assert.deepEqual(bodyOf(resource, form({ items: ['legal_person_id', 'uscc'], operations: ['query', 'read'] })), {
    resource_code: resource.code,
    items: ['uscc', 'legal_person_id'],
    operations: ['read', 'query'],
    purpose: '纳税人登记信息核对',
    valid_until: '2027-06-30',
  });
  const full = bodyOf(resource, form({ clear: ['legal_person_id'], purposeCodes: ['A01', 'B.2'], legalBasis: ' 《税收征收管理法》 ', purpose: ' 核对 ' }));
  assert.deepEqual(full.clear_items, ['legal_person_id']);
  assert.deepEqual(full.purpose_codes, ['A01', 'B.2']);
  assert.equal(full.legal_basis, '《税收征收管理法》');
  assert.equal(full.purpose, '核对');
  // A clear item no longer asked for is not sent.
  assert.equal(bodyOf(resource, form({ items: ['uscc'], clear: ['legal_person_id'] })).clear_items, undefined);
  assert.deepEqual(DATASET_OPERATIONS, ['read', 'query', 'changes', 'verify', 'aggregate']);
});

test('my applications: pending first, soonest due first; then the latest made first', () => {
  const list = [
    { id: 'a', status: 'approved', created_at: '2026-11-01T00:00:00Z' },
    { id: 'b', status: 'pending', due_at: '2026-12-20T16:00:00Z', created_at: '2026-12-01T00:00:00Z' },
    { id: 'c', status: 'withdrawn', created_at: '2026-12-02T00:00:00Z' },
    { id: 'd', status: 'pending', due_at: '2026-12-10T16:00:00Z', created_at: '2026-12-03T00:00:00Z' },
  ];
  assert.deepEqual(list.sort(byUrgency).map((a) => a.id), ['d', 'b', 'c', 'a']);
});

test('purpose codes as typed', () => {
  assert.deepEqual(purposeCodesOf(' A01, B02，C03、A01  D04 '), ['A01', 'B02', 'C03', 'D04']);
  assert.deepEqual(purposeCodesOf(''), []);
  assert.deepEqual(purposeCodesOf(undefined), []);
});

test('the hub’s answer in words, and who may withdraw', () => {
  setLang('zh', undefined, false);
  assert.match(answerText({ status: 'approved', grant_id: 'g-1' }), /已批准.*g-1/);
  assert.match(answerText({ status: 'pending', due_at: '2026-12-11T16:00:00Z' }), /等待提供方审核.*2026-12-12 00:00/);
  const pending = { status: 'pending', consumer_code: TAX };
  assert.ok(mayWithdraw(officer, pending));
  assert.ok(!mayWithdraw(officer, { ...pending, status: 'approved' }));
  assert.ok(!mayWithdraw({ agency_code: MARKET, roles: ['agency_cdo'] }, pending), 'another agency');
  assert.ok(!mayWithdraw({ agency_code: TAX, roles: ['agency_operator'] }, pending), 'not an officer');
});
