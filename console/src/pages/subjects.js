// "Who accessed this record" (谁访问了这条记录): on a resource in the catalog, its provider's
// officers (and the hub's staff) enter one record's key — a citizen ID number, an enterprise's
// unified social credit code — and see every data request whose answer named it, from the ledger's
// subject log (GET /api/v1/ledger/entries?subject=KEY&resource_code=CODE; docs/ledger.md).
//
// The key is personal data. It stays in the form field: never in the page's address (the hash
// route), never in storage; it goes to the hub once per lookup in the API call's query string,
// which the hub's access log does not record, and the hub looks it up by its keyed hash (HMAC)
// without storing it.
import { api } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { isOfficer, isStaff } from '../roles.js';
import { badge, errorBox, loading, message, moreButton } from '../ui.js';

const PAGE_SIZE = 50;
// The hub's limit on a key (ledger service: 1 to 512 bytes).
const MAX_KEY_BYTES = 512;
const COLUMNS = ['time', 'operation', 'consumer', 'purpose', 'purpose_code', 'status', 'index'];

/**
 * Whether `me` may ask who accessed the resource's records: the hub's staff, and the provider's
 * chief data officer and data officers (the hub answers others an empty list; the console does
 * not offer them the form).
 */
export function maySeeSubjectLog(me, resource) {
  const roles = me?.roles ?? [];
  if (isStaff(roles)) return true;
  return isOfficer(roles) && !!me.agency_code && me.agency_code === resource?.provider_code;
}

/** The key as sent: trimmed; null when empty or longer than the hub takes. */
export function subjectKey(raw) {
  const key = String(raw ?? '').trim();
  if (!key || new TextEncoder().encode(key).length > MAX_KEY_BYTES) return null;
  return key;
}

/** The kind of an entry's answer status: served, not found, refused or failed. */
export function statusKind(status) {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 404) return 'muted';
  if (status >= 500) return 'danger';
  return 'warn';
}

/** The ledger page's address for one entry: found by its request id, shown at its index. */
export function ledgerLink(entry) {
  const params = new URLSearchParams({ request_id: entry.request_id, index: String(entry.index) });
  return `#/ledger?${params}`;
}

function keyHint(resource) {
  if (resource.kind === 'service') return t('subjects.key_hint_service');
  const item = (resource.items ?? []).find((i) => i.name === resource.key);
  return item ? t('subjects.key_hint', { title: item.title || item.name, name: item.name }) : null;
}

function entryRow(entry, ctx) {
  const operation = entry.operation === 'call' && entry.service_operation ? `${tv('operation', 'call')} · ${entry.service_operation}` : tv('operation', entry.operation);
  return h(
    'tr',
    { dataset: { index: String(entry.index), requestId: entry.request_id ?? '' } },
    h('td', { class: 'time' }, formatTime(entry.time, { seconds: true })),
    h('td', { class: 'operation' }, operation),
    h('td', { class: 'consumer' }, h('div', {}, ctx.agencyName(entry.consumer_code)), h('div', { class: 'muted small' }, entry.consumer_code ?? '')),
    h('td', { class: 'purpose' }, entry.purpose || '—'),
    h('td', { class: 'purpose-code' }, entry.purpose_code ? h('code', {}, entry.purpose_code) : '—'),
    h('td', { class: 'status' }, badge(`${t(`subjects.status.${statusKind(entry.status)}`)} ${entry.status}`, statusKind(entry.status))),
    h(
      'td',
      { class: 'ledger-index' },
      entry.request_id
        ? h('a', { href: ledgerLink(entry), class: 'ledger-link', title: t('subjects.verify_entry') }, String(entry.index))
        : String(entry.index),
    ),
  );
}

/** The section under a resource's details: the form, and the entries found. */
export function subjectLogSection(resource, ctx) {
  const id = `subject-key-${resource.code}`;
  const input = h('input', {
    id,
    type: 'text',
    class: 'subject-key',
    // Not remembered by the browser's form history: these are people's ID numbers.
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    maxlength: MAX_KEY_BYTES,
    placeholder: t('subjects.placeholder'),
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'subject-lookup' } }, t('subjects.lookup'));
  const out = h('div', { class: 'subject-log-out', 'aria-live': 'polite' });
  const section = h('section', { class: 'subject-log', dataset: { state: 'idle' }, 'aria-labelledby': `${id}-title` });

  const lookUp = async (key) => {
    section.dataset.state = 'loading';
    submit.disabled = true;
    fill(out, loading());
    const tbody = h('tbody', {});
    const footer = h('div', { class: 'table-footer' });
    let shown = 0;
    const loadPage = async (cursor) => {
      const page = await api.get('/ledger/entries', { subject: key, resource_code: resource.code, limit: PAGE_SIZE, cursor });
      for (const entry of page.items) tbody.append(entryRow(entry, ctx));
      shown += page.items.length;
      fill(footer, h('span', { class: 'muted' }, t('subjects.count', { count: shown })), moreButton(page.next_cursor, loadPage, footer, { class: 'btn btn-small subject-more' }));
    };
    try {
      await loadPage();
      if (!shown) {
        fill(out, h('div', { class: 'message info subject-empty', role: 'status' }, t('subjects.none')));
        section.dataset.state = 'empty';
      } else {
        fill(
          out,
          h(
            'div',
            { class: 'table-wrap', tabindex: '0' },
            h(
              'table',
              { class: 'data-table compact subject-log-table' },
              h('caption', { class: 'sr-only' }, t('subjects.title')),
              h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', { scope: 'col' }, t(`subjects.col.${c}`))))),
              tbody,
            ),
          ),
          footer,
        );
        section.dataset.state = 'ready';
      }
    } catch (error) {
      fill(out, errorBox(error));
      section.dataset.state = 'error';
    } finally {
      submit.disabled = false;
    }
  };

  const form = h(
    'form',
    {
      class: 'toolbar subject-form',
      autocomplete: 'off',
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        const key = subjectKey(input.value);
        if (!key) {
          fill(out, message('error', t('subjects.key_required')));
          section.dataset.state = 'error';
          return;
        }
        lookUp(key);
      },
    },
    h('label', { class: 'field-inline grow', for: id }, h('span', {}, t('subjects.key')), input),
    submit,
  );
  const hint = keyHint(resource);
  return fill(
    section,
    h('h3', { id: `${id}-title` }, t('subjects.title')),
    h('p', { class: 'muted small subject-intro' }, t('subjects.intro')),
    h('p', { class: 'small subject-privacy' }, t('subjects.privacy')),
    hint ? h('p', { class: 'muted small' }, hint) : null,
    form,
    out,
  );
}
