// To do (待办): where each role lands. What waits for the signed-in person's agency (or, for the
// hub's staff, for the coordination group), soonest due first, each with a link to the page where
// it is done: applications to decide, objections to resolve, demands to answer, grants ending
// soon, indicators to report, the agency's open alerts, escalations to rule. Read from the lists the other pages use;
// a list the role may not read is not asked for.
import { api, listAll } from '../api.js';
import { cityDate, cityToday, daysFrom } from '../dates.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { isOfficer, isStaff } from '../roles.js';
import { badge, card, errorBox, loading, pageHeader, setState } from '../ui.js';

// The grant_expiring alert's warning time (monitor.grant_expiring_days, 14 by default).
export const EXPIRING_DAYS = 14;
// An item due within this many days is "due soon".
export const SOON_DAYS = 2;
export const SHOWN = 5;

/**
 * The sections a role sees, in order: {id, route, query, needs} (`needs`: the lists it reads).
 * An agency's officers decide, answer and renew; an operator resolves objections on the records
 * it keeps; a CDO also reads its agency's alerts; the hub's staff rule and acknowledge.
 */
export function sectionsFor(me) {
  const roles = me.roles ?? [];
  const out = [];
  if (isOfficer(roles)) out.push({ id: 'decide', route: 'inbox' });
  if (isOfficer(roles) || roles.includes('agency_operator')) out.push({ id: 'objections', route: 'objections' });
  if (isOfficer(roles)) out.push({ id: 'demands', route: 'demands' }, { id: 'expiring', route: 'grants' }, { id: 'waiting', route: 'applications' }, { id: 'report', route: 'indicators' });
  if (roles.includes('agency_cdo') || isStaff(roles)) out.push({ id: 'alerts', route: 'alerts' });
  if (isStaff(roles)) out.push({ id: 'escalations', route: 'escalations' }, { id: 'unassigned', route: 'demands' });
  return out;
}

/** Days from today (the city's) to an instant's day; negative when past. */
const daysTo = (iso, today) => daysFrom(today, cityDate(iso));

/**
 * One section's items from the lists read, soonest first: [{id, title, detail, due, days,
 * overdue, soon}]. `lists`: {incoming, outgoing, objections, demands, grants, alerts, escalations,
 * open_demands}; `name(code)` an agency's name; `resource(code)` a resource's name.
 */
export function itemsOf(id, lists, me, { today = cityToday(), name = (c) => c, resource = (c) => c } = {}) {
  const own = me.agency_code;
  const due = (x, at) => {
    const days = at ? daysTo(at, today) : null;
    return { ...x, due: at ?? null, days, overdue: days !== null && days < 0, soon: days !== null && days >= 0 && days <= SOON_DAYS };
  };
  let items = [];
  switch (id) {
    case 'decide':
      items = (lists.incoming ?? []).filter((a) => a.status === 'pending').map((a) => due({ id: a.id, title: resource(a.resource_code), detail: name(a.consumer_code) }, a.due_at));
      break;
    case 'objections':
      items = (lists.objections ?? []).filter((o) => o.status === 'open' && o.provider_code === own).map((o) => due({ id: o.id, title: resource(o.resource_code), detail: `${name(o.consumer_code)} · ${o.key ?? ''}` }, o.due_at));
      break;
    case 'demands':
      items = (lists.demands ?? []).filter((d) => d.status === 'assigned' && d.provider_code === own).map((d) => due({ id: d.id, title: d.title, detail: name(d.consumer_code) }, d.due_at));
      break;
    case 'expiring':
      items = (lists.grants ?? [])
        .filter((g) => g.status === 'active' && (g.consumer_code === own || g.provider_code === own) && daysTo(g.valid_until, today) <= EXPIRING_DAYS)
        .map((g) => due({ id: g.id, title: resource(g.resource_code), detail: g.consumer_code === own ? t('todo.held_from', { agency: name(g.provider_code) }) : t('todo.given_to', { agency: name(g.consumer_code) }) }, g.valid_until));
      break;
    case 'waiting':
      items = (lists.outgoing ?? []).filter((a) => a.status === 'pending').map((a) => due({ id: a.id, title: resource(a.resource_code), detail: name(a.provider_code) }, a.due_at));
      break;
    case 'report':
      // The agency's indicators whose next period has ended and waits for its value.
      items = (lists.indicators ?? []).filter((i) => i.reporter_code === own && i.status === 'active' && i.next_period).map((i) => due({ id: i.code, title: i.name, detail: t('todo.period', { period: i.next_period }) }, i.next_due_at));
      break;
    case 'alerts':
      items = (lists.alerts ?? []).filter((a) => a.status === 'open').map((a) => ({ id: a.id, title: tv('rule', a.rule), detail: a.agency_code ? name(a.agency_code) : '', due: a.opened_at, days: null, overdue: a.severity === 'critical', soon: false, opened: true }));
      break;
    case 'escalations':
      items = (lists.escalations ?? []).filter((e) => e.status === 'open').map((e) => ({ id: e.id, title: resource(e.resource_code), detail: `${name(e.consumer_code)} → ${name(e.provider_code)}`, due: e.created_at, days: null, overdue: false, soon: false, opened: true }));
      break;
    case 'unassigned':
      items = (lists.open_demands ?? []).filter((d) => d.status === 'open' || d.status === 'disputed').map((d) => ({ id: d.id, title: d.title, detail: name(d.consumer_code), due: d.created_at, days: null, overdue: false, soon: false, opened: true }));
      break;
    default:
      items = [];
  }
  // Overdue first, then the soonest due; items without a deadline by when they came, oldest first.
  return items.sort((a, b) => (b.overdue ? 1 : 0) - (a.overdue ? 1 : 0) || String(a.due ?? '').localeCompare(String(b.due ?? '')));
}

/** How each list is read: every page of it, by the API's cursor, filtered by the hub. */
const SOURCES = {
  incoming: () => listAll('/applications', { direction: 'incoming', status: 'pending' }),
  outgoing: () => listAll('/applications', { direction: 'outgoing', status: 'pending' }),
  objections: () => listAll('/objections', { direction: 'incoming', status: 'open' }),
  demands: () => listAll('/demands', { direction: 'incoming', status: 'assigned' }),
  grants: () => listAll('/grants'),
  alerts: () => listAll('/alerts', { status: 'open' }),
  escalations: () => listAll('/escalations', { status: 'open' }),
  indicators: (me) => listAll('/indicators', { reporter: me.agency_code, status: 'active' }),
  open_demands: async () => [...(await listAll('/demands', { status: 'open' })), ...(await listAll('/demands', { status: 'disputed' }))],
};
const NEEDS = { decide: ['incoming'], objections: ['objections'], demands: ['demands'], expiring: ['grants'], waiting: ['outgoing'], report: ['indicators'], alerts: ['alerts'], escalations: ['escalations'], unassigned: ['open_demands'] };

function itemRow(item) {
  const when = item.opened
    ? h('span', { class: 'muted small' }, t('todo.since', { at: formatTime(item.due) }))
    : item.due
      ? h('span', { class: 'small' }, formatTime(item.due), ' ', item.overdue ? badge(t('todo.overdue'), 'danger') : item.soon ? badge(t('todo.soon'), 'warn') : null)
      : null;
  return h(
    'li',
    { class: ['todo-item', item.overdue && 'overdue'], dataset: { id: item.id } },
    h('div', { class: 'todo-title' }, item.title, item.detail ? h('span', { class: 'muted small' }, ` · ${item.detail}`) : null),
    when,
  );
}

export async function render(el, ctx) {
  const me = ctx.me;
  const sections = sectionsFor(me);
  const body = h('div', { class: 'todo-grid' }, loading());
  el.append(pageHeader(t('todo.title'), h('span', { class: 'muted' }, t('todo.intro'))), body);
  if (!sections.length) {
    fill(body, card(null, h('p', { class: 'muted' }, t('todo.nothing_for_role'))));
    setState(el, 'ready');
    return;
  }
  const wanted = [...new Set(sections.flatMap((s) => NEEDS[s.id]))];
  const lists = {};
  const failed = {};
  await Promise.all(
    wanted.map(async (key) => {
      try {
        lists[key] = await SOURCES[key](me);
      } catch (error) {
        failed[key] = error;
      }
    }),
  );
  const codes = new Set(Object.values(lists).flat().map((x) => x.resource_code).filter(Boolean));
  const names = new Map();
  await Promise.all(
    [...codes].map(async (c) => {
      try {
        names.set(c, (await api.get(`/resources/${encodeURIComponent(c)}`)).name);
      } catch {
        // shown by its code
      }
    }),
  );
  const options = { name: ctx.agencyName, resource: (c) => names.get(c) ?? c ?? '—' };
  let total = 0;
  fill(
    body,
    sections.map((s) => {
      const error = NEEDS[s.id].map((k) => failed[k]).find(Boolean);
      const items = error ? [] : itemsOf(s.id, lists, me, options);
      total += items.length;
      const overdue = items.filter((i) => i.overdue).length;
      return card(
        null,
        h(
          'div',
          { class: 'todo-section', dataset: { section: s.id, count: String(items.length) } },
          h(
            'h2',
            { class: 'card-title' },
            h('a', { href: `#/${s.route}` }, t(`todo.section.${s.id}`)),
            ' ',
            badge(String(items.length), items.length ? (overdue ? 'danger' : 'info') : 'muted'),
          ),
          error
            ? errorBox(error)
            : items.length
              ? h('ul', { class: 'todo-list' }, items.slice(0, SHOWN).map(itemRow), items.length > SHOWN ? h('li', { class: 'muted small' }, h('a', { href: `#/${s.route}` }, t('todo.more', { n: items.length - SHOWN }))) : null)
              : h('p', { class: 'muted small' }, t(`todo.none.${s.id}`)),
        ),
        { class: 'todo-card' },
      );
    }),
  );
  el.dataset.total = String(total);
  setState(el, 'ready');
}
