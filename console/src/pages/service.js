// An interface service (接口服务) in the catalog: its operations (method, path, params, response
// items), the upstream's health for the provider, and "try it" (调用测试) for a consumer whose
// agency holds a live grant of an operation. The hub checks every call itself; the console only
// offers what the caller's grants cover.
import { api, dataRequest } from '../api.js';
import { fill, h } from '../dom.js';
import { formatNumber, formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { badge, errorBox, loading, message } from '../ui.js';

const HEALTH_ROLES = ['hub_admin', 'coordinator'];
const HEALTH_KIND = { closed: 'ok', open: 'danger', half_open: 'warn' };

/** A sensitivity badge, coloured as the dataset items table colours it. */
export function sensitivityBadge(sensitivity) {
  return badge(tv('sensitivity', sensitivity), sensitivity === 'sensitive' ? 'danger' : sensitivity === 'internal' ? 'warn' : '');
}

/** Whether `me` may see the service's health: its provider's principals, hub_admin, coordinator. */
export function maySeeHealth(me, resource) {
  return (me.roles ?? []).some((r) => HEALTH_ROLES.includes(r)) || (me.agency_code && me.agency_code === resource.provider_code);
}

/** A grant that lets requests through now: active, and not past valid_until. */
export function isLive(grant, now = Date.now()) {
  if (grant.status !== 'active') return false;
  if (!grant.valid_until) return true;
  // A date-only valid_until means "to the end of that day".
  const end = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(grant.valid_until) ? `${grant.valid_until}T23:59:59+08:00` : grant.valid_until);
  return Number.isNaN(end) || end > now;
}

function paramsTable(op) {
  const params = op.params ?? [];
  if (!params.length) return h('p', { class: 'muted' }, t('service.no_params'));
  return h(
    'table',
    { class: 'data-table compact service-params' },
    h('caption', { class: 'sr-only' }, t('service.params')),
    h('thead', {}, h('tr', {}, ['name', 'in', 'type', 'required'].map((k) => h('th', { scope: 'col' }, t(`service.param.${k}`))))),
    h(
      'tbody',
      {},
      params.map((p) =>
        h(
          'tr',
          {},
          h('td', {}, h('code', {}, p.name), p.name === op.subject_param ? badge(t('service.subject'), 'info') : null),
          h('td', {}, tv('param_in', p.in)),
          h('td', {}, p.type ?? 'string'),
          h('td', {}, p.required ? t('common.yes') : t('common.no')),
        ),
      ),
    ),
  );
}

function responseTable(op) {
  return h(
    'table',
    { class: 'data-table compact service-response' },
    h('caption', { class: 'sr-only' }, t('service.response_items')),
    h('thead', {}, h('tr', {}, ['name', 'title', 'type', 'sensitivity', 'mask'].map((k) => h('th', { scope: 'col' }, t(`catalog.item.${k}`))))),
    h(
      'tbody',
      {},
      (op.response_items ?? []).map((item) =>
        h(
          'tr',
          {},
          h('td', {}, h('code', {}, item.name)),
          h('td', {}, item.title),
          h('td', {}, item.type),
          h('td', {}, sensitivityBadge(item.sensitivity)),
          h('td', {}, item.mask ? badge(tv('mask', item.mask), 'muted') : '—'),
        ),
      ),
    ),
  );
}

// --- health -------------------------------------------------------------------------------------

function healthPanel(resource) {
  const out = h('div', { class: 'service-health-body', 'aria-live': 'polite' }, loading());
  const refresh = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'health-refresh' } }, t('service.health_refresh'));
  const panel = h(
    'section',
    { class: 'service-health', dataset: { state: 'loading' }, 'aria-label': t('service.health') },
    h('div', { class: 'service-section-head' }, h('h3', {}, t('service.health')), refresh),
    out,
  );
  const load = async () => {
    refresh.disabled = true;
    panel.dataset.state = 'loading';
    try {
      const health = await api.get(`/services/${encodeURIComponent(resource.code)}/health`);
      const field = (key, value) => [h('dt', {}, t(`service.health.${key}`)), h('dd', { dataset: { field: key } }, value)];
      fill(
        out,
        h(
          'dl',
          { class: 'kv service-health-kv' },
          field('state', badge(tv('breaker', health.state), HEALTH_KIND[health.state] ?? '')),
          field('calls_1h', formatNumber(health.calls_1h)),
          field('failures_1h', formatNumber(health.failures_1h)),
          field('p50_ms', health.p50_ms === null || health.p50_ms === undefined ? '—' : `${formatNumber(health.p50_ms)} ms`),
          field('p99_ms', health.p99_ms === null || health.p99_ms === undefined ? '—' : `${formatNumber(health.p99_ms)} ms`),
        ),
        h('p', { class: 'muted small' }, t('service.health_at', { at: formatTime(new Date().toISOString(), { seconds: true }) })),
      );
      panel.dataset.state = 'ready';
      panel.dataset.breaker = health.state;
    } catch (error) {
      fill(out, errorBox(error));
      panel.dataset.state = 'error';
    } finally {
      refresh.disabled = false;
    }
  };
  refresh.addEventListener('click', load);
  load();
  return panel;
}

// --- try it -------------------------------------------------------------------------------------

function paramInput(op, p) {
  const id = `try-${op.id}-${p.name}`;
  const type = (p.type ?? 'string').toLowerCase();
  let input;
  if (type === 'boolean') {
    input = h(
      'select',
      { id, name: p.name, required: !!p.required },
      h('option', { value: '' }, p.required ? t('service.choose') : '—'),
      h('option', { value: 'true' }, t('common.yes')),
      h('option', { value: 'false' }, t('common.no')),
    );
  } else {
    const htmlType = { integer: 'number', number: 'number', date: 'date' }[type] ?? 'text';
    input = h('input', {
      id,
      name: p.name,
      type: htmlType,
      step: type === 'integer' ? '1' : type === 'number' ? 'any' : undefined,
      required: !!p.required,
      autocomplete: 'off',
      spellcheck: 'false',
    });
  }
  input.dataset.param = p.name;
  return h(
    'label',
    { class: 'field', for: id },
    h('span', {}, h('code', {}, p.name), ` · ${tv('param_in', p.in)} · ${p.type ?? 'string'}`, p.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
    input,
  );
}

/** The value of a body param as JSON wants it (numbers and booleans typed). */
function typed(p, raw) {
  const type = (p.type ?? 'string').toLowerCase();
  if (type === 'integer' || type === 'number') return Number(raw);
  if (type === 'boolean') return raw === 'true';
  return raw;
}

/** A fresh X-Request-Id for a data request sent from the console ("console-try-…"). */
export function newRequestId(prefix = 'console-try') {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${prefix}-${Date.now().toString(36)}-${random}`;
}

function answerView(answer) {
  const statusKind = answer.ok ? 'ok' : answer.status >= 500 ? 'danger' : 'warn';
  const ledger = answer.ledgerIndex === null
    ? h('span', { class: 'muted' }, '—')
    : h(
        'span',
        {},
        h('code', { class: 'ledger-index' }, String(answer.ledgerIndex)),
        answer.requestId ? [' ', h('a', { href: `#/ledger?request_id=${encodeURIComponent(answer.requestId)}`, class: 'ledger-link' }, t('service.verify_ledger'))] : null,
      );
  return h(
    'div',
    { class: 'try-answer', dataset: { status: String(answer.status) }, role: 'status' },
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, t('service.answer_status')),
      h('dd', {}, badge(String(answer.status), statusKind)),
      h('dt', {}, t('service.ledger_index')),
      h('dd', {}, ledger),
      answer.requestId ? [h('dt', {}, t('ledger.request_id')), h('dd', {}, h('code', {}, answer.requestId))] : null,
    ),
    answer.ok
      ? h('pre', { class: 'json try-json', tabindex: '0', 'aria-label': t('service.answer') }, JSON.stringify(answer.body, null, 2))
      : h(
          'div',
          { class: 'try-problem' },
          errorBox(answer.problem),
          answer.problem?.code ? h('p', { class: 'muted small' }, `${t('service.problem_code')}: `, h('code', {}, answer.problem.code)) : null,
        ),
  );
}

function tryForm(resource, op) {
  const params = op.params ?? [];
  const fields = params.map((p) => paramInput(op, p));
  const purpose = h('input', { id: `try-${op.id}-purpose`, name: 'purpose', required: true, maxlength: 200, autocomplete: 'off', dataset: { purpose: '' } });
  const purposeCode = h('input', { id: `try-${op.id}-purpose-code`, name: 'purpose_code', maxlength: 64, autocomplete: 'off', spellcheck: 'false' });
  const formError = h('div', { 'aria-live': 'polite' });
  const out = h('div', { class: 'try-out', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'try' } }, t('service.try_submit'));
  const form = h(
    'form',
    {
      class: 'try-form',
      dataset: { operation: op.id },
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        fill(formError);
        if (!form.checkValidity()) {
          const bad = [...form.elements].find((el) => el.willValidate && !el.checkValidity());
          fill(formError, message('error', t('service.fill_required')));
          bad?.focus();
          return;
        }
        // X-Purpose: at least 2 characters that are not white space (U+3000 counts as white).
        if (purpose.value.replace(/[\s\u3000]/g, '').length < 2) {
          fill(formError, message('error', t('service.purpose_short')));
          purpose.focus();
          return;
        }
        const query = {};
        const body = {};
        let hasBody = false;
        for (const p of params) {
          const input = form.querySelector(`[data-param="${CSS.escape(p.name)}"]`);
          const raw = input.value.trim();
          if (raw === '') continue;
          if (p.in === 'body') {
            body[p.name] = typed(p, raw);
            hasBody = true;
          } else query[p.name] = raw;
        }
        const headers = { 'X-Purpose': encodeURIComponent(purpose.value.trim()), 'X-Request-Id': newRequestId() };
        if (purposeCode.value.trim()) headers['X-Purpose-Code'] = purposeCode.value.trim();
        const method = (op.method ?? 'GET').toUpperCase();
        submit.disabled = true;
        fill(out, loading());
        form.dataset.state = 'loading';
        try {
          const answer = await dataRequest(method, `/services/${encodeURIComponent(resource.code)}/call/${encodeURIComponent(op.id)}`, {
            query,
            headers,
            body: method === 'POST' ? (hasBody ? body : {}) : undefined,
          });
          fill(out, answerView(answer));
          form.dataset.state = 'ready';
        } catch (error) {
          fill(out, errorBox(error));
          form.dataset.state = 'error';
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h4', {}, t('service.try_title')),
    h('div', { class: 'try-fields' }, fields),
    h('label', { class: 'field', for: purpose.id }, h('span', {}, t('service.purpose'), h('span', { class: 'required', 'aria-hidden': 'true' }, ' *')), purpose),
    h('label', { class: 'field', for: purposeCode.id }, h('span', {}, t('service.purpose_code')), purposeCode),
    formError,
    h('div', { class: 'form-actions' }, submit),
  );
  return h('div', { class: 'try-it' }, form, out);
}

function operationView(resource, op, access) {
  return h(
    'section',
    { class: 'service-operation card-inner', dataset: { operation: op.id }, 'aria-label': op.title ?? op.id },
    h(
      'div',
      { class: 'operation-head' },
      badge((op.method ?? 'GET').toUpperCase(), 'info'),
      h('code', { class: 'operation-path' }, op.path),
      h('span', { class: 'strong operation-title' }, op.title ?? op.id),
      h('code', { class: 'muted small' }, op.id),
    ),
    h('h4', {}, t('service.params')),
    paramsTable(op),
    h('h4', {}, t('service.response_items')),
    responseTable(op),
    access(op),
  );
}

/** The body of a service's detail row. */
export function serviceDetails(resource, ctx, field) {
  const me = ctx.me;
  const operations = resource.operations ?? [];
  const tryArea = new Map(operations.map((op) => [op.id, h('div', { class: 'try-area', dataset: { operation: op.id } })]));
  const el = h(
    'div',
    { class: 'resource-details service-details', dataset: { kind: 'service' } },
    h(
      'dl',
      { class: 'kv' },
      field(t('catalog.summary'), resource.summary),
      field(t('catalog.kind'), tv('kind', 'service')),
      field(t('catalog.format'), resource.format),
      field(t('catalog.share_conditions'), resource.share_conditions),
      field(t('catalog.legal_basis'), resource.legal_basis),
      field(t('catalog.status'), tv('status', resource.status)),
      field(t('catalog.version'), resource.version),
      field(t('service.timeout'), resource.upstream?.timeout_ms ? `${formatNumber(resource.upstream.timeout_ms)} ms` : null),
    ),
    maySeeHealth(me, resource) ? healthPanel(resource) : null,
    h('h3', {}, t('service.operations')),
    operations.length
      ? operations.map((op) => operationView(resource, op, () => tryArea.get(op.id)))
      : h('p', { class: 'muted' }, t('common.empty')),
  );
  // Try it: the agency's live grants decide which operations it may call.
  if (me.agency_code && operations.length) {
    for (const area of tryArea.values()) fill(area, loading());
    api
      .get('/grants', { resource_code: resource.code, consumer: me.agency_code, limit: 1000 })
      .then(({ items }) => {
        const live = items.filter((g) => g.consumer_code === me.agency_code && isLive(g));
        for (const op of operations) {
          const area = tryArea.get(op.id);
          if (live.some((g) => (g.operations ?? []).includes(op.id))) fill(area, tryForm(resource, op));
          else fill(area, h('div', { class: 'message info no-grant', role: 'status' }, t('service.no_grant')));
        }
      })
      .catch((error) => {
        for (const area of tryArea.values()) {
          fill(area, error.status === 403 || error.status === 404 ? h('div', { class: 'message info no-grant', role: 'status' }, t('service.no_grant')) : errorBox(error));
        }
      });
  }
  return el;
}
