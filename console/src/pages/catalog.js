// The resource catalog (资源目录): search by name and summary; a row opens its data items (or a
// service's operations), for the provider's people and the hub's staff its data quality
// (quality.js), and for the provider's officers and the hub's staff who accessed a record of it
// (subjects.js); its provider's officers (and hub_admin) edit it (resource_form.js), publish a
// draft and retire a resource. #/catalog/new and #/catalog/CODE/edit are the form; another
// agency's officers apply for a published dataset from its entry (#/catalog/CODE/apply, apply.js).
import { api } from '../api.js';
import { fill, h } from '../dom.js';
import { formatNumber, formatTime, itemRules } from '../format.js';
import { t, tv } from '../i18n.js';
import { actionButton, actionForm, badge, card, errorBox, flashArea, loading, message, moreButton, pageHeader, setState } from '../ui.js';
import { mayApply, renderForm as renderApplication } from './apply.js';
import { maySeeQuality, qualitySection } from './quality.js';
import { mayManage, mayRegister, registrationCard } from './registration.js';
import * as resourceForm from './resource_form.js';
import { sensitivityBadge, serviceDetails } from './service.js';
import { readerSection } from './record_reader.js';
import { maySeeSubjectLog, subjectLogSection } from './subjects.js';

/** Whether `me` may hold a grant on `resource`: a published dataset of another agency. */
export function mayHoldGrant(me, resource) {
  return !!me.agency_code && resource.provider_code !== me.agency_code && resource.status === 'published' && (resource.kind ?? 'dataset') === 'dataset';
}

export const takesPath = true;

const PAGE_SIZE = 50;
// The kinds of resource the hub catalogues (API.md): datasets, electronic licences, services.
const KINDS = ['dataset', 'service', 'licence'];

const field = (label, value) => (value ? [h('dt', {}, label), h('dd', {}, value)] : null);

function details(resource, ctx) {
  if (resource.kind === 'service') return h('div', {}, serviceDetails(resource, ctx, field), lifecycle(resource, ctx, null));
  const status = h('span', { class: 'resource-status' }, tv('status', resource.status));
  return h(
    'div',
    { class: 'resource-details' },
    h(
      'dl',
      { class: 'kv' },
      field(t('catalog.summary'), resource.summary),
      field(t('catalog.kind'), tv('kind', resource.kind ?? 'dataset')),
      field(t('catalog.format'), resource.format),
      field(t('catalog.share_methods'), (resource.share_methods ?? []).map((m) => tv('method', m)).join('、')),
      field(t('catalog.share_conditions'), resource.share_conditions),
      field(t('catalog.legal_basis'), resource.legal_basis),
      field(t('catalog.status'), status),
      field(t('catalog.version'), resource.version),
      field(t('quality.mode'), resource.quality_mode ? tv('quality.mode', resource.quality_mode) : null),
    ),
    lifecycle(resource, ctx, status),
    mayApply(ctx.me, resource)
      ? h(
          'p',
          { class: 'resource-apply' },
          h('a', { class: 'btn btn-primary btn-small', href: `#/catalog/${encodeURIComponent(resource.code)}/apply`, dataset: { action: 'apply' } }, t('apply.button')),
        )
      : null,
    h('h3', {}, t('catalog.items')),
    h(
      'table',
      { class: 'data-table compact' },
      h(
        'thead',
        {},
        h('tr', {}, ['name', 'title', 'type', 'required', 'sensitivity', 'mask', 'rules'].map((k) => h('th', {}, t(`catalog.item.${k}`)))),
      ),
      h(
        'tbody',
        {},
        (resource.items ?? []).map((item) =>
          h(
            'tr',
            {},
            h('td', {}, h('code', {}, item.name), item.name === resource.key ? badge(t('catalog.key'), 'info') : null),
            h('td', {}, item.title),
            h('td', {}, item.type),
            h('td', {}, item.required ? t('common.yes') : t('common.no')),
            h('td', {}, sensitivityBadge(item.sensitivity)),
            h('td', {}, item.mask ? tv('mask', item.mask) : '—'),
            h('td', { class: 'rules' }, rulesCell(itemRules(item))),
          ),
        ),
      ),
    ),
  );
}

/**
 * Whether `me` may publish and retire `resource`: hub_admin, or an officer of its provider. Joint
 * computations have a review workflow of their own (computations.js), not this one.
 */
export function mayChangeLife(me, resource) {
  return !!resource && resource.kind !== 'computation' && mayManage(me, resource);
}

// The next step of a resource's life (docs/catalog.md "Lifecycle"), each after a confirmation: a
// draft is published or withdrawn (retired), a published resource retired; retired is final.
// `status` (optional) is the element showing the status, kept up to date.
function lifecycle(resource, ctx, status) {
  if (!mayChangeLife(ctx.me, resource)) return null;
  const area = h('div', { class: 'resource-lifecycle' });
  const label = (action) => t(action === 'retire' && resource.status === 'draft' ? 'catalog.withdraw' : `catalog.${action}`);
  const showStatus = () => status && fill(status, tv('status', resource.status));
  // Focus stays in the area as its content changes, for keyboard users.
  // Editing (a new version) goes to the form; services are registered through the API.
  const edit = () =>
    resourceForm.mayEdit(ctx.me, resource)
      ? h('a', { class: 'btn btn-small', href: `#/catalog/${encodeURIComponent(resource.code)}/edit`, dataset: { action: 'edit' } }, t('resource_form.edit'))
      : null;
  const buttons = (focus = true) => {
    const next = { draft: ['publish', 'retire'], published: ['retire'] }[resource.status] ?? [];
    fill(area, edit(), next.map((action) => actionButton(action, label(action), () => confirm(action), action === 'retire' ? 'btn-danger-outline' : '')));
    if (focus) area.querySelector('button')?.focus();
  };
  const confirm = (action) => {
    const form = actionForm({
      action,
      danger: action === 'retire',
      note: t(`catalog.${action}_note`),
      fields: [],
      confirmLabel: t(`catalog.confirm_${action}`),
      submit: async () => {
        let answer;
        try {
          answer = await api.post(`/resources/${encodeURIComponent(resource.code)}/${action}`);
        } catch (error) {
          // Someone else took a step meanwhile (409): show the status as it is now; cancelling
          // then offers the steps it allows.
          if (error.status === 409) {
            const fresh = await api.get(`/resources/${encodeURIComponent(resource.code)}`).catch(() => null);
            if (fresh?.status) {
              resource.status = fresh.status;
              showStatus();
            }
          }
          throw error;
        }
        resource.status = answer.status ?? (action === 'publish' ? 'published' : 'retired');
        showStatus();
        buttons(false);
        const done = message('success', t(`catalog.${action}_done`));
        done.tabIndex = -1;
        area.prepend(done);
        (area.querySelector('button') ?? done).focus();
      },
      cancel: () => buttons(),
    });
    fill(area, form);
    form.querySelector('button[data-confirm]')?.focus();
  };
  buttons(false);
  return area;
}

function rulesCell(rules) {
  return rules.length ? rules.map((r) => h('div', {}, r)) : '—';
}

export async function render(el, ctx) {
  if (ctx.path.length === 2 && ctx.path[1] === 'apply') return renderApplication(el, ctx, ctx.path[0]);
  if (ctx.path.length) return resourceForm.render(el, ctx);
  const q = ctx.params.get('q') ?? '';
  const kind = KINDS.includes(ctx.params.get('kind')) ? ctx.params.get('kind') : '';
  const input = h('input', { type: 'search', id: 'catalog-q', value: q, placeholder: t('catalog.placeholder'), 'aria-label': t('catalog.placeholder') });
  const search = () => {
    const params = {};
    if (input.value.trim()) params.q = input.value.trim();
    if (kindSelect.value) params.kind = kindSelect.value;
    ctx.navigate('catalog', params);
  };
  const kindSelect = h(
    'select',
    { id: 'catalog-kind', onchange: search },
    h('option', { value: '' }, t('catalog.kind_all')),
    KINDS.map((k) => h('option', { value: k, selected: k === kind }, tv('kind', k))),
  );
  const form = h(
    'form',
    {
      class: 'toolbar',
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        search();
      },
    },
    h('label', { class: 'field-inline' }, h('span', {}, t('catalog.kind')), kindSelect),
    h('div', { class: 'search' }, input),
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'catalog-search' }, t('common.search')),
    h('span', { class: 'muted toolbar-end' }, t('catalog.show_items')),
  );

  const cols = ['code', 'name', 'kind', 'provider', 'category', 'share_type', 'update_cycle', 'record_count', 'last_updated_at'];
  const tbody = h('tbody', {});
  const footer = h('div', { class: 'table-footer' });
  const tableEl = h(
    'div',
    { class: 'table-wrap', tabindex: '0' },
    h(
      'table',
      { class: 'data-table clickable', id: 'catalog-table' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { class: c === 'record_count' ? 'num' : '' }, t(`catalog.col.${c}`))))),
      tbody,
    ),
  );
  const body = h('div', {}, loading());
  const register = mayRegister(ctx.me) ? h('a', { class: 'btn btn-primary', href: '#/catalog/new', id: 'catalog-new' }, t('resource_form.new_title')) : null;
  el.append(pageHeader(t('catalog.title'), register), flashArea(), card(null, form), card(null, body));
  // The provider's officers register resources from the template (a dry run first).
  if (mayRegister(ctx.me)) el.append(registrationCard(() => ctx.navigate('catalog', input.value.trim() ? { q: input.value.trim() } : {})));

  let shown = 0;
  const addRows = (items) => {
    for (const r of items) {
      const detailId = `catalog-detail-${r.code}`;
      const detailRow = h('tr', { class: 'detail-row', hidden: true, id: detailId }, h('td', { colspan: cols.length }));
      // The name is the disclosure button (keyboard and screen readers); a click anywhere on the
      // row opens it too.
      const disclosure = h(
        'button',
        {
          type: 'button',
          class: 'row-disclosure',
          'aria-expanded': 'false',
          'aria-controls': detailId,
          onclick: (e) => {
            e.stopPropagation();
            toggle();
          },
        },
        r.name,
      );
      const row = h(
        'tr',
        { dataset: { code: r.code, kind: r.kind ?? 'dataset' }, onclick: () => toggle() },
        h('td', {}, h('code', {}, r.code)),
        h('td', { class: 'strong' }, disclosure),
        h('td', {}, badge(tv('kind', r.kind ?? 'dataset'), r.kind === 'service' ? 'info' : r.kind === 'licence' ? 'warn' : 'muted')),
        h('td', {}, ctx.agencyName(r.provider_code)),
        h('td', {}, tv('category', r.category)),
        h('td', {}, badge(tv('share_type', r.share_type), { unconditional: 'ok', conditional: 'info', none: 'muted' }[r.share_type] ?? '')),
        h('td', {}, r.kind === 'service' ? '—' : tv('cycle', r.update_cycle)),
        h('td', { class: 'num' }, r.kind === 'service' ? '—' : formatNumber(r.record_count)),
        h('td', {}, formatTime(r.last_updated_at)),
      );
      function toggle() {
        const open = detailRow.hidden;
        if (open && !detailRow.firstChild.firstChild) {
          detailRow.firstChild.append(details(r, ctx));
          // Who accessed one of its records: for the provider's officers and the hub's staff.
          if (maySeeQuality(ctx.me, r)) detailRow.firstChild.append(qualitySection(r));
          if (maySeeSubjectLog(ctx.me, r)) detailRow.firstChild.append(subjectLogSection(r, ctx));
          // A consumer holding a read grant reads a record here (the section stays empty else).
          if (mayHoldGrant(ctx.me, r)) detailRow.firstChild.append(readerSection(r, ctx));
        }
        detailRow.hidden = !open;
        disclosure.setAttribute('aria-expanded', String(open));
        row.classList.toggle('expanded', open);
      }
      tbody.append(row, detailRow);
    }
    shown += items.length;
  };

  const loadPage = async (cursor) => {
    const page = await api.get('/resources', { q, kind, limit: PAGE_SIZE, cursor });
    addRows(page.items);
    const more = moreButton(page.next_cursor, loadPage, footer, { id: 'catalog-more' });
    fill(footer, h('span', { class: 'muted' }, t('catalog.count', { count: shown })), more);
  };

  try {
    await loadPage();
  } catch (error) {
    fill(body, errorBox(error, () => ctx.navigate('catalog', Object.fromEntries(Object.entries({ q, kind }).filter(([, v]) => v)))));
    setState(el, 'error');
    return;
  }
  if (!shown) tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: cols.length }, t('common.empty'))));
  fill(body, tableEl, footer);
  setState(el, 'ready');
}
