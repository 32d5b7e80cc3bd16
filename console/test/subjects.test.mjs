// The pure parts of "who accessed this record" (catalog) and the privacy budget (grants).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dictionaries, setLang } from '../src/i18n.js';
import { privacyBudget } from '../src/pages/grants.js';
import { ledgerLink, maySeeSubjectLog, statusKind, subjectKey } from '../src/pages/subjects.js';

const MARKET = '114401009P0Y2GG12L';
const registration = { code: 'R1', provider_code: MARKET };
const storage = { getItem: () => null, setItem: () => {} };

test("who may ask who accessed a record: the provider's CDO and data officers, the hub's staff", () => {
  assert.ok(maySeeSubjectLog({ roles: ['agency_data_officer'], agency_code: MARKET }, registration));
  assert.ok(maySeeSubjectLog({ roles: ['agency_cdo'], agency_code: MARKET }, registration));
  assert.ok(maySeeSubjectLog({ roles: ['coordinator'] }, registration));
  assert.ok(maySeeSubjectLog({ roles: ['hub_admin'] }, registration));
  // Another agency's officers, and the provider's operators and systems, are not offered it.
  assert.ok(!maySeeSubjectLog({ roles: ['agency_data_officer'], agency_code: '11440100XYDWCM5T1B' }, registration));
  assert.ok(!maySeeSubjectLog({ roles: ['agency_operator'], agency_code: MARKET }, registration));
  assert.ok(!maySeeSubjectLog({ roles: ['agency_system'], agency_code: MARKET }, registration));
  assert.ok(!maySeeSubjectLog({ roles: ['agency_cdo'], agency_code: '' }, { code: 'X', provider_code: '' }));
  assert.ok(!maySeeSubjectLog({ roles: [] }, registration));
});

test('the key sent: trimmed, never empty, at most 512 bytes', () => {
  assert.equal(subjectKey('  91440105JYM6HXA3HX \n'), '91440105JYM6HXA3HX');
  assert.equal(subjectKey('   '), null);
  assert.equal(subjectKey(undefined), null);
  assert.equal(subjectKey('a'.repeat(512)), 'a'.repeat(512));
  assert.equal(subjectKey('a'.repeat(513)), null);
  // Bytes, not characters: 171 three-byte characters are 513 bytes.
  assert.equal(subjectKey('证'.repeat(170)), '证'.repeat(170));
  assert.equal(subjectKey('证'.repeat(171)), null);
});

test("an entry's outcome and its link to the ledger page (by request id and index, never the key)", () => {
  assert.equal(statusKind(200), 'ok');
  assert.equal(statusKind(404), 'muted');
  assert.equal(statusKind(403), 'warn');
  assert.equal(statusKind(502), 'danger');
  for (const kind of ['ok', 'muted', 'warn', 'danger']) {
    assert.ok(`subjects.status.${kind}` in dictionaries.zh && `subjects.status.${kind}` in dictionaries.en, kind);
  }
  for (const col of ['time', 'operation', 'consumer', 'purpose', 'purpose_code', 'status', 'index']) assert.ok(`subjects.col.${col}` in dictionaries.zh, col);
  assert.equal(ledgerLink({ index: 42, request_id: 'console-e2e-1' }), '#/ledger?request_id=console-e2e-1&index=42');
  assert.equal(ledgerLink({ index: 7, request_id: 'a b&c' }), '#/ledger?request_id=a+b%26c&index=7');
});

test("an aggregate grant's privacy budget, worded in both languages; none for other grants", () => {
  assert.equal(privacyBudget(null), null);
  assert.equal(privacyBudget(undefined), null);
  assert.equal(privacyBudget({}), null);
  const privacy = { epsilon_per_day: 2, epsilon_per_query: 0.5, epsilon_spent_today: 0.5, epsilon_remaining: 1.5, queries_remaining_today: 3 };
  setLang('zh', storage, false);
  const b = privacyBudget(privacy);
  assert.deepEqual(b, { spent: '0.5', perDay: '2', perQuery: '0.5', remaining: '1.5', queries: 3, exhausted: false });
  const zh = dictionaries.zh['grants.privacy'].replace(/\{(\w+)\}/g, (m, k) => b[k]);
  assert.equal(zh, '隐私预算 ε：今日已用 0.5 / 2，剩余 1.5（约 3 次查询）');
  setLang('en', storage, false);
  const big = privacyBudget({ ...privacy, epsilon_per_day: 10000, epsilon_spent_today: 1234.5678 });
  assert.equal(big.perDay, '10,000');
  assert.equal(big.spent, '1,234.568');
  setLang('zh', storage, false);
  const spent = privacyBudget({ epsilon_per_day: 5, epsilon_per_query: 0.5, epsilon_spent_today: 5, epsilon_remaining: 0, queries_remaining_today: 0 });
  assert.equal(spent.exhausted, true);
  assert.equal(spent.remaining, '0');
});
