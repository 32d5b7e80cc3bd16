// The pure parts of the joint computations page: review progress, who reviews and who runs, the
// dependence shown, and refused runs in words.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dictionaries, setLang, t } from '../src/i18n.js';
import { dependenceRows, mayRun, outputText, pendingReview, retryAfterSeconds, reviewProgress, runRefusal, splitItem } from '../src/pages/computations.js';

const TAX = '11440100XYDWCM5T1B';
const POWER = '11440000B94HP7C595';
const BUREAU = '91440101MA5CREDIT0'; // an external member (a credit bureau)
const storage = { getItem: () => null, setItem: () => {} };

const computation = (status, decisions = {}) => ({
  code: '11440100CWC9EE711D-00003',
  name: '信易贷企业信用评估',
  status,
  subject: 'enterprise',
  inputs: [
    { name: 'tax', resource_code: 'R-TAX', provider_code: TAX, items: ['credit_level', 'tax_paid'] },
    { name: 'power', resource_code: 'R-POWER', provider_code: POWER, items: ['kwh_12m'] },
  ],
  outputs: [
    { name: 'score', type: 'integer', title: '信用评分' },
    { name: 'eligible', type: 'boolean', title: '是否符合条件' },
  ],
  dependence: { eligible: ['tax.credit_level'], score: ['tax.credit_level', 'power.kwh_12m'] },
  reviews: [TAX, POWER].map((p) => ({ provider_code: p, decision: decisions[p] ?? 'pending', opinion: null, decided_at: null })),
});

test("a computation's review progress: approved, rejected and pending providers", () => {
  assert.deepEqual(reviewProgress(computation('review')), { approved: 0, rejected: 0, pending: 2, total: 2 });
  assert.deepEqual(reviewProgress(computation('active', { [TAX]: 'approved', [POWER]: 'approved' })), { approved: 2, rejected: 0, pending: 0, total: 2 });
  assert.deepEqual(reviewProgress(computation('rejected', { [TAX]: 'rejected' })), { approved: 0, rejected: 1, pending: 1, total: 2 });
  assert.deepEqual(reviewProgress({}), { approved: 0, rejected: 0, pending: 0, total: 0 });
});

test("the review form: a reviewing provider's CDO or data officer, while its review is pending", () => {
  const c = computation('review', { [POWER]: 'approved' });
  assert.equal(pendingReview({ roles: ['agency_cdo'], agency_code: TAX }, c)?.provider_code, TAX);
  assert.equal(pendingReview({ roles: ['agency_data_officer'], agency_code: TAX }, c)?.provider_code, TAX);
  // Decided already, not a provider of an input, not an officer, not under review, no agency.
  assert.equal(pendingReview({ roles: ['agency_cdo'], agency_code: POWER }, c), null);
  assert.equal(pendingReview({ roles: ['agency_cdo'], agency_code: BUREAU }, c), null);
  assert.equal(pendingReview({ roles: ['agency_operator'], agency_code: TAX }, c), null);
  assert.equal(pendingReview({ roles: ['agency_cdo'], agency_code: TAX }, { ...c, status: 'rejected' }), null);
  assert.equal(pendingReview({ roles: ['coordinator'] }, c), null);
  assert.equal(pendingReview({ roles: ['hub_admin'] }, c), null);
});

test('the run form: an active computation and a live grant held by the agency', () => {
  const c = computation('active', { [TAX]: 'approved', [POWER]: 'approved' });
  const now = Date.parse('2026-12-05T12:00:00Z');
  const grant = { consumer_code: BUREAU, provider_code: '11440100CWC9EE711D', resource_code: c.code, operations: ['compute'], status: 'active', valid_until: '2027-12-05T15:59:59Z' };
  const me = { roles: ['agency_cdo'], agency_code: BUREAU };
  assert.equal(mayRun(me, c, [grant], now), true);
  assert.equal(mayRun(me, c, [{ ...grant, status: 'revoked' }], now), false);
  assert.equal(mayRun(me, c, [{ ...grant, valid_until: '2026-12-01T15:59:59Z' }], now), false);
  assert.equal(mayRun(me, c, [{ ...grant, resource_code: 'another' }], now), false);
  assert.equal(mayRun(me, c, [], now), false);
  // The grant's provider (the owner) holds no grant to run it; nor does staff without an agency.
  assert.equal(mayRun({ roles: ['agency_cdo'], agency_code: '11440100CWC9EE711D' }, c, [grant], now), false);
  assert.equal(mayRun({ roles: ['coordinator'] }, c, [grant], now), false);
  // Not active: no run, grant or not.
  assert.equal(mayRun(me, { ...c, status: 'review' }, [grant], now), false);
});

test('Retry-After in seconds or as an HTTP date', () => {
  const now = Date.parse('2026-12-05T12:00:00Z');
  assert.equal(retryAfterSeconds('30', now), 30);
  assert.equal(retryAfterSeconds(' 0 ', now), 0);
  assert.equal(retryAfterSeconds('Sat, 05 Dec 2026 12:01:30 GMT', now), 90);
  assert.equal(retryAfterSeconds('Sat, 05 Dec 2026 11:00:00 GMT', now), 0);
  assert.equal(retryAfterSeconds(null, now), null);
  assert.equal(retryAfterSeconds('', now), null);
  assert.equal(retryAfterSeconds('soon', now), null);
});

test('a refused run in words, in both languages; other refusals as the hub put them', () => {
  const refused = (status, code, retryAfter = null) => ({ status, ok: false, problem: { status, code, title: 'x', detail: 'y' }, retryAfter });
  setLang('zh', storage, false);
  const words = (answer) => {
    const r = runRefusal(answer);
    return r && t(r.key, r.values);
  };
  assert.equal(words(refused(403, 'authorization_required')), '需要数据主体授权：请附上该企业或个人出具的授权令牌后再运行。');
  assert.ok(words(refused(403, 'no_grant')).includes('没有该计算的有效授权'));
  assert.ok(words(refused(409, 'not_active')).includes('尚未生效'));
  // The hub says 409 conflict for a computation not active, or whose input is no longer published.
  assert.ok(words(refused(409, 'conflict')).includes('目前不能运行'));
  assert.equal(words(refused(429, 'rate_limited', '12')), '运行过于频繁，请 12 秒后再试。');
  assert.equal(words(refused(429, 'rate_limited')), '运行过于频繁，请稍后再试。');
  // A 429 is rate limiting whatever its code says.
  assert.equal(words(refused(429, '', '5')), '运行过于频繁，请 5 秒后再试。');
  assert.equal(words(refused(429, 'too_many', '5')), '运行过于频繁，请 5 秒后再试。');
  assert.equal(runRefusal(refused(400, 'validation_failed')), null);
  assert.equal(runRefusal(refused(500, 'internal')), null);
  for (const code of ['authorization_required', 'no_grant', 'not_active', 'rate_limited', 'rate_limited_after', 'purpose_mismatch']) {
    for (const lang of ['zh', 'en']) assert.ok(`computations.refused.${code}` in dictionaries[lang], `${lang} ${code}`);
  }
  setLang('en', storage, false);
  assert.equal(words(refused(429, 'rate_limited', '12')), 'Too many runs; try again in 12 s.');
  assert.ok(words(refused(403, 'authorization_required')).startsWith("The subject's authorisation is required"));
  setLang('zh', storage, false);
});

test("each output's dependence, in the outputs' order; input items split", () => {
  const rows = dependenceRows(computation('review'));
  assert.deepEqual(rows.map((r) => [r.output.name, r.items.join(',')]), [
    ['score', 'tax.credit_level,power.kwh_12m'],
    ['eligible', 'tax.credit_level'],
  ]);
  // An output without dependence lists nothing; a name the outputs lack still shows.
  const odd = dependenceRows({ outputs: [{ name: 'a' }], dependence: { b: ['x.y'] } });
  assert.deepEqual(odd.map((r) => [r.output.name, r.items.length]), [['a', 0], ['b', 1]]);
  assert.deepEqual(dependenceRows({}), []);
  assert.deepEqual(splitItem('tax.credit_level'), { input: 'tax', item: 'credit_level' });
  assert.deepEqual(splitItem('score'), { input: '', item: 'score' });
});

test("a run's output values as written", () => {
  setLang('zh', storage, false);
  assert.equal(outputText(true), '是');
  assert.equal(outputText(false), '否');
  assert.equal(outputText(1234), '1,234');
  assert.equal(outputText('A'), 'A');
  assert.equal(outputText(null), '无结果（输入数据缺失）');
  setLang('en', storage, false);
  assert.equal(outputText(null), 'none (input data missing)');
  setLang('zh', storage, false);
});
