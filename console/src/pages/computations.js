// Joint computations (联合计算, 数据可用不可见): a member learns a decision about one enterprise or
// person — a score, a yes or no, a limit — computed by the hub from several providers' records it
// never sees (docs/computations.md). The list (#/computations); one computation
// (#/computations/CODE) with its inputs, outputs, program, each output's dependence on input
// items and its review; the review form for a provider's officers whose review is pending; and
// the run form for a member whose agency holds a live grant on it.
//
// The run's subject key (a unified social credit code, a citizen ID number) is personal data: it
// stays in the form field and goes to the hub only in the run's request body — never in the
// page's address, never in storage — as does the subject's authorisation token.
import { api, dataRequest, resourcesOf } from '../api.js';
import { fill, h } from '../dom.js';
import { formatNumber, formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { isOfficer } from '../roles.js';
import { badge, card, errorBox, loading, message, moreButton, pageHeader, setState } from '../ui.js';
import { isLive, newRequestId } from './service.js';
import { subjectKey } from './subjects.js';

/** The router may pass a path: #/computations/CODE opens one computation. */
export const takesPath = true;

const PAGE_SIZE = 50;
const STATUS_KIND = { review: 'warn', active: 'ok', rejected: 'danger' };
const DECISION_KIND = { approved: 'ok', rejected: 'danger', pending: 'warn' };
const LIST_COLUMNS = ['name', 'code', 'owner', 'subject', 'status', 'progress', 'updated_at'];
// What a provider should look for before approving (docs/computations.md, "What the review checks").
const CHECKLIST = ['computations.check_reveal', 'computations.check_dependence', 'computations.check_narrow', 'computations.check_program'];
// Refusals of a run the page says in words (the hub's own title and detail are shown under them).
const REFUSALS = ['authorization_required', 'no_grant', 'not_active', 'rate_limited', 'purpose_mismatch'];

// --- the pure parts (test/computations.test.mjs) ------------------------------------------------

/** A computation's review so far: {approved, rejected, pending, total} providers. */
export function reviewProgress(computation) {
  const reviews = Array.isArray(computation?.reviews) ? computation.reviews : [];
  const count = (d) => reviews.filter((r) => r.decision === d).length;
  return { approved: count('approved'), rejected: count('rejected'), pending: count('pending'), total: reviews.length };
}

/**
 * The review `me` may decide now: a computation under review whose review by `me`'s agency is
 * pending, for that agency's CDO or data officers; else null.
 */
export function pendingReview(me, computation) {
  if (!me?.agency_code || !isOfficer(me.roles ?? []) || computation?.status !== 'review') return null;
  return (computation.reviews ?? []).find((r) => r.provider_code === me.agency_code && r.decision === 'pending') ?? null;
}

/** Whether `me` may run the computation: it is active and `me`'s agency holds a live grant on it. */
export function mayRun(me, computation, grants, now = Date.now()) {
  if (!me?.agency_code || computation?.status !== 'active') return false;
  return (grants ?? []).some(
    (g) => g.consumer_code === me.agency_code && (g.resource_code ?? computation.code) === computation.code && (g.operations ?? ['compute']).includes('compute') && isLive(g, now),
  );
}

/** Seconds to wait from a Retry-After header (seconds or an HTTP date); null when there is none. */
export function retryAfterSeconds(header, now = Date.now()) {
  if (header === null || header === undefined || String(header).trim() === '') return null;
  const text = String(header).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * A refused run in words: {key, values} of the message for the hub's problem code (a 429 is rate
 * limiting, and a 409 a computation that cannot run now, whatever their codes say), or null for
 * a refusal shown as the hub put it.
 */
export function runRefusal(answer) {
  const byStatus = { 429: 'rate_limited', 409: 'not_active' };
  const code = byStatus[answer?.status] ?? answer?.problem?.code ?? '';
  if (!REFUSALS.includes(code)) return null;
  if (code === 'rate_limited') {
    const seconds = retryAfterSeconds(answer.retryAfter);
    return seconds === null ? { key: 'computations.refused.rate_limited', values: {} } : { key: 'computations.refused.rate_limited_after', values: { seconds } };
  }
  return { key: `computations.refused.${code}`, values: {} };
}

/** An input item named in a program ("tax.credit_level") as {input, item}. */
export function splitItem(name) {
  const text = String(name ?? '');
  const dot = text.indexOf('.');
  return dot < 0 ? { input: '', item: text } : { input: text.slice(0, dot), item: text.slice(dot + 1) };
}

/** Each output with the input items it depends on, in the outputs' order, then any others. */
export function dependenceRows(computation) {
  const dependence = computation?.dependence && typeof computation.dependence === 'object' ? computation.dependence : {};
  const outputs = computation?.outputs ?? [];
  const rows = outputs.map((o) => ({ output: o, items: Array.isArray(dependence[o.name]) ? dependence[o.name] : [] }));
  for (const [name, items] of Object.entries(dependence)) {
    if (!outputs.some((o) => o.name === name)) rows.push({ output: { name }, items: Array.isArray(items) ? items : [] });
  }
  return rows;
}

/** A run's output value as the page writes it. */
export function outputText(value) {
  if (value === null || value === undefined) return t('computations.no_value');
  if (typeof value === 'boolean') return t(value ? 'common.yes' : 'common.no');
  if (typeof value === 'number') return formatNumber(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

// --- the list ------------------------------------------------------------------------------------

const detailHref = (code) => `#/computations/${encodeURIComponent(code)}`;

function progressCell(c) {
  const p = reviewProgress(c);
  if (!p.total) return h('td', { class: 'progress' }, '—');
  return h(
    'td',
    { class: 'progress', dataset: { approved: String(p.approved), total: String(p.total) } },
    h('span', { class: 'review-count' }, t('computations.progress', p)),
    p.rejected ? [' ', badge(t('computations.progress_rejected', p), 'danger')] : null,
  );
}

async function renderList(el, ctx) {
  const tbody = h('tbody', {});
  const footer = h('div', { class: 'table-footer' });
  const body = h('div', {}, loading());
  el.append(pageHeader(t('computations.title'), h('span', { class: 'muted' }, t('computations.intro'))), card(null, body));

  let shown = 0;
  const loadPage = async (cursor) => {
    const page = await api.get('/computations', { limit: PAGE_SIZE, cursor });
    for (const c of page.items) {
      tbody.append(
        h(
          'tr',
          { dataset: { code: c.code, status: c.status } },
          h('td', { class: 'strong' }, h('a', { href: detailHref(c.code), class: 'computation-link' }, c.name)),
          h('td', {}, h('code', {}, c.code)),
          h('td', {}, ctx.agencyName(c.owner_code)),
          h('td', {}, tv('computations.subject', c.subject)),
          h('td', { class: 'status-cell' }, badge(tv('computations.status', c.status), STATUS_KIND[c.status] ?? '')),
          progressCell(c),
          h('td', { class: 'time' }, formatTime(c.updated_at ?? c.created_at)),
        ),
      );
    }
    shown += page.items.length;
    fill(footer, h('span', { class: 'muted' }, t('computations.count', { count: shown })), moreButton(page.next_cursor, loadPage, footer, { id: 'computations-more' }));
  };
  try {
    await loadPage();
  } catch (error) {
    fill(body, errorBox(error, () => ctx.navigate('computations')));
    setState(el, 'error');
    return;
  }
  if (!shown) tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: LIST_COLUMNS.length }, t('computations.empty'))));
  fill(
    body,
    h(
      'div',
      { class: 'table-wrap', tabindex: '0' },
      h('table', { class: 'data-table', id: 'computations-table' }, h('thead', {}, h('tr', {}, LIST_COLUMNS.map((c) => h('th', { scope: 'col' }, t(`computations.col.${c}`))))), tbody),
    ),
    footer,
  );
  setState(el, 'ready');
}

// --- one computation -------------------------------------------------------------------------------

const field = (label, value, key) => (value === null || value === undefined || value === '' ? null : [h('dt', {}, label), h('dd', { dataset: { field: key } }, value)]);

function simpleTable(id, headings, rows, empty = t('common.empty')) {
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0' },
    h(
      'table',
      { class: 'data-table compact', id },
      h('thead', {}, h('tr', {}, headings.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.length ? rows : h('tr', { class: 'empty-row' }, h('td', { colspan: headings.length }, empty))),
    ),
  );
}

/** "tax.credit_level" with the item's catalog title when the resource can be read. */
function itemChip(name, inputs, byCode, ctx) {
  const { input, item } = splitItem(name);
  const source = inputs.find((i) => i.name === input);
  const title = (byCode.get(source?.resource_code)?.items ?? []).find((i) => i.name === item)?.title;
  const hint = [title, source ? ctx.agencyName(source.provider_code) : null].filter(Boolean).join(' · ');
  return h('span', { class: 'chip', title: hint || name, dataset: { item: name } }, h('code', {}, name), title ? ` ${title}` : null);
}

function aboutCard(c, ctx) {
  const p = reviewProgress(c);
  return card(
    t('computations.about'),
    h(
      'dl',
      { class: 'kv computation-about' },
      field(t('computations.field.code'), h('code', {}, c.code), 'code'),
      field(t('computations.field.version'), c.version === undefined ? null : String(c.version), 'version'),
      field(t('computations.field.owner'), ctx.agencyName(c.owner_code), 'owner'),
      field(t('computations.field.subject'), tv('computations.subject', c.subject), 'subject'),
      field(t('computations.field.status'), badge(tv('computations.status', c.status), STATUS_KIND[c.status] ?? ''), 'status'),
      field(t('computations.field.progress'), p.total ? t('computations.progress', p) : null, 'progress'),
      field(t('computations.field.description'), c.description, 'description'),
      field(t('computations.field.created_at'), c.created_at ? formatTime(c.created_at) : null, 'created_at'),
      field(t('computations.field.updated_at'), c.updated_at ? formatTime(c.updated_at) : null, 'updated_at'),
    ),
  );
}

function inputsCard(c, byCode, ctx) {
  const rows = (c.inputs ?? []).map((input) => {
    const resource = byCode.get(input.resource_code);
    const titles = new Map((resource?.items ?? []).map((i) => [i.name, i.title]));
    return h(
      'tr',
      { dataset: { input: input.name } },
      h('td', {}, h('code', {}, input.name)),
      h('td', {}, resource?.name ? h('div', {}, resource.name) : null, h('code', { class: resource?.name ? 'muted small' : '' }, input.resource_code)),
      h('td', {}, h('div', {}, ctx.agencyName(input.provider_code)), h('div', { class: 'muted small' }, input.provider_code ?? '')),
      h('td', {}, h('div', { class: 'chips' }, (input.items ?? []).map((i) => h('span', { class: 'chip', title: titles.get(i) ?? i }, h('code', {}, i), titles.get(i) ? ` ${titles.get(i)}` : null)))),
    );
  });
  return card(t('computations.inputs'), simpleTable('computation-inputs', ['name', 'resource', 'provider', 'items'].map((k) => t(`computations.input.${k}`)), rows));
}

function outputsCard(c) {
  const rows = (c.outputs ?? []).map((o) =>
    h('tr', { dataset: { output: o.name } }, h('td', {}, h('code', {}, o.name)), h('td', {}, tv('computations.type', o.type)), h('td', {}, o.title ?? '—')),
  );
  return card(t('computations.outputs'), simpleTable('computation-outputs', ['name', 'type', 'title'].map((k) => t(`computations.output.${k}`)), rows));
}

function programCard(c) {
  return card(
    t('computations.program'),
    [
      h('p', { class: 'muted small' }, t('computations.program_note')),
      h('pre', { class: 'program', id: 'computation-program', tabindex: '0', 'aria-label': t('computations.program') }, c.program ?? ''),
    ],
  );
}

function dependenceCard(c, byCode, ctx) {
  const inputs = c.inputs ?? [];
  const rows = dependenceRows(c).map(({ output, items }) =>
    h(
      'tr',
      { dataset: { output: output.name } },
      h('td', {}, h('code', {}, output.name), output.title ? h('div', { class: 'muted small' }, output.title) : null),
      h('td', {}, items.length ? h('div', { class: 'chips' }, items.map((i) => itemChip(i, inputs, byCode, ctx))) : h('span', { class: 'muted' }, t('computations.no_dependence'))),
    ),
  );
  return card(
    t('computations.dependence'),
    [h('p', { class: 'muted small' }, t('computations.dependence_note')), simpleTable('computation-dependence', [t('computations.dep.output'), t('computations.dep.items')], rows)],
  );
}

function reviewsCard(c, ctx) {
  const rows = (c.reviews ?? []).map((r) =>
    h(
      'tr',
      { dataset: { provider: r.provider_code, decision: r.decision } },
      h('td', {}, h('div', {}, ctx.agencyName(r.provider_code)), h('div', { class: 'muted small' }, r.provider_code)),
      h('td', { class: 'decision' }, badge(tv('computations.decision', r.decision), DECISION_KIND[r.decision] ?? '')),
      h('td', { class: 'opinion' }, r.opinion || '—'),
      h('td', { class: 'time' }, formatTime(r.decided_at)),
    ),
  );
  return card(
    t('computations.reviews'),
    [
      h('p', { class: 'muted small' }, t('computations.reviews_note')),
      simpleTable('computation-reviews', ['provider', 'decision', 'opinion', 'decided_at'].map((k) => t(`computations.review.${k}`)), rows),
    ],
  );
}

// --- the review --------------------------------------------------------------------------------------

function approvalCard(c, ctx, show) {
  const opinion = h('textarea', { id: 'approval-opinion', class: 'opinion', rows: 3, maxlength: 1000 });
  const feedback = h('div', { class: 'decision-feedback', 'aria-live': 'polite' });
  const approve = h('button', { type: 'button', class: 'btn btn-primary', dataset: { decision: 'approve' } }, t('computations.approve'));
  const reject = h('button', { type: 'button', class: 'btn btn-danger', dataset: { decision: 'reject' } }, t('computations.reject'));
  const decide = async (approved) => {
    const text = opinion.value.trim();
    if (!approved && !text) {
      fill(feedback, message('error', t('computations.opinion_required')));
      opinion.focus();
      return;
    }
    approve.disabled = true;
    reject.disabled = true;
    fill(feedback);
    try {
      const body = text ? { approve: approved, opinion: text } : { approve: approved };
      const updated = await api.post(`/computations/${encodeURIComponent(c.code)}/approval`, body);
      await show(updated, t(approved ? 'computations.approved' : 'computations.rejected', { name: updated?.name ?? c.name }));
    } catch (error) {
      fill(feedback, errorBox(error));
      approve.disabled = false;
      reject.disabled = false;
    }
  };
  approve.addEventListener('click', () => decide(true));
  reject.addEventListener('click', () => decide(false));
  return card(
    t('computations.approval_title', { agency: ctx.agencyName(ctx.me.agency_code) }),
    h(
      'form',
      { class: 'decision-form approval-form', id: 'approval-form', novalidate: true, onsubmit: (e) => e.preventDefault() },
      h(
        'div',
        { class: 'review-checklist' },
        h('p', { class: 'strong' }, t('computations.checklist_title')),
        h('ol', {}, CHECKLIST.map((key) => h('li', {}, t(key)))),
      ),
      h('label', { class: 'field' }, h('span', {}, t('computations.opinion')), opinion),
      feedback,
      h('div', { class: 'form-actions' }, approve, reject),
    ),
    { id: 'computation-approval' },
  );
}

// --- the run -----------------------------------------------------------------------------------------

function runResult(c, answer) {
  const ledger =
    answer.ledgerIndex === null
      ? null
      : [
          h('dt', {}, t('service.ledger_index')),
          h(
            'dd',
            {},
            h('code', { class: 'ledger-index' }, String(answer.ledgerIndex)),
            answer.requestId ? [' ', h('a', { href: `#/ledger?request_id=${encodeURIComponent(answer.requestId)}`, class: 'ledger-link' }, t('service.verify_ledger'))] : null,
          ),
        ];
  const facts = h(
    'dl',
    { class: 'kv' },
    h('dt', {}, t('service.answer_status')),
    h('dd', {}, badge(String(answer.status), answer.ok ? 'ok' : answer.status >= 500 ? 'danger' : 'warn')),
    ledger,
    answer.requestId ? [h('dt', {}, t('ledger.request_id')), h('dd', {}, h('code', {}, answer.requestId))] : null,
  );
  if (answer.ok) {
    const outputs = answer.body?.outputs && typeof answer.body.outputs === 'object' ? answer.body.outputs : {};
    const declared = c.outputs ?? [];
    const names = [...declared.map((o) => o.name), ...Object.keys(outputs).filter((k) => !declared.some((o) => o.name === k))];
    const rows = names.map((name) => {
      const output = declared.find((o) => o.name === name);
      return h(
        'tr',
        { dataset: { output: name } },
        h('td', {}, output?.title ?? name),
        h('td', {}, h('code', {}, name)),
        h('td', { class: 'value strong', dataset: { value: JSON.stringify(outputs[name] ?? null) } }, outputText(outputs[name])),
      );
    });
    return h(
      'div',
      { class: 'run-result', dataset: { status: String(answer.status) }, role: 'status' },
      simpleTable('run-outputs', ['title', 'name', 'value'].map((k) => t(`computations.result.${k}`)), rows),
      facts,
    );
  }
  const refusal = runRefusal(answer);
  const problem = answer.problem;
  return h(
    'div',
    { class: 'run-result', dataset: { status: String(answer.status) }, role: 'status' },
    refusal
      ? h(
          'div',
          { class: 'message error run-refusal', role: 'alert', dataset: { code: problem?.code || refusal.key.split('.').pop(), status: String(answer.status) } },
          h('strong', {}, t(refusal.key, refusal.values)),
          problem?.detail || problem?.title ? h('span', { class: 'small' }, problem.detail || problem.title) : null,
        )
      : errorBox(problem),
    problem?.code ? h('p', { class: 'muted small' }, `${t('service.problem_code')}: `, h('code', {}, problem.code)) : null,
    facts,
  );
}

function runForm(c) {
  const person = c.subject === 'person';
  const key = h('input', {
    id: 'run-subject-key',
    type: 'text',
    name: 'subject_key',
    class: 'subject-key',
    // Not remembered by the browser's form history: ID numbers and credit codes.
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    maxlength: 512,
    placeholder: t(person ? 'computations.key_person_placeholder' : 'computations.key_enterprise_placeholder'),
  });
  const purpose = h('input', { id: 'run-purpose', type: 'text', name: 'purpose', required: true, maxlength: 200, autocomplete: 'off' });
  const purposeCode = h('input', { id: 'run-purpose-code', type: 'text', name: 'purpose_code', maxlength: 64, autocomplete: 'off', spellcheck: 'false' });
  const authorization = h('input', { id: 'run-authorization', type: 'text', name: 'subject_authorization', maxlength: 4096, autocomplete: 'off', spellcheck: 'false' });
  const feedback = h('div', { class: 'decision-feedback', 'aria-live': 'polite' });
  const out = h('div', { class: 'run-out', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'run' } }, t('computations.run_submit'));
  const required = h('span', { class: 'required', 'aria-hidden': 'true' }, ' *');
  const form = h(
    'form',
    {
      class: 'run-form',
      id: 'run-form',
      autocomplete: 'off',
      novalidate: true,
      dataset: { state: 'idle' },
      onsubmit: async (e) => {
        e.preventDefault();
        fill(feedback);
        const subject = subjectKey(key.value);
        if (!subject) {
          fill(feedback, message('error', t('computations.key_required')));
          key.focus();
          return;
        }
        // X-Purpose: at least 2 characters that are not white space (U+3000 counts as white).
        if (purpose.value.replace(/[\s\u3000]/g, '').length < 2) {
          fill(feedback, message('error', t('service.purpose_short')));
          purpose.focus();
          return;
        }
        const headers = { 'X-Purpose': encodeURIComponent(purpose.value.trim()), 'X-Request-Id': newRequestId('console-run') };
        if (purposeCode.value.trim()) headers['X-Purpose-Code'] = purposeCode.value.trim();
        if (authorization.value.trim()) headers['X-Subject-Authorization'] = authorization.value.trim();
        submit.disabled = true;
        form.dataset.state = 'loading';
        fill(out, loading());
        try {
          const answer = await dataRequest('POST', `/computations/${encodeURIComponent(c.code)}/run`, { body: { subject_key: subject }, headers });
          fill(out, runResult(c, answer));
          form.dataset.state = answer.ok ? 'ready' : 'refused';
        } catch (error) {
          fill(out, errorBox(error));
          form.dataset.state = 'error';
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('p', { class: 'small run-privacy' }, t('computations.run_privacy')),
    h(
      'div',
      { class: 'try-fields' },
      h('label', { class: 'field', for: key.id }, h('span', {}, t(person ? 'computations.key_person' : 'computations.key_enterprise'), required.cloneNode(true)), key),
      h('label', { class: 'field', for: purpose.id }, h('span', {}, t('service.purpose'), required.cloneNode(true)), purpose),
      h('label', { class: 'field', for: purposeCode.id }, h('span', {}, t('service.purpose_code')), purposeCode),
      h('label', { class: 'field', for: authorization.id }, h('span', {}, t('computations.authorization')), authorization),
    ),
    h('p', { class: 'muted small' }, t('computations.authorization_note')),
    feedback,
    h('div', { class: 'form-actions' }, submit),
  );
  return h('div', { class: 'run-area-body' }, form, out);
}

/** The run card: the form when the agency holds a live grant, else why not. */
function runCard(c, ctx) {
  const area = h('div', { class: 'run-area', id: 'computation-run-area', dataset: { state: 'loading' } }, loading());
  api
    .get('/grants', { resource_code: c.code, consumer: ctx.me.agency_code, limit: 1000 })
    .then(({ items }) => {
      if (mayRun(ctx.me, c, items)) {
        fill(area, runForm(c));
        area.dataset.state = 'ready';
      } else {
        fill(area, h('div', { class: 'message info no-grant', role: 'status' }, t('computations.no_grant')));
        area.dataset.state = 'no-grant';
      }
    })
    .catch((error) => {
      if (error.status === 403 || error.status === 404) {
        fill(area, h('div', { class: 'message info no-grant', role: 'status' }, t('computations.no_grant')));
        area.dataset.state = 'no-grant';
      } else {
        fill(area, errorBox(error));
        area.dataset.state = 'error';
      }
    });
  return card(t('computations.run_title'), [h('p', { class: 'muted small' }, t('computations.run_intro')), area], { id: 'computation-run' });
}

async function renderDetail(el, ctx, code) {
  el.dataset.view = 'detail';
  el.dataset.code = code;
  const back = h('a', { href: '#/computations', class: 'back-link' }, t('computations.back'));
  const body = h('div', {}, loading());
  fill(el, h('div', { class: 'page-back' }, back), body);

  let computation;
  try {
    computation = await api.get(`/computations/${encodeURIComponent(code)}`);
  } catch (error) {
    fill(body, card(null, error.status === 404 ? message('info', t('computations.not_found', { code })) : errorBox(error, () => ctx.navigate(`computations/${encodeURIComponent(code)}`))));
    setState(el, 'error');
    return;
  }
  let byCode = new Map();
  try {
    byCode = await resourcesOf((computation.inputs ?? []).map((i) => i.resource_code));
  } catch {
    // names of resources are a help; codes do without them
  }

  const show = async (c, flashText) => {
    setState(el, 'loading');
    el.dataset.status = c.status;
    fill(
      body,
      pageHeader(c.name, badge(tv('computations.status', c.status), STATUS_KIND[c.status] ?? '')),
      h('div', { class: 'flash', 'aria-live': 'polite' }, flashText ? message('success', flashText) : null),
      aboutCard(c, ctx),
      c.status === 'active' && ctx.me.agency_code ? runCard(c, ctx) : null,
      inputsCard(c, byCode, ctx),
      outputsCard(c),
      programCard(c),
      dependenceCard(c, byCode, ctx),
      reviewsCard(c, ctx),
      // Last, under what it asks the provider to look at.
      pendingReview(ctx.me, c) ? approvalCard(c, ctx, show) : null,
    );
    setState(el, 'ready');
  };
  await show(computation);
}

// --- the page ------------------------------------------------------------------------------------------

export async function render(el, ctx) {
  const [code] = ctx.path ?? [];
  if (code) return renderDetail(el, ctx, code);
  el.dataset.view = 'list';
  return renderList(el, ctx);
}
