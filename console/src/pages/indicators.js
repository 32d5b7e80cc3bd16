// Indicator reporting (指标报送): a bureau's statistics officer sees its agency's indicators with
// the period due next (overdue in red), and reports a period's value in a form that shows the
// previous period's value beside it and warns, before sending, what the hub would refuse: a value
// outside the indicator's bounds, or a change beyond its ratio without a note. Every indicator's
// series and each period's versions are open to every officer; the coordination group sees them
// all, by theme.
import { api, listAll, upload } from '../api.js';
import { fill, h } from '../dom.js';
import { formatNumber, formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { isOfficer, isStaff } from '../roles.js';
import { actionButton, actionForm, badge, card, dataTable, emptyRow, errorBox, filterSelect, flashArea, flashNext, loading, message, pageHeader, rowPanels, setState } from '../ui.js';

// --- periods and plausibility (pure, as the hub counts them) ---------------------------------

const PER_YEAR = { monthly: 12, quarterly: 4, yearly: 1 };

/** A period's text → {year, index}, or null when it is not of the frequency (2026-11, 2026-Q3, 2026). */
export function parsePeriod(text, frequency) {
  const s = String(text ?? '');
  const m = frequency === 'monthly' ? /^(\d{4})-(\d{2})$/.exec(s) : frequency === 'quarterly' ? /^(\d{4})-Q([1-4])$/.exec(s) : /^(\d{4})$/.exec(s);
  if (!m) return null;
  const year = Number(m[1]);
  const index = frequency === 'yearly' ? 1 : Number(m[2]);
  if (year < 1990 || year > 2200 || index < 1 || index > PER_YEAR[frequency]) return null;
  return { year, index };
}

function periodText({ year, index }, frequency) {
  if (frequency === 'monthly') return `${year}-${String(index).padStart(2, '0')}`;
  if (frequency === 'quarterly') return `${year}-Q${index}`;
  return String(year);
}

/** The period before `text` at `frequency` (2026-01 → 2025-12), or null. */
export function previousPeriod(text, frequency) {
  const p = parsePeriod(text, frequency);
  if (!p) return null;
  return periodText(p.index > 1 ? { year: p.year, index: p.index - 1 } : { year: p.year - 1, index: PER_YEAR[frequency] }, frequency);
}

/**
 * What the hub would say of `value` for an indicator, given the previous period's value (or
 * null): {error} outside its bounds or not a number; else {change, needsNote} (the change as a
 * ratio of the previous value; a note needed beyond max_change_ratio).
 */
export function plausibility(indicator, value, previous) {
  if (value === '' || value === null || value === undefined || !Number.isFinite(Number(value))) return { error: 'number' };
  const v = Number(value);
  if (indicator.min !== null && indicator.min !== undefined && v < indicator.min) return { error: 'below' };
  if (indicator.max !== null && indicator.max !== undefined && v > indicator.max) return { error: 'above' };
  if (previous === null || previous === undefined) return { change: null, needsNote: false };
  const change = previous === 0 ? (v === 0 ? 0 : Infinity) : Math.abs(v - previous) / Math.abs(previous);
  const ratio = indicator.max_change_ratio;
  return { change, needsNote: ratio !== null && ratio !== undefined && change > ratio };
}

function percent(ratio) {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)}%` : '∞';
}

/** May this principal report the indicator's values (its reporter agency's CDO or data officer)? */
export function mayReport(me, indicator) {
  return isOfficer(me.roles) && me.agency_code === indicator.reporter_code && indicator.status === 'active';
}

// --- the report form --------------------------------------------------------------------------

function reportForm(indicator, series, done, cancel) {
  const byPeriod = new Map(series.map((v) => [v.period, v]));
  const period = h('input', { type: 'text', id: `period-${indicator.code}`, value: indicator.next_period ?? indicator.last_period ?? indicator.start_period, required: true, autocomplete: 'off', inputmode: 'text' });
  const value = h('input', { type: 'text', id: `value-${indicator.code}`, inputmode: 'decimal', required: true, autocomplete: 'off' });
  const note = h('textarea', { id: `note-${indicator.code}`, rows: 2, maxlength: 2000 });
  const beside = h('div', { class: 'indicator-previous muted small', 'aria-live': 'polite' });
  const warning = h('div', { class: 'indicator-warning', 'aria-live': 'polite' });
  const previousOf = () => byPeriod.get(previousPeriod(period.value.trim(), indicator.frequency))?.value ?? null;
  const check = () => plausibility(indicator, value.value.trim(), previousOf());
  const refresh = () => {
    const p = period.value.trim();
    const prev = previousPeriod(p, indicator.frequency);
    const prevValue = previousOf();
    const current = byPeriod.get(p);
    fill(
      beside,
      prev ? t('indicators.previous', { period: prev, value: prevValue === null ? t('indicators.not_reported') : `${formatNumber(prevValue)} ${indicator.unit}` }) : t('indicators.bad_period', { example: indicator.next_period ?? indicator.start_period }),
      current ? h('div', {}, t('indicators.current', { version: current.version, value: `${formatNumber(current.value)} ${indicator.unit}` })) : null,
    );
    const c = value.value.trim() ? check() : {};
    fill(
      warning,
      c.error ? message('error', t(`indicators.error.${c.error}`, { min: indicator.min, max: indicator.max })) : null,
      c.needsNote ? message('warning', t('indicators.needs_note', { change: percent(c.change), ratio: percent(indicator.max_change_ratio) })) : null,
    );
    note.required = Boolean(c.needsNote);
  };
  period.addEventListener('input', refresh);
  value.addEventListener('input', refresh);
  refresh();
  return actionForm({
    action: 'report',
    note: t('indicators.report_note', { unit: indicator.unit }),
    fields: [
      [t('indicators.field.period'), period],
      [t('indicators.field.value', { unit: indicator.unit }), h('div', {}, value, beside, warning)],
      [t('indicators.field.note'), note],
    ],
    confirmLabel: t('indicators.confirm_report'),
    validate: () => {
      if (!parsePeriod(period.value.trim(), indicator.frequency)) return t('indicators.bad_period', { example: indicator.next_period ?? indicator.start_period });
      const c = check();
      if (c.error) return t(`indicators.error.${c.error}`, { min: indicator.min, max: indicator.max });
      if (c.needsNote && !note.value.trim()) return t('indicators.needs_note', { change: percent(c.change), ratio: percent(indicator.max_change_ratio) });
      return null;
    },
    submit: async () => {
      const body = { value: Number(value.value.trim()) };
      if (note.value.trim()) body.note = note.value.trim();
      const p = period.value.trim();
      const answer = await api.put(`/indicators/${encodeURIComponent(indicator.code)}/values/${encodeURIComponent(p)}`, body);
      done(t(answer.new_version ? 'indicators.reported' : 'indicators.unchanged', { name: indicator.name, period: p, version: answer.version, index: answer.ledger_index }));
    },
    cancel,
  });
}

// --- a series ---------------------------------------------------------------------------------

function seriesView(indicator, series) {
  if (!series.length) return h('p', { class: 'muted' }, t('indicators.no_values'));
  const rows = [...series].reverse().map((v) =>
    h(
      'tr',
      { dataset: { period: v.period } },
      h('td', {}, v.period),
      h('td', { class: 'num' }, formatNumber(v.value)),
      h('td', {}, String(v.version)),
      h('td', {}, formatTime(v.reported_at)),
      h('td', {}, v.on_time ? badge(t('indicators.on_time'), 'ok') : badge(t('indicators.late'), 'warn')),
      h('td', { class: 'purpose' }, v.note ?? '—'),
    ),
  );
  return h(
    'div',
    { class: 'indicator-series' },
    h('p', { class: 'muted small' }, t('indicators.series_note', { unit: indicator.unit })),
    dataTable(`series-${indicator.code}`, ['period', 'value', 'version', 'reported_at', 'on_time', 'note'].map((c) => t(`indicators.series.${c}`)), h('tbody', {}, rows)),
  );
}

// --- many values from a spreadsheet ------------------------------------------------------------

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The upload's content type by the file's name, or null when it is neither CSV nor XLSX. */
export function uploadType(name) {
  const lower = String(name ?? '').toLowerCase();
  if (lower.endsWith('.csv')) return 'text/csv';
  if (lower.endsWith('.xlsx')) return XLSX_TYPE;
  return null;
}

function uploadCard(reload) {
  const file = h('input', { type: 'file', id: 'indicators-file', accept: `.csv,.xlsx,text/csv,${XLSX_TYPE}` });
  const result = h('div', { id: 'indicators-upload-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'btn btn-primary', id: 'indicators-upload' }, t('indicators.upload_button'));
  button.addEventListener('click', async () => {
    const chosen = file.files?.[0];
    const type = uploadType(chosen?.name);
    if (!chosen || !type) {
      fill(result, message('error', t(chosen ? 'indicators.upload_not_sheet' : 'indicators.upload_choose')));
      return;
    }
    button.disabled = true;
    fill(result, h('span', { class: 'muted' }, t('indicators.uploading')));
    try {
      const answer = await upload('/indicators/values', { file: chosen, contentType: type });
      const body = answer.body ?? {};
      const errors = body.errors ?? [];
      const table = errors.length
        ? dataTable(
            'indicators-upload-errors',
            ['line', 'field', 'message'].map((c) => t(`returns.error_col.${c}`)),
            h('tbody', {}, errors.map((e) => h('tr', {}, h('td', {}, e.line > 0 ? String(e.line) : '—'), h('td', {}, h('code', {}, e.field ?? '')), h('td', {}, e.message ?? '')))),
          )
        : null;
      if (answer.ok && !errors.length) {
        flashNext(t('indicators.uploaded', body));
        reload();
        return;
      }
      fill(result, message(answer.ok ? 'warning' : 'error', answer.ok ? t('indicators.uploaded_some', body) : body.detail || body.title || `HTTP ${answer.status}`), table);
    } catch (error) {
      fill(result, errorBox(error));
    } finally {
      button.disabled = false;
    }
  });
  return card(
    t('indicators.upload_title'),
    h('div', {}, h('p', { class: 'form-note' }, t('indicators.upload_note')), h('div', { class: 'toolbar' }, h('label', { class: 'field-inline' }, h('span', {}, t('indicators.upload_file')), file), button), result),
    { id: 'indicators-upload-card' },
  );
}

// --- the page ---------------------------------------------------------------------------------

const COLUMNS = ['indicator', 'theme', 'reporter', 'frequency', 'last', 'next', 'actions'];

export async function render(el, ctx) {
  const me = ctx.me;
  const staff = isStaff(me.roles);
  // An agency's own indicators first; `scope=all` shows the city's (read-only).
  const scope = staff ? 'all' : ctx.params.get('scope') === 'all' ? 'all' : 'own';
  const theme = ctx.params.get('theme') ?? '';
  const go = (change) => ctx.navigate('indicators', Object.fromEntries(Object.entries({ scope: staff ? '' : scope, theme, ...change }).filter(([, v]) => v && v !== 'own')));
  const body = h('div', {}, loading());
  el.append(pageHeader(t('indicators.title'), h('span', { class: 'muted' }, t(staff ? 'indicators.intro_staff' : 'indicators.intro'))), flashArea(), body);

  let all;
  try {
    all = await listAll('/indicators', scope === 'own' ? { reporter: me.agency_code } : {});
  } catch (error) {
    fill(body, card(null, errorBox(error, () => go({}))));
    setState(el, 'error');
    return;
  }
  const themes = [...new Set(all.map((i) => i.theme))].sort();
  const shown = all.filter((i) => !theme || i.theme === theme);
  // Overdue first, then the soonest due, then the rest by code.
  shown.sort((a, b) => Number(b.overdue) - Number(a.overdue) || (a.next_due_at ? 0 : 1) - (b.next_due_at ? 0 : 1) || String(a.next_due_at ?? '').localeCompare(String(b.next_due_at ?? '')) || a.code.localeCompare(b.code));

  const tbody = h('tbody', {});
  const panels = rowPanels();
  const done = (text) => {
    flashNext(text);
    go({});
  };
  for (const i of shown) {
    const panel = panels.add(COLUMNS.length);
    const withSeries = (key, make) => async () => {
      panel.toggle(key, () => loading());
      if (panel.row.hidden) return; // pressed again: closed
      try {
        const series = (await api.get(`/indicators/${encodeURIComponent(i.code)}/values`)).items;
        if (panel.key === key) panel.show(key, make(series));
        panel.row.querySelector(`#value-${CSS.escape(i.code)}`)?.focus();
      } catch (error) {
        if (panel.key === key) panel.show(key, errorBox(error));
      }
    };
    const actions = [];
    if (mayReport(me, i)) actions.push(actionButton('report', t('indicators.report'), withSeries('report', (s) => reportForm(i, s, done, () => panel.hide())), 'btn-primary'));
    actions.push(actionButton('series', t('indicators.series'), withSeries('series', (s) => seriesView(i, s)), 'btn-quiet'));
    tbody.append(
      h(
        'tr',
        { dataset: { code: i.code, overdue: String(i.overdue) } },
        h('td', {}, h('div', { class: 'strong' }, i.name), h('div', { class: 'muted small' }, `${i.code} · ${i.unit}`)),
        h('td', {}, i.theme),
        h('td', {}, ctx.agencyName(i.reporter_code)),
        h('td', {}, tv('indicators.frequency', i.frequency)),
        h('td', {}, i.last_period ?? '—'),
        h('td', { class: 'due' }, i.next_period ? [i.next_period, h('div', { class: 'muted small' }, formatTime(i.next_due_at)), i.overdue ? badge(t('indicators.overdue'), 'danger') : null] : '—'),
        h('td', { class: 'actions' }, actions),
      ),
      panel.row,
    );
  }
  if (!shown.length) tbody.append(emptyRow(COLUMNS.length, t(scope === 'own' ? 'indicators.empty_own' : 'indicators.empty')));
  const filters = h(
    'div',
    { class: 'toolbar' },
    staff ? null : filterSelect('indicators-scope', t('indicators.scope'), ['own', 'all'], scope, (s) => t(`indicators.scope.${s}`), (s) => go({ scope: s })),
    filterSelect('indicators-theme', t('indicators.theme'), ['', ...themes], theme, (s) => s || t('indicators.all_themes'), (s) => go({ theme: s })),
  );
  const overdue = shown.filter((i) => i.overdue).length;
  fill(
    body,
    card(
      null,
      h(
        'div',
        {},
        filters,
        overdue ? message('warning', t('indicators.overdue_count', { n: overdue })) : null,
        dataTable('indicators-table', COLUMNS.map((c) => t(`indicators.col.${c}`)), tbody),
      ),
    ),
    // Many periods or indicators at once, for those who report.
    all.some((i) => mayReport(me, i)) ? uploadCard(() => go({})) : null,
  );
  setState(el, 'ready');
}
