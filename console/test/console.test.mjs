// The console's other pure modules: the dictionaries, the pages each role sees, report periods.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { addDays, cityDate, cityToday, daysBetween, daysFrom, isDate, lastDays, lastMonth, renewalEnd, thisMonth, thisQuarter } from '../src/dates.js';
import { formatTime, itemRules, operationLabel } from '../src/format.js';
import { dictionaries, getLang, setLang, t, tv } from '../src/i18n.js';
import { canSee, isOfficer, isStaff, PAGES, pagesFor } from '../src/roles.js';

test('the Chinese and English dictionaries have the same keys, none empty', () => {
  const zh = Object.keys(dictionaries.zh).sort();
  const en = Object.keys(dictionaries.en).sort();
  assert.deepEqual(en, zh);
  for (const [lang, table] of Object.entries(dictionaries)) {
    for (const [key, text] of Object.entries(table)) assert.ok(text.trim(), `${lang} ${key} is empty`);
  }
});

test("every t('…') key used in src/ is in the dictionaries", () => {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(new URL(dir, import.meta.url), { withFileTypes: true })) {
      if (e.isDirectory()) walk(`${dir}${e.name}/`);
      else if (e.name.endsWith('.js')) files.push(`${dir}${e.name}`);
    }
  };
  walk('../src/');
  const missing = [];
  for (const f of files) {
    const source = readFileSync(new URL(f, import.meta.url), 'utf8');
    // Literal keys only: keys built from values (`nav.${p}`) are checked by their prefixes below.
    for (const [, key] of source.matchAll(/\bt\('([a-z_]+\.[a-z_.]+)'/g)) {
      if (!(key in dictionaries.zh)) missing.push(`${f}: ${key}`);
    }
  }
  assert.deepEqual(missing, []);
  for (const p of PAGES) assert.ok(`nav.${p}` in dictionaries.zh, p);
  // Values the pages translate by prefix (tv): every one the hub can answer.
  const values = {
    'demands.status': ['open', 'assigned', 'answered', 'disputed', 'closed', 'overdue', 'all'],
    'demands.outcome': ['catalogued', 'not_held', 'refused'],
    'demands.direction': ['incoming', 'outgoing', 'all'],
    'demands.step': ['posted', 'assigned', 'answered', 'closed'],
    'escalations.status': ['open', 'ruled', 'all'],
    'escalations.outcome': ['upheld', 'reconsider'],
    'grants.status': ['active', 'revoked', 'ended', 'expired'],
    'applications.status': ['pending', 'approved', 'rejected', 'withdrawn'],
    'agencies.status': ['active', 'disabled'],
    'computations.status': ['review', 'active', 'rejected'],
    'computations.decision': ['approved', 'rejected', 'pending'],
    'computations.subject': ['enterprise', 'person'],
    'computations.type': ['integer', 'number', 'string', 'boolean'],
    level: ['national', 'provincial', 'city', 'district', 'external'],
  };
  for (const [prefix, list] of Object.entries(values)) for (const v of list) assert.ok(`${prefix}.${v}` in dictionaries.zh, `${prefix}.${v}`);
  for (const r of ['volume_spike', 'denied_burst', 'off_hours_bulk', 'overdue_application', 'overdue_objection', 'stale_resource', 'verify_enumeration', 'service_unavailable']) {
    assert.ok(`rule.${r}` in dictionaries.zh, r);
  }
  for (const s of ['info', 'warning', 'critical']) assert.ok(`severity.${s}` in dictionaries.zh, s);
});

test('t fills values, tv falls back to the raw value; Chinese is the default', () => {
  assert.equal(getLang(), 'zh');
  assert.equal(t('error.status', { status: 503 }), '状态码 503');
  assert.equal(tv('category', 'basic'), '基础信息资源');
  assert.equal(tv('category', 'unknown_kind'), 'unknown_kind');
  assert.equal(tv('category', null), '—');
  const stored = new Map();
  const storage = { getItem: (k) => stored.get(k) ?? null, setItem: (k, v) => stored.set(k, v) };
  setLang('en', storage, false);
  assert.equal(t('nav.report'), 'Sharing report');
  assert.equal(stored.get('hub.lang'), 'en');
  setLang('zh', storage, false);
  assert.equal(t('nav.report'), '共享情况通报');
});

test('pages by role', () => {
  // My applications is an agency's own: not the staff's.
  // People and systems are managed by the administrators and each agency's CDO; everyone has
  // their own account page.
  assert.deepEqual(pagesFor(['hub_admin']), ['todo', 'overview', 'dashboard', 'report', 'issues', 'catalog', 'records', 'computations', 'inbox', 'grants', 'objections', 'demands', 'escalations', 'returns', 'indicators', 'alerts', 'agencies', 'people', 'ledger', 'account']);
  assert.deepEqual(pagesFor(['coordinator']), ['todo', 'overview', 'dashboard', 'report', 'issues', 'catalog', 'computations', 'grants', 'objections', 'demands', 'escalations', 'returns', 'indicators', 'alerts', 'ledger', 'account']);
  assert.deepEqual(pagesFor(['agency_cdo']), ['todo', 'overview', 'dashboard', 'report', 'issues', 'catalog', 'computations', 'inbox', 'applications', 'grants', 'objections', 'demands', 'escalations', 'returns', 'indicators', 'alerts', 'people', 'ledger', 'account']);
  assert.deepEqual(pagesFor(['agency_data_officer']), ['todo', 'catalog', 'computations', 'inbox', 'applications', 'grants', 'objections', 'demands', 'escalations', 'returns', 'indicators', 'ledger', 'account']);
  // Joint computations are listed to everyone signed in.
  assert.deepEqual(pagesFor(['agency_operator']), ['todo', 'catalog', 'records', 'computations', 'objections', 'ledger', 'account']);
  assert.deepEqual(pagesFor(['agency_system']), ['catalog', 'computations', 'ledger', 'account']);
  assert.deepEqual(pagesFor([]), ['catalog', 'computations', 'ledger', 'account']);
  // Several roles: the union, in navigation order.
  assert.deepEqual(pagesFor(['agency_operator', 'agency_data_officer']), ['todo', 'catalog', 'records', 'computations', 'inbox', 'applications', 'grants', 'objections', 'demands', 'escalations', 'returns', 'indicators', 'ledger', 'account']);
  assert.equal(canSee(['agency_data_officer'], 'people'), false);
  assert.equal(canSee(['coordinator'], 'people'), false);
  assert.equal(canSee(['agency_operator'], 'report'), false);
  assert.equal(canSee(['coordinator'], 'inbox'), false);
  // Agencies are the administrators' alone; issued reports are read by those who read the report.
  assert.equal(canSee(['coordinator'], 'agencies'), false);
  assert.equal(canSee(['agency_cdo'], 'agencies'), false);
  assert.equal(canSee(['agency_data_officer'], 'issues'), false);
  assert.ok(isStaff(['coordinator']) && isStaff(['hub_admin']) && !isStaff(['agency_cdo']));
  assert.ok(isOfficer(['agency_cdo']) && isOfficer(['agency_data_officer']) && !isOfficer(['agency_operator', 'coordinator']));
});

test('report periods', () => {
  assert.deepEqual(thisMonth('2026-11-27'), { from: '2026-11-01', to: '2026-11-30' });
  assert.deepEqual(lastMonth('2026-01-15'), { from: '2025-12-01', to: '2025-12-31' });
  assert.deepEqual(lastMonth('2026-03-31'), { from: '2026-02-01', to: '2026-02-28' });
  assert.deepEqual(thisQuarter('2026-11-27'), { from: '2026-10-01', to: '2026-12-31' });
  assert.deepEqual(thisQuarter('2026-02-01'), { from: '2026-01-01', to: '2026-03-31' });
  assert.deepEqual(lastDays('2026-11-27', 30), { from: '2026-10-29', to: '2026-11-27' });
  assert.equal(addDays('2024-02-28', 1), '2024-02-29');
  assert.equal(daysBetween('2026-12-30', '2027-01-02').join(','), '2026-12-30,2026-12-31,2027-01-01,2027-01-02');
  assert.ok(isDate('2026-02-28'));
  assert.ok(!isDate('2026-02-30'));
  assert.ok(!isDate('2026-2-3'));
  // The city's day: 2026-11-27T17:00Z is already the 28th in Asia/Shanghai.
  assert.equal(cityToday(new Date('2026-11-27T17:00:00Z')), '2026-11-28');
  assert.equal(cityToday(new Date('2026-11-27T15:59:59Z')), '2026-11-27');
  // Year ends and leap days cross in the city's time, not UTC's.
  assert.equal(cityToday(new Date('2026-12-31T16:00:00Z')), '2027-01-01');
  assert.equal(cityToday(new Date('2028-02-28T16:30:00Z')), '2028-02-29');
});

test('times are written in the city whatever locale data or time zone the runtime has', () => {
  assert.equal(formatTime('2026-11-27T17:05:09Z'), '2026-11-28 01:05');
  assert.equal(formatTime('2026-11-27T17:05:09.123456Z', { seconds: true }), '2026-11-28 01:05:09');
  assert.equal(formatTime(''), '—');
  assert.equal(formatTime('not a time'), 'not a time');
  // No date or time is written by a locale's formatting (its data differs between runtimes).
  for (const file of ['dates.js', 'format.js']) {
    const src = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
    assert.ok(!/DateTimeFormat|toLocale(Date|Time)String/.test(src), `${file} formats dates with Intl`);
  }
});

test('dates of grants: the city day of a time, days between, the renewal proposed', () => {
  assert.equal(cityDate('2026-12-15T15:59:59Z'), '2026-12-15');
  assert.equal(cityDate('2026-12-15T16:00:00Z'), '2026-12-16');
  assert.equal(cityDate('nonsense'), '');
  assert.equal(daysFrom('2026-12-05', '2026-12-15'), 10);
  assert.equal(daysFrom('2027-01-02', '2026-12-30'), -3);
  // A year after the current end, within 366 days of today (the end of that day: 365 days on).
  assert.equal(renewalEnd('2027-06-30T15:59:59Z', '2026-12-05'), '2027-12-05');
  assert.equal(renewalEnd('2026-12-15T15:59:59Z', '2026-12-05'), '2027-12-05');
  assert.equal(renewalEnd('2026-12-15T15:59:59Z', '2026-12-05', 90), '2027-03-04');
  // Never on or before the current end, whatever the limit says.
  assert.equal(renewalEnd('2027-12-20T15:59:59Z', '2026-12-05'), '2027-12-21');
});

test("an item's rules in words, in the order the hub checks them", () => {
  setLang('zh');
  assert.deepEqual(itemRules({ name: 'plain', type: 'string' }), []);
  assert.deepEqual(
    itemRules({ check: 'uscc', code_list: 'gb2260', max_length: 18, pattern: '^9', enum: ['存续', '在业'] }),
    ['校验：统一社会信用代码', '代码表：gb2260', '最多 18 个字符', '格式：^9', '取值：存续、在业'],
  );
  assert.deepEqual(itemRules({ min: 0, max: 100 }), ['范围：0 至 100']);
  assert.deepEqual(itemRules({ min: 0 }), ['不小于 0']);
  setLang('en');
  assert.deepEqual(itemRules({ check: 'citizen_id', max: 5 }), ['Check: citizen ID number', 'At most 5']);
  setLang('zh');
});

test('table sorting: numbers as numbers, Chinese and codes as text, empty cells last', async () => {
  const { compareCells, numberOf } = await import('../src/ui.js');
  assert.equal(numberOf('12,345'), 12345);
  assert.equal(numberOf('99.5%'), 99.5);
  assert.equal(numberOf('-3'), -3);
  assert.equal(numberOf('2026-12-07'), null);
  assert.equal(numberOf('A-1'), null);
  const sorted = (values, dir = 1) => [...values].sort((a, b) => compareCells(a, b, dir));
  assert.deepEqual(sorted(['10,000', '9', '—', '100']), ['9', '100', '10,000', '—']);
  assert.deepEqual(sorted(['10,000', '9', '—', '100'], -1), ['10,000', '100', '9', '—'], 'empty last either way');
  assert.deepEqual(sorted(['2026-12-11 23:59', '2026-01-02 08:00', '2026-12-01 00:00']), ['2026-01-02 08:00', '2026-12-01 00:00', '2026-12-11 23:59']);
  assert.deepEqual(sorted(['item10', 'item9', 'item1']), ['item1', 'item9', 'item10']);
  // Chinese by pinyin: 广州 (guang) before 深圳 (shen) before 天河 (tian).
  assert.deepEqual(sorted(['天河', '深圳', '广州']), ['广州', '深圳', '天河']);
});

test("an operation by a service's own title, a dataset's by the console's words", () => {
  setLang('zh', null, false);
  const service = { kind: 'service', operations: [{ id: 'enterprise', title: '企业基本信息查询' }] };
  assert.equal(operationLabel('enterprise', service), '企业基本信息查询');
  assert.equal(operationLabel('read', { kind: 'dataset', items: [] }), '读取');
  // A dataset's operations are never taken from a list it does not have; unknown ones stay raw.
  assert.equal(operationLabel('read', service), '读取');
  assert.equal(operationLabel('other', null), 'other');
});
