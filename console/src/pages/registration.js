// Registration by spreadsheet (目录编制模板) in the catalog: the template to download, a filled
// workbook (or its CSV) to check with a dry run and then import, and the hub's answer — what it
// creates, updates or leaves unchanged, or every error by sheet, row and field (nothing is
// stored then). POST /api/v1/resources/imports; docs/catalog.md "Registration by spreadsheet".
import { ApiError, upload } from '../api.js';
import { fill, h } from '../dom.js';
import { formatNumber } from '../format.js';
import { t } from '../i18n.js';
import { isOfficer } from '../roles.js';
import { badge, card, downloadButton, errorBox, message, table } from '../ui.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Who registers resources: an agency's CDO and data officer, and the hub's administrators. */
export function mayRegister(me) {
  const roles = me?.roles ?? [];
  return roles.includes('hub_admin') || isOfficer(roles);
}

/**
 * Whether `me` manages `resource` (edits it, publishes and retires it): hub_admin, or an officer of
 * its provider.
 */
export function mayManage(me, resource) {
  if (!resource) return false;
  if ((me?.roles ?? []).includes('hub_admin')) return true;
  return mayRegister(me) && !!me?.agency_code && me.agency_code === resource.provider_code;
}

/** The Content-Type of a chosen file: text/csv for .csv, else an .xlsx workbook; null for others. */
export function contentTypeOf(name) {
  const lower = String(name ?? '').toLowerCase();
  if (lower.endsWith('.csv')) return 'text/csv';
  if (lower.endsWith('.xlsx')) return XLSX;
  return null;
}

/** Where an error is, as an officer reads it: "信息项 第 4 行 items.type" / "the file". */
export function placeOf(error) {
  if (!error.sheet && !error.row) return t('registration.whole_file');
  const parts = [];
  if (error.sheet) parts.push(error.sheet === 'csv' ? t('registration.csv_sheet') : error.sheet);
  if (error.row) parts.push(t('registration.row', { row: error.row }));
  return parts.join(' ');
}

/** The answer's summary line: counts of what was (or, in a dry run or with errors, would be) done. */
export function summaryOf(body, dryRun) {
  const counts = { created: body.created ?? 0, updated: body.updated ?? 0, unchanged: body.unchanged ?? 0 };
  const errors = body.errors?.length ?? 0;
  if (errors) return t('registration.refused', { errors: formatNumber(errors), ...counts });
  return t(dryRun ? 'registration.would' : 'registration.done', counts);
}

function resultView(body, dryRun, onImported) {
  const errors = body.errors ?? [];
  const resources = body.resources ?? [];
  return h(
    'div',
    { id: 'registration-result' },
    message(errors.length ? 'error' : 'ok', summaryOf(body, dryRun)),
    !dryRun && !errors.length && (body.created || body.updated) && onImported
      ? h('button', { type: 'button', class: 'btn btn-small', id: 'registration-reload', onclick: onImported }, t('registration.reload'))
      : null,
    errors.length
      ? table(
          [
            { key: 'place', label: t('registration.col.place'), render: (e) => placeOf(e) },
            { key: 'field', label: t('registration.col.field'), render: (e) => (e.field ? h('code', {}, e.field) : '—') },
            { key: 'message', label: t('registration.col.message') },
          ],
          errors,
          { className: 'registration-errors' },
        )
      : null,
    resources.length
      ? table(
          [
            { key: 'row', label: t('registration.col.place'), render: (r) => placeOf(r) },
            { key: 'name', label: t('registration.col.name') },
            { key: 'code', label: t('registration.col.code'), render: (r) => (r.code ? h('code', {}, r.code) : '—') },
            {
              key: 'action',
              label: t('registration.col.action'),
              render: (r) => badge(t(`registration.action.${r.action}`), { create: 'ok', update: 'info', unchanged: 'muted' }[r.action] ?? ''),
            },
            { key: 'fields', label: t('registration.col.fields'), render: (r) => (r.fields?.length ? r.fields.join(', ') : '—') },
          ],
          resources,
          { className: 'registration-resources' },
        )
      : null,
  );
}

/** The catalog's registration card, for those who may register; `onImported` shows the catalog again. */
export function registrationCard(onImported) {
  const status = h('div', { class: 'download-status' });
  const result = h('div', { 'aria-live': 'polite' });
  const input = h('input', { type: 'file', id: 'registration-file', accept: '.xlsx,.csv' });
  const send = async (dryRun, button) => {
    const file = input.files?.[0];
    if (!file) {
      fill(result, message('error', t('registration.choose')));
      return;
    }
    const contentType = contentTypeOf(file.name);
    if (!contentType) {
      fill(result, message('error', t('registration.not_a_workbook')));
      return;
    }
    button.disabled = true;
    fill(result, message('info', t('registration.sending')));
    try {
      const answer = await upload('/resources/imports', { query: { dry_run: String(dryRun) }, file, contentType });
      if (answer.ok || answer.status === 422) {
        fill(result, resultView(answer.body, dryRun, onImported));
      } else {
        fill(result, errorBox(new ApiError(answer.status, answer.body)));
      }
    } catch (error) {
      fill(result, errorBox(error));
    } finally {
      button.disabled = false;
    }
  };
  const check = h('button', { type: 'button', class: 'btn', id: 'registration-check' }, t('registration.check'));
  const importButton = h('button', { type: 'button', class: 'btn btn-primary', id: 'registration-import' }, t('registration.import'));
  check.addEventListener('click', () => send(true, check));
  importButton.addEventListener('click', () => send(false, importButton));
  return card(
    t('registration.title'),
    h(
      'div',
      { class: 'registration' },
      h('p', { class: 'muted' }, t('registration.note')),
      h(
        'div',
        { class: 'toolbar' },
        downloadButton(t('registration.template'), { id: 'registration-template' }, status, '/resources/template.xlsx', {}, 'resource-template.xlsx'),
        h('label', { class: 'field-inline', for: 'registration-file' }, h('span', {}, t('registration.file'))),
        input,
        check,
        importButton,
      ),
      status,
      result,
    ),
    { id: 'registration-card' },
  );
}
