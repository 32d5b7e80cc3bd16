// The pure parts of objections (objections.js): the grants one may object under, who resolves,
// what is wrong before sending, the request (by key or by ref), the order, and a record's rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { byDue, mayResolve, objectableGrants, objectionProblems, objectionRequest } from '../src/pages/objections.js';
import { readGrant, recordRows } from '../src/pages/record_reader.js';

const TAX = '11440100XYDWCM5T1B';
const MARKET = '114401009P0Y2GG12L';
const officer = { agency_code: TAX, roles: ['agency_data_officer'] };

test('objections come under the agency’s own live grants that show records', () => {
  const grant = (over) => ({ id: 'g', consumer_code: TAX, status: 'active', operations: ['read'], ...over });
  const grants = [
    grant({ id: 'read' }),
    grant({ id: 'changes', operations: ['changes'] }),
    grant({ id: 'verify', operations: ['verify', 'aggregate'] }),
    grant({ id: 'revoked', status: 'revoked' }),
    grant({ id: 'other', consumer_code: MARKET }),
  ];
  assert.deepEqual(objectableGrants(grants, officer).map((g) => g.id), ['read', 'changes']);
});

test('the provider’s officers and operators resolve an open objection; nobody else', () => {
  const open = { status: 'open', provider_code: MARKET, consumer_code: TAX };
  assert.ok(mayResolve({ agency_code: MARKET, roles: ['agency_operator'] }, open));
  assert.ok(mayResolve({ agency_code: MARKET, roles: ['agency_cdo'] }, open));
  assert.ok(!mayResolve({ agency_code: MARKET, roles: ['agency_system'] }, open));
  assert.ok(!mayResolve(officer, open), 'the consumer');
  assert.ok(!mayResolve({ agency_code: MARKET, roles: ['agency_cdo'] }, { ...open, status: 'resolved' }));
  assert.ok(!mayResolve({ agency_code: null, roles: ['coordinator'] }, open));
});

test('an objection is checked before it is sent', () => {
  setLang('zh', null, false);
  const form = (over = {}) => ({ grant: { id: 'g' }, key: '91440101MA59ABCD1X', ref: null, items: ['legal_person'], description: '法定代表人已变更', ...over });
  const fields = (f) => objectionProblems(f).map((p) => p.field);
  assert.deepEqual(fields(form()), []);
  assert.deepEqual(fields(form({ grant: null })), ['grant']);
  assert.deepEqual(fields(form({ key: '  ' })), ['key']);
  assert.deepEqual(fields(form({ key: '', ref: 'r1' })), [], 'a record read with its key withheld goes by its ref');
  assert.deepEqual(fields(form({ items: [] })), ['items']);
  assert.deepEqual(fields(form({ description: ' \n ' })), ['description']);
  assert.deepEqual(fields(form({ description: '错'.repeat(2000) })), [], '2,000 characters, not bytes');
  assert.deepEqual(fields(form({ description: '错'.repeat(2001) })), ['description']);
});

test('the request names the record by its key in the path, or by its ref in the body', () => {
  const byKey = objectionRequest({ resourceCode: `${MARKET}-00001`, key: ' 91440101/MA59 ', ref: null, items: ['legal_person'], description: ' 已变更 ' });
  assert.deepEqual(byKey, { path: `/resources/${MARKET}-00001/records/91440101%2FMA59/objections`, body: { items: ['legal_person'], description: '已变更' } });
  const byRef = objectionRequest({ resourceCode: `${MARKET}-00001`, key: 'typed', ref: 'r-1', items: ['name'], description: 'x' });
  assert.deepEqual(byRef, { path: `/resources/${MARKET}-00001/objections`, body: { ref: 'r-1', items: ['name'], description: 'x' } });
});

test('open objections first, the soonest due first; then resolved ones, the latest first', () => {
  const list = [
    { id: 'r-old', status: 'resolved', resolved_at: '2026-11-01T00:00:00Z' },
    { id: 'o-late', status: 'open', due_at: '2026-12-20T00:00:00Z' },
    { id: 'r-new', status: 'resolved', resolved_at: '2026-12-01T00:00:00Z' },
    { id: 'o-soon', status: 'open', due_at: '2026-12-10T00:00:00Z' },
  ];
  assert.deepEqual(list.sort(byDue).map((o) => o.id), ['o-soon', 'o-late', 'r-new', 'r-old']);
});

test('a record’s rows follow the resource’s items, with anything else after', () => {
  const resource = { items: [{ name: 'uscc', title: '统一社会信用代码' }, { name: 'legal_person', title: '法定代表人' }, { name: 'name', title: '企业名称' }] };
  const rows = recordRows({ data: { name: '广州某公司', legal_person: '张*', extra: 1, uscc: '914401' } }, resource);
  assert.deepEqual(rows.map((r) => r.item), ['uscc', 'legal_person', 'name', 'extra']);
  assert.equal(rows[1].title, '法定代表人');
  assert.deepEqual(recordRows(null, resource), []);
});

test('a record is read under the agency’s own live read grant on that resource', () => {
  const me = { agency_code: TAX };
  const grants = [
    { id: 'query-only', resource_code: 'R', consumer_code: TAX, status: 'active', operations: ['query'] },
    { id: 'other-resource', resource_code: 'S', consumer_code: TAX, status: 'active', operations: ['read'] },
    { id: 'revoked', resource_code: 'R', consumer_code: TAX, status: 'revoked', operations: ['read'] },
    { id: 'theirs', resource_code: 'R', consumer_code: MARKET, status: 'active', operations: ['read'] },
    { id: 'ours', resource_code: 'R', consumer_code: TAX, status: 'active', operations: ['read', 'query'] },
  ];
  assert.equal(readGrant(grants, me, 'R')?.id, 'ours');
  assert.equal(readGrant(grants.slice(0, 4), me, 'R'), null);
});
