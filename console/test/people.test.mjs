// The pure parts of people and systems (people.js) and my account (account.js): who may give
// which roles and manage whom, what is wrong before sending, the request body, token states and
// the generated password.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { passwordChangeProblem } from '../src/pages/account.js';
import { AGENCY_ROLES, byTokenState, generatePassword, grantableRoles, mayManage, passwordProblem, principalBody, principalProblems, tokenState } from '../src/pages/people.js';

const TAX = '11440100MB2C92162Q';
const MARKET = '114401009P0Y2GG12L';
const cdo = { principal_id: 'c1', agency_code: TAX, roles: ['agency_cdo'] };
const admin = { principal_id: 'a1', agency_code: null, roles: ['hub_admin'] };

test('a CDO gives agency roles only, an administrator every role, an officer none', () => {
  assert.deepEqual(grantableRoles(cdo), AGENCY_ROLES);
  assert.deepEqual(grantableRoles(admin), [...AGENCY_ROLES, 'hub_admin', 'coordinator']);
  assert.deepEqual(grantableRoles({ agency_code: TAX, roles: ['agency_data_officer'] }), []);
});

test('a CDO manages its own agency’s principals, not another’s nor a hub role seated there', () => {
  assert.ok(mayManage(cdo, { agency_code: TAX, roles: ['agency_system'] }));
  assert.ok(!mayManage(cdo, { agency_code: MARKET, roles: ['agency_system'] }));
  assert.ok(!mayManage(cdo, { agency_code: TAX, roles: ['coordinator'] }));
  assert.ok(!mayManage({ agency_code: TAX, roles: ['agency_data_officer'] }, { agency_code: TAX, roles: ['agency_operator'] }));
  assert.ok(mayManage(admin, { agency_code: MARKET, roles: ['coordinator'] }));
});

test('a new principal is checked as the hub checks it, field by field', () => {
  setLang('zh', null, false);
  const form = (over = {}) => ({ agency: TAX, name: 'tax-billing', kind: 'system', roles: ['agency_system'], password: '', ...over });
  assert.deepEqual(principalProblems(form()), [], 'a system needs no password');
  const fields = (f) => principalProblems(f).map((p) => p.field);
  assert.deepEqual(fields(form({ name: '  ' })), ['name']);
  assert.deepEqual(fields(form({ name: 'two\nlines' })), ['name']);
  assert.deepEqual(fields(form({ name: 'x'.repeat(101) })), ['name']);
  assert.deepEqual(fields(form({ name: '税'.repeat(100) })), [], '100 Chinese characters are 100 characters');
  assert.deepEqual(fields(form({ roles: [] })), ['roles']);
  assert.deepEqual(fields(form({ agency: '' })), ['agency_code']);
  assert.deepEqual(fields(form({ agency: '', roles: ['coordinator'] })), [], 'a hub role needs no agency');
  assert.deepEqual(fields(form({ kind: 'user', password: 'short' })), ['password']);
  assert.deepEqual(fields(form({ kind: 'user', password: '长城长城长城长城长城长城' })), [], '12 characters, not bytes');
  assert.deepEqual(fields(form({ kind: 'user', password: 'x'.repeat(201) })), ['password']);
});

test('the body sends a password for people only, and the name trimmed', () => {
  const body = principalBody({ agency: TAX, name: ' li.na ', kind: 'user', roles: ['agency_operator'], password: 'correct-horse-1' });
  assert.deepEqual(body, { name: 'li.na', kind: 'user', roles: ['agency_operator'], agency_code: TAX, password: 'correct-horse-1' });
  const system = principalBody({ agency: TAX, name: 'billing', kind: 'system', roles: ['agency_system'], password: 'left-over-text' });
  assert.equal('password' in system, false);
  const hub = principalBody({ agency: '', name: 'coord', kind: 'user', roles: ['coordinator'], password: 'correct-horse-1' });
  assert.equal('agency_code' in hub, false);
});

test('tokens: revoked, expired or active, live ones first', () => {
  const now = Date.parse('2026-12-07T10:00:00Z');
  const live = { id: '1', created_at: '2026-12-01T00:00:00Z', expires_at: '2027-03-01T00:00:00Z', revoked_at: null };
  const soon = { id: '2', created_at: '2026-11-01T00:00:00Z', expires_at: '2026-12-08T00:00:00Z', revoked_at: null };
  const expired = { id: '3', created_at: '2026-10-01T00:00:00Z', expires_at: '2026-12-01T00:00:00Z', revoked_at: null };
  const revoked = { id: '4', created_at: '2026-12-05T00:00:00Z', expires_at: '2027-03-01T00:00:00Z', revoked_at: '2026-12-06T00:00:00Z' };
  assert.equal(tokenState(live, now), 'active');
  assert.equal(tokenState(expired, now), 'expired');
  assert.equal(tokenState(revoked, now), 'revoked');
  assert.deepEqual([live, expired, revoked, soon].sort(byTokenState(now)).map((x) => x.id), ['2', '1', '4', '3']);
});

test('a generated password has 16 characters of an unambiguous alphabet and meets the rule', () => {
  setLang('zh', null, false);
  const fixed = generatePassword((a) => a.fill(0));
  assert.equal(fixed, 'a'.repeat(16));
  const p = generatePassword();
  assert.equal(p.length, 16);
  assert.match(p, /^[a-km-np-zA-HJ-NP-Z2-9]{16}$/);
  assert.equal(passwordProblem(p), '');
  assert.notEqual(generatePassword(), p);
});

test('changing one’s password: current given, the rule, not the same, typed twice alike', () => {
  setLang('zh', null, false);
  const ok = 'pearl-river-2026';
  assert.equal(passwordChangeProblem('', ok, ok).field, 'current');
  assert.equal(passwordChangeProblem('old-password-1', 'short', 'short').field, 'next');
  assert.equal(passwordChangeProblem(ok, ok, ok).field, 'next');
  assert.equal(passwordChangeProblem('old-password-1', ok, `${ok}x`).field, 'repeat');
  assert.equal(passwordChangeProblem('old-password-1', ok, ok), null);
});
