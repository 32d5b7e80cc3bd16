// Reading one record under a grant, from the console: a data request like any agency system's
// (the grant's purpose as X-Purpose, its first purpose code, a fresh X-Request-Id), so it has its
// ledger entry, and the record shown as the grant shows it (masked where it is masked). Used by a
// catalog entry (读取记录, for a consumer holding a read grant) and by 数据异议 (to check a record
// before objecting to it).
import { api, dataRequest } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t } from '../i18n.js';
import { dataTable, errorBox, loading, message } from '../ui.js';
import { newRequestId } from './service.js';

/** The record's data as rows [{item, title, value}] in the resource's item order. */
export function recordRows(record, resource) {
  const data = record?.data ?? {};
  const items = resource?.items ?? [];
  const known = items.filter((i) => i.name in data).map((i) => ({ item: i.name, title: i.title ?? i.name, value: data[i.name] }));
  const rest = Object.keys(data)
    .filter((k) => !items.some((i) => i.name === k))
    .map((k) => ({ item: k, title: k, value: data[k] }));
  return [...known, ...rest];
}

/** The live grant of `me`'s agency that lets it read `resourceCode`, or null. */
export function readGrant(grants, me, resourceCode) {
  return grants.find((g) => g.resource_code === resourceCode && g.consumer_code === me.agency_code && g.status === 'active' && g.operations.includes('read')) ?? null;
}

const shown = (v) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Reads `key` under `grant`: the data request's answer (dataRequest's shape). */
export function readRecord(grant, key, prefix = 'console-read') {
  const headers = { 'X-Purpose': encodeURIComponent(grant.purpose), 'X-Request-Id': newRequestId(prefix) };
  if (grant.purpose_codes?.length) headers['X-Purpose-Code'] = grant.purpose_codes[0];
  return dataRequest('GET', `/resources/${encodeURIComponent(grant.resource_code)}/records/${encodeURIComponent(key)}`, { headers });
}

/** The answer as the page shows it: its version, a link to its ledger entry, and its items. */
export function recordView(answer, resource, tableId) {
  if (!answer.ok) return errorBox(answer.problem);
  const rows = recordRows(answer.body, resource);
  return h(
    'div',
    { class: 'record-view', dataset: { status: String(answer.status) } },
    h(
      'p',
      { class: 'muted small' },
      t('objections.read_note', { version: answer.body.version ?? '—', updated: formatTime(answer.body.updated_at) }),
      ' ',
      answer.requestId ? h('a', { href: `#/ledger?request_id=${encodeURIComponent(answer.requestId)}`, class: 'ledger-link' }, t('objections.ledger_entry')) : null,
    ),
    dataTable(tableId, [t('objections.col.item'), t('objections.col.value')], h('tbody', {}, rows.map((r) => h('tr', { dataset: { item: r.item } }, h('th', { scope: 'row' }, r.title), h('td', {}, shown(r.value)))))),
  );
}

/**
 * A catalog entry's reader for a consumer holding a read grant on it: a key, 读取记录, the record
 * as the grant shows it, and a link to object to it. Nothing for anyone else.
 */
export function readerSection(resource, ctx) {
  const section = h('section', { class: 'record-reader', dataset: { code: resource.code } });
  (async () => {
    let grants;
    try {
      grants = (await api.get('/grants', { resource_code: resource.code, limit: 100 })).items;
    } catch {
      return; // no grant to read under, as far as the page can tell
    }
    const grant = readGrant(grants, ctx.me, resource.code);
    if (!grant) return;
    const key = h('input', { type: 'text', id: `read-key-${resource.code}`, maxlength: 512, autocomplete: 'off' });
    const out = h('div', { 'aria-live': 'polite' });
    const button = h('button', { type: 'submit', class: 'btn btn-primary', id: `read-${resource.code}` }, t('reader.read'));
    const form = h(
      'form',
      {
        class: 'toolbar',
        onsubmit: async (e) => {
          e.preventDefault();
          const k = key.value.trim();
          if (!k) {
            fill(out, message('error', t('objections.key_required')));
            key.focus();
            return;
          }
          button.disabled = true;
          fill(out, loading());
          try {
            const answer = await readRecord(grant, k);
            fill(
              out,
              recordView(answer, resource, `read-table-${resource.code}`),
              answer.ok ? h('a', { class: 'btn btn-small', href: `#/objections?resource=${encodeURIComponent(resource.code)}&key=${encodeURIComponent(k)}`, dataset: { action: 'object' } }, t('reader.object')) : null,
            );
          } catch (error) {
            fill(out, errorBox(error));
          } finally {
            button.disabled = false;
          }
        },
      },
      h('label', { class: 'field-inline grow' }, h('span', {}, t('reader.key', { key: resource.items?.find((i) => i.name === resource.key)?.title ?? resource.key ?? '' })), key),
      button,
    );
    fill(section, h('h3', {}, t('reader.title')), h('p', { class: 'muted small' }, t('reader.note', { purpose: grant.purpose })), form, out);
  })();
  return section;
}
