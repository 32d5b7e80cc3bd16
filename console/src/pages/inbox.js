// The application inbox (申请审批): other agencies' pending applications for this agency's
// resources, approved or rejected (with an opinion) in place.
import { api, listAll, resourcesOf } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime, operationLabel } from '../format.js';
import { t, tv } from '../i18n.js';
import { badge, card, errorBox, loading, message, pageHeader, setState } from '../ui.js';

// The result of the last decision, shown above the refreshed list.
let lastResult = null;

export async function render(el, ctx) {
  const flash = h('div', { 'aria-live': 'polite' });
  if (lastResult) flash.append(message('success', lastResult));
  lastResult = null;
  const body = h('div', {}, loading());
  el.append(pageHeader(t('inbox.title'), h('span', { class: 'muted' }, t('inbox.intro'))), flash, card(null, body));

  let applications;
  try {
    applications = await listAll('/applications', { direction: 'incoming', status: 'pending' });
  } catch (error) {
    fill(body, errorBox(error, () => ctx.navigate('inbox')));
    setState(el, 'error');
    return;
  }
  const byCode = await resourcesOf(applications.map((a) => a.resource_code));
  applications.sort((a, b) => String(a.due_at).localeCompare(String(b.due_at)));

  const cols = ['consumer', 'resource', 'items', 'operations', 'purpose', 'due_at', 'actions'];
  const tbody = h('tbody', {});
  let openForm = null;

  for (const app of applications) {
    const resource = byCode.get(app.resource_code);
    const titles = new Map((resource?.items ?? []).map((i) => [i.name, i.title]));
    const resourceName = resource?.name ?? app.resource_code;
    const consumerName = ctx.agencyName(app.consumer_code);
    const formRow = h('tr', { class: 'decision-row', hidden: true }, h('td', { colspan: cols.length }));

    const openDecision = (decision) => {
      if (openForm && openForm !== formRow) openForm.hidden = true;
      openForm = formRow;
      const opinion = h('textarea', {
        id: `opinion-${app.id}`,
        class: 'opinion',
        rows: 2,
        maxlength: 1000,
        placeholder: decision === 'reject' ? t('inbox.opinion') : t('inbox.opinion_optional'),
        'aria-label': decision === 'reject' ? t('inbox.opinion') : t('inbox.opinion_optional'),
      });
      const feedback = h('div', { class: 'decision-feedback', 'aria-live': 'polite' });
      const confirm = h(
        'button',
        { type: 'submit', class: ['btn', decision === 'approve' ? 'btn-primary' : 'btn-danger'], dataset: { confirm: decision } },
        t(decision === 'approve' ? 'inbox.confirm_approve' : 'inbox.confirm_reject'),
      );
      const form = h(
        'form',
        {
          class: ['decision-form', `decision-${decision}`],
          onsubmit: async (e) => {
            e.preventDefault();
            const text = opinion.value.trim();
            if (decision === 'reject' && !text) {
              fill(feedback, message('error', t('inbox.opinion_required')));
              opinion.focus();
              return;
            }
            confirm.disabled = true;
            try {
              await api.post(`/applications/${encodeURIComponent(app.id)}/decision`, text ? { decision, opinion: text } : { decision });
              lastResult = t(decision === 'approve' ? 'inbox.approved' : 'inbox.rejected', { resource: resourceName, consumer: consumerName });
              ctx.navigate('inbox');
            } catch (error) {
              fill(feedback, errorBox(error));
              confirm.disabled = false;
            }
          },
        },
        h('label', { class: 'field' }, h('span', {}, decision === 'reject' ? t('inbox.opinion') : t('inbox.opinion_optional')), opinion),
        feedback,
        h(
          'div',
          { class: 'form-actions' },
          confirm,
          h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => (formRow.hidden = true) }, t('common.cancel')),
        ),
      );
      fill(formRow.firstChild, form);
      formRow.hidden = false;
      opinion.focus();
    };

    tbody.append(
      h(
        'tr',
        { dataset: { id: app.id } },
        h('td', { class: 'strong' }, consumerName),
        h('td', {}, resourceName, h('div', { class: 'muted small' }, app.resource_code)),
        h('td', {}, h('div', { class: 'chips' }, app.items.map((i) => h('span', { class: 'chip', title: i }, titles.get(i) ?? i)))),
        h('td', {}, (app.operations ?? []).map((o) => operationLabel(o, resource)).join('、')),
        h('td', { class: 'purpose' }, app.purpose, app.legal_basis ? h('div', { class: 'muted small' }, t('inbox.legal_basis', { basis: app.legal_basis })) : null),
        h('td', {}, formatTime(app.due_at), app.overdue ? [' ', badge(t('inbox.overdue'), 'danger')] : null),
        h(
          'td',
          { class: 'actions' },
          h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { action: 'approve' }, onclick: () => openDecision('approve') }, t('inbox.approve')),
          h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', dataset: { action: 'reject' }, onclick: () => openDecision('reject') }, t('inbox.reject')),
        ),
      ),
      formRow,
    );
  }
  if (!applications.length) tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: cols.length }, t('inbox.empty'))));

  fill(body,
    h(
      'div',
      { class: 'table-wrap', tabindex: '0' },
      h('table', { class: 'data-table', id: 'inbox-table' }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, t(`inbox.col.${c}`))))), tbody),
    ),
  );
  setState(el, 'ready');
}
