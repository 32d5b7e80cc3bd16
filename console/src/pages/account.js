// My account (我的账户): who the console is signed in as, the person's own password (the current
// one asked again; the hub ends the other sessions), and its own sessions and tokens, each ended
// from here: a session left open on another computer, a token no longer needed. Ending the
// session in use is signing out.
import { api, listAll } from '../api.js';
import { fill, h } from '../dom.js';
import { formatTime } from '../format.js';
import { t, tv } from '../i18n.js';
import { actionButton, badge, card, dataTable, emptyRow, errorBox, flashArea, flashNext, loading, message, pageHeader, setState } from '../ui.js';
import { byTokenState, passwordProblem, tokenState } from './people.js';

/** What is wrong with the change before it is sent: {field, message} or null. */
export function passwordChangeProblem(current, next, repeat) {
  if (!current) return { field: 'current', message: t('account.current_required') };
  const problem = passwordProblem(next);
  if (problem) return { field: 'next', message: problem };
  if (next === current) return { field: 'next', message: t('account.same_password') };
  if (next !== repeat) return { field: 'repeat', message: t('account.repeat_differs') };
  return null;
}

function passwordCard(ctx) {
  const current = h('input', { type: 'password', id: 'account-current', autocomplete: 'current-password', maxlength: 200 });
  const next = h('input', { type: 'password', id: 'account-new', autocomplete: 'new-password', maxlength: 200 });
  const repeat = h('input', { type: 'password', id: 'account-repeat', autocomplete: 'new-password', maxlength: 200 });
  const controls = { current, next, repeat };
  const feedback = h('div', { class: 'decision-feedback', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'account-change' }, t('account.change'));
  const field = (key, control) => h('label', { class: 'field' }, h('span', {}, t(`account.field.${key}`)), control);
  const form = h(
    'form',
    {
      class: 'action-form',
      id: 'account-password',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        for (const c of Object.values(controls)) c.removeAttribute('aria-invalid');
        const problem = passwordChangeProblem(current.value, next.value, repeat.value);
        if (problem) {
          controls[problem.field].setAttribute('aria-invalid', 'true');
          controls[problem.field].focus();
          fill(feedback, message('error', problem.message));
          return;
        }
        submit.disabled = true;
        try {
          const answer = await api.post('/me/password', { current_password: current.value, new_password: next.value });
          flashNext(t('account.changed', { sessions: answer.sessions_ended }));
          ctx.navigate('account');
        } catch (error) {
          // The hub's field errors: the current password was wrong, or the new one refused.
          const wrong = error.errors?.find((x) => x.field === 'current_password');
          if (wrong) {
            current.setAttribute('aria-invalid', 'true');
            current.focus();
            fill(feedback, message('error', t('account.current_wrong')));
          } else {
            fill(feedback, errorBox(error));
          }
          submit.disabled = false;
        }
      },
    },
    h('p', { class: 'form-note' }, t('account.password_note')),
    h('div', { class: 'form-fields' }, field('current', current), field('next', next), field('repeat', repeat)),
    feedback,
    h('div', { class: 'form-actions' }, submit),
  );
  return card(t('account.password'), form, { id: 'account-password-card' });
}

async function tokensCard(ctx, signedOut) {
  const me = ctx.me;
  const body = h('div', {}, loading());
  const section = card(t('account.sessions'), body, { id: 'account-sessions' });
  const load = async () => {
    let tokens;
    try {
      tokens = await listAll(`/principals/${encodeURIComponent(me.principal_id)}/tokens`);
    } catch (error) {
      fill(body, errorBox(error, load));
      return;
    }
    const now = Date.now();
    // The session in use first, then live ones, then the rest.
    tokens.sort((a, b) => (b.id === me.token_id) - (a.id === me.token_id) || byTokenState(now)(a, b));
    const tbody = h('tbody', {});
    for (const token of tokens) {
      const state = tokenState(token, now);
      const here = token.id === me.token_id;
      const end = async (e) => {
        e.target.disabled = true;
        try {
          await api.del(`/tokens/${encodeURIComponent(token.id)}`);
        } catch (error) {
          e.target.disabled = false;
          body.prepend(errorBox(error));
          return;
        }
        if (here) signedOut();
        else await load();
      };
      tbody.append(
        h(
          'tr',
          { dataset: { tokenId: token.id, state, current: String(here) } },
          h('td', {}, tv('people.token_kind', token.kind), here ? [' ', badge(t('account.this_session'), 'info')] : null),
          h('td', {}, h('code', {}, `hub_${token.prefix}_…`)),
          h('td', {}, formatTime(token.created_at)),
          h('td', {}, formatTime(token.expires_at)),
          h('td', {}, badge(tv('people.token_state', state), state === 'active' ? 'ok' : 'muted')),
          h('td', { class: 'actions' }, state === 'active' ? actionButton(here ? 'sign-out-here' : 'end-token', t(here ? 'account.sign_out_here' : 'account.end'), end, 'btn-danger-outline') : '—'),
        ),
      );
    }
    if (!tokens.length) tbody.append(emptyRow(6, t('people.no_tokens')));
    fill(body, h('p', { class: 'muted small' }, t('account.sessions_note')), dataTable('account-tokens', ['kind', 'prefix', 'created', 'expires', 'state', 'actions'].map((c) => t(`account.col.${c}`)), tbody));
  };
  await load();
  return section;
}

export async function render(el, ctx) {
  const me = ctx.me;
  const who = h(
    'dl',
    { class: 'facts', id: 'account-facts' },
    h('dt', {}, t('account.name')),
    h('dd', {}, me.name),
    h('dt', {}, t('account.agency')),
    h('dd', {}, ctx.agencyName(me.agency_code)),
    h('dt', {}, t('account.roles')),
    h('dd', {}, me.roles.map((r) => tv('role', r)).join('、') || '—'),
    h('dt', {}, t('account.kind')),
    h('dd', {}, tv('people.kind', me.kind ?? 'user')),
  );
  el.append(pageHeader(t('account.title')), flashArea(), card(null, who));
  if ((me.kind ?? 'user') === 'user') el.append(passwordCard(ctx));
  el.append(await tokensCard(ctx, ctx.signedOut));
  setState(el, 'ready');
}
