// Managers (and admins) register and edit their incubator's IP workstations: names, location, languages,
// topics, modes, slot length, cut-off, booking limit and the IP advisors who staff them (picked by name).
// The server's field errors are shown next to their fields.
import { t, pick } from '../i18n.js';
import { gql, ApiError, fieldMessage } from '../api.js';
import { initPage, el, notify, showError } from '../shell.js';
import { allIncubators, param, setParams } from '../util.js';

const me = await initPage({ roles: ['ADMIN', 'MANAGER'], title: 'workstations.title' });
const page = document.getElementById('page');
const SLOT_MINUTES = [30, 45, 60, 90, 120];
const FIELDS = ['incubatorId', 'nameZh', 'nameEn', 'location', 'languages', 'topics', 'modes', 'slotMinutes',
  'cutoffHours', 'bookingLimit', 'advisorIds'];

const [catalogue, advisors, incubators] = await Promise.all([
  gql('IpCatalogue').then((d) => d.ipCatalogue),
  gql('IpAdvisors').then((d) => d.ipAdvisors),
  me.role === 'ADMIN' ? allIncubators() : Promise.resolve([]),
]).catch((error) => { showError(error); throw error; });

const state = { incubatorId: me.role === 'MANAGER' ? me.incubatorId : (param('incubator') || incubators[0]?.id || ''),
  list: [], editing: null };
// Lists and labels in the page's language (full-width colon and enumeration comma in Chinese).
const listOf = (items) => items.join(t('admin.listSeparator'));
const names = (list, codes) => listOf(codes.map((c) => pick(list.find((x) => x.code === c), 'name') || c));
const labelled = (key, value) => t('workstations.labelled', { label: t(key), value });

const listBox = el('div', { id: 'ws-list-box' });
const formBox = el('div', { id: 'ws-form-box' });
const picker = me.role === 'ADMIN' ? el('div', { class: 'field' }, el('label', { for: 'ws-incubator' }, t('workstations.incubator')),
  el('select', { id: 'ws-incubator', onchange: (e) => { state.incubatorId = e.target.value; state.editing = null; load(); } },
    incubators.map((i) => el('option', { value: i.id }, pick(i, 'name'))))) : null;
if (picker) picker.querySelector('select').value = state.incubatorId;

page.replaceChildren(
  el('h1', {}, t('workstations.title')),
  el('p', {}, el('a', { href: '/pages/bookings.html', id: 'to-bookings' }, t('workstations.toBookings'))),
  el('section', { class: 'card', 'aria-labelledby': 'ws-list-title' }, el('h2', { id: 'ws-list-title' }, t('workstations.list')), picker, listBox),
  el('section', { class: 'card', 'aria-labelledby': 'ws-form-title' }, formBox));

function renderList() {
  listBox.replaceChildren(state.list.length ? el('ul', { class: 'plain', id: 'ws-list' }, state.list.map((w) => el('li', { dataset: { workstation: w.id } },
    el('strong', {}, pick(w, 'name')), ' · ', w.location,
    el('p', { class: 'muted' }, [labelled('workstations.languages', names(catalogue.languages, w.languages)),
      labelled('workstations.topics', names(catalogue.topics, w.topics)), labelled('workstations.modes', names(catalogue.modes, w.modes))].join(' · ')),
    el('p', { class: 'muted' }, t('workstations.terms', { minutes: w.slotMinutes, hours: w.cutoffHours, limit: w.bookingLimit })),
    el('p', { class: 'ws-advisors' }, labelled('workstations.advisors',
      w.advisors.length ? listOf(w.advisors.map((a) => a.displayName)) : t('workstations.noAdvisors'))),
    el('div', { class: 'row' },
      el('button', { type: 'button', class: 'secondary', 'aria-label': `${t('workstations.edit')} ${pick(w, 'name')}`,
        onclick: () => { state.editing = w; renderForm(); document.getElementById('ws-nameZh').focus(); } }, t('workstations.edit')),
      el('a', { href: `/pages/bookings.html?workstation=${encodeURIComponent(w.id)}` }, t('workstations.viewSlots'))))))
    : el('p', { class: 'muted', id: 'ws-empty' }, t('workstations.none')));
}

function field(id, labelKey, control) {
  control.setAttribute('aria-describedby', `err-ws-${id}`);   // the error is read with the field
  return el('div', { class: 'field' }, el('label', { for: `ws-${id}` }, t(labelKey)), control,
    el('span', { class: 'field-error', id: `err-ws-${id}`, role: 'status' }));
}
// A group of checkboxes; its error sits under the group.
function choices(id, legendKey, entries, chosen) {
  return el('fieldset', { id: `ws-${id}`, 'aria-describedby': `err-ws-${id}` }, el('legend', {}, t(legendKey)),
    el('div', { class: 'row' }, entries.map(([value, label]) => el('label', {},
      el('input', { type: 'checkbox', name: id, value, checked: chosen.includes(value) }), ' ', label))),
    el('span', { class: 'field-error', id: `err-ws-${id}`, role: 'status' }));
}
const checked = (name) => [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((x) => x.value);

function renderForm() {
  const w = state.editing;
  const value = (key, fallback = '') => (w ? w[key] : fallback);
  const form = el('form', { id: 'ws-form', novalidate: true },
    el('h2', { id: 'ws-form-title' }, w ? t('workstations.editTitle', { name: pick(w, 'name') }) : t('workstations.createTitle')),
    el('div', { class: 'row' },
      field('nameZh', 'workstations.nameZh', el('input', { id: 'ws-nameZh', value: value('nameZh'), maxlength: 200, lang: 'zh-CN' })),
      field('nameEn', 'workstations.nameEn', el('input', { id: 'ws-nameEn', value: value('nameEn'), maxlength: 200, lang: 'en' })),
      field('location', 'workstations.location', el('input', { id: 'ws-location', value: value('location'), maxlength: 200 }))),
    choices('languages', 'workstations.languages', catalogue.languages.map((x) => [x.code, pick(x, 'name')]), value('languages', ['zh'])),
    choices('topics', 'workstations.topics', catalogue.topics.map((x) => [x.code, pick(x, 'name')]), value('topics', [])),
    choices('modes', 'workstations.modes', catalogue.modes.map((x) => [x.code, pick(x, 'name')]), value('modes', catalogue.modes.map((x) => x.code))),
    el('div', { class: 'row' },
      field('slotMinutes', 'workstations.slotMinutes', el('select', { id: 'ws-slotMinutes', disabled: Boolean(w) },
        SLOT_MINUTES.map((m) => el('option', { value: m, selected: m === value('slotMinutes', 60) }, t('workstations.minutes', { n: m }))))),
      field('cutoffHours', 'workstations.cutoffHours', el('input', { id: 'ws-cutoffHours', type: 'number', step: 1, value: value('cutoffHours', 24) })),
      field('bookingLimit', 'workstations.bookingLimit', el('input', { id: 'ws-bookingLimit', type: 'number', step: 1, value: value('bookingLimit', 2) }))),
    w ? el('p', { class: 'muted' }, t('workstations.slotFixed')) : null,
    choices('advisorIds', 'workstations.advisors', advisors.map((a) => [a.id, a.organisation ? `${a.displayName} · ${a.organisation}` : a.displayName]),
      w ? w.advisors.map((a) => a.id) : []),
    w ? el('p', { class: 'muted' }, t('workstations.removeAdvisorNote')) : null,
    el('p', { class: 'field-error form-error', id: 'ws-form-error', role: 'alert' }),
    el('div', { class: 'row' },
      el('button', { type: 'submit', id: 'ws-save' }, t(w ? 'common.save' : 'workstations.create')),
      w ? el('button', { type: 'button', class: 'secondary', id: 'ws-new', onclick: () => { state.editing = null; renderForm(); document.getElementById('ws-nameZh').focus(); } }, t('workstations.createInstead')) : null));
  form.addEventListener('submit', (event) => { event.preventDefault(); save(form); });
  formBox.replaceChildren(form);
}

// Numbers are sent as typed: a value the server refuses comes back as a field error next to its field.
function number(id) {
  const raw = document.getElementById(id).value.trim();
  return raw === '' ? null : Number(raw);
}

async function save(form) {
  form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
  const invalid = (key) => document.getElementById(`ws-${key}`)?.setAttribute('aria-invalid', 'true');
  const input = { nameZh: document.getElementById('ws-nameZh').value, nameEn: document.getElementById('ws-nameEn').value,
    location: document.getElementById('ws-location').value, languages: checked('languages'), topics: checked('topics'),
    modes: checked('modes'), cutoffHours: number('ws-cutoffHours'), bookingLimit: number('ws-bookingLimit'),
    advisorIds: checked('advisorIds') };
  for (const key of ['cutoffHours', 'bookingLimit']) {
    if (input[key] !== null && !Number.isInteger(input[key])) {
      document.getElementById(`err-ws-${key}`).textContent = t('workstations.wholeNumber');
      invalid(key);
      return;
    }
    if (input[key] === null) delete input[key];
  }
  const editing = state.editing;
  const button = document.getElementById('ws-save');
  button.disabled = true;   // a double-click registers one workstation
  try {
    // An advisor taken off takes their future consultations here with them: say how many first.
    if (editing && editing.advisorIds.some((id) => !input.advisorIds.includes(id))) {
      const n = (await gql('IpWorkstationAdvisorRemovalImpact', { workstationId: editing.id, advisorIds: input.advisorIds }))
        .ipWorkstationAdvisorRemovalImpact;
      if (n && !confirm(t('workstations.removeAdvisorsConfirm', { n }))) return;
    }
    if (editing) {
      const updated = (await gql('UpdateIpWorkstation', { workstationId: editing.id, input })).updateIpWorkstation;
      notify(updated.cancelledBookings ? t('workstations.savedCancelled', { n: updated.cancelledBookings }) : t('common.saved'), 'ok');
    } else {
      input.incubatorId = state.incubatorId;
      input.slotMinutes = Number(document.getElementById('ws-slotMinutes').value);
      const created = (await gql('CreateIpWorkstation', { input })).createIpWorkstation;
      notify(t('workstations.created', { name: pick(created, 'name') }), 'ok');
    }
    state.editing = null;
    await load();
  } catch (error) {
    if (!(error instanceof ApiError)) { showError(error); return; }
    const fields = Object.entries(error.fields);
    for (const [path, ext] of fields) {
      const key = FIELDS.find((f) => path === f || path.startsWith(`${f}[`)) || null;
      const slot = (key && document.getElementById(`err-ws-${key}`)) || document.getElementById('ws-form-error');
      slot.textContent = [slot.textContent, fieldMessage(ext)].filter(Boolean).join(' ');
      if (key) invalid(key);
    }
    if (!fields.length) document.getElementById('ws-form-error').textContent = error.userMessage;
    const first = fields.map(([path]) => FIELDS.find((f) => path === f || path.startsWith(`${f}[`))).find(Boolean);
    if (first) document.getElementById(`ws-${first}`)?.focus();
  } finally { button.disabled = false; }
}

async function load() {
  setParams({ incubator: me.role === 'ADMIN' ? state.incubatorId : null });
  try {
    state.list = state.incubatorId ? (await gql('IpWorkstations', { incubatorId: state.incubatorId })).ipWorkstations : [];
  } catch (error) { showError(error); }
  renderList();
  renderForm();
}

await load();
