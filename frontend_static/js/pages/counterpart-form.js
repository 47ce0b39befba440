// The form for an investor profile, a large firm's open call (jiebang guashuai) or a provider's offer, saved with
// SaveCounterpart. The server checks every field; its messages appear next to their fields.
import { t, tk, pick } from '../i18n.js';
import { gql, ApiError, fieldMessage } from '../api.js';
import { el, notify, showError } from '../shell.js';
import { dateField, dateValue, invalidMessage } from '../datefield.js';

export const INDUSTRIES = ['FINTECH', 'DIGITAL', 'RD_DESIGN', 'CULTURE_TECH', 'OTHER'];
export const STAGES = ['SEED', 'ANGEL', 'PRE_A', 'SERIES_A', 'SERIES_B', 'SERIES_C_PLUS'];
const SERVICES = ['IP', 'LEGAL', 'FINANCE', 'OFFICE', 'MARKET'];

// counterpartForm({kind, value, prefix, onSaved}) → a <form>; `value` is the stored counterpart (null: a new one).
export function counterpartForm({ kind, value = null, prefix, onSaved }) {
  const v = value || {};
  let savedId = value?.id || null;
  const id = (f) => `${prefix}-${f}`;
  const error = (f) => el('span', { class: 'field-error', id: `err-${id(f)}`, role: 'status' });
  const field = (f, labelKey, input, help) => el('div', { class: 'field' },
    el('label', { for: id(f) }, t(labelKey)), input, help ? el('span', { class: 'help', id: `help-${id(f)}` }, t(help)) : null, error(f));
  const text = (f, extra = {}) => el('input', { id: id(f), value: v[f] ?? '', autocomplete: 'off', 'aria-describedby': `err-${id(f)}`, ...extra });
  const num = (f) => el('input', { id: id(f), type: 'number', step: 'any', min: '0', inputmode: 'decimal',
    value: v[f] === null || v[f] === undefined ? '' : String(v[f]), 'aria-describedby': `err-${id(f)}` });
  const checks = (f, legendKey, values, chosen, label) => el('fieldset', { id: id(f), class: 'checks' },
    el('legend', {}, t(legendKey)),
    el('div', { class: 'row' }, values.map((x) => el('label', {},
      el('input', { type: 'checkbox', name: id(f), value: x, checked: (chosen || []).includes(x) }), ' ', label(x)))),
    error(f));

  const form = el('form', { id: `${prefix}-form`, novalidate: true, class: 'counterpart-form' },
    el('div', { class: 'fields' },
      field('nameZh', 'cp.nameZh', text('nameZh', { maxlength: 120 })),
      field('nameEn', 'cp.nameEn', text('nameEn', { maxlength: 120 })),
      field('organisation', 'cp.organisation', text('organisation', { maxlength: 120 })),
      field('region', 'cp.region', text('region', { maxlength: 60 })),
      kind === 'INVESTOR' ? field('ticketMin', 'cp.ticketMin', num('ticketMin')) : null,
      kind === 'INVESTOR' ? field('ticketMax', 'cp.ticketMax', num('ticketMax')) : null,
      kind === 'FIRM_CALL' ? field('deadline', 'cp.deadline', ...dateField(id('deadline'), { kind: 'date', value: v.deadline || '' })) : null),
    checks('industries', 'cp.industries', INDUSTRIES, v.industries, (x) => tk('industry', x, 'industry.OTHER')),
    checks('stages', 'cp.stages', STAGES, v.stages, (x) => tk('match.stage', x, 'common.none')),
    kind === 'PROVIDER' ? checks('services', 'cp.services', SERVICES, v.serves, (x) => tk('match.need', x, 'common.none')) : null,
    field('tags', 'cp.tags', text('tags', { value: (v.tags || []).join(', '), 'aria-describedby': `help-${id('tags')} err-${id('tags')}` }), 'cp.tagsHelp'),
    field('description', 'cp.description', el('textarea', { id: id('description'), rows: 3, maxlength: 2000,
      'aria-describedby': `err-${id('description')}` }, v.description || '')),
    el('button', { type: 'submit', id: `${prefix}-save` }, t(value ? 'common.save' : kind === 'INVESTOR' ? 'cp.createButton' : 'cp.post')));

  const read = (f) => form.querySelector(`#${id(f)}`)?.value.trim() ?? '';
  const chosen = (f) => [...form.querySelectorAll(`input[name=${id(f)}]:checked`)].map((x) => x.value);
  const show = (f, message) => {
    const slot = form.querySelector(`#err-${id(f)}`) || form.querySelector(`#err-${id('description')}`);
    slot.textContent = message;
    form.querySelector(`#${id(f)}`)?.setAttribute('aria-invalid', 'true');
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
    const input = { kind, nameZh: read('nameZh'), nameEn: read('nameEn'), organisation: read('organisation'),
      region: read('region'), industries: chosen('industries'), stages: chosen('stages'), description: read('description'),
      tags: read('tags').split(/[,\uFF0C\u3001]/).map((x) => x.trim()).filter(Boolean) };
    if (kind === 'INVESTOR') {
      for (const f of ['ticketMin', 'ticketMax']) {
        const raw = read(f);
        if (raw !== '' && !Number.isFinite(Number(raw))) { show(f, t('cp.notNumber')); notify(t('error.BAD_USER_INPUT'), 'error'); return; }
        input[f] = raw === '' ? null : Number(raw);
      }
    }
    if (kind === 'FIRM_CALL') {
      const deadline = dateValue(form.querySelector(`#${id('deadline')}`));
      if (deadline === null) { show('deadline', invalidMessage('date')); notify(t('error.BAD_USER_INPUT'), 'error'); return; }
      input.deadline = deadline || null;
    }
    if (kind === 'PROVIDER') input.services = chosen('services');
    const button = form.querySelector(`#${prefix}-save`);
    button.disabled = true;
    try {
      const saved = (await gql('SaveCounterpart', { id: savedId, input })).saveCounterpart;
      if (value) savedId = saved.id; else form.reset();
      // an investor's own profile is created, not posted like an open call or an offer
      notify(t(value ? 'cp.saved' : kind === 'INVESTOR' ? 'cp.profileCreated' : 'cp.posted', { name: pick(saved, 'name') }), 'ok');
      await onSaved?.(saved);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'BAD_USER_INPUT') {
        for (const [path, ext] of Object.entries(err.fields)) show(path.split('.').pop(), fieldMessage(ext));
        notify(t('error.BAD_USER_INPUT'), 'error');
        form.querySelector('[aria-invalid]')?.focus();
      } else showError(err);
    } finally { button.disabled = false; }
  });
  return form;
}
