// Returned data (数据回流, docs/coordination.md "Returned data"): the return list's tasks, each an
// agency carries from not started to sharing through a resource of its own; the returns report
// by ministry (with CSV and Excel); and, for the hub's staff, importing the return list.
import { api, listAll, resourcesOf, upload } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { isOfficer, isStaff } from '../roles.js';
import { actionButton, actionForm, badge, card, dataTable, downloadButton, emptyRow, errorBox, filterSelect, flashArea, flashNext, loading, message, pageHeader, rowPanels, setState } from '../ui.js';

export const RETURN_STATUSES = ['not_started', 'path_identified', 'connected', 'sharing'];
const FILTERS = ['all', ...RETURN_STATUSES, 'overdue'];
const COLUMNS = ['task', 'ministry', 'agency', 'due_date', 'status', 'resources', 'actions'];
const STATUS_KIND = { not_started: 'muted', path_identified: 'info', connected: 'info', sharing: 'ok' };
const MINISTRY_COLUMNS = ['ministry', 'tasks', 'not_started', 'path_identified', 'connected', 'sharing', 'overdue'];

/** Whether `me` may move `task` on: the hub's staff, or an officer of its responsible agency. */
export function mayUpdate(me, task) {
  const roles = me?.roles ?? [];
  if (isStaff(roles)) return true;
  return isOfficer(roles) && !!me?.agency_code && me.agency_code === task?.responsible_agency_code;
}

/** Whether `me` may read the returns report (the hub answers a CDO with its own agency's part). */
export function maySeeReport(me) {
  const roles = me?.roles ?? [];
  return isStaff(roles) || roles.includes('agency_cdo');
}

/** The problem with a change before it is sent (sharing needs a linked resource), or null. */
export function changeProblem(status, codes) {
  return status === 'sharing' && codes.length === 0 ? t('returns.sharing_needs_resource') : null;
}

// --- moving a task on ----------------------------------------------------------------------------

async function updateForm(task, done, cancel) {
  // The responsible agency's live resources, any of which may hold the returned data, and those
  // linked already (whatever their kind: the form never drops a link it does not show).
  const own = (await listAll('/resources', { provider: task.responsible_agency_code }, 1000)).filter(
    (r) => r.status !== 'retired' && r.kind !== 'service' && r.kind !== 'computation',
  );
  const shown = new Set(own.map((r) => r.code));
  const linkedElsewhere = await resourcesOf(task.resource_codes.filter((c) => !shown.has(c)));
  const choices = [...own, ...task.resource_codes.filter((c) => !shown.has(c)).map((c) => linkedElsewhere.get(c) ?? { code: c, name: c })];
  const status = h(
    'select',
    { id: `return-status-${task.id}` },
    RETURN_STATUSES.map((s) => h('option', { value: s, selected: s === task.status }, tv('returns.status', s))),
  );
  const inputs = choices.map((r) => h('input', { type: 'checkbox', value: r.code, checked: task.resource_codes.includes(r.code) }));
  const resources = h(
    'fieldset',
    { class: 'return-resources', id: `return-resources-${task.id}` },
    h('legend', {}, t('returns.field.resources')),
    choices.length
      ? choices.map((r, i) => h('label', {}, inputs[i], ` ${r.name} `, h('code', { class: 'muted small' }, r.code)))
      : h('span', { class: 'muted' }, t('returns.no_own_resources')),
  );
  const chosen = () => inputs.filter((i) => i.checked).map((i) => i.value);
  return actionForm({
    action: 'update',
    note: t('returns.update_note'),
    fields: [
      [t('returns.field.status'), status],
      [t('returns.field.resources'), resources],
    ],
    confirmLabel: t('returns.confirm_update'),
    validate: () => changeProblem(status.value, chosen()),
    submit: async () => {
      // The links only when they changed: a status change alone leaves them as they are.
      const codes = chosen();
      const same = codes.length === task.resource_codes.length && codes.every((c) => task.resource_codes.includes(c));
      await api.patch(`/return-tasks/${encodeURIComponent(task.id)}`, same ? { status: status.value } : { status: status.value, resource_codes: codes });
      done(t('returns.updated', { task: task.task_no, status: tv('returns.status', status.value) }));
    },
    cancel,
  });
}

// --- the returns report --------------------------------------------------------------------------

async function reportCard(ctx) {
  const area = h('div', {}, loading());
  const status = h('div', { class: 'downloads-status', 'aria-live': 'polite' });
  const buttons = h(
    'div',
    { class: 'toolbar' },
    ['csv', 'xlsx'].map((format) => downloadButton(t(`returns.download_${format}`), { id: `returns-report-${format}` }, status, '/reports/returns', { format }, `returns.${format}`)),
    status,
  );
  const section = card(t('returns.report_title'), h('div', {}, buttons, area), { id: 'returns-report' });
  try {
    const report = await api.get('/reports/returns', { format: 'json' });
    const rows = report.ministries.map((m) => h('tr', {}, MINISTRY_COLUMNS.map((c) => h('td', { class: c === 'ministry' ? 'strong' : 'num' }, String(m[c] ?? '')))));
    const late = report.late.length
      ? h(
          'ul',
          { class: 'returns-late' },
          report.late.map((l) => h('li', {}, h('span', { class: 'strong' }, l.name), ` · ${ctx.agencyName(l.provider_code)} · ${tv('cycle', l.update_cycle)} · ${t('returns.last_updated', { time: formatTime(l.last_updated_at) || '—' })}`)),
        )
      : h('p', { class: 'muted' }, t('returns.late_none'));
    fill(
      area,
      dataTable('returns-ministries', MINISTRY_COLUMNS.map((c) => t(`returns.report_col.${c}`)), h('tbody', {}, rows.length ? rows : emptyRow(MINISTRY_COLUMNS.length, t('returns.empty')))),
      h('h3', {}, t('returns.late_title')),
      late,
    );
  } catch (error) {
    fill(area, errorBox(error));
  }
  return section;
}

// --- importing the return list (the hub's staff) ------------------------------------------------

function importCard(reload) {
  const file = h('input', { type: 'file', id: 'returns-file', accept: '.csv,text/csv' });
  const result = h('div', { id: 'returns-import-result', 'aria-live': 'polite' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-primary',
      id: 'returns-import',
      onclick: async () => {
        const chosen = file.files?.[0];
        if (!chosen) {
          fill(result, message('error', t('returns.choose_file')));
          return;
        }
        button.disabled = true;
        try {
          const answer = await upload('/return-tasks/imports', { file: chosen, contentType: 'text/csv' });
          if (answer.ok) {
            flashNext(t('returns.imported', answer.body));
            reload();
            return;
          }
          const errors = answer.body.errors ?? [];
          fill(
            result,
            message('error', answer.body.detail || answer.body.title || `HTTP ${answer.status}`),
            errors.length
              ? dataTable(
                  'returns-import-errors',
                  ['line', 'field', 'message'].map((c) => t(`returns.error_col.${c}`)),
                  h('tbody', {}, errors.map((e) => h('tr', {}, h('td', {}, e.line > 0 ? String(e.line) : '—'), h('td', {}, h('code', {}, e.field ?? '')), h('td', {}, e.message ?? '')))),
                )
              : null,
          );
        } catch (error) {
          fill(result, errorBox(error));
        } finally {
          button.disabled = false;
        }
      },
    },
    t('returns.import_button'),
  );
  return card(
    t('returns.import_title'),
    h('div', {}, h('p', { class: 'form-note' }, t('returns.import_note')), h('div', { class: 'toolbar' }, h('label', { class: 'field-inline' }, h('span', {}, t('returns.import_file')), file), button), result),
    { id: 'returns-import-card' },
  );
}

// --- the page ------------------------------------------------------------------------------------

export async function render(el, ctx) {
  const filter = FILTERS.includes(ctx.params.get('status')) ? ctx.params.get('status') : 'all';
  const staff = isStaff(ctx.me.roles);
  const go = (s) => ctx.navigate('returns', s === 'all' ? {} : { status: s });

  const body = h('div', {}, loading());
  el.append(
    pageHeader(t('returns.title'), h('span', { class: 'muted' }, t(staff ? 'returns.intro_staff' : 'returns.intro_agency'))),
    card(null, h('div', { class: 'toolbar' }, filterSelect('returns-status', t('returns.status_filter'), FILTERS, filter, (s) => tv('returns.filter', s), go))),
    flashArea(),
    card(null, body),
  );
  if (staff) el.append(importCard(() => go(filter)));
  if (maySeeReport(ctx.me)) el.append(await reportCard(ctx));

  let tasks;
  try {
    tasks = await listAll('/return-tasks', { status: filter === 'all' ? '' : filter });
  } catch (error) {
    fill(body, errorBox(error, () => go(filter)));
    setState(el, 'error');
    return;
  }
  const byCode = await resourcesOf(tasks.flatMap((task) => task.resource_codes));
  const tbody = h('tbody', {});
  const panels = rowPanels();
  const done = (text) => {
    flashNext(text);
    go(filter);
  };
  for (const task of tasks) {
    const panel = panels.add(COLUMNS.length);
    const open = async () => {
      panel.show('update', loading());
      try {
        panel.show('update', await updateForm(task, done, () => panel.hide()));
      } catch (error) {
        panel.show('update', errorBox(error));
      }
    };
    tbody.append(
      h(
        'tr',
        { dataset: { id: task.id, taskNo: task.task_no, status: task.status } },
        h('td', {}, h('div', { class: 'strong' }, task.title), h('div', { class: 'muted small' }, task.task_no)),
        h('td', {}, task.ministry),
        h('td', {}, ctx.agencyName(task.responsible_agency_code)),
        h('td', {}, task.due_date),
        h(
          'td',
          { class: 'status-cell' },
          badge(tv('returns.status', task.status), STATUS_KIND[task.status] ?? ''),
          task.overdue ? [' ', badge(t('returns.overdue'), 'warn')] : null,
        ),
        h(
          'td',
          { class: 'resources' },
          task.resource_codes.length ? task.resource_codes.map((c) => h('div', {}, byCode.get(c)?.name ?? c)) : h('span', { class: 'muted' }, t('returns.no_resources')),
        ),
        h('td', { class: 'actions' }, mayUpdate(ctx.me, task) ? actionButton('update', t('returns.update'), open, 'btn-primary') : '—'),
      ),
      panel.row,
    );
  }
  if (!tasks.length) tbody.append(emptyRow(COLUMNS.length, t('returns.empty')));
  fill(body, dataTable('returns-table', COLUMNS.map((c) => t(`returns.col.${c}`)), tbody));
  setState(el, 'ready');
}
