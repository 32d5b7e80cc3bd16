// Ledger lookup (共享日志核验): a data request's entry found by its request id (and, from a link
// to one entry, its index: #/ledger?request_id=…&index=…), then checked in the browser — leaf
// hash, checkpoint signature, inclusion proof — by proof.js.
import { api } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { auditEntry } from '../proof.js';
import { card, errorBox, loading, message, pageHeader, setState } from '../ui.js';

// The entry's fields in the order shown (API.md "Ledger entry"); others follow as they come.
const FIELDS = [
  'index',
  'time',
  'request_id',
  'operation',
  'consumer_code',
  'provider_code',
  'resource_code',
  'principal_id',
  'grant_id',
  'purpose',
  'items',
  'record_count',
  'status',
  'response_sha256',
];
const AGENCY_FIELDS = new Set(['consumer_code', 'provider_code']);
const MARKS = { true: '✓', false: '✗', null: '…' };

function fieldValue(key, value, ctx) {
  if (value === null || value === undefined) return '—';
  if (key === 'time') return h('span', {}, formatTime(value, { seconds: true }), h('span', { class: 'muted small' }, ` (${value})`));
  if (key === 'operation') return tv('operation', value);
  if (AGENCY_FIELDS.has(key)) return h('span', {}, ctx.agencyName(value), h('span', { class: 'muted small' }, ` ${value}`));
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  if (key === 'response_sha256' || key.endsWith('_id')) return h('code', {}, String(value));
  return String(value);
}

function entryTable(entry, decoded, ctx) {
  const shown = decoded ?? entry;
  const keys = [...FIELDS.filter((k) => k in shown), ...Object.keys(shown).filter((k) => !FIELDS.includes(k) && k !== 'leaf')];
  return h(
    'dl',
    { class: 'kv entry-fields' },
    keys.map((k) => [h('dt', {}, tv('ledger.field', k)), h('dd', { dataset: { field: k } }, fieldValue(k, shown[k], ctx))]),
    h('dt', {}, t('ledger.field.leaf_hash')),
    h('dd', {}, h('code', {}, entry.leaf_hash)),
  );
}

function checkList(checks) {
  return h(
    'ol',
    { class: 'checks' },
    checks.map((c) => {
      const state = c.ok === null ? 'wait' : c.ok ? 'pass' : 'fail';
      // Values of a passed check, but not those its name already shows (the covering tree size).
      const values = c.ok === true && c.id !== 'covered' ? Object.entries(c.values ?? {}) : [];
      return h(
        'li',
        { class: `check check-${state}`, dataset: { check: c.id, ok: String(c.ok) } },
        h('span', { class: 'check-mark', 'aria-hidden': 'true' }, MARKS[String(c.ok)]),
        h(
          'div',
          {},
          h('div', { class: 'check-name' }, t(`check.${c.id}`, c.values ?? {}), h('span', { class: 'sr-only' }, ` ${t(`check.${state}`)}`)),
          c.reason ? h('div', { class: 'check-reason' }, t(`reason.${c.reason}`, c.values ?? {})) : null,
          values.length
            ? h('div', { class: 'check-values' }, values.map(([k, v]) => h('div', {}, h('span', { class: 'muted' }, `${tv('value', k)}: `), h('code', {}, String(v)))))
            : null,
        ),
      );
    }),
  );
}

async function lookUp(requestId, index, out, el, ctx) {
  setState(el, 'loading');
  fill(out, loading());
  let { items } = await api.get('/ledger/entries', { request_id: requestId, limit: 10 });
  // A link to one entry (the catalog's "who accessed this record") names its index too: a request
  // id the caller chose may have been used more than once.
  if (index !== null) items = items.filter((e) => String(e.index) === index);
  if (!items.length) {
    fill(out, message('info', t('ledger.not_found', { id: requestId })));
    setState(el, 'ready');
    return;
  }
  const [checkpointText, publicKey] = await Promise.all([api.text('/ledger/checkpoint'), api.get('/ledger/public-key')]);
  const results = [];
  for (const entry of items) {
    const audit = await auditEntry({
      entry,
      checkpointText,
      publicKey,
      fetchProof: (index, treeSize) => api.get('/ledger/proof/inclusion', { index, tree_size: treeSize }),
    });
    results.push({ entry, ...audit });
  }

  const retry = () => lookUp(requestId, index, out, el, ctx).catch((error) => showError(error, out, el));
  fill(out,
    ...results.map(({ entry, checks, decoded }) => {
      const pending = checks.some((c) => c.ok === null);
      const failed = checks.some((c) => c.ok === false);
      const verdict = failed ? 'failed' : pending ? 'pending' : 'passed';
      return h(
        'div',
        { class: 'ledger-result', dataset: { verdict, index: entry.index } },
        failed
          ? message('error', t('ledger.some_failed'))
          : pending
            ? h('div', { class: 'message warning' }, t('ledger.pending'), ' ', h('button', { type: 'button', class: 'btn btn-small', id: 'ledger-retry', onclick: retry }, t('common.retry')))
            : message('success', t('ledger.all_passed')),
        h('div', { class: 'grid-2' }, card(t('ledger.checks'), checkList(checks)), card(t('ledger.entry'), entryTable(entry, decoded, ctx))),
      );
    }),
  );
  setState(el, 'ready');
}

function showError(error, out, el) {
  fill(out, errorBox(error));
  setState(el, 'error');
}

export async function render(el, ctx) {
  const requestId = ctx.params.get('request_id') ?? '';
  const index = /^\d+$/.test(ctx.params.get('index') ?? '') ? ctx.params.get('index') : null;
  const input = h('input', {
    id: 'ledger-request-id',
    value: requestId,
    required: true,
    maxlength: 64,
    pattern: '[A-Za-z0-9._\\-]{1,64}',
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-label': t('ledger.request_id'),
  });
  const form = h(
    'form',
    {
      class: 'toolbar',
      onsubmit: (e) => {
        e.preventDefault();
        if (input.value.trim()) ctx.navigate('ledger', { request_id: input.value.trim() });
      },
    },
    h('label', { class: 'field-inline grow' }, h('span', {}, t('ledger.request_id')), input),
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'ledger-lookup' }, t('ledger.lookup')),
  );
  const out = h('div', { class: 'ledger-out' });
  el.append(pageHeader(t('ledger.title')), card(null, [h('p', { class: 'muted' }, t('ledger.intro')), form]), out);
  if (!requestId) {
    setState(el, 'ready');
    input.focus();
    return;
  }
  try {
    await lookUp(requestId, index, out, el, ctx);
  } catch (error) {
    showError(error, out, el);
  }
}
