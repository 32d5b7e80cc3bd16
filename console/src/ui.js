// Pieces every page uses: headings, cards, tables, messages and the way errors are shown.
import { ApiError, download } from './api.js';
import { fill, h } from './dom.js';
import { t } from './i18n.js';

export function pageHeader(title, ...extra) {
  return h('div', { class: 'page-header' }, h('h1', {}, title), ...extra);
}

export function card(title, body, attrs = {}) {
  return h(
    'section',
    { ...attrs, class: ['card', attrs.class] },
    title ? h('h2', { class: 'card-title' }, title) : null,
    body,
  );
}

export function loading() {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner' }), t('app.loading'));
}

/** An error box: the problem's title and detail, or a network message. */
export function errorBox(error, retry) {
  let title = t('error.title');
  let detail = t('error.unexpected');
  if (error instanceof ApiError) {
    if (error.status === 0) {
      detail = t('error.network');
    } else {
      title = error.title || t('error.status', { status: error.status });
      detail = error.detail || t('error.status', { status: error.status });
    }
  } else if (error?.message) {
    detail = error.message;
  }
  return h(
    'div',
    { class: 'message error', role: 'alert', dataset: { status: error?.status ?? '' } },
    h('strong', {}, title),
    h('span', {}, detail),
    error instanceof ApiError && error.errors.length
      ? h('ul', {}, error.errors.map((e) => h('li', {}, `${e.field}: ${e.message}`)))
      : null,
    retry ? h('button', { class: 'btn btn-small', type: 'button', onclick: retry }, t('common.retry')) : null,
  );
}

export function message(kind, text) {
  return h('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/**
 * A table: columns are {key, label, class?, render?(row)}; `rowAttrs(row)` adds attributes to
 * each <tr>. An empty list shows one row saying so.
 */
export function table(columns, rows, { rowAttrs, empty = t('common.empty'), className } = {}) {
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0' },
    h(
      'table',
      { class: ['data-table', className] },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class, scope: 'col' }, c.label)))),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((row) =>
              h(
                'tr',
                rowAttrs ? rowAttrs(row) : {},
                columns.map((c) => h('td', { class: c.class }, c.render ? c.render(row) : (row[c.key] ?? '—'))),
              ),
            )
          : h('tr', { class: 'empty-row' }, h('td', { colspan: columns.length }, empty)),
      ),
    ),
  );
}

export function badge(text, kind = '') {
  return h('span', { class: ['badge', kind && `badge-${kind}`] }, text);
}

/** Marks a page's state for people (and the browser tests): loading, ready, error, no-access. */
export function setState(el, state) {
  el.dataset.state = state;
}

/**
 * "Load more" for a list answered in pages: a button that loads the page after `cursor` with
 * `loadPage`, or null at the end of the list. A failure is shown in `footer`.
 */
export function moreButton(cursor, loadPage, footer, attrs = {}) {
  if (!cursor) return null;
  const onclick = async (e) => {
    e.target.disabled = true;
    try {
      await loadPage(cursor);
    } catch (error) {
      fill(footer, errorBox(error));
    }
  };
  return h('button', { type: 'button', class: 'btn btn-small', ...attrs, onclick }, t('common.load_more'));
}

// --- actions on a table's rows ---------------------------------------------------------------

/**
 * The panels of a table: one hidden row under each data row, at most one of them open at a time
 * (an action's form, or details). `panels.add(colspan)` → {row, show(...content), hide(), toggle}.
 */
export function rowPanels() {
  let open = null;
  return {
    add(colspan) {
      const row = h('tr', { class: 'decision-row', hidden: true }, h('td', { colspan }));
      const panel = {
        row,
        key: null,
        show(key, ...content) {
          if (open && open !== panel) open.hide();
          open = panel;
          panel.key = key;
          fill(row.firstChild, ...content);
          row.hidden = false;
          row.querySelector('input:not([type="hidden"]), textarea, select')?.focus();
        },
        hide() {
          row.hidden = true;
          panel.key = null;
        },
        /** Shows the content under `key`, or hides it when that is what is shown. */
        toggle(key, content) {
          if (!row.hidden && panel.key === key) panel.hide();
          else panel.show(key, content());
        },
      };
      return panel;
    },
  };
}

/**
 * An action's form: its fields ([label, control] pairs; a null pair is left out; a <fieldset>
 * control brings its own <legend> instead of the label), a place for
 * errors, a confirm and a cancel button. `validate()` may return a message that stops it before
 * anything is sent; `submit()` does it, and an error it throws is shown in the form.
 */
export function actionForm({ action, fields, confirmLabel, danger = false, note, validate, submit, cancel }) {
  const feedback = h('div', { class: 'decision-feedback', 'aria-live': 'polite' });
  const confirm = h(
    'button',
    { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], dataset: { confirm: action } },
    confirmLabel,
  );
  return h(
    'form',
    {
      class: ['decision-form', 'action-form'],
      dataset: { action },
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        const problem = validate?.();
        if (problem) {
          fill(feedback, message('error', problem));
          return;
        }
        confirm.disabled = true;
        try {
          await submit();
        } catch (error) {
          fill(feedback, errorBox(error));
          confirm.disabled = false;
        }
      },
    },
    note ? h('p', { class: 'form-note' }, note) : null,
    h(
      'div',
      { class: 'form-fields' },
      // A group of controls (a <fieldset>, with its own <legend>) is not put inside a <label>.
      fields
        .filter(Boolean)
        .map(([label, control]) => (control.tagName === 'FIELDSET' ? h('div', { class: 'field' }, control) : h('label', { class: 'field' }, h('span', {}, label), control))),
    ),
    feedback,
    h(
      'div',
      { class: 'form-actions' },
      confirm,
      cancel ? h('button', { type: 'button', class: 'btn btn-quiet', dataset: { cancel: action }, onclick: cancel }, t('common.cancel')) : null,
    ),
  );
}

/** A small button of a row's actions; `data-action` names it for people's scripts and the tests. */
export function actionButton(action, label, onclick, kind = '') {
  return h('button', { type: 'button', class: ['btn', 'btn-small', kind], dataset: { action }, onclick }, label);
}

// The result of the last action, shown once above the page it navigated (back) to.
let flashText = null;

export function flashNext(text) {
  flashText = text;
}

export function flashArea() {
  const el = h('div', { class: 'flash', 'aria-live': 'polite' });
  if (flashText) el.append(message('success', flashText));
  flashText = null;
  return el;
}

/** A labelled <select> of `values` (with `label(value)` texts) for a page's filters. */
export function filterSelect(id, caption, values, current, label, onchange) {
  return h(
    'label',
    { class: 'field-inline' },
    h('span', {}, caption),
    h(
      'select',
      { id, onchange: (e) => onchange(e.target.value) },
      values.map((v) => h('option', { value: v, selected: v === current }, label(v))),
    ),
  );
}

/**
 * A table with its head, and a body the page fills (rows and their panels). Its wrapper scrolls
 * a wide table sideways and takes the focus (tabindex 0), so the keyboard can scroll it too.
 */
export function dataTable(id, headings, tbody, className) {
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0' },
    h('table', { class: ['data-table', className], id }, h('thead', {}, h('tr', {}, headings.map((c) => h('th', { scope: 'col' }, c)))), tbody),
  );
}

/** One row saying the list is empty. */
export function emptyRow(colspan, text) {
  return h('tr', { class: 'empty-row' }, h('td', { colspan }, text));
}

/**
 * A button that saves an API answer as a file (api.js download), saying in `status` that it is
 * downloading, or why it failed.
 */
export function downloadButton(label, attrs, status, path, query, filename) {
  const button = h('button', { type: 'button', class: 'btn', ...attrs }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    fill(status, h('span', { class: 'muted' }, t('report.downloading')));
    try {
      await download(path, query, typeof filename === 'function' ? filename() : filename);
      fill(status);
    } catch (error) {
      fill(status, errorBox(error));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
