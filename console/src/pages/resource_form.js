// Registering and editing a resource (资源登记, 修改) in a form: #/catalog/new and
// #/catalog/CODE/edit. The resource's fields, its source for returned data (回流), and its items
// (信息项) in a table editor: add, move, remove, and each item's rules (pattern, enum, code
// list, range, length, check digits, unique) as its type allows. POST /api/v1/resources creates a
// draft; PUT /api/v1/resources/{code} stores a new version, the status unchanged. The hub checks
// everything again: its errors ("items[3].mask") are shown at the field they name.
import { api } from '../api.js';
import { fill, h } from '../dom.js';
import { t, tv } from '../i18n.js';
import { card, errorBox, flashNext, loading, message, pageHeader, setState } from '../ui.js';
import { mayManage, mayRegister } from './registration.js';

export const TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'datetime'];
const SENSITIVITIES = ['public', 'internal', 'sensitive'];
const MASKS = ['name', 'id_number', 'phone', 'address', 'bank_card', 'full'];
const CATEGORIES = ['basic', 'theme', 'department'];
const SHARE_TYPES = ['unconditional', 'conditional', 'none'];
const CYCLES = ['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'semiannual', 'yearly'];
const METHODS = ['api', 'bulk'];
const CHECKS = ['uscc', 'citizen_id'];
const CHANNELS = ['interface', 'batch'];
const QUALITY_MODES = ['reject', 'flag'];
// The fields a request may set (the hub refuses others); an edit keeps those the form does not
// show (related codes, the aggregate policy, ...) as they are.
const RESOURCE_FIELDS = [
  'name', 'summary', 'provider_code', 'category', 'format', 'key', 'items', 'share_type', 'share_conditions',
  'share_methods', 'update_cycle', 'legal_basis', 'related_codes', 'class_code', 'release_date', 'min_group_size',
  'aggregate_policy', 'quality_mode', 'source',
];
const TEXT_FIELDS = ['name', 'summary', 'format', 'share_conditions', 'legal_basis'];
const SOURCE_FIELDS = ['ministry_code', 'national_resource_code', 'agreement'];
const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/** The rules an item of `type` may carry (docs/catalog.md "Item rules"). */
export function rulesFor(type) {
  if (type === 'string') return ['pattern', 'enum', 'code_list', 'max_length', 'check', 'unique'];
  if (type === 'integer' || type === 'number') return ['enum', 'min', 'max', 'unique'];
  if (type === 'date' || type === 'datetime') return ['unique'];
  return [];
}

/**
 * Whether `me` may edit `resource` here: its provider's officers or hub_admin, a dataset not
 * retired. Services and computations have their own documents; a licence's items follow the
 * licence template (its holder items are what licence lookups ask by), so not this editor.
 */
export function mayEdit(me, resource) {
  if (!resource || resource.status === 'retired') return false;
  if ((resource.kind ?? 'dataset') !== 'dataset') return false;
  return mayManage(me, resource);
}

/** A resource's item as the editor's row: every value as the control shows it (text or boolean). */
export function rowOf(item = {}) {
  const text = (v) => (v === undefined || v === null ? '' : String(v));
  return {
    name: text(item.name),
    title: text(item.title),
    type: item.type ?? 'string',
    required: !!item.required,
    sensitivity: item.sensitivity ?? 'public',
    // A sensitive string without a mask of its own is hidden whole: the hub stores "full", which
    // the form shows as its default.
    mask: item.mask === 'full' ? '' : text(item.mask),
    pattern: text(item.pattern),
    enum: Array.isArray(item.enum) ? item.enum.map(String).join('\n') : '',
    code_list: text(item.code_list),
    min: text(item.min),
    max: text(item.max),
    max_length: text(item.max_length),
    check: text(item.check),
    unique: !!item.unique,
  };
}

// A number as typed, as JSON: a number when it reads as one, else the text (the hub says why).
const numberOf = (s) => (NUMBER.test(s.trim()) ? Number(s.trim()) : s.trim());

/** The editor's row as the item the hub takes: empty controls and rules its type lacks left out. */
export function itemOf(row) {
  const item = {
    name: row.name.trim(),
    title: row.title.trim(),
    type: row.type,
    required: row.required,
    sensitivity: row.sensitivity,
  };
  if (row.mask && row.sensitivity === 'sensitive' && row.type === 'string') item.mask = row.mask;
  for (const rule of rulesFor(row.type)) {
    const value = row[rule];
    if (rule === 'unique') {
      if (value) item.unique = true;
    } else if (rule === 'enum') {
      // One value a line, exactly as written (a value may have spaces); empty lines are none.
      const values = value.split('\n').map((v) => v.replace(/\r$/, '')).filter((v) => v !== '');
      if (values.length) item.enum = row.type === 'string' ? values : values.map(numberOf);
    } else if (value.trim()) {
      item[rule] = rule === 'min' || rule === 'max' || rule === 'max_length' ? numberOf(value) : rule === 'pattern' ? value : value.trim();
    }
  }
  return item;
}

/**
 * The request's body: `base` (the stored resource when editing, else {}) with the form's
 * `values` (the text fields, provider_code, category, share_type, update_cycle, quality_mode,
 * key, share_methods and source) and `rows` over it. Fields the form leaves empty are left out;
 * fields it does not show keep their stored values.
 */
export function bodyOf(base, values, rows) {
  const body = {};
  for (const field of RESOURCE_FIELDS) {
    if (base[field] !== undefined && base[field] !== null) body[field] = base[field];
  }
  for (const field of [...TEXT_FIELDS, 'provider_code', 'category', 'share_type', 'update_cycle', 'quality_mode', 'key']) {
    const value = (values[field] ?? '').trim();
    if (value) body[field] = value;
    else delete body[field];
  }
  body.share_methods = values.share_methods ?? [];
  const source = {};
  for (const field of SOURCE_FIELDS) if (values.source?.[field]?.trim()) source[field] = values.source[field].trim();
  if (values.source?.channel) source.channel = values.source.channel;
  if (Object.keys(source).length) body.source = source;
  else delete body.source;
  body.items = rows.map(itemOf);
  const stale = staleBounds(body.aggregate_policy, body.items);
  if (stale.length) {
    const bounds = Object.fromEntries(Object.entries(body.aggregate_policy.bounds).filter(([name]) => !stale.includes(name)));
    body.aggregate_policy = { ...body.aggregate_policy, bounds };
    if (!Object.keys(bounds).length) delete body.aggregate_policy.bounds;
  }
  return body;
}

/**
 * The aggregate policy's bounds whose items are gone or no longer numbers (the hub refuses a
 * bound on those): their names. bodyOf leaves them out.
 */
export function staleBounds(policy, items) {
  const numeric = new Set(items.filter((i) => i.type === 'integer' || i.type === 'number').map((i) => i.name));
  return Object.keys(policy?.bounds ?? {}).filter((name) => !numeric.has(name));
}

/** Where the hub's error `field` is in the form: {item, field} ("items[3].mask" → 3, mask). */
export function placeOfError(field) {
  const match = /^items\[(\d+)\](?:\.(\w+))?/.exec(field ?? '');
  if (match) return { item: Number(match[1]), field: match[2] ?? 'name' };
  return { item: null, field: field ?? '' };
}

// The caption of a field the hub names in an error, as the form labels it.
const ITEM_CAPTIONS = { name: 'catalog.item.name', title: 'catalog.item.title', type: 'catalog.item.type', required: 'catalog.item.required', sensitivity: 'catalog.item.sensitivity', mask: 'catalog.item.mask' };
const FIELD_CAPTIONS = {
  name: 'catalog.col.name', summary: 'catalog.summary', provider_code: 'catalog.col.provider', category: 'catalog.col.category', format: 'catalog.format',
  update_cycle: 'catalog.col.update_cycle', share_type: 'catalog.col.share_type', share_conditions: 'catalog.share_conditions', legal_basis: 'catalog.legal_basis',
  share_methods: 'catalog.share_methods', quality_mode: 'quality.mode', key: 'resource_form.key', items: 'catalog.items',
  'source.ministry_code': 'resource_form.ministry_code', 'source.national_resource_code': 'resource_form.national_resource_code',
  'source.channel': 'resource_form.channel', 'source.agreement': 'resource_form.agreement', aggregate_policy: 'resource_form.aggregate_policy',
};

/** Where the hub's error `field` is, in words: "第 3 项（level）最大值", "主键信息项"; else as the hub said. */
export function describeField(field, rows) {
  const place = placeOfError(field);
  if (place.item === null) {
    if (FIELD_CAPTIONS[place.field]) return t(FIELD_CAPTIONS[place.field]);
    if (place.field.startsWith('aggregate_policy.')) return `${t('resource_form.aggregate_policy')} ${place.field.slice(17)}`;
    return place.field;
  }
  const caption = ITEM_CAPTIONS[place.field] ?? (rulesFor('string').concat('min', 'max').includes(place.field) ? `quality.rule.${place.field}` : null);
  const name = rows[place.item]?.name?.trim();
  return t('resource_form.error_item', { n: place.item + 1, name: name || '—', field: caption ? t(caption) : place.field });
}

function select(attrs, values, current, label, empty) {
  return h(
    'select',
    attrs,
    empty !== undefined ? h('option', { value: '' }, empty) : null,
    values.map((v) => h('option', { value: v, selected: v === current }, label(v))),
  );
}

export async function render(el, ctx) {
  const code = ctx.path[0] === 'new' && ctx.path.length === 1 ? null : ctx.path[1] === 'edit' && ctx.path.length === 2 ? ctx.path[0] : undefined;
  if (code === undefined) {
    setState(el, 'not-found');
    fill(el, message('info', t('app.not_found')));
    return;
  }
  const body = h('div', {}, loading());
  el.append(pageHeader(code ? t('resource_form.edit_title') : t('resource_form.new_title')), body);
  let resource = {};
  let lists = [];
  try {
    [resource, lists] = await Promise.all([
      code ? api.get(`/resources/${encodeURIComponent(code)}`) : {},
      api.get('/code-lists').then((answer) => answer.items ?? []).catch(() => []),
    ]);
  } catch (error) {
    fill(body, errorBox(error));
    setState(el, 'error');
    return;
  }
  if (code ? !mayEdit(ctx.me, resource) : !mayRegister(ctx.me)) {
    fill(body, message('info', t(code ? 'resource_form.may_not_edit' : 'resource_form.may_not_register')));
    setState(el, 'no-access');
    return;
  }
  fill(body, resourceForm(resource, lists, ctx));
  setState(el, 'ready');
}

function resourceForm(resource, lists, ctx) {
  const editing = !!resource.code;
  const rows = editing ? (resource.items ?? []).map(rowOf) : [rowOf()];
  const feedback = h('div', { class: 'form-feedback', 'aria-live': 'polite' });
  let fieldId = 0;
  // A labelled control of the resource; `data-field` is the name the hub's errors use.
  const labelled = (label, control, hint) => {
    control.id ||= `rf-${++fieldId}`;
    return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('small', { class: 'muted' }, hint) : null);
  };
  const text = (field, attrs = {}) => h(attrs.multiline ? 'textarea' : 'input', { type: attrs.multiline ? undefined : 'text', value: resource[field] ?? '', dataset: { field }, maxlength: attrs.max, rows: attrs.multiline ? 3 : undefined });

  const controls = {
    name: text('name', { max: 200 }),
    summary: text('summary', { max: 2000, multiline: true }),
    format: text('format', { max: 50 }),
    share_conditions: text('share_conditions', { max: 2000, multiline: true }),
    legal_basis: text('legal_basis', { max: 1000, multiline: true }),
    category: select({ dataset: { field: 'category' } }, CATEGORIES, resource.category, (v) => tv('category', v), editing ? undefined : t('resource_form.choose')),
    share_type: select({ dataset: { field: 'share_type' } }, SHARE_TYPES, resource.share_type, (v) => tv('share_type', v), editing ? undefined : t('resource_form.choose')),
    update_cycle: select({ dataset: { field: 'update_cycle' } }, CYCLES, resource.update_cycle, (v) => tv('cycle', v), editing ? undefined : t('resource_form.choose')),
    quality_mode: select({ dataset: { field: 'quality_mode' } }, QUALITY_MODES, resource.quality_mode ?? 'reject', (v) => tv('quality.mode', v)),
    key: h('select', { dataset: { field: 'key' } }),
  };
  if (!editing) controls.format.value = 'JSON';
  // The provider: hub_admin chooses any agency; an officer registers for its own.
  const admin = (ctx.me.roles ?? []).includes('hub_admin');
  const provider = resource.provider_code ?? (admin ? '' : ctx.me.agency_code);
  controls.provider_code =
    admin && !editing
      ? select({ dataset: { field: 'provider_code' } }, ctx.agencyList().map((a) => a.code), provider, (c) => ctx.agencyName(c), t('resource_form.choose'))
      : h('input', { type: 'text', value: ctx.agencyName(provider), readonly: true, dataset: { field: 'provider_code', code: provider } });
  const methods = h(
    'fieldset',
    { class: 'method-choice', dataset: { field: 'share_methods' } },
    h('legend', {}, t('catalog.share_methods')),
    METHODS.map((m) =>
      h('label', {}, h('input', { type: 'checkbox', value: m, checked: (resource.share_methods ?? ['api']).includes(m) }), tv('method', m)),
    ),
  );
  const source = resource.source ?? {};
  const sourceControls = {
    ministry_code: h('input', { type: 'text', value: source.ministry_code ?? '', maxlength: 100, dataset: { field: 'source.ministry_code' } }),
    national_resource_code: h('input', { type: 'text', value: source.national_resource_code ?? '', maxlength: 100, dataset: { field: 'source.national_resource_code' } }),
    channel: select({ dataset: { field: 'source.channel' } }, CHANNELS, source.channel, (v) => tv('resource_form.channel', v), '—'),
    agreement: h('input', { type: 'text', value: source.agreement ?? '', maxlength: 500, dataset: { field: 'source.agreement' } }),
  };

  const itemsBody = h('tbody', {});
  let chosenKey = resource.key ?? '';
  controls.key.addEventListener('change', () => (chosenKey = controls.key.value));
  const refreshKey = () => {
    const current = chosenKey;
    const names = rows.map((r) => r.name.trim()).filter(Boolean);
    fill(
      controls.key,
      h('option', { value: '' }, t('resource_form.choose')),
      [...new Set(names)].map((n) => h('option', { value: n, selected: n === current }, n)),
    );
    if (current && !names.includes(current)) controls.key.value = '';
  };

  // The items' table: a row of the item's fields, and under it a row of its rules (shown on demand).
  const open = new Set();
  const drawItems = (focus) => {
    fill(itemsBody, rows.map((row, i) => itemRows(row, i)));
    refreshKey();
    if (focus) itemsBody.querySelector(focus)?.focus();
  };
  const itemRows = (row, i) => {
    const label = (field) => t('resource_form.item_label', { n: i + 1, field });
    const act = (action) => t(`resource_form.${action}_item`, { n: i + 1 });
    const bind = (control, field, kind = 'value') => {
      control.addEventListener(kind === 'checked' ? 'change' : 'input', () => {
        row[field] = control[kind];
        if (field === 'name') refreshKey();
      });
      control.dataset.field = `items[${i}].${field}`;
      return control;
    };
    const input = (field, caption, attrs = {}) => bind(h('input', { type: 'text', value: row[field], 'aria-label': label(caption), ...attrs }), field);
    const choose = (field, caption, values, lbl, empty) => {
      const control = select({ 'aria-label': label(caption) }, values, row[field], lbl, empty);
      bind(control, field);
      return control;
    };
    const maskable = row.sensitivity === 'sensitive' && row.type === 'string';
    const type = choose('type', t('catalog.item.type'), TYPES, (v) => tv('item_type', v));
    const sensitivity = choose('sensitivity', t('catalog.item.sensitivity'), SENSITIVITIES, (v) => tv('sensitivity', v));
    // The type decides the rules and the mask, the sensitivity the mask: draw the item again.
    for (const control of [type, sensitivity]) control.addEventListener('change', () => drawItems(`[data-field="${control.dataset.field}"]`));
    const mask = choose('mask', t('catalog.item.mask'), MASKS, (v) => tv('mask', v), maskable ? t('resource_form.mask_default') : '—');
    mask.disabled = !maskable;
    const required = bind(h('input', { type: 'checkbox', checked: row.required, 'aria-label': label(t('catalog.item.required')) }), 'required', 'checked');
    const rules = rulesFor(row.type);
    const count = rules.filter((r) => (r === 'unique' ? row.unique : row[r].trim())).length;
    const rulesId = `rf-rules-${i}`;
    const shown = open.has(row);
    // Focus stays on the button pressed (in the item's new place), or its pair at an end.
    const move = (to, action) => {
      rows.splice(to, 0, rows.splice(i, 1)[0]);
      const stays = (action === 'up' ? to > 0 : to < rows.length - 1) ? action : action === 'up' ? 'down' : 'up';
      drawItems(`tr[data-item="${to}"] button[data-action="${stays}"]`);
    };
    const actions = h(
      'td',
      { class: 'item-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small',
          dataset: { action: 'rules' },
          'aria-label': act('rules'),
          'aria-expanded': rules.length ? String(shown) : undefined,
          'aria-controls': shown && rules.length ? rulesId : undefined,
          disabled: !rules.length,
          onclick: () => {
            if (shown) open.delete(row);
            else open.add(row);
            drawItems(shown ? `tr[data-item="${i}"] button[data-action="rules"]` : `[data-field="items[${i}].${rules[0]}"]`);
          },
        },
        count ? t('resource_form.rules_n', { n: count }) : t('resource_form.rules'),
      ),
      h('button', { type: 'button', class: 'btn btn-small btn-quiet', dataset: { action: 'up' }, 'aria-label': act('up'), disabled: i === 0, onclick: () => move(i - 1, 'up') }, '↑'),
      h('button', { type: 'button', class: 'btn btn-small btn-quiet', dataset: { action: 'down' }, 'aria-label': act('down'), disabled: i === rows.length - 1, onclick: () => move(i + 1, 'down') }, '↓'),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small btn-danger-outline',
          dataset: { action: 'remove' },
          'aria-label': act('remove'),
          disabled: rows.length === 1,
          onclick: () => {
            rows.splice(i, 1);
            drawItems(`[data-field="items[${Math.min(i, rows.length - 1)}].name"]`);
          },
        },
        '✕',
      ),
    );
    const main = h(
      'tr',
      { dataset: { item: i } },
      h('td', { class: 'num' }, String(i + 1)),
      h('td', {}, input('name', t('catalog.item.name'), { maxlength: 63, spellcheck: 'false', placeholder: 'uscc' })),
      h('td', {}, input('title', t('catalog.item.title'), { maxlength: 100 })),
      h('td', {}, type),
      h('td', { class: 'center' }, required),
      h('td', {}, sensitivity),
      h('td', {}, mask),
      actions,
    );
    if (!shown || !rules.length) return main;
    const ruleControl = (rule) => {
      const caption = t(`quality.rule.${rule}`);
      if (rule === 'unique') {
        return h('label', { class: 'rule-unique' }, bind(h('input', { type: 'checkbox', checked: row.unique, 'aria-label': label(t('rule.unique')) }), 'unique', 'checked'), t('rule.unique'));
      }
      let control;
      if (rule === 'enum') control = bind(h('textarea', { rows: 3, value: row.enum, placeholder: t('resource_form.enum_hint') }), 'enum');
      else if (rule === 'check') control = bind(select({}, CHECKS, row.check, (v) => tv('rule.check', v), '—'), 'check');
      else if (rule === 'code_list') {
        const names = lists.map((l) => l.name);
        if (row.code_list && !names.includes(row.code_list)) names.push(row.code_list);
        control = bind(select({}, names, row.code_list, (n) => lists.find((l) => l.name === n)?.title ?? n, '—'), 'code_list');
      } else {
        const numeric = rule !== 'pattern';
        control = bind(h('input', { type: 'text', value: row[rule], inputmode: numeric ? 'decimal' : undefined, spellcheck: 'false', placeholder: rule === 'pattern' ? '^[0-9]{6}$' : undefined }), rule);
      }
      control.id = `rf-rule-${i}-${rule}`;
      return h('div', { class: 'field' }, h('label', { for: control.id }, label(caption)), control);
    };
    const sub = h('tr', { class: 'item-rules', id: rulesId }, h('td', {}), h('td', { colspan: 7 }, h('div', { class: 'rule-fields' }, rules.map(ruleControl))));
    return [main, sub];
  };

  const addItem = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      id: 'resource-add-item',
      onclick: () => {
        rows.push(rowOf());
        drawItems(`[data-field="items[${rows.length - 1}].name"]`);
      },
    },
    t('resource_form.add_item'),
  );
  const itemsTable = h(
    'div',
    { class: 'table-wrap', tabindex: '0' },
    h(
      'table',
      { class: 'data-table compact items-editor', id: 'resource-items' },
      h('caption', { class: 'sr-only' }, t('catalog.items')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['#', t('catalog.item.name'), t('catalog.item.title'), t('catalog.item.type'), t('catalog.item.required'), t('catalog.item.sensitivity'), t('catalog.item.mask'), t('resource_form.actions')].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      itemsBody,
    ),
  );
  drawItems();

  const values = () => ({
    ...Object.fromEntries(TEXT_FIELDS.map((f) => [f, controls[f].value])),
    provider_code: controls.provider_code.dataset.code ?? controls.provider_code.value,
    category: controls.category.value,
    share_type: controls.share_type.value,
    update_cycle: controls.update_cycle.value,
    quality_mode: controls.quality_mode.value,
    key: controls.key.value,
    share_methods: [...methods.querySelectorAll('input:checked')].map((c) => c.value),
    source: Object.fromEntries(Object.entries(sourceControls).map(([f, c]) => [f, c.value])),
  });

  // The hub's errors at the controls they name (an item's rules shown first), the first focused.
  const markErrors = (errors) => {
    const places = errors.map((error) => placeOfError(error.field));
    const closed = places.filter((p) => p.item !== null && rows[p.item] && rulesFor(rows[p.item].type).includes(p.field) && !open.has(rows[p.item]));
    if (closed.length) {
      for (const p of closed) open.add(rows[p.item]);
      drawItems();
    }
    for (const marked of form.querySelectorAll('[aria-invalid]')) marked.removeAttribute('aria-invalid');
    let first = null;
    for (const place of places) {
      const name = place.item === null ? place.field : `items[${place.item}].${place.field}`;
      const control = form.querySelector(`[data-field="${CSS.escape(name)}"]`) ?? (place.item !== null ? form.querySelector(`[data-field="items[${place.item}].name"]`) : null);
      if (control) {
        control.setAttribute('aria-invalid', 'true');
        // A group (the share methods) is focused at its first control.
        first ??= control.tagName === 'FIELDSET' ? control.querySelector('input') : control;
      }
    }
    return first;
  };

  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'resource-save' }, editing ? t('resource_form.save_version') : t('resource_form.create'));
  const form = h(
    'form',
    {
      class: 'resource-form',
      novalidate: true,
      // Enter in a one-line field (an item's name, say) does not send the form: the button does.
      onkeydown: (e) => {
        if (e.key === 'Enter' && e.target.tagName === 'INPUT') e.preventDefault();
      },
      onsubmit: async (e) => {
        e.preventDefault();
        fill(feedback);
        const request = bodyOf(editing ? resource : {}, values(), rows);
        const dropped = editing ? staleBounds(resource.aggregate_policy, request.items) : [];
        save.disabled = true;
        // The items stay as the hub's answer numbers them until it comes.
        form.inert = true;
        try {
          if (editing) {
            // A version stored meanwhile (another officer, a spreadsheet) is not overwritten
            // from this page's older copy.
            const now = await api.get(`/resources/${encodeURIComponent(resource.code)}`);
            if (now.version !== resource.version) throw new Error(t('resource_form.changed_meanwhile', { version: now.version }));
          }
          const answer = editing
            ? await api.put(`/resources/${encodeURIComponent(resource.code)}`, request)
            : await api.post('/resources', request);
          const done = editing ? t('resource_form.saved', { code: answer.code ?? resource.code, version: answer.version }) : t('resource_form.created', { code: answer.code });
          flashNext(dropped.length ? `${done} ${t('resource_form.bounds_dropped', { items: dropped.join('、') })}` : done);
          ctx.navigate('catalog', { q: request.name });
        } catch (error) {
          form.inert = false;
          const box = errorBox(error);
          box.tabIndex = -1;
          // Each error where the form shows it, in the form's words.
          const list = box.querySelector('ul');
          if (list) fill(list, (error.errors ?? []).map((e) => h('li', { dataset: { field: e.field ?? '' } }, t('resource_form.error_line', { place: describeField(e.field, rows), message: e.message }))));
          fill(feedback, box);
          (markErrors(error.errors ?? []) ?? box).focus();
          save.disabled = false;
        }
      },
    },
    card(
      t('resource_form.basics'),
      h(
        'div',
        { class: 'form-grid' },
        labelled(t('catalog.col.name'), controls.name),
        labelled(t('catalog.col.provider'), controls.provider_code),
        labelled(t('catalog.summary'), controls.summary),
        labelled(t('catalog.col.category'), controls.category),
        labelled(t('catalog.format'), controls.format),
        labelled(t('catalog.col.update_cycle'), controls.update_cycle),
        labelled(t('catalog.col.share_type'), controls.share_type),
        labelled(t('catalog.share_conditions'), controls.share_conditions),
        labelled(t('catalog.legal_basis'), controls.legal_basis, t('resource_form.legal_basis_hint')),
        h('div', { class: 'field' }, methods),
        labelled(t('quality.mode'), controls.quality_mode),
      ),
    ),
    card(t('catalog.items'), h('div', {}, h('p', { class: 'form-note' }, t('resource_form.items_note')), itemsTable, h('div', { class: 'form-actions' }, addItem), labelled(t('resource_form.key'), controls.key, t('resource_form.key_hint')))),
    card(
      t('resource_form.source'),
      h(
        'div',
        { class: 'form-grid' },
        h('p', { class: 'form-note' }, t('resource_form.source_note')),
        labelled(t('resource_form.ministry_code'), sourceControls.ministry_code),
        labelled(t('resource_form.national_resource_code'), sourceControls.national_resource_code),
        labelled(t('resource_form.channel'), sourceControls.channel),
        labelled(t('resource_form.agreement'), sourceControls.agreement),
      ),
    ),
    feedback,
    h(
      'div',
      { class: 'form-actions' },
      save,
      h('a', { class: 'btn btn-quiet', href: editing ? `#/catalog?q=${encodeURIComponent(resource.name ?? '')}` : '#/catalog' }, t('common.cancel')),
      editing ? h('span', { class: 'muted' }, t('resource_form.version_note', { version: resource.version ?? 1 })) : null,
    ),
  );
  return form;
}
