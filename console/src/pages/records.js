// Records (数据维护), for a provider's operators (agency_operator; hub_admin to help): load a file
// of records into one of the agency's datasets, or push one record from a form made from the
// dataset's items. A file goes in parts of about a megabyte, each its own (non-atomic) import, so
// the page shows the bytes sent and the lines accepted, flagged and rejected as each part is
// answered, and every bad line by its number in the file; an atomic load (all or nothing) is one
// request, its bar the bytes sent. The hub validates every line and every push itself.
import { api, apiUrl, getSession, listAll, sessionEnded } from '../api.js';
import { fill, h } from '../dom.js';
import { formatNumber, formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { badge, card, dataTable, errorBox, message, pageHeader, setState } from '../ui.js';

export const PART_BYTES = 1 << 20;
export const MAX_ERRORS_SHOWN = 1000;
const NEWLINE = 0x0a;

/** The datasets `me` may load records into: its agency's published datasets (all, for hub_admin). */
export function loadableResources(resources, me) {
  const admin = me.roles.includes('hub_admin');
  return resources.filter((r) => (r.kind ?? 'dataset') === 'dataset' && r.status === 'published' && (admin || r.provider_code === me.agency_code));
}

/** The import's Content-Type by the file's name or type: CSV or NDJSON. */
export function formatOf(file) {
  const name = (file.name ?? '').toLowerCase();
  if (name.endsWith('.csv') || file.type === 'text/csv') return 'text/csv';
  return 'application/x-ndjson';
}

/**
 * Where the part starting at byte 0 of `bytes` ends: after the last newline, or null when it has
 * none (the part then takes more of the file). `last`: the file's end, which ends a part anyway.
 */
export function partEnd(bytes, last) {
  if (last) return bytes.length;
  const at = bytes.lastIndexOf(NEWLINE);
  return at < 0 ? null : at + 1;
}

/** How many lines `bytes` holds: its newlines, and one more for a last line without one. */
export function linesIn(bytes) {
  let n = 0;
  for (const b of bytes) if (b === NEWLINE) n++;
  if (bytes.length && bytes[bytes.length - 1] !== NEWLINE) n++;
  return n;
}

/**
 * A part's error line as the file's line: `base` lines of the file came before the part's first
 * line; a CSV part after the first starts with the header again (its line 1), so its line L is
 * the file's base + L - 1 (the first part, whose line 1 is the file's own header, has base 1).
 */
export function fileLine(line, base, csv) {
  return csv ? base + line - 1 : base + line;
}

/**
 * Sends `file` in parts (`send(bytes) → {status, ok, body, retryAfter}`), calling `progress(state)`
 * after each: {sent, total, accepted, rejected, flagged, errors: [{line, message}], parts}. A part
 * refused as a whole (a bad CSV header, 408, 503) stops it there: what earlier parts stored stays.
 * `read(start, end)` gives the file's bytes (a Uint8Array); `wait(seconds)` waits before a retry
 * when the hub answers 429.
 */
export async function sendInParts({ size, csv, read, send, progress, wait, partBytes = PART_BYTES, signal }) {
  const state = { sent: 0, total: size, accepted: 0, rejected: 0, flagged: 0, errors: [], parts: 0, failed: null, stopped: false };
  let header = null;
  let base = csv ? 1 : 0;
  let offset = 0;
  while (offset < size) {
    // Left (another page, signed out): nothing more is sent.
    if (signal?.aborted) {
      state.stopped = true;
      return state;
    }
    // A part ends after a newline: a line is never cut in two.
    let end = Math.min(size, offset + partBytes);
    let bytes = await read(offset, end);
    let cut = partEnd(bytes, end === size);
    while (cut === null) {
      end = Math.min(size, end + partBytes);
      bytes = await read(offset, end);
      cut = partEnd(bytes, end === size);
    }
    bytes = bytes.subarray(0, cut);
    let body = bytes;
    let lines = linesIn(bytes);
    if (csv && header === null) {
      // The first part carries the header; the rest get it again in front.
      const first = bytes.indexOf(NEWLINE);
      header = bytes.subarray(0, first < 0 ? bytes.length : first + 1);
      if (header[0] === 0xef && header[1] === 0xbb && header[2] === 0xbf) header = header.subarray(3);
      lines -= 1;
    } else if (csv) {
      body = new Uint8Array(header.length + bytes.length);
      body.set(header);
      body.set(bytes, header.length);
    } else if (offset === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      body = bytes.subarray(3); // a byte-order mark is no part of the first JSON line
    }
    // Busy (429) or the connection lost (the hub may close one it answered 429 before reading the
    // body): the part again, a few times. Parts are written by key, so a part sent twice is
    // harmless.
    let answer;
    for (let attempt = 0; ; attempt++) {
      try {
        answer = await send(body);
      } catch (error) {
        if (attempt >= 5 || signal?.aborted) throw error;
        await wait(2);
        continue;
      }
      if (answer.status !== 429 || attempt >= 5) break;
      await wait(Math.min(Number(answer.retryAfter) || 2, 10));
    }
    state.parts++;
    if (!answer.ok) {
      state.failed = answer;
      progress({ ...state });
      return state;
    }
    state.sent = offset + cut;
    state.accepted += answer.body.accepted ?? 0;
    state.rejected += answer.body.rejected ?? 0;
    state.flagged += answer.body.flagged ?? 0;
    for (const e of answer.body.errors ?? []) {
      if (state.errors.length >= MAX_ERRORS_SHOWN) break;
      state.errors.push({ line: fileLine(e.line, base, csv), message: e.message });
    }
    base += lines;
    offset += cut;
    progress({ ...state });
  }
  return state;
}

// --- pushing one record ------------------------------------------------------------------------

/** The control for an item of `type`. */
function controlOf(item) {
  const id = `record-item-${item.name}`;
  const attrs = { id, name: item.name, dataset: { item: item.name }, 'aria-required': String(!!item.required) };
  // An item with an enum rule: its values to choose from.
  if (Array.isArray(item.enum) && item.enum.length) {
    return h('select', attrs, h('option', { value: '' }, '—'), item.enum.map((v) => h('option', { value: String(v) }, String(v))));
  }
  switch (item.type) {
    case 'integer':
      return h('input', { ...attrs, type: 'number', step: '1', inputmode: 'numeric' });
    case 'number':
      return h('input', { ...attrs, type: 'text', inputmode: 'decimal' });
    case 'boolean':
      return h('select', attrs, h('option', { value: '' }, '—'), h('option', { value: 'true' }, t('common.yes')), h('option', { value: 'false' }, t('common.no')));
    case 'date':
      return h('input', { ...attrs, type: 'date' });
    case 'datetime':
      return h('input', { ...attrs, type: 'datetime-local', step: '1' });
    default:
      return h('input', { ...attrs, type: 'text', maxlength: item.max_length ?? 65536 });
  }
}

/** A number item's value as typed: sent as written (recordJson), as the hub stores it. */
export class ExactNumber {
  constructor(text) {
    this.text = text;
  }
}

/**
 * The record's JSON text with each ExactNumber written as its digits (JSON.stringify would go
 * through a double: 0.1 + 0.2, 12345678901234567890). The marker is random per call, so no
 * string value can pass for one; the digits were checked by recordOf.
 */
export function recordJson(record, nonce = Math.random().toString(36).slice(2)) {
  const text = JSON.stringify(record, (k, v) => (v instanceof ExactNumber ? `\u0000${nonce}:${v.text}` : v));
  // JSON.stringify writes the NUL as the six characters \u0000.
  return text.replace(new RegExp(`"\\\\u0000${nonce}:([-+.0-9eE]+)"`, 'g'), '$1');
}

/**
 * The record typed as the hub takes it, from the controls' texts (`values`: item name → text):
 * empty controls left out; integers and booleans as JSON's; a number as written (ExactNumber:
 * the hub stores numbers exactly); a datetime-local in the city's time (UTC+8, no daylight
 * saving) as RFC 3339. → {record, problems: [{field, message}]}.
 */
export function recordOf(items, values) {
  const record = {};
  const problems = [];
  for (const item of items) {
    const raw = (values[item.name] ?? '').trim();
    if (raw === '') {
      if (item.required) problems.push({ field: item.name, message: t('records.required', { item: item.title ?? item.name }) });
      continue;
    }
    switch (item.type) {
      case 'integer':
        if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) problems.push({ field: item.name, message: t('records.not_integer', { item: item.title ?? item.name }) });
        else record[item.name] = Number(raw);
        break;
      case 'number': {
        if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) {
          problems.push({ field: item.name, message: t('records.not_number', { item: item.title ?? item.name }) });
          break;
        }
        record[item.name] = new ExactNumber(raw);
        break;
      }
      case 'boolean':
        record[item.name] = raw === 'true';
        break;
      case 'datetime':
        record[item.name] = /[zZ]|[+-]\d\d:\d\d$/.test(raw) ? raw : `${raw.length === 16 ? `${raw}:00` : raw}+08:00`;
        break;
      default:
        record[item.name] = raw;
    }
  }
  return { record, problems };
}

function pushCard(resource, refresh) {
  const items = resource.items ?? [];
  const controls = new Map(items.map((i) => [i.name, controlOf(i)]));
  const feedback = h('div', { class: 'decision-feedback', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'record-push' }, t('records.push'));
  const form = h(
    'form',
    {
      class: 'action-form record-form',
      id: 'record-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        for (const c of controls.values()) c.removeAttribute('aria-invalid');
        const values = Object.fromEntries([...controls].map(([name, c]) => [name, c.value]));
        const { record, problems } = recordOf(items, values);
        const mark = (list) => {
          for (const p of list) controls.get(p.field)?.setAttribute('aria-invalid', 'true');
          controls.get(list[0]?.field)?.focus();
        };
        if (problems.length) {
          mark(problems);
          fill(feedback, message('error', problems.map((p) => p.message).join(' ')));
          return;
        }
        const key = record[resource.key];
        submit.disabled = true;
        try {
          const path = `/resources/${encodeURIComponent(resource.code)}/records/${encodeURIComponent(String(key))}`;
          const answer = await api.putJson(path, recordJson(record));
          fill(
            feedback,
            message('success', t('records.pushed', { key: answer.key, version: answer.version })),
            answer.flagged?.length ? message('warning', t('records.flagged', { rules: answer.flagged.join('、') })) : null,
          );
          await refresh();
        } catch (error) {
          // The hub names the item in its field errors: mark it.
          const fields = (error.errors ?? []).map((x) => ({ field: x.field })).filter((x) => controls.has(x.field));
          if (fields.length) mark(fields);
          fill(feedback, errorBox(error));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('p', { class: 'form-note' }, t('records.push_note', { key: items.find((i) => i.name === resource.key)?.title ?? resource.key })),
    h(
      'div',
      { class: 'form-fields record-fields' },
      items.map((i) =>
        h(
          'label',
          { class: 'field' },
          h('span', {}, i.title ?? i.name, i.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null, ' ', h('span', { class: 'muted small' }, `${i.name} · ${tv('records.type', i.type)}`)),
          controls.get(i.name),
        ),
      ),
    ),
    feedback,
    h('div', { class: 'form-actions' }, submit),
  );
  return card(t('records.push_title'), form, { id: 'records-push' });
}

// --- loading a file -----------------------------------------------------------------------------

/**
 * One request with the bytes as its body; XMLHttpRequest for the upload's progress events.
 * `token`: the session's, taken when the load began (a load never goes on under another
 * session); `signal` aborts it. A 401 ends the session in the page, as every request does.
 */
function sendBytes(resource, body, contentType, { atomic = false, onUpload, token, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(`/resources/${encodeURIComponent(resource.code)}/imports`, { atomic: atomic ? 'true' : 'false' }));
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    if (onUpload) xhr.upload.onprogress = (e) => onUpload(e.loaded);
    xhr.onerror = () => reject(new Error(t('error.network')));
    xhr.onabort = () => reject(new Error(t('records.aborted')));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.onload = () => {
      let parsed = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        parsed = null;
      }
      if (xhr.status === 401) sessionEnded(parsed ?? {});
      resolve({ status: xhr.status, ok: xhr.status >= 200 && xhr.status < 300, body: parsed, retryAfter: xhr.getResponseHeader('Retry-After') });
    };
    xhr.send(body);
  });
}

function uploadCard(resource, refresh, ctx) {
  const file = h('input', { type: 'file', id: 'records-file', accept: '.ndjson,.jsonl,.csv,application/x-ndjson,text/csv' });
  const atomic = h('input', { type: 'checkbox', id: 'records-atomic' });
  const bar = h('progress', { id: 'records-progress', max: '1', value: '0', 'aria-label': t('records.progress') });
  const counts = h('p', { id: 'records-counts', class: 'records-counts', 'aria-live': 'polite' });
  const result = h('div', { id: 'records-result' });
  const errors = h('div', { id: 'records-errors' });
  const start = h('button', { type: 'submit', class: 'btn btn-primary', id: 'records-upload' }, t('records.upload'));
  const show = (s) => {
    bar.max = String(Math.max(s.total, 1));
    bar.value = String(s.sent);
    counts.textContent = t('records.counts', {
      sent: formatNumber(s.sent / 1048576, 1),
      total: formatNumber(s.total / 1048576, 1),
      accepted: formatNumber(s.accepted),
      rejected: formatNumber(s.rejected),
      flagged: formatNumber(s.flagged),
    });
    counts.dataset.accepted = String(s.accepted);
    counts.dataset.rejected = String(s.rejected);
    const rows = s.errors.map((e) => h('tr', { dataset: { line: String(e.line) } }, h('td', {}, String(e.line)), h('td', {}, e.message)));
    fill(errors, s.errors.length ? dataTable('records-errors-table', [t('records.col.line'), t('records.col.message')], h('tbody', {}, rows)) : null);
  };
  const form = h(
    'form',
    {
      class: 'action-form',
      id: 'records-upload-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        const chosen = file.files?.[0];
        if (!chosen) {
          fill(result, message('error', t('records.file_required')));
          return;
        }
        if (!chosen.size) {
          fill(result, message('error', t('records.file_empty')));
          return;
        }
        const contentType = formatOf(chosen);
        // What this load is: the file, the mode and the session, fixed while it runs; leaving the
        // page (or signing out) stops it.
        const isAtomic = atomic.checked;
        const token = getSession()?.token;
        const controller = new AbortController();
        ctx.onLeave(() => controller.abort());
        const controls = [start, file, atomic];
        for (const c of controls) c.disabled = true;
        fill(result, message('info', t('records.sending', { name: chosen.name })));
        const state0 = { sent: 0, total: chosen.size, accepted: 0, rejected: 0, flagged: 0, errors: [] };
        show(state0);
        try {
          let final;
          if (isAtomic) {
            const answer = await sendBytes(resource, chosen, contentType, { atomic: true, token, signal: controller.signal, onUpload: (loaded) => show({ ...state0, sent: loaded }) });
            final = { ...state0, sent: answer.ok ? chosen.size : 0, failed: answer.ok ? null : answer };
            if (answer.ok) Object.assign(final, { accepted: answer.body.accepted, rejected: answer.body.rejected, flagged: answer.body.flagged ?? 0 });
            else if (answer.status === 422) final.errors = (answer.body?.errors ?? []).map((x) => ({ line: Number(String(x.field).replace(/^line /, '')) || 0, message: x.message })).slice(0, MAX_ERRORS_SHOWN);
            show(final);
          } else {
            final = await sendInParts({
              size: chosen.size,
              csv: contentType === 'text/csv',
              read: async (from, to) => new Uint8Array(await chosen.slice(from, to).arrayBuffer()),
              send: (bytes) => sendBytes(resource, bytes, contentType, { token, signal: controller.signal }),
              progress: show,
              wait: (seconds) => new Promise((r) => setTimeout(r, seconds * 1000)),
              signal: controller.signal,
            });
          }
          if (final.stopped) return;
          if (final.failed) {
            const p = final.failed.body ?? {};
            fill(result, message('error', t(isAtomic ? 'records.refused_atomic' : 'records.stopped', { status: final.failed.status, detail: p.detail ?? p.title ?? '' })));
          } else {
            fill(result, message(final.rejected ? 'warning' : 'success', t('records.done', { accepted: formatNumber(final.accepted), rejected: formatNumber(final.rejected) })));
          }
          await refresh();
        } catch (error) {
          fill(result, errorBox(error));
        } finally {
          for (const c of controls) c.disabled = false;
        }
      },
    },
    h('p', { class: 'form-note' }, t('records.upload_note')),
    h(
      'div',
      { class: 'form-fields' },
      h('label', { class: 'field' }, h('span', {}, t('records.file')), file),
      h('label', { class: 'apply-choice', for: 'records-atomic' }, atomic, h('span', {}, t('records.atomic'))),
    ),
    h('div', { class: 'form-actions' }, start),
    bar,
    counts,
    result,
    errors,
  );
  return card(t('records.upload_title'), form, { id: 'records-upload-card' });
}

// --- the page ----------------------------------------------------------------------------------

export const takesPath = true;

export async function render(el, ctx) {
  const me = ctx.me;
  const code = ctx.path[0] ?? ctx.params.get('resource') ?? '';
  el.append(pageHeader(t('records.title'), h('span', { class: 'muted' }, t('records.intro'))));
  let resources;
  try {
    resources = loadableResources(await listAll('/resources', me.roles.includes('hub_admin') ? { status: 'published' } : { provider: me.agency_code, status: 'published' }), me);
  } catch (error) {
    el.append(card(null, errorBox(error, () => ctx.navigate('records'))));
    setState(el, 'error');
    return;
  }
  resources.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  const chooser = h(
    'select',
    { id: 'records-resource', onchange: (e) => ctx.navigate(e.target.value ? `records/${encodeURIComponent(e.target.value)}` : 'records') },
    h('option', { value: '' }, t('records.choose')),
    resources.map((r) => h('option', { value: r.code, selected: r.code === code }, `${r.name}（${r.code}）`)),
  );
  el.append(card(null, h('label', { class: 'field-inline grow' }, h('span', {}, t('records.resource')), chooser)));
  if (!resources.length) {
    el.append(card(null, h('p', { class: 'muted' }, t('records.none'))));
    setState(el, 'ready');
    return;
  }
  if (!code) {
    setState(el, 'ready');
    return;
  }
  const summary = resources.find((r) => r.code === code);
  if (!summary) {
    el.append(card(null, message('info', t('records.not_yours'))));
    setState(el, 'ready');
    return;
  }
  let resource;
  try {
    resource = await api.get(`/resources/${encodeURIComponent(code)}`);
  } catch (error) {
    el.append(card(null, errorBox(error)));
    setState(el, 'error');
    return;
  }
  // The facts above the forms, read again after a load or a push.
  const refresh = async () => {
    try {
      const now = await api.get(`/resources/${encodeURIComponent(code)}`);
      const facts = el.querySelector('#records-facts');
      fill(facts.querySelector('[data-field="record_count"]'), formatNumber(now.record_count ?? 0));
      fill(facts.querySelector('[data-field="last_updated_at"]'), now.last_updated_at ? formatTime(now.last_updated_at) : '—');
    } catch {
      // the figures stay as they were; the answer above says what happened
    }
  };
  el.append(
    card(
      null,
      h(
        'dl',
        { class: 'facts', id: 'records-facts' },
        h('dt', {}, t('records.count')),
        h('dd', { dataset: { field: 'record_count' } }, formatNumber(resource.record_count ?? 0)),
        h('dt', {}, t('records.updated')),
        h('dd', { dataset: { field: 'last_updated_at' } }, resource.last_updated_at ? formatTime(resource.last_updated_at) : '—'),
        h('dt', {}, t('records.quality_mode')),
        h('dd', {}, badge(tv('records.mode', resource.quality_mode ?? 'reject'), resource.quality_mode === 'flag' ? 'warn' : 'info')),
      ),
    ),
    uploadCard(resource, refresh, ctx),
    pushCard(resource, refresh),
  );
  setState(el, 'ready');
}
