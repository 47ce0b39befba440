// Roadshow calendar: upcoming and live roadshows first, then past ones; each opens its live room.
import { t, tk, pick, fmtDateTime } from '../i18n.js';
import { gql, ApiError, fieldMessage } from '../api.js';
import { initPage, el, notify, showError } from '../shell.js';

const me = await initPage({ title: 'nav.roadshows' });
const page = document.getElementById('page');
function card(r) {
  const minutes = r.agenda.reduce((sum, a) => sum + a.pitchMinutes + a.qaMinutes, 0);
  return el('li', { class: 'card', dataset: { roadshow: r.id } },
    el('h3', {}, el('a', { href: `/pages/room.html?id=${encodeURIComponent(r.id)}` }, pick(r, 'title'))),
    el('p', {}, el('span', { class: `badge status-${r.status}` }, tk('roadshow.status', r.status, 'common.none')), ' ',
      fmtDateTime(r.startsAt), ' · ', t('roadshow.pitchCount', { n: r.agenda.length }), ' · ', t('roadshow.minutes', { n: minutes }),
      r.industryFocus.length ? ` · ${r.industryFocus.map((i) => tk('industry', i.toUpperCase(), 'industry.OTHER')).join('、')}` : ''),
    el('p', { class: 'muted' }, r.agenda.map((a) => pick(a, 'startupName')).join(' · ')),
    el('a', { class: 'button', href: `/pages/room.html?id=${encodeURIComponent(r.id)}` },
      t(r.status === 'ENDED' ? 'roadshow.viewRecord' : r.status === 'LIVE' ? 'roadshow.enterLive' : 'roadshow.enter')));
}

const lists = el('div', { id: 'lists' });
page.replaceChildren(el('h1', {}, t('roadshow.calendar')), lists);

async function renderLists() {
  let roadshows = [];
  try { roadshows = (await gql('RoadshowCalendar')).roadshows; } catch (error) { showError(error); }
  const upcoming = roadshows.filter((r) => r.status !== 'ENDED').sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  const past = roadshows.filter((r) => r.status === 'ENDED').sort((a, b) => b.startsAt.localeCompare(a.startsAt));
  lists.replaceChildren(
    el('section', { 'aria-labelledby': 'upcoming-title' }, el('h2', { id: 'upcoming-title' }, t('roadshow.upcoming')),
      upcoming.length ? el('ul', { class: 'plain grid grid-2', id: 'upcoming' }, upcoming.map(card)) : el('p', { class: 'muted' }, t('roadshow.noneUpcoming'))),
    el('section', { 'aria-labelledby': 'past-title' }, el('h2', { id: 'past-title' }, t('roadshow.past')),
      past.length ? el('ul', { class: 'plain grid grid-2', id: 'past' }, past.map(card)) : el('p', { class: 'muted' }, t('roadshow.nonePast'))));
}
await renderLists();

// ---------------------------------------------------------------- scheduling (managers and admins)
const INDUSTRIES = ['fintech', 'digital', 'rd_design', 'culture_tech', 'other'];
const MAX_TITLE = 120;

async function scheduleForm() {
  const startups = (await gql('StartupProfiles', { incubatorId: me.role === 'MANAGER' ? me.incubatorId : null, first: 100 })).startupProfiles.nodes;
  const field = (id, labelKey, input) => el('div', { class: 'field' }, el('label', { for: id }, t(labelKey)), input,
    el('span', { class: 'field-error', id: `err-${id}`, role: 'status' }));
  const agenda = el('ol', { id: 'agenda-rows', class: 'plain' });
  const addRow = () => {
    const i = agenda.children.length;
    agenda.append(el('li', { class: 'row', dataset: { row: i } },
      field(`agenda-${i}-startup_id`, 'roadshow.form.startup', el('select', { id: `agenda-${i}-startup_id` },
        startups.map((x) => el('option', { value: x.id }, pick(x, 'name'))))),
      field(`agenda-${i}-pitch_minutes`, 'roadshow.form.pitchMinutes', el('input', { id: `agenda-${i}-pitch_minutes`, type: 'number', min: 1, max: 60, value: 10 })),
      field(`agenda-${i}-qa_minutes`, 'roadshow.form.qaMinutes', el('input', { id: `agenda-${i}-qa_minutes`, type: 'number', min: 0, max: 60, value: 5 })),
      field(`agenda-${i}-stream_url`, 'roadshow.form.streamUrl', el('input', { id: `agenda-${i}-stream_url`, type: 'url', placeholder: 'https://' }))));
  };
  addRow();
  const form = el('form', { id: 'schedule-form', novalidate: true },
    el('div', { class: 'fields' },
      field('title_zh', 'roadshow.form.titleZh', el('input', { id: 'title_zh', maxlength: MAX_TITLE })),
      field('title_en', 'roadshow.form.titleEn', el('input', { id: 'title_en', maxlength: MAX_TITLE })),
      field('starts_at', 'roadshow.form.startsAt', el('input', { id: 'starts_at', type: 'datetime-local' })),
      field('audience', 'roadshow.form.audience', el('select', { id: 'audience' },
        ['REGISTERED', 'INVESTORS'].map((a) => el('option', { value: a }, t(`roadshow.audience.${a}`)))))),
    el('fieldset', { id: 'industry_focus' }, el('legend', {}, t('roadshow.form.industries')),
      el('div', { class: 'row' }, INDUSTRIES.map((i) => el('label', {}, el('input', { type: 'checkbox', value: i, name: 'industry' }), ' ',
        tk('industry', i.toUpperCase(), 'industry.OTHER'))))),
    el('fieldset', {}, el('legend', {}, t('roadshow.form.agenda')), agenda,
      el('span', { class: 'field-error', id: 'err-agenda', role: 'status' }),
      el('button', { type: 'button', class: 'secondary', id: 'add-pitch', onclick: addRow }, t('roadshow.form.addPitch'))),
    el('button', { type: 'submit', id: 'schedule-submit' }, t('roadshow.form.submit')));
  form.addEventListener('submit', (e) => { e.preventDefault(); schedule(form, agenda); });
  return el('details', { class: 'card', id: 'schedule' }, el('summary', {}, t('roadshow.form.title')), form);
}

function setError(path, message) {
  // The server names GraphQL input fields (startsAt, agenda[0].pitchMinutes); the form's ids are snake_case.
  const id = path.replace(/\[(\d+)\]/g, '.$1').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/\./g, '-');
  const slot = document.getElementById(`err-${id}`) || document.getElementById('err-agenda');
  if (slot) slot.textContent = message;
  document.getElementById(id)?.setAttribute('aria-invalid', 'true');
}

async function schedule(form, agenda) {
  form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
  const value = (id) => document.getElementById(id).value.trim();
  const rows = [...agenda.children].map((_, i) => ({ startupId: value(`agenda-${i}-startup_id`), pitchMinutes: Number(value(`agenda-${i}-pitch_minutes`)),
    qaMinutes: Number(value(`agenda-${i}-qa_minutes`)), streamUrl: value(`agenda-${i}-stream_url`) || null }));
  // the server's checks, mirrored (roadshows/service.py)
  const problems = [];
  for (const name of ['title_zh', 'title_en']) {
    if (!value(name)) problems.push([name, t('roadshow.check.titleRequired')]);
    else if (value(name).length > MAX_TITLE) problems.push([name, t('roadshow.check.titleLong', { n: MAX_TITLE })]);
  }
  const local = value('starts_at');
  const startsAt = local ? `${local.length === 16 ? `${local}:00` : local}+08:00` : '';
  if (!startsAt) problems.push(['starts_at', t('roadshow.check.startRequired')]);
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
  try {
    const created = (await gql('ScheduleRoadshow', { input })).scheduleRoadshow;
    notify(t('roadshow.form.scheduled', { title: pick(created, 'title') }), 'ok');
    await renderLists();
  } catch (error) {
    if (error instanceof ApiError && error.code === 'BAD_USER_INPUT') {
      for (const [path, ext] of Object.entries(error.fields)) setError(path, fieldMessage(ext));
      notify(t('error.BAD_USER_INPUT'), 'error');
    } else showError(error);
  }
}

if (me.role === 'ADMIN' || me.role === 'MANAGER') {
  try { page.append(await scheduleForm()); } catch (error) { showError(error); }
}
