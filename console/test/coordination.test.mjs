// The pure parts of the coordination pages: demand items, escalable applications, issued-report
// file names and checks, and the agency changes an administrator saves.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { test } from 'node:test';

import { agencyChange, ACTIONS, selfAndDescendants } from '../src/pages/agencies.js';
import { parseItems } from '../src/pages/demands.js';
import { escalable } from '../src/pages/escalations.js';
import { defaultTitle, issueFileName, verifyCommands } from '../src/pages/issues.js';
import { bytesToBase64, verifyIssuedReport } from '../src/proof.js';

test('items wanted: one a line or separated by commas or 、; blanks and repeats dropped', () => {
  assert.deepEqual(parseItems('统一社会信用代码\n企业名称\n\n  行业 \n'), ['统一社会信用代码', '企业名称', '行业']);
  assert.deepEqual(parseItems('身份证号、平台名称，月接单时长, 平台名称'), ['身份证号', '平台名称', '月接单时长']);
  assert.deepEqual(parseItems('  \n '), []);
  assert.deepEqual(parseItems(undefined), []);
});

test('escalable: rejected, or pending past the deadline, and not already escalated', () => {
  const apps = [
    { id: 'a', status: 'rejected' },
    { id: 'b', status: 'pending', overdue: true },
    { id: 'c', status: 'pending', overdue: false },
    { id: 'd', status: 'approved' },
    { id: 'e', status: 'rejected' },
  ];
  assert.deepEqual(escalable(apps, [{ application_id: 'e' }]).map((a) => a.id), ['a', 'b']);
  assert.deepEqual(escalable([], []), []);
});

test("issued reports: a file name from the number, the period's title, the hubctl commands", () => {
  assert.equal(issueFileName({ id: 'x', number: '穗数通〔2026〕11号' }, 'json'), '穗数通〔2026〕11号.json');
  assert.equal(issueFileName({ id: 'x', number: 'a/b:c*?' }, 'csv'), 'a_b_c_.csv');
  assert.equal(issueFileName({ id: 'x', number: '  ' }, 'xlsx'), 'report-issue-x.xlsx');
  assert.equal(defaultTitle('2026-11-01', '2026-11-30'), '2026年11月政务数据共享情况通报');
  assert.equal(defaultTitle('2026-10-01', '2026-12-31'), '2026-10-01至2026-12-31政务数据共享情况通报');
  const commands = verifyCommands({ id: 'id1', number: '穗数通〔2026〕11号', signature: 'c2ln' });
  assert.equal(commands[0], "hubctl report verify '穗数通〔2026〕11号.json' --issue id1");
  assert.ok(commands[2].endsWith('--signature c2ln --key ledger.pem'));
});

test("an issued report's bytes check against its sha256 and Ed25519 signature; one byte changed fails", async () => {
  const subtle = webcrypto.subtle;
  const pair = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  const pem = `-----BEGIN PUBLIC KEY-----\n${bytesToBase64(spki)}\n-----END PUBLIC KEY-----\n`;
  const bytes = new TextEncoder().encode('{"issue":{"number":"穗数通〔2026〕11号"},"agencies":[]}');
  const signature = bytesToBase64(new Uint8Array(await subtle.sign({ name: 'Ed25519' }, pair.privateKey, bytes)));
  const hex = Buffer.from(await subtle.digest('SHA-256', bytes)).toString('hex');

  const good = await verifyIssuedReport({ bytes, sha256Hex: hex, signature, publicKeyPem: pem, subtle });
  assert.deepEqual(good, { sha256: hex, sha256Ok: true, signatureOk: true });

  const changed = bytes.slice();
  changed[5] ^= 1;
  const bad = await verifyIssuedReport({ bytes: changed, sha256Hex: hex, signature, publicKeyPem: pem, subtle });
  assert.equal(bad.sha256Ok, false);
  assert.equal(bad.signatureOk, false);
  const short = await verifyIssuedReport({ bytes, sha256Hex: hex, signature: 'AAAA', publicKeyPem: pem, subtle });
  assert.equal(short.signatureOk, false);
  await assert.rejects(verifyIssuedReport({ bytes, sha256Hex: hex, signature, publicKeyPem: 'not a key', subtle }), { reason: 'bad_public_key' });
});

test('agency changes: only what changed, parent none as null; no parent under itself', () => {
  const agency = { code: 'A', name: '市政务服务数据管理局', parent_code: 'P' };
  assert.equal(agencyChange(agency, { name: ' 市政务服务数据管理局 ', parent_code: 'P' }), null);
  assert.deepEqual(agencyChange(agency, { name: '市政务服务和数据管理局', parent_code: 'P' }), { name: '市政务服务和数据管理局' });
  assert.deepEqual(agencyChange(agency, { name: '', parent_code: '' }), { parent_code: null });
  assert.deepEqual(agencyChange({ code: 'B', name: 'x', parent_code: null }, { name: 'x', parent_code: 'A' }), { parent_code: 'A' });
  const all = [
    { code: 'A', parent_code: null },
    { code: 'B', parent_code: 'A' },
    { code: 'C', parent_code: 'B' },
    { code: 'D', parent_code: 'A' },
    { code: 'E', parent_code: null },
  ];
  assert.deepEqual([...selfAndDescendants('A', all)].sort(), ['A', 'B', 'C', 'D']);
  assert.deepEqual([...selfAndDescendants('B', all)].sort(), ['B', 'C']);
  assert.deepEqual([...selfAndDescendants('E', all)], ['E']);
  // The actions' buttons: disable and merge for an active agency, enable for a disabled one
  // unless it was succeeded (its duties are its successor's), edit for all.
  const offered = (a) => ACTIONS.filter((x) => x.offered(a)).map((x) => x.id);
  assert.deepEqual(offered({ status: 'active' }), ['edit', 'disable', 'succeed']);
  assert.deepEqual(offered({ status: 'disabled' }), ['edit', 'enable']);
  assert.deepEqual(offered({ status: 'disabled', successor_code: 'B' }), ['edit']);
});
