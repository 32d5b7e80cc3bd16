// Issued reports (正式通报): the sharing-status report of a period frozen under a number and
// signed with the ledger's key. The coordination group issues them; each is downloaded byte for
// byte as issued (JSON, CSV, XLSX), and its signature checked here in the browser or offline
// with hubctl.
import { api, request } from '../api.js';
import { cityToday, isDate, lastMonth } from '../dates.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t } from '../i18n.js';
import { verifyIssuedReport } from '../proof.js';
import { isStaff } from '../roles.js';
import { actionButton, actionForm, card, downloadButton as downloadFile, dataTable, emptyRow, errorBox, flashArea, flashNext, loading, message, moreButton, pageHeader, rowPanels, setState } from '../ui.js';

const FORMATS = ['json', 'csv', 'xlsx'];
const COLUMNS = ['number', 'title', 'period', 'issued_at', 'downloads', 'actions'];

/**
 * A file name for an issue's download: its number (穗数通〔2026〕11号) with the characters file
 * systems refuse replaced, and the format's extension.
 */
export function issueFileName(issue, format) {
  const base = String(issue.number ?? '').replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').trim() || `report-issue-${issue.id}`;
  return `${base}.${format}`;
}

/** What the coordination group would call the period's issue: "2026年11月政务数据共享情况通报". */
export function defaultTitle(from, to) {
  const [fy, fm] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  const span = fy === ty && fm === tm ? `${fy}年${fm}月` : `${from}至${to}`;
  return `${span}政务数据共享情况通报`;
}

/** The commands that check a downloaded issue offline, as docs/reports.md gives them. */
export function verifyCommands(issue) {
  const file = issueFileName(issue, 'json');
  return [
    `hubctl report verify '${file}' --issue ${issue.id}`,
    'hubctl ledger public-key -o ledger.pem',
    `hubctl report verify '${file}' --signature ${issue.signature} --key ledger.pem`,
  ];
}

// --- issuing -------------------------------------------------------------------------------------

function issueForm(ctx) {
  const period = lastMonth(cityToday());
  const from = h('input', { type: 'date', id: 'issue-from', value: period.from });
  const to = h('input', { type: 'date', id: 'issue-to', value: period.to });
  const number = h('input', { type: 'text', id: 'issue-number', maxlength: 100, placeholder: t('issues.number_placeholder') });
  const title = h('input', { type: 'text', id: 'issue-title', maxlength: 200, value: defaultTitle(period.from, period.to) });
  // The title follows the period until someone writes their own.
  let titleTouched = false;
  title.addEventListener('input', () => (titleTouched = true));
  const retitle = () => {
    if (!titleTouched && isDate(from.value) && isDate(to.value)) title.value = defaultTitle(from.value, to.value);
  };
  from.addEventListener('change', retitle);
  to.addEventListener('change', retitle);
  return actionForm({
    action: 'issue',
    note: t('issues.issue_note'),
    fields: [
      [t('issues.field.from'), from],
      [t('issues.field.to'), to],
      [t('issues.field.number'), number],
      [t('issues.field.title'), title],
    ],
    confirmLabel: t('issues.confirm_issue'),
    validate: () => {
      if (!isDate(from.value) || !isDate(to.value) || !number.value.trim() || !title.value.trim()) return t('issues.fill_required');
      return from.value > to.value ? t('report.bad_period') : null;
    },
    submit: async () => {
      const issue = await api.post('/reports/issues', {
        from: from.value,
        to: to.value,
        number: number.value.trim(),
        title: title.value.trim(),
      });
      flashNext(t('issues.issued', { number: issue.number }));
      ctx.navigate('issues', { id: issue.id });
    },
  });
}

// --- one issue's signature -----------------------------------------------------------------------

async function checkInBrowser(issue, out) {
  fill(out, h('span', { class: 'muted' }, t('issues.verifying')));
  try {
    const [response, key] = await Promise.all([
      request('GET', `/reports/issues/${encodeURIComponent(issue.id)}`, { query: { format: 'json' }, raw: true }),
      api.get('/ledger/public-key'),
    ]);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const result = await verifyIssuedReport({ bytes, sha256Hex: issue.sha256, signature: issue.signature, publicKeyPem: key.public_key_pem });
    const ok = result.sha256Ok && result.signatureOk;
    out.dataset.verdict = ok ? 'passed' : 'failed';
    fill(
      out,
      message(ok ? 'success' : 'error', t(ok ? 'issues.verified' : 'issues.not_verified')),
      h(
        'ul',
        { class: 'verify-list' },
        h('li', { dataset: { check: 'sha256', ok: String(result.sha256Ok) } }, result.sha256Ok ? '✓ ' : '✗ ', t('issues.check_sha256', { sha256: result.sha256 })),
        h('li', { dataset: { check: 'signature', ok: String(result.signatureOk) } }, result.signatureOk ? '✓ ' : '✗ ', t('issues.check_signature', { origin: key.origin })),
      ),
    );
  } catch (error) {
    out.dataset.verdict = 'failed';
    fill(out, error.reason ? message('error', t(`reason.${error.reason}`, error.values)) : errorBox(error));
  }
}

function signaturePanel(issue, ctx) {
  const verdict = h('div', { class: 'verify-result', 'aria-live': 'polite' });
  return h(
    'div',
    { class: 'issue-signature', dataset: { id: issue.id } },
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, t('issues.field.issued_by')),
      h('dd', { dataset: { field: 'issued_by' } }, issue.issued_by === ctx.me.principal_id ? t('alerts.by_you') : h('code', {}, issue.issued_by)),
      h('dt', {}, 'SHA-256'),
      h('dd', {}, h('code', { class: 'hash', dataset: { field: 'sha256' } }, issue.sha256)),
      h('dt', {}, t('issues.field.signature')),
      h('dd', {}, h('code', { class: 'hash', dataset: { field: 'signature' } }, issue.signature)),
    ),
    h('p', { class: 'muted small' }, t('issues.signature_explained')),
    h(
      'div',
      { class: 'form-actions' },
      actionButton('verify', t('issues.verify_here'), () => checkInBrowser(issue, verdict), 'btn-primary'),
    ),
    verdict,
    h('h3', {}, t('issues.verify_offline')),
    h('pre', { class: 'commands' }, verifyCommands(issue).join('\n')),
  );
}

// --- the page ----------------------------------------------------------------------------------

export async function render(el, ctx) {
  const staff = isStaff(ctx.me.roles);
  const wanted = ctx.params.get('id');
  const formArea = h('div', {});
  const status = h('div', { class: 'downloads-status', 'aria-live': 'polite' });
  const body = h('div', {}, loading());
  el.append(
    pageHeader(
      t('issues.title'),
      h('span', { class: 'muted' }, t('issues.intro')),
      staff
        ? h('div', { class: 'toolbar-end' },
            h('button', { type: 'button', class: 'btn btn-primary', id: 'issue-new', onclick: () => fill(formArea, card(t('issues.new_title'), issueForm(ctx), { class: 'new-issue' })) }, t('issues.new')),
          )
        : null,
    ),
    flashArea(),
    formArea,
    status,
    card(null, body),
  );

  const tbody = h('tbody', {});
  const footer = h('div', { class: 'table-footer' });
  const panels = rowPanels();
  let shown = 0;
  let firstPanel = null;

  const downloadButton = (issue, format) =>
    downloadFile(format.toUpperCase(), { class: 'btn btn-small', dataset: { format } }, status, `/reports/issues/${encodeURIComponent(issue.id)}`, { format }, issueFileName(issue, format));

  const addRows = (items) => {
    for (const issue of items) {
      const panel = panels.add(COLUMNS.length);
      const show = () => panel.toggle('signature', () => signaturePanel(issue, ctx));
      tbody.append(
        h(
          'tr',
          { dataset: { id: issue.id } },
          h('td', { class: 'strong issue-number' }, issue.number),
          h('td', {}, issue.title),
          h('td', {}, t('issues.period', { from: issue.from, to: issue.to })),
          h('td', {}, formatTime(issue.issued_at)),
          h('td', { class: 'actions downloads' }, FORMATS.map((f) => downloadButton(issue, f))),
          h('td', { class: 'actions' }, actionButton('signature', t('issues.signature'), show, 'btn-quiet')),
        ),
        panel.row,
      );
      if (issue.id === wanted || (!wanted && !firstPanel)) firstPanel = show;
    }
    shown += items.length;
  };

  const loadPage = async (cursor) => {
    const page = await api.get('/reports/issues', { limit: 50, cursor });
    addRows(page.items);
    fill(footer, moreButton(page.next_cursor, loadPage, footer));
  };
  try {
    await loadPage();
  } catch (error) {
    fill(body, errorBox(error, () => ctx.navigate('issues')));
    setState(el, 'error');
    return;
  }
  if (!shown) tbody.append(emptyRow(COLUMNS.length, t('issues.empty')));
  fill(body, dataTable('issues-table', COLUMNS.map((c) => t(`issues.col.${c}`)), tbody), footer);
  // The newest issue (or the one just issued) opens with its signature shown.
  firstPanel?.();
  setState(el, 'ready');
}
