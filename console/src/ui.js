// Pieces every page uses: headings, cards, tables, messages and the way errors are shown.
import { ApiError } from './api.js';
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
    { class: 'table-wrap' },
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
