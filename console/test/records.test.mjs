// The pure parts of records (records.js): which datasets an operator loads, a file cut into parts
// at line ends with every bad line named by its place in the file, the CSV header sent again, a
// 429 retried, a refused part stopping the rest, and one record typed from a form, its numbers as
// written.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { ExactNumber, fileLine, formatOf, linesIn, loadableResources, partEnd, recordJson, recordOf, sendInParts } from '../src/pages/records.js';

const HR = '11440100FAJ0T55W64';
const enc = new TextEncoder();
const dec = new TextDecoder();

test('an operator loads into its agency’s published datasets; an administrator into any', () => {
  const resources = [
    { code: 'a', provider_code: HR, status: 'published' },
    { code: 'b', provider_code: HR, status: 'draft' },
    { code: 'c', provider_code: 'other', status: 'published' },
    { code: 'd', provider_code: HR, status: 'published', kind: 'service' },
  ];
  assert.deepEqual(loadableResources(resources, { agency_code: HR, roles: ['agency_operator'] }).map((r) => r.code), ['a']);
  assert.deepEqual(loadableResources(resources, { agency_code: null, roles: ['hub_admin'] }).map((r) => r.code), ['a', 'c']);
});

test('the format by name or type', () => {
  assert.equal(formatOf({ name: '参保.CSV' }), 'text/csv');
  assert.equal(formatOf({ name: 'x', type: 'text/csv' }), 'text/csv');
  assert.equal(formatOf({ name: 'records.ndjson' }), 'application/x-ndjson');
});

test('a part ends after its last newline; lines are counted as the hub counts them', () => {
  assert.equal(partEnd(enc.encode('a\nb\nc'), false), 4);
  assert.equal(partEnd(enc.encode('abc'), false), null);
  assert.equal(partEnd(enc.encode('abc'), true), 3);
  assert.equal(linesIn(enc.encode('a\nb\n')), 2);
  assert.equal(linesIn(enc.encode('a\nb')), 2);
  assert.equal(linesIn(enc.encode('')), 0);
  assert.equal(fileLine(3, 10, false), 13);
  assert.equal(fileLine(2, 1, true), 2, 'the first CSV part: its line 2 is the file’s');
  assert.equal(fileLine(2, 51, true), 52, 'a later part: its line 1 is the header sent again');
});

/** The hub, as far as the parts go: every physical line counted, a line holding "bad" rejected. */
function fakeHub(csv, calls) {
  return async (bytes) => {
    const text = dec.decode(bytes);
    calls.push(text);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const body = { accepted: 0, rejected: 0, flagged: 0, errors: [] };
    lines.forEach((line, i) => {
      if (csv && i === 0) return;
      if (line.includes('bad')) {
        body.rejected++;
        body.errors.push({ line: i + 1, message: `bad: ${line}` });
      } else body.accepted++;
    });
    return { status: 200, ok: true, body, retryAfter: null };
  };
}

function fileOf(text) {
  const bytes = enc.encode(text);
  return { size: bytes.length, read: async (a, b) => bytes.slice(a, b) };
}

test('an NDJSON file in parts: every bad line named by its line in the file, none cut in two', async () => {
  const lines = [];
  for (let i = 1; i <= 500; i++) lines.push(i % 97 === 0 ? `{"bad":${i},"名称":"广州"}` : `{"key":"${i}","名称":"广州市某单位${i}"}`);
  const file = fileOf(`${lines.join('\n')}\n`);
  const calls = [];
  const seen = [];
  const state = await sendInParts({ ...file, csv: false, send: fakeHub(false, calls), progress: (s) => seen.push(s), wait: async () => {}, partBytes: 1000 });
  assert.ok(calls.length > 10, `${calls.length} parts`);
  for (const c of calls) assert.ok(c.endsWith('\n'), 'a part ends at a line end');
  assert.equal(state.accepted, 495);
  assert.equal(state.rejected, 5);
  assert.deepEqual(state.errors.map((e) => e.line), [97, 194, 291, 388, 485]);
  for (const e of state.errors) assert.equal(e.message, `bad: ${lines[e.line - 1]}`);
  assert.equal(state.sent, file.size);
  assert.ok(seen.every((s, i) => i === 0 || s.sent >= seen[i - 1].sent), 'the bytes sent only grow');
});

test('a CSV file in parts: the header again in front of each, lines counted from the file’s header', async () => {
  const rows = ['\ufeffid,name'];
  for (let i = 1; i <= 300; i++) rows.push(i % 50 === 0 ? `${i},bad row` : `${i},单位${i}`);
  const file = fileOf(`${rows.join('\r\n')}\r\n`);
  const calls = [];
  const state = await sendInParts({ ...file, csv: true, send: fakeHub(true, calls), progress: () => {}, wait: async () => {}, partBytes: 700 });
  assert.ok(calls.length > 3);
  for (const c of calls.slice(1)) assert.ok(c.startsWith('id,name\r\n'), 'the header, without the BOM, in front');
  assert.equal(state.accepted, 294);
  assert.deepEqual(state.errors.map((e) => e.line), [51, 101, 151, 201, 251, 301]);
  for (const e of state.errors) assert.ok(e.message.startsWith(`bad: ${rows[e.line - 1]}`), `line ${e.line}: ${e.message}`);
});

test('a line longer than a part takes more of the file; 429 is retried; a refused part stops the rest', async () => {
  const long = `{"key":"1","text":"${'x'.repeat(3000)}"}`;
  const file = fileOf(`${long}\n{"key":"2"}\n{"key":"3"}\n`);
  const calls = [];
  const state = await sendInParts({ ...file, csv: false, send: fakeHub(false, calls), progress: () => {}, wait: async () => {}, partBytes: 1000 });
  assert.ok(calls[0].startsWith(`${long}\n`), 'the long line whole in the first part');
  assert.ok(calls.every((c) => c.endsWith('\n')));
  assert.equal(state.accepted, 3);

  let n = 0;
  const waits = [];
  const busy = async () => (++n <= 2 ? { status: 429, ok: false, body: null, retryAfter: '3' } : { status: 200, ok: true, body: { accepted: 1, rejected: 0, errors: [] } });
  const retried = await sendInParts({ ...fileOf('{"key":"1"}\n'), csv: false, send: busy, progress: () => {}, wait: async (s) => waits.push(s) });
  assert.deepEqual(waits, [3, 3]);
  assert.equal(retried.accepted, 1);

  let parts = 0;
  const refused = async () => (++parts === 2 ? { status: 503, ok: false, body: { detail: 'down' } } : { status: 200, ok: true, body: { accepted: 1, rejected: 0, errors: [] } });
  const stopped = await sendInParts({ ...fileOf('{"a":1}\n{"a":2}\n{"a":3}\n'), csv: false, send: refused, progress: () => {}, wait: async () => {}, partBytes: 8 });
  assert.equal(parts, 2, 'nothing is sent after the refused part');
  assert.equal(stopped.failed.status, 503);
  assert.equal(stopped.accepted, 1);
  assert.equal(stopped.sent, 8, 'the bytes of the stored part only');
});

test('one record typed from the form: required items, integers, exact numbers, booleans, the city’s datetime', () => {
  setLang('zh', null, false);
  const items = [
    { name: 'id', title: '编号', type: 'string', required: true },
    { name: 'count', title: '人数', type: 'integer' },
    { name: 'amount', title: '金额', type: 'number' },
    { name: 'active', title: '有效', type: 'boolean' },
    { name: 'day', title: '日期', type: 'date' },
    { name: 'at', title: '时间', type: 'datetime' },
  ];
  const { record, problems } = recordOf(items, { id: ' A-1 ', count: '12', amount: '12345678901234567890.50', active: 'false', day: '2026-12-07', at: '2026-12-07T09:30' });
  assert.deepEqual(problems, []);
  assert.equal(record.id, 'A-1');
  assert.equal(record.count, 12);
  assert.ok(record.amount instanceof ExactNumber);
  assert.equal(record.active, false);
  assert.equal(record.at, '2026-12-07T09:30:00+08:00');
  assert.equal(recordJson(record), '{"id":"A-1","count":12,"amount":12345678901234567890.50,"active":false,"day":"2026-12-07","at":"2026-12-07T09:30:00+08:00"}');
  const bad = recordOf(items, { id: '', count: '1.5', amount: '007' });
  assert.deepEqual(bad.problems.map((p) => p.field), ['id', 'count', 'amount']);
  assert.deepEqual(recordOf(items, { id: 'x', count: '9007199254740993' }).problems.map((p) => p.field), ['count'], 'beyond ±2^53');
});

test('no string value passes for an exact number: the marker is random per call', () => {
  const sneaky = { name: '\u0000guess:1', amount: new ExactNumber('2.50') };
  assert.equal(recordJson(sneaky), '{"name":"\\u0000guess:1","amount":2.50}');
});

test('a lost connection is retried, a BOM before the first JSON line is not sent, leaving stops the load', async () => {
  let calls = 0;
  const flaky = async (bytes) => {
    if (++calls === 1) throw new Error('network');
    return { status: 200, ok: true, body: { accepted: linesIn(bytes), rejected: 0, errors: [] } };
  };
  const withBom = fileOf('\ufeff{"key":"1"}\n{"key":"2"}\n');
  const sent = [];
  const state = await sendInParts({ ...withBom, csv: false, send: async (b) => (sent.push(dec.decode(b)), flaky(b)), progress: () => {}, wait: async () => {} });
  assert.equal(state.accepted, 2);
  assert.ok(sent.every((t) => t.startsWith('{"key":"1"}')), 'the BOM was sent');
  assert.equal(sent.length, 2, 'sent again after the lost connection');

  const controller = new AbortController();
  let parts = 0;
  const stopping = async () => {
    if (++parts === 1) controller.abort();
    return { status: 200, ok: true, body: { accepted: 1, rejected: 0, errors: [] } };
  };
  const stopped = await sendInParts({ ...fileOf('{"a":1}\n{"a":2}\n{"a":3}\n'), csv: false, send: stopping, progress: () => {}, wait: async () => {}, partBytes: 8, signal: controller.signal });
  assert.equal(parts, 1);
  assert.ok(stopped.stopped);
});
