// Escalations (协调): an application its provider rejected, or left undecided past its deadline,
// brought to the coordination group by its consumer; a coordinator rules — upheld, or the
// provider reconsiders it with a fresh deadline. Agencies see those they are party to.
import { api, listAll, resourcesOf } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { isOfficer } from '../roles.js';
import { actionButton, actionForm, badge, card, dataTable, errorBox, filterSelect, flashArea, flashNext, loading, message, pageHeader, pagedRows, pageSizeOf, rowPanels, setState } from '../ui.js';

const STATUSES = ['open', 'ruled', 'all'];
const OUTCOMES = ['upheld', 'reconsider'];
const COLUMNS = ['application', 'consumer', 'provider', 'reason', 'created_at', 'status', 'actions'];

const resourceLabel = (byCode, code) => byCode.get(code)?.name ?? code;

/**
 * The consumer's applications that may be brought to the group: rejected, or pending past their
 * deadline, and not already under an open escalation.
 */
export function escalable(applications, openEscalations) {
  const taken = new Set(openEscalations.map((e) => e.application_id));
  return applications.filter((a) => (a.status === 'rejected' || (a.status === 'pending' && a.overdue)) && !taken.has(a.id));
}

// --- escalating one's own application ------------------------------------------------------------

async function escalateCard(ctx, openOnes) {
  const area = h('div', {}, loading());
  const section = card(t('escalations.new_title'), area, { class: 'escalate-card' });
  let candidates;
  try {
    const [rejected, overdue] = await Promise.all([
      listAll('/applications', { direction: 'outgoing', status: 'rejected' }),
      listAll('/applications', { direction: 'outgoing', status: 'overdue' }),
    ]);
    candidates = escalable([...rejected, ...overdue], openOnes);
  } catch (error) {
    fill(area, errorBox(error));
    return section;
  }
  if (!candidates.length) {
    fill(area, message('info', t('escalations.none_escalable')));
    return section;
  }
  const byCode = await resourcesOf(candidates.map((a) => a.resource_code));
  const application = h(
    'select',
    { id: 'escalate-application' },
    h('option', { value: '' }, t('escalations.choose_application')),
    candidates.map((a) =>
      h(
        'option',
        { value: a.id },
        t('escalations.application_option', {
          resource: resourceLabel(byCode, a.resource_code),
          provider: ctx.agencyName(a.provider_code),
          state: a.status === 'rejected' ? t('escalations.rejected') : t('escalations.overdue'),
          date: formatTime(a.status === 'rejected' ? a.decided_at : a.due_at),
        }),
      ),
    ),
  );
  const opinion = h('div', { class: 'muted small', id: 'escalate-opinion' });
  application.addEventListener('change', () => {
    const chosen = candidates.find((a) => a.id === application.value);
    fill(opinion, chosen?.opinion ? t('escalations.provider_opinion', { opinion: chosen.opinion }) : '');
  });
  const reason = h('textarea', { id: 'escalate-reason', rows: 2, maxlength: 2000 });
  const form = actionForm({
    action: 'escalate',
    note: t('escalations.escalate_note'),
    fields: [
      [t('escalations.field.application'), h('div', {}, application, opinion)],
      [t('escalations.field.reason'), reason],
    ],
    confirmLabel: t('escalations.confirm_escalate'),
    validate: () => (!application.value ? t('escalations.choose_application') : !reason.value.trim() ? t('escalations.reason_required') : null),
    submit: async () => {
      await api.post(`/applications/${encodeURIComponent(application.value)}/escalation`, { reason: reason.value.trim() });
      flashNext(t('escalations.escalated'));
      ctx.navigate('escalations', { status: 'open' });
    },
  });
  fill(area, form);
  return section;
}

// --- a coordinator's ruling --------------------------------------------------------------------

function rulingForm(escalation, done, cancel) {
  const outcome = h(
    'select',
    { id: `ruling-${escalation.id}` },
    OUTCOMES.map((o) => h('option', { value: o }, tv('escalations.outcome', o))),
  );
  const note = h('textarea', { id: `ruling-note-${escalation.id}`, rows: 2, maxlength: 2000 });
  return actionForm({
    action: 'rule',
    note: t('escalations.ruling_note'),
    fields: [
      [t('escalations.field.outcome'), outcome],
      [t('escalations.field.note'), note],
    ],
    confirmLabel: t('escalations.confirm_rule'),
    validate: () => (note.value.trim() ? null : t('escalations.note_required')),
    submit: async () => {
      await api.post(`/escalations/${encodeURIComponent(escalation.id)}/ruling`, { outcome: outcome.value, note: note.value.trim() });
      done(t(outcome.value === 'reconsider' ? 'escalations.ruled_reconsider' : 'escalations.ruled_upheld'));
    },
    cancel,
  });
}

// --- the page ----------------------------------------------------------------------------------

export async function render(el, ctx) {
  const status = STATUSES.includes(ctx.params.get('status')) ? ctx.params.get('status') : 'open';
  const rules = ctx.me.roles.includes('coordinator');
  const officer = isOfficer(ctx.me.roles) && ctx.me.agency_code;
  const go = (s) => ctx.navigate('escalations', { status: s });

  const escalateArea = h('div', {});
  const body = h('div', {}, loading());
  el.append(
    pageHeader(t('escalations.title'), h('span', { class: 'muted' }, t(rules ? 'escalations.intro_staff' : 'escalations.intro_agency'))),
    card(
      null,
      h(
        'div',
        { class: 'toolbar' },
        filterSelect('escalations-status', t('escalations.status'), STATUSES, status, (s) => tv('escalations.status', s), go),
      ),
    ),
    flashArea(),
    escalateArea,
    card(null, body),
  );

  if (officer) {
    const openOnes = await listAll('/escalations', { status: 'open' }).catch(() => []);
    fill(escalateArea, await escalateCard(ctx, openOnes));
  }
  const tbody = h('tbody', {});
  const panels = rowPanels();
  const done = (text) => {
    flashNext(text);
    go('ruled');
  };
  // A page at a time: the group's rulings accumulate for years.
  const add = async (escalations) => {
    const byCode = await resourcesOf(escalations.map((e) => e.resource_code));
    for (const e of escalations) {
      const panel = panels.add(COLUMNS.length);
      const actions =
        rules && e.status === 'open'
          ? [actionButton('rule', t('escalations.rule'), () => panel.toggle('rule', () => rulingForm(e, done, () => panel.hide())), 'btn-primary')]
          : [];
      tbody.append(
        h(
          'tr',
          { dataset: { id: e.id, status: e.status, application: e.application_id } },
          h(
            'td',
            {},
            h('div', { class: 'strong' }, resourceLabel(byCode, e.resource_code)),
            h('div', { class: 'muted small' }, t('escalations.application_id', { id: e.application_id })),
          ),
          h('td', {}, ctx.agencyName(e.consumer_code)),
          h('td', {}, ctx.agencyName(e.provider_code)),
          h('td', { class: 'purpose' }, e.reason),
          h('td', {}, formatTime(e.created_at)),
          h(
            'td',
            { class: 'status-cell' },
            e.status === 'open'
              ? badge(tv('escalations.status', 'open'), 'warn')
              : [
                  badge(tv('escalations.outcome', e.outcome), e.outcome === 'reconsider' ? 'ok' : 'muted'),
                  e.note ? h('div', { class: 'small ruling-note' }, e.note) : null,
                  h('div', { class: 'muted small' }, formatTime(e.ruled_at)),
                ],
          ),
          h('td', { class: 'actions' }, actions.length ? actions : '—'),
        ),
        panel.row,
      );
    }
  };
  try {
    const footer = await pagedRows({
      id: 'escalations',
      path: '/escalations',
      query: { status: status === 'all' ? '' : status },
      pageSize: pageSizeOf(ctx.params),
      tbody,
      add,
      colspan: COLUMNS.length,
      emptyText: t('escalations.empty'),
    });
    fill(body, dataTable('escalations-table', COLUMNS.map((c) => t(`escalations.col.${c}`)), tbody), footer);
  } catch (error) {
    fill(body, errorBox(error, () => go(status)));
    setState(el, 'error');
    return;
  }
  setState(el, 'ready');
}
