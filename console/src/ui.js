// Pieces every page uses: headings, cards, tables, messages and the way errors are shown.
import { ApiError, api, download } from './api.js';
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
      // A refusal said in the console's words first, then as the hub put it.
      if (error.status === 403) title = t('error.forbidden');
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
  // Not `disabled` while it loads: a disabled button drops the keyboard's focus to the page.
  let busy = false;
  const onclick = async (e) => {
    if (busy) return;
    busy = true;
    e.target.setAttribute('aria-disabled', 'true');
    try {
      await loadPage(cursor);
    } catch (error) {
      let retrying = false; // pressed twice, the page is still read once
      const retry = () => {
        if (retrying) return;
        retrying = true;
        loadPage(cursor).catch((again) => fill(footer, errorBox(again)));
      };
      fill(footer, errorBox(error, retry));
    }
  };
  return h('button', { type: 'button', class: 'btn btn-small', ...attrs, onclick }, t('common.load_more'));
}

/** Rows a list shows a page at a time; a deep link may ask for another page size (`limit`). */
export const PAGE_SIZE = 100;

export function pageSizeOf(params) {
  const n = Number(params?.get?.('limit'));
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : PAGE_SIZE;
}

/**
 * A list that grows with the city (applications, grants, objections, demands) read a page at a
 * time by the API's cursor rather than whole: `add(items)` appends a page's rows to `tbody` (it
 * may be async, to look up names); the returned footer says how many are shown and offers the
 * next page, keeping the keyboard's place on it. Resolves once the first page is shown; its
 * failure rejects, a later page's is shown in the footer with a retry.
 */
export async function pagedRows({ id, path, query = {}, pageSize = PAGE_SIZE, tbody, add, colspan, emptyText }) {
  const footer = h('div', { class: 'list-footer' });
  const count = h('span', { class: 'muted small', id: `${id}-count`, tabindex: '-1', 'aria-live': 'polite' });
  const clean = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  let shown = 0;
  const loadPage = async (cursor) => {
    const page = await api.get(path, { ...clean, limit: pageSize, cursor });
    await add(page.items);
    shown += page.items.length;
    if (!shown) tbody.append(emptyRow(colspan, emptyText));
    count.textContent = t('common.shown', { n: shown });
    const more = moreButton(page.next_cursor, loadPage, footer, { id: `${id}-more` });
    const hadFocus = footer.contains(document.activeElement);
    fill(footer, count, ' ', more);
    if (hadFocus) (more ?? count).focus?.();
  };
  await loadPage(undefined);
  return footer;
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
          // Its content goes too (a token shown once stays nowhere); show() builds it anew.
          fill(row.firstChild);
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

// --- sorting and filtering a table's rows ------------------------------------------------------

const collator = new Intl.Collator('zh-CN', { numeric: true, sensitivity: 'base' });
const EMPTY = new Set(['', '—', '-']);

/** A cell's text as a number when it reads as one ("12,345", "99.5%", "-3"), else null. */
export function numberOf(text) {
  const s = String(text).replace(/[,\s%]/g, '');
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : null;
}

/**
 * Compares two cells' texts for sorting: numbers as numbers, the rest as Chinese (pinyin) and
 * numeric-aware text; an empty cell ('—') last whichever way. `dir` 1 ascending, -1 descending.
 */
export function compareCells(a, b, dir = 1) {
  const ea = EMPTY.has(String(a).trim());
  const eb = EMPTY.has(String(b).trim());
  if (ea || eb) return ea === eb ? 0 : ea ? 1 : -1;
  const na = numberOf(a);
  const nb = numberOf(b);
  if (na !== null && nb !== null) return (na - nb) * dir;
  return collator.compare(String(a), String(b)) * dir;
}

/** A table's row groups: each data row with the panel rows (details, an action's form) after it. */
function rowGroups(tbody) {
  const groups = [];
  for (const row of tbody.rows) {
    const panel = row.classList.contains('decision-row') || row.classList.contains('detail-row');
    if (panel && groups.length) groups.at(-1).push(row);
    else if (!row.classList.contains('empty-row')) groups.push([row]);
  }
  return groups;
}

const cellText = (row, index) => {
  const cell = row.cells[index];
  return cell ? (cell.dataset.sort ?? cell.textContent) : '';
};

/**
 * A table with its head, and a body the page fills (rows and their panels). Its wrapper scrolls
 * a wide table sideways and takes the focus (tabindex 0), so the keyboard can scroll it too.
 * Every column but the actions sorts the rows shown when its heading is pressed (aria-sort says
 * which way); a list of more than a few rows gets a box that filters them by their text. Both
 * work on the rows the page holds: a list read a page at a time sorts what is loaded.
 */
export function dataTable(id, headings, tbody, className) {
  const actions = new Set([t('common.actions')]);
  const ths = headings.map((c, index) => {
    if (actions.has(c) || !c) return h('th', { scope: 'col' }, c);
    const th = h('th', { scope: 'col', 'aria-sort': 'none' });
    const button = h('button', { type: 'button', class: 'sort-button', dataset: { sort: String(index) } }, c, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }));
    button.addEventListener('click', () => {
      const dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      for (const other of th.parentElement.children) if (other.hasAttribute('aria-sort')) other.setAttribute('aria-sort', 'none');
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      const groups = rowGroups(tbody);
      groups.sort((a, b) => compareCells(cellText(a[0], index), cellText(b[0], index), dir));
      for (const group of groups) tbody.append(...group);
    });
    th.append(button);
    return th;
  });
  const table = h('table', { class: ['data-table', className], id }, h('thead', {}, h('tr', {}, ths)), tbody);
  const wrap = h('div', { class: 'table-wrap', tabindex: '0' }, table);
  if (rowGroups(tbody).length <= 8) return wrap;
  const count = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const box = h('input', { type: 'search', class: 'table-filter-input', id: `${id}-filter`, 'aria-label': t('common.filter_rows'), placeholder: t('common.filter_rows') });
  box.addEventListener('input', () => {
    const q = box.value.trim().toLowerCase();
    let shown = 0;
    const groups = rowGroups(tbody);
    for (const [row, ...panels] of groups) {
      const hit = !q || row.textContent.toLowerCase().includes(q);
      row.hidden = !hit;
      if (!hit) for (const p of panels) p.hidden = true;
      if (hit) shown++;
    }
    count.textContent = q ? t('common.filter_count', { shown, total: groups.length }) : '';
  });
  return h('div', { class: 'table-block' }, h('div', { class: 'table-filter' }, box, count), wrap);
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
