// Roadshow calendar: upcoming and live roadshows first, then past and cancelled ones; each opens its live
// room. Managers and admins schedule roadshows here; their organisers edit, reschedule or cancel one that
// has not started (its room is told live).
import { t, tk, pick, fmtDateTime } from '../i18n.js';
import { gql, ApiError, fieldMessage } from '../api.js';
import { initPage, el, notify, showError } from '../shell.js';
import { dateField, dateValue, toFieldText } from '../datefield.js';

const me = await initPage({ title: 'nav.roadshows' });
const page = document.getElementById('page');
const canSchedule = me.role === 'ADMIN' || me.role === 'MANAGER';
let roadshowsById = new Map();

function card(r) {
  const minutes = r.agenda.reduce((sum, a) => sum + a.pitchMinutes + a.qaMinutes, 0);
  const room = `/pages/room.html?id=${encodeURIComponent(r.id)}`;
  const actions = r.canModerate && r.status === 'SCHEDULED' ? [
    canSchedule ? el('button', { type: 'button', class: 'secondary', dataset: { edit: r.id }, onclick: () => openEditor(r) }, t('roadshow.edit')) : null,
    el('button', { type: 'button', class: 'danger', dataset: { cancel: r.id }, onclick: () => cancelRoadshow(r) }, t('roadshow.cancel'))] : [];
  return el('li', { class: 'card', dataset: { roadshow: r.id } },
    el('h3', {}, r.status === 'CANCELLED' ? pick(r, 'title') : el('a', { href: room }, pick(r, 'title'))),
    el('p', {}, el('span', { class: `badge status-${r.status}` }, tk('roadshow.status', r.status, 'common.none')), ' ',
      fmtDateTime(r.startsAt), ' · ', t('roadshow.pitchCount', { n: r.agenda.length }), ' · ', t('roadshow.minutes', { n: minutes }),
      r.industryFocus.length ? ` · ${r.industryFocus.map((i) => tk('industry', i.toUpperCase(), 'industry.OTHER')).join('、')}` : ''),
    el('p', { class: 'muted' }, r.agenda.map((a) => pick(a, 'startupName')).join(' · ')),
    el('div', { class: 'card-actions' },
      r.status === 'CANCELLED' ? null : el('a', { class: 'button', href: room },
        t(r.status === 'ENDED' ? 'roadshow.viewRecord' : r.status === 'LIVE' ? 'roadshow.enterLive' : 'roadshow.enter')),
      ...actions));
}

const lists = el('div', { id: 'lists' });
page.replaceChildren(el('h1', {}, t('roadshow.calendar')), lists);

async function renderLists() {
  let roadshows = [];
  try { roadshows = (await gql('RoadshowCalendar')).roadshows; } catch (error) { showError(error); }
  roadshowsById = new Map(roadshows.map((r) => [r.id, r]));
  const over = (r) => r.status === 'ENDED' || r.status === 'CANCELLED';
  const upcoming = roadshows.filter((r) => !over(r)).sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  const past = roadshows.filter(over).sort((a, b) => b.startsAt.localeCompare(a.startsAt));
  lists.replaceChildren(
    el('section', { 'aria-labelledby': 'upcoming-title' }, el('h2', { id: 'upcoming-title' }, t('roadshow.upcoming')),
      upcoming.length ? el('ul', { class: 'plain grid grid-2', id: 'upcoming' }, upcoming.map(card)) : el('p', { class: 'muted' }, t('roadshow.noneUpcoming'))),
    el('section', { 'aria-labelledby': 'past-title' }, el('h2', { id: 'past-title' }, t('roadshow.past')),
      past.length ? el('ul', { class: 'plain grid grid-2', id: 'past' }, past.map(card)) : el('p', { class: 'muted' }, t('roadshow.nonePast'))));
}
await renderLists();

async function cancelRoadshow(r) {
  if (!confirm(t('roadshow.cancelConfirm', { title: pick(r, 'title') }))) return;
  try {
    await gql('CancelRoadshow', { id: r.id });
    notify(t('roadshow.cancelled', { title: pick(r, 'title') }), 'ok');
  } catch (error) { showError(error); }
  await renderLists();
}

// ---------------------------------------------------------------- scheduling and editing (managers and admins)
const INDUSTRIES = ['fintech', 'digital', 'rd_design', 'culture_tech', 'other'];
const MAX_TITLE = 120;
let startups = [];
let editing = null;          // the roadshow being edited, or null when scheduling a new one
let formParts = null;

async function scheduleForm() {
  startups = (await gql('StartupProfiles', { incubatorId: me.role === 'MANAGER' ? me.incubatorId : null, first: 100 })).startupProfiles.nodes;
  const field = (id, labelKey, ...inputs) => el('div', { class: 'field' }, el('label', { for: id }, t(labelKey)), ...inputs,
    el('span', { class: 'field-error', id: `err-${id}`, role: 'status' }));
  const agenda = el('ol', { id: 'agenda-rows', class: 'plain' });
  const addRow = (values = {}) => {
    const i = agenda.children.length;
    const options = [...startups];
    if (values.startupId && !options.some((x) => x.id === values.startupId)) {
      options.push({ id: values.startupId, nameZh: values.startupNameZh, nameEn: values.startupNameEn });
    }
    const select = el('select', { id: `agenda-${i}-startup_id` }, options.map((x) => el('option', { value: x.id }, pick(x, 'name'))));
    if (values.startupId) select.value = values.startupId;
    agenda.append(el('li', { class: 'row', dataset: { row: i } },
      field(`agenda-${i}-startup_id`, 'roadshow.form.startup', select),
      field(`agenda-${i}-pitch_minutes`, 'roadshow.form.pitchMinutes', el('input', { id: `agenda-${i}-pitch_minutes`, type: 'number', min: 1, max: 60, value: values.pitchMinutes ?? 10 })),
      field(`agenda-${i}-qa_minutes`, 'roadshow.form.qaMinutes', el('input', { id: `agenda-${i}-qa_minutes`, type: 'number', min: 0, max: 60, value: values.qaMinutes ?? 5 })),
      field(`agenda-${i}-stream_url`, 'roadshow.form.streamUrl', el('input', { id: `agenda-${i}-stream_url`, type: 'url', placeholder: 'https://', value: values.streamUrl || '' }))));
  };
  const [startsInput, startsHint] = dateField('starts_at');
  const legend = el('summary', { id: 'schedule-summary' }, t('roadshow.form.title'));
  const submit = el('button', { type: 'submit', id: 'schedule-submit' }, t('roadshow.form.submit'));
  const stopEditing = el('button', { type: 'button', class: 'secondary', id: 'schedule-new', hidden: true, onclick: () => fill(null) }, t('roadshow.form.stopEditing'));
  const form = el('form', { id: 'schedule-form', novalidate: true },
    el('div', { class: 'fields' },
      field('title_zh', 'roadshow.form.titleZh', el('input', { id: 'title_zh', maxlength: MAX_TITLE })),
      field('title_en', 'roadshow.form.titleEn', el('input', { id: 'title_en', maxlength: MAX_TITLE })),
      field('starts_at', 'roadshow.form.startsAt', startsInput, startsHint),
      field('audience', 'roadshow.form.audience', el('select', { id: 'audience' },
        ['REGISTERED', 'INVESTORS'].map((a) => el('option', { value: a }, t(`roadshow.audience.${a}`)))))),
    el('fieldset', { id: 'industry_focus' }, el('legend', {}, t('roadshow.form.industries')),
      el('div', { class: 'row' }, INDUSTRIES.map((i) => el('label', {}, el('input', { type: 'checkbox', value: i, name: 'industry' }), ' ',
        tk('industry', i.toUpperCase(), 'industry.OTHER'))))),
    el('fieldset', {}, el('legend', {}, t('roadshow.form.agenda')), agenda,
      el('span', { class: 'field-error', id: 'err-agenda', role: 'status' }),
      el('button', { type: 'button', class: 'secondary', id: 'add-pitch', onclick: () => addRow() }, t('roadshow.form.addPitch'))),
    el('div', { class: 'card-actions' }, submit, stopEditing));
  const details = el('details', { class: 'card', id: 'schedule' }, legend, form);
  formParts = { form, agenda, addRow, details, legend, submit, stopEditing, startsInput };
  form.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  fill(null);
  return details;
}

// An empty form (a new roadshow) or one filled with the roadshow being edited.
function fill(r) {
  const { form, agenda, addRow, legend, submit, stopEditing, startsInput } = formParts;
  editing = r;
  form.reset();
  clearErrors(form);
  agenda.replaceChildren();
  (r ? r.agenda : [{}]).forEach((a) => addRow(a));
  form.querySelector('#title_zh').value = r?.titleZh || '';
  form.querySelector('#title_en').value = r?.titleEn || '';
  startsInput.value = r ? toFieldText(r.startsAt) : '';
  startsInput.refreshHint();
  if (r) form.querySelector('#audience').value = r.audience === 'INVESTORS' ? 'INVESTORS' : 'REGISTERED';
  form.querySelectorAll('input[name=industry]').forEach((x) => { x.checked = !!r && r.industryFocus.includes(x.value); });
  legend.textContent = r ? t('roadshow.form.editTitle', { title: pick(r, 'title') }) : t('roadshow.form.title');
  submit.textContent = t(r ? 'roadshow.form.save' : 'roadshow.form.submit');
  stopEditing.hidden = !r;
}

function openEditor(r) {
  fill(roadshowsById.get(r.id) || r);
  formParts.details.open = true;
  formParts.details.scrollIntoView({ block: 'start' });
  document.getElementById('title_zh').focus();
}

function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
}

function setError(path, message) {
  // The server names GraphQL input fields (startsAt, agenda[0].pitchMinutes); the form's ids are snake_case.
  const id = path.replace(/\[(\d+)\]/g, '.$1').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/\./g, '-');
  const slot = document.getElementById(`err-${id}`) || document.getElementById('err-agenda');
  if (slot) slot.textContent = message;
  document.getElementById(id)?.setAttribute('aria-invalid', 'true');
}

async function save() {
  const { form, agenda, submit, startsInput } = formParts;
  if (submit.disabled) return;
  clearErrors(form);
  const value = (id) => document.getElementById(id).value.trim();
  const rows = [...agenda.children].map((_, i) => ({ startupId: value(`agenda-${i}-startup_id`), pitchMinutes: Number(value(`agenda-${i}-pitch_minutes`)),
    qaMinutes: Number(value(`agenda-${i}-qa_minutes`)), streamUrl: value(`agenda-${i}-stream_url`) || null }));
  // the server's checks, mirrored (roadshows/service.py)
  const problems = [];
  for (const name of ['title_zh', 'title_en']) {
    if (!value(name)) problems.push([name, t('roadshow.check.titleRequired')]);
    else if (value(name).length > MAX_TITLE) problems.push([name, t('roadshow.check.titleLong', { n: MAX_TITLE })]);
  }
  const local = dateValue(startsInput);
  const startsAt = local ? `${local}:00+08:00` : '';
  if (local === null) problems.push(['starts_at', t('date.invalidDateTime')]);
  else if (!startsAt) problems.push(['starts_at', t('roadshow.check.startRequired')]);
  else if (new Date(startsAt).getTime() < Date.now() - 5 * 60000) problems.push(['starts_at', t('roadshow.check.startPast')]);
  rows.forEach((r, i) => {
    if (!(r.pitchMinutes >= 1 && r.pitchMinutes <= 60)) problems.push([`agenda.${i}.pitch_minutes`, t('roadshow.check.pitchMinutes')]);
    if (!(r.qaMinutes >= 0 && r.qaMinutes <= 60)) problems.push([`agenda.${i}.qa_minutes`, t('roadshow.check.qaMinutes')]);
    if (r.streamUrl && !/^https?:\/\/[^\s/]+/.test(r.streamUrl)) problems.push([`agenda.${i}.stream_url`, t('roadshow.check.streamUrl')]);
  });
  if (new Set(rows.map((r) => r.startupId)).size !== rows.length) problems.push(['agenda', t('roadshow.check.duplicate')]);
  if (problems.length) { problems.forEach(([p, m]) => setError(p, m)); notify(t('error.BAD_USER_INPUT'), 'error'); return; }
  const input = { titleZh: value('title_zh'), titleEn: value('title_en'), startsAt, audience: value('audience'), agenda: rows,
    industryFocus: [...form.querySelectorAll('input[name=industry]:checked')].map((x) => x.value) };
  if (editing && !['REGISTERED', 'INVESTORS'].includes(editing.audience)) delete input.audience; // invitation-only stays so
  submit.disabled = true;   // one click, one roadshow
  try {
    if (editing) {
      const updated = (await gql('UpdateRoadshow', { id: editing.id, input })).updateRoadshow;
      notify(t('roadshow.form.saved', { title: pick(updated, 'title'), when: fmtDateTime(updated.startsAt) }), 'ok');
    } else {
      const created = (await gql('ScheduleRoadshow', { input })).scheduleRoadshow;
      notify(t('roadshow.form.scheduled', { title: pick(created, 'title') }), 'ok');
    }
    fill(null);              // a second click finds an empty form, not a duplicate
    await renderLists();
  } catch (error) {
    if (error instanceof ApiError && error.code === 'BAD_USER_INPUT') {
      for (const [path, ext] of Object.entries(error.fields)) setError(path, fieldMessage(ext));
      notify(t('error.BAD_USER_INPUT'), 'error');
    } else showError(error);
  } finally {
    submit.disabled = false;
  }
}

if (canSchedule) {
  try { page.append(await scheduleForm()); } catch (error) { showError(error); }
}
