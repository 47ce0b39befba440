// Matchmaking sessions (duijiehui) for their organisers (managers for their incubator, admins): set a session
// up (slots, meeting length, startups, counterparts, capacities, unavailable slots), run the optimal
// assignment, read the schedule grid (slots × counterparts), lock meetings and swap two meetings.
import { t, pick, fmtNumber, fmtDateTime, fmtTime } from '../i18n.js';
import { gql, ApiError, fieldMessage } from '../api.js';
import { initPage, el, notify, showError } from '../shell.js';
import { param, setParams } from '../util.js';
import { dateField, dateValue, invalidMessage } from '../datefield.js';

const me = await initPage({ roles: ['ADMIN', 'MANAGER'], title: 'session.title' });
const page = document.getElementById('page');
const state = { sessions: [], session: null, startups: [], counterparts: [], swap: new Set() };

const sessionSelect = el('select', { id: 'session-select', onchange: () => openSession(sessionSelect.value) });
const createBox = el('div', { id: 'create' });
const viewBox = el('section', { class: 'card', id: 'session-view', 'aria-labelledby': 'view-title', 'aria-live': 'polite' });
page.replaceChildren(el('h1', {}, t('session.title')),
  el('p', {}, el('a', { href: '/pages/matchmaking.html', id: 'back-link' }, t('session.back'))),
  el('div', { class: 'card row' }, el('div', { class: 'field' }, el('label', { for: 'session-select' }, t('session.pick')), sessionSelect)),
  createBox, viewBox);

const names = new Map();   // party id → {nameZh, nameEn}
const nameOf = (id) => (names.has(id) ? pick(names.get(id), 'name') : id);

// ---------------------------------------------------------------- sessions list
async function loadSessions(selected = param('id')) {
  state.sessions = (await gql('MatchmakingSessions', { first: 50 })).matchmakingSessions;
  sessionSelect.replaceChildren(el('option', { value: '' }, t(state.sessions.length ? 'session.choose' : 'session.none')),
    ...state.sessions.map((s) => el('option', { value: s.id, selected: s.id === selected }, s.title)));
  if (selected && state.sessions.some((s) => s.id === selected)) await openSession(selected);
  else viewBox.replaceChildren(el('h2', { id: 'view-title' }, t('session.schedule')), el('p', { class: 'muted' }, t('session.pickHelp')));
}

// ---------------------------------------------------------------- the new-session form
async function loadParties() {
  // one page per kind (the kind-ordered index serves each; investors first in the table)
  const [startups, ...counterparts] = await Promise.all([
    gql('StartupProfiles', { incubatorId: me.role === 'MANAGER' ? me.incubatorId : null, first: 100 }),
    ...['INVESTOR', 'FIRM_CALL', 'PROVIDER'].map((kind) => gql('Counterparts', { kind, first: 100 }))]);
  state.startups = startups.startupProfiles.nodes;
  state.counterparts = counterparts.flatMap((r) => r.counterparts.nodes);
  for (const p of [...state.startups, ...state.counterparts]) names.set(p.id, p);
}

function errorSlot(f) { return el('span', { class: 'field-error', id: `err-s-${f}`, role: 'status' }); }

let slotSerial = 0;
// A slot typed in the page's format and language (js/datefield.js), not the browser's locale-bound picker.
function slotRow(value = '') {
  const n = () => [...slotList.children].indexOf(row) + 1;
  const [input, hint] = dateField(`s-slot-${++slotSerial}`, { kind: 'datetime', value });
  input.classList.add('slot-input');
  const remove = el('button', { type: 'button', class: 'secondary slot-remove', onclick: () => { row.remove(); relabel(); } }, t('session.removeSlot'));
  const row = el('li', { class: 'row' }, el('span', { class: 'date-pair' }, input, hint), remove);
  row.relabel = () => {
    input.setAttribute('aria-label', t('session.slotN', { n: n() }));
    remove.setAttribute('aria-label', t('session.removeSlotN', { n: n() }));
  };
  return row;
}
const slotList = el('ol', { class: 'plain', id: 's-slots' });
function relabel() { [...slotList.children].forEach((r) => r.relabel()); }

function participantTable(kind, parties) {
  const head = el('tr', {}, el('th', { scope: 'col' }, t('session.include')), el('th', { scope: 'col' }, t('session.party')),
    el('th', { scope: 'col' }, t('session.capacity')), el('th', { scope: 'col' }, t('session.unavailable')));
  const rows = parties.map((p) => {
    const label = pick(p, 'name');
    return el('tr', { dataset: { party: p.id } },
      el('td', {}, el('input', { type: 'checkbox', class: 'include', 'aria-label': t('session.includeParty', { name: label }) })),
      el('td', {}, label, p.kind ? el('span', { class: 'muted' }, ` · ${t(`match.kind.${p.kind}`)}`) : null),
      el('td', {}, el('input', { type: 'number', class: 'capacity', min: '1', step: '1', inputmode: 'numeric', style: 'width:5rem',
        'aria-label': t('session.capacityOf', { name: label }), placeholder: t('session.default') })),
      el('td', {}, el('input', { class: 'unavailable', style: 'width:7rem', autocomplete: 'off', inputmode: 'numeric',
        'aria-label': t('session.unavailableOf', { name: label }), placeholder: t('session.unavailableExample') })));
  });
  return el('fieldset', { id: `s-${kind}` }, el('legend', {}, t(`session.${kind}`)),
    rows.length ? el('div', { class: 'table-wrap' }, el('table', {}, el('thead', {}, head), el('tbody', {}, rows)))
      : el('p', { class: 'muted' }, t('common.empty')),
    errorSlot(kind));
}

function createForm() {
  const field = (f, labelKey, input) => el('div', { class: 'field' }, el('label', { for: `s-${f}` }, t(labelKey)), input, errorSlot(f));
  slotList.replaceChildren(slotRow(), slotRow());
  relabel();
  const form = el('form', { id: 'session-form', novalidate: true },
    el('div', { class: 'fields' },
      field('title', 'session.name', el('input', { id: 's-title', maxlength: 120, autocomplete: 'off', 'aria-describedby': 'err-s-title' })),
      field('meetingMinutes', 'session.meetingMinutes', el('input', { id: 's-meetingMinutes', type: 'number', min: '5', max: '240', value: '30', inputmode: 'numeric' })),
      field('startupCapacity', 'session.startupCapacity', el('input', { id: 's-startupCapacity', type: 'number', min: '1', value: '3', inputmode: 'numeric' })),
      field('counterpartCapacity', 'session.counterpartCapacity', el('input', { id: 's-counterpartCapacity', type: 'number', min: '1', value: '6', inputmode: 'numeric' }))),
    el('fieldset', { id: 's-slots-set' }, el('legend', {}, t('session.slots')), slotList,
      el('button', { type: 'button', class: 'secondary', id: 's-add-slot', onclick: () => { slotList.append(slotRow()); relabel(); } }, t('session.addSlot')),
      el('p', { class: 'help muted' }, t('session.slotsHelp')), errorSlot('slots')),
    participantTable('startups', state.startups),
    participantTable('counterparts', state.counterparts),
    errorSlot('incubatorId'),
    el('button', { type: 'submit', id: 's-create' }, t('session.create')));
  form.addEventListener('submit', (e) => { e.preventDefault(); createSession(form); });
  createBox.replaceChildren(el('details', { class: 'card', id: 'create-details' },
    el('summary', {}, t('session.new')), form));
}

function participants(form, kind, problems, slotCount) {
  return [...form.querySelectorAll(`#s-${kind} tbody tr`)].filter((r) => r.querySelector('.include').checked).map((r) => {
    const cap = r.querySelector('.capacity').value.trim();
    const raw = r.querySelector('.unavailable').value.trim();
    const slots = raw ? raw.split(/[,\uFF0C\u3001\s]+/).filter(Boolean).map(Number) : [];
    if (slots.some((n) => !Number.isInteger(n) || n < 1)) problems.push([kind, t('session.check.unavailable', { name: nameOf(r.dataset.party) })]);
    else if (slotCount && slots.some((n) => n > slotCount)) problems.push([kind, t('session.check.unavailableMax', { name: nameOf(r.dataset.party), max: slotCount })]);
    if (cap !== '' && !(Number.isInteger(Number(cap)) && Number(cap) >= 1)) problems.push([kind, t('session.check.capacity', { name: nameOf(r.dataset.party) })]);
    return { partyId: r.dataset.party, capacity: cap === '' ? null : Number(cap), unavailable: slots.map((n) => n - 1) };
  });
}

async function createSession(form) {
  form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
  const show = (f, message) => {
    (document.getElementById(`err-s-${f}`) || document.getElementById('err-s-incubatorId')).textContent = message;
    document.getElementById(`s-${f}`)?.setAttribute('aria-invalid', 'true');
  };
  const problems = [];
  const slots = [];
  for (const input of slotList.querySelectorAll('.slot-input')) {
    const local = dateValue(input);
    if (!local) { problems.push(['slots', local === null ? invalidMessage('datetime') : t('session.check.slot')]); input.setAttribute('aria-invalid', 'true'); break; }
    // typed in Beijing time, as shown in the grid (and as on the roadshow form), whatever the browser's zone
    slots.push(new Date(`${local}:00+08:00`).toISOString());
  }
  const int = (id) => Number(document.getElementById(id).value);
  const input = { title: document.getElementById('s-title').value.trim(), meetingMinutes: int('s-meetingMinutes'), slots,
    startupCapacity: int('s-startupCapacity'), counterpartCapacity: int('s-counterpartCapacity'),
    startups: participants(form, 'startups', problems, slots.length), counterparts: participants(form, 'counterparts', problems, slots.length) };
  for (const f of ['meetingMinutes', 'startupCapacity', 'counterpartCapacity']) {
    if (!Number.isInteger(input[f]) || input[f] < 1) problems.push([f, t('session.check.whole')]);
  }
  // the server's capacity check, mirrored: nobody can have more meetings than there are slots
  for (const [kind, f] of [['startups', 'startupCapacity'], ['counterparts', 'counterpartCapacity']]) {
    if (slots.length && input[kind].some((p) => p.capacity === null) && input[f] > slots.length) problems.push([f, t('session.check.capacityMax', { max: slots.length })]);
    for (const p of input[kind]) {
      if (slots.length && p.capacity !== null && p.capacity > slots.length) problems.push([kind, t('session.check.capacityOfMax', { name: nameOf(p.partyId), max: slots.length })]);
    }
  }
  if (problems.length) { problems.forEach(([f, m]) => show(f, m)); notify(t('error.BAD_USER_INPUT'), 'error'); return; }
  const button = document.getElementById('s-create');
  button.disabled = true;
  try {
    const created = (await gql('CreateMatchmakingSession', { input })).createMatchmakingSession;
    notify(t('session.created', { title: created.title }), 'ok');
    document.getElementById('create-details').open = false;
    await loadSessions(created.id);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'BAD_USER_INPUT') {
      for (const [path, ext] of Object.entries(error.fields)) show(path.split('.').pop(), fieldMessage(ext));
      notify(t('error.BAD_USER_INPUT'), 'error');
      form.querySelector('[aria-invalid]')?.focus();
    } else showError(error);
  } finally { button.disabled = false; }
}

// ---------------------------------------------------------------- one session: assignment, grid, lock, swap
async function openSession(id) {
  setParams({ id });
  state.swap.clear();
  if (!id) { state.session = null; return loadSessions(''); }
  try {
    state.session = (await gql('MatchmakingSession', { id })).matchmakingSession;
    renderSession();
  } catch (error) { showError(error); }
}

function status(s) {
  if (!s.meetings.length) return t('session.status.unassigned');
  return t(s.optimal ? 'session.status.optimal' : 'session.status.edited');
}

function renderSession() {
  const s = state.session;
  for (const m of s.meetings) {
    if (m.startup) names.set(m.startupId, m.startup);
    if (m.counterpart) names.set(m.counterpartId, m.counterpart);
  }
  const gridError = el('p', { class: 'field-error', id: 'grid-error', role: 'alert' });
  const swapButton = el('button', { type: 'button', id: 'swap', disabled: state.swap.size !== 2, onclick: () => swap(gridError) }, t('session.swap'));
  const cells = new Map(s.meetings.map((m) => [`${m.slot}:${m.counterpartId}`, m]));
  const head = el('tr', {}, el('th', { scope: 'col' }, t('session.slot')),
    ...s.counterparts.map((c) => el('th', { scope: 'col', dataset: { counterpart: c.partyId } }, nameOf(c.partyId))));
  const body = s.slots.map((at, slot) => el('tr', { dataset: { slot: String(slot) } },
    el('th', { scope: 'row' }, `${slot + 1} · ${fmtDateTime(at)}–${fmtTime(new Date(new Date(at).getTime() + s.meetingMinutes * 60000))}`),
    ...s.counterparts.map((c) => {
      const m = cells.get(`${slot}:${c.partyId}`);
      if (!m) return el('td', { class: 'muted' }, '—');
      const what = t('session.meetingLabel', { startup: nameOf(m.startupId), counterpart: nameOf(m.counterpartId), slot: slot + 1 });
      return el('td', { class: 'meeting', dataset: { meeting: m.id, locked: String(m.locked) } },
        el('strong', {}, nameOf(m.startupId)), ' ',
        el('span', { class: 'muted' }, t('match.score', { n: fmtNumber(m.score, { maximumFractionDigits: 0 }) })), ' ',
        m.locked ? el('span', { class: 'badge role-badge locked-badge' }, t('session.locked')) : null,
        el('div', { class: 'row' },
          el('button', { type: 'button', class: 'secondary lock', 'aria-pressed': String(m.locked), 'aria-label': t(m.locked ? 'session.unlockThis' : 'session.lockThis', { what }),
            onclick: () => lock(m, gridError) }, t(m.locked ? 'session.unlock' : 'session.lock')),
          el('label', {}, el('input', { type: 'checkbox', class: 'pick-swap', checked: state.swap.has(m.id), 'aria-label': t('session.pickSwap', { what }),
            onchange: (e) => { if (e.target.checked) state.swap.add(m.id); else state.swap.delete(m.id); swapButton.disabled = state.swap.size !== 2; } }),
          ' ', t('session.pickSwapShort'))));
    })));
  viewBox.replaceChildren(el('h2', { id: 'view-title' }, s.title),
    el('p', { id: 'session-status' }, [status(s), t('session.total', { n: fmtNumber(s.totalScore, { maximumFractionDigits: 2 }) }),
      t('session.meetingCount', { n: s.meetings.length }), t('session.minutes', { n: s.meetingMinutes })].join(' · ')),
    el('div', { class: 'row' },
      el('button', { type: 'button', id: 'assign', onclick: () => assign(gridError) }, t(s.meetings.length ? 'session.reassign' : 'session.assign')),
      swapButton),
    el('p', { class: 'muted' }, t('session.gridHelp')),
    gridError,
    s.meetings.length ? el('div', { class: 'table-wrap' }, el('table', { id: 'grid' },
      el('caption', { class: 'sr-only' }, t('session.gridCaption', { title: s.title })), el('thead', {}, head), el('tbody', {}, body)))
      : el('p', { class: 'muted', id: 'grid-empty' }, t('session.noMeetings')));
}

async function edit(run, gridError, okKey) {
  gridError.textContent = '';
  // One change at a time: a second click (a double-click on swap would swap back) waits for this answer.
  const controls = [...viewBox.querySelectorAll('button, input')].filter((c) => !c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  viewBox.setAttribute('aria-busy', 'true');
  try {
    await run();
    await openSession(state.session.id);   // the full schedule again, with the parties' names
    notify(t(okKey), 'ok');
  } catch (error) {
    if (error instanceof ApiError && error.code === 'BAD_USER_INPUT') {
      gridError.textContent = Object.values(error.fields).map(fieldMessage).join(' ') || t('error.BAD_USER_INPUT');
      notify(t('error.BAD_USER_INPUT'), 'error');
    } else {
      showError(error);
      if (error instanceof ApiError && error.code === 'CONFLICT') await openSession(state.session.id);
    }
  } finally {
    controls.forEach((c) => { c.disabled = false; });   // nodes replaced by a re-render are gone anyway
    viewBox.removeAttribute('aria-busy');
  }
}

async function assign(gridError) {
  await edit(async () => (await gql('AssignMatchmakingSession', { sessionId: state.session.id })).assignMatchmakingSession,
    gridError, 'session.assigned');
}

async function lock(m, gridError) {
  await edit(async () => (await gql('LockSessionMeeting', { sessionId: state.session.id, meetingId: m.id, locked: !m.locked, version: state.session.version })).lockSessionMeeting,
    gridError, m.locked ? 'session.unlocked' : 'session.lockedDone');
}

async function swap(gridError) {
  const [a, b] = [...state.swap];
  await edit(async () => (await gql('SwapSessionMeetings', { sessionId: state.session.id, meetingA: a, meetingB: b, version: state.session.version })).swapSessionMeetings,
    gridError, 'session.swapped');
}

try {
  await loadParties();
  createForm();
  await loadSessions();
  if (!state.sessions.length) document.getElementById('create-details').open = true;
} catch (error) { showError(error); }
