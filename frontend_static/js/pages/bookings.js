// IP workstation bookings: a week of slots with filters; book, cancel, reschedule, waitlist, .ics;
// live updates over /ws/v1 when a slot is taken or freed; the advisor's day view (who booked and why,
// attendance, notes, meeting links for online consultations); the advisor's hours, where removing a
// weekly window first says how many bookings it would cancel.
import { t, tk, pick, fmtDate, fmtTime, fmtDateTime } from '../i18n.js';
import { gql, download, ApiError, fieldMessage } from '../api.js';
import { initPage, el, notify, showError } from '../shell.js';
import { liveConnection } from '../live.js';
import { param, setParams } from '../util.js';
import { dateField, dateValue, invalidMessage } from '../datefield.js';

const me = await initPage({ roles: ['ADMIN', 'MANAGER', 'STARTUP', 'IP_ADVISOR'], title: 'nav.bookings' });
const page = document.getElementById('page');

// Park-local dates as YYYY-MM-DD strings.
function parkToday() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}
function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
function monday(day) {
  const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(day, -weekday);
}
function dayLabel(day) { return fmtDate(`${day}T12:00:00+08:00`, { weekday: 'short', month: 'numeric', day: 'numeric' }); }

const setup = (await gql('BookingSetup').catch((e) => { showError(e); throw e; }));
const catalogue = setup.ipCatalogue;
const workstations = new Map(setup.ipWorkstations.map((w) => [w.id, w]));
const catalogueName = (list, code) => pick(list.find((x) => x.code === code), 'name') || code;
const state = { week: monday(param('week') || parkToday()), workstation: param('workstation') || '', topic: '', language: '', mode: '',
  slots: [], mine: [], waitlist: [], rescheduling: null, live: 'pending' };

function optionSelect(id, labelKey, entries, onchange) {
  const s = el('select', { id, onchange: () => onchange(s.value) }, el('option', { value: '' }, t('common.all')),
    entries.map(([v, label]) => el('option', { value: v }, label)));
  return el('div', { class: 'field' }, el('label', { for: id }, t(labelKey)), s);
}

const filters = el('div', { class: 'row', id: 'slot-filters' },
  optionSelect('filter-workstation', 'bookings.workstation', [...workstations.values()].map((w) => [w.id, pick(w, 'name')]), (v) => { state.workstation = v; loadWeek(); }),
  optionSelect('filter-topic', 'bookings.topic', catalogue.topics.map((x) => [x.code, pick(x, 'name')]), (v) => { state.topic = v; loadWeek(); }),
  optionSelect('filter-language', 'bookings.language', catalogue.languages.map((x) => [x.code, pick(x, 'name')]), (v) => { state.language = v; loadWeek(); }),
  optionSelect('filter-mode', 'bookings.mode', catalogue.modes.map((x) => [x.code, pick(x, 'name')]), (v) => { state.mode = v; loadWeek(); }));
filters.querySelector('#filter-workstation').value = workstations.has(state.workstation) ? state.workstation : '';
const weekTitle = el('h2', { id: 'week-title', 'aria-live': 'polite' });
const weekNav = el('div', { class: 'row' },
  el('button', { type: 'button', class: 'secondary', id: 'prev-week', onclick: () => { state.week = addDays(state.week, -7); loadWeek(); } }, t('bookings.prevWeek')),
  el('button', { type: 'button', class: 'secondary', id: 'this-week', onclick: () => { state.week = monday(parkToday()); loadWeek(); } }, t('bookings.thisWeek')),
  el('button', { type: 'button', class: 'secondary', id: 'next-week', onclick: () => { state.week = addDays(state.week, 7); loadWeek(); } }, t('bookings.nextWeek')));
const weekGrid = el('div', { class: 'week', id: 'week' });
const rescheduleBanner = el('p', { class: 'notice', id: 'reschedule-banner', hidden: true });
const mineBox = el('div', { id: 'my-bookings' });
const advisorBox = el('div', { id: 'advisor-day' });

const sections = [el('h1', {}, t('bookings.title')),
  el('section', { class: 'card', 'aria-labelledby': 'week-title' }, filters, weekNav, weekTitle, rescheduleBanner,
    el('p', { class: 'muted' }, t(me.role === 'STARTUP' ? 'bookings.legend' : 'bookings.legendReadOnly')), weekGrid)];
if (me.role === 'MANAGER' || me.role === 'ADMIN') {
  sections.splice(1, 0, el('p', {}, el('a', { href: '/pages/workstations.html', id: 'manage-workstations' }, t('bookings.manageWorkstations'))));
}
if (me.role === 'STARTUP') sections.push(el('section', { class: 'card', 'aria-labelledby': 'mine-title' }, el('h2', { id: 'mine-title' }, t('bookings.mine')), mineBox));
if (me.role !== 'STARTUP') sections.push(el('section', { class: 'card', 'aria-labelledby': 'day-title' }, el('h2', { id: 'day-title' }, t('bookings.advisorDay')), advisorBox));
page.replaceChildren(...sections);

// ---------------------------------------------------------------- booking dialog
const dialog = el('dialog', { id: 'book-dialog', 'aria-labelledby': 'book-title' });
document.body.append(dialog);
function openBookDialog(slot, waitlist) {
  const w = workstations.get(slot.workstationId);
  const topics = (w?.topics || []).filter((c) => !state.topic || c === state.topic);
  const modes = (w?.modes || []).filter((c) => !state.mode || c === state.mode);
  const errorSlot = el('p', { class: 'field-error', id: 'book-error', role: 'alert' });
  // novalidate: the page's own (dictionary) message, not the browser's bubble in the browser's language
  const form = el('form', { method: 'dialog', id: 'book-form', novalidate: true },
    el('h2', { id: 'book-title' }, t(waitlist ? 'bookings.joinWaitlistTitle' : 'bookings.bookTitle')),
    el('p', {}, `${pick(w, 'name')} · ${slot.advisor?.displayName || ''}`), el('p', {}, `${dayLabel(slot.localDate)} ${slot.localStart}`),
    el('div', { class: 'field' }, el('label', { for: 'book-topic' }, t('bookings.topic')),
      el('select', { id: 'book-topic', required: true }, topics.map((c) => el('option', { value: c }, catalogueName(catalogue.topics, c))))),
    el('div', { class: 'field' }, el('label', { for: 'book-mode' }, t('bookings.mode')),
      el('select', { id: 'book-mode', required: true }, modes.map((c) => el('option', { value: c }, catalogueName(catalogue.modes, c))))),
    el('div', { class: 'field' }, el('label', { for: 'book-question' }, t('bookings.question')),
      el('textarea', { id: 'book-question', rows: 3, maxlength: 2000, required: true }),
      el('span', { class: 'field-error', id: 'err-question' })),
    errorSlot,
    el('div', { class: 'row' },
      el('button', { type: 'submit', id: 'book-confirm', value: 'ok' }, t(waitlist ? 'bookings.joinWaitlist' : 'bookings.book')),
      el('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, t('common.cancel'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const question = document.getElementById('book-question').value.trim();
    if (!question) { document.getElementById('err-question').textContent = t('bookings.questionRequired'); return; }
    const input = { workstationId: slot.workstationId, advisorId: slot.advisorId, start: slot.start,
      topic: document.getElementById('book-topic').value, mode: document.getElementById('book-mode').value, question };
    try {
      if (waitlist) {
        const entry = (await gql('BookingJoinWaitlist', { input })).joinIpWaitlist;
        notify(t('bookings.waitlisted', { position: entry.position ?? '—' }), 'ok');
      } else {
        await gql('BookingBook', { input });
        notify(t('bookings.booked', { when: `${dayLabel(slot.localDate)} ${slot.localStart}` }), 'ok');
      }
      dialog.close();
      await Promise.all([loadWeek(), loadMine()]);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'BAD_USER_INPUT') errorSlot.textContent = Object.values(error.fields).map(fieldMessage).join(' ') || error.userMessage;
      else errorSlot.textContent = error instanceof ApiError ? error.userMessage : t('error.UNKNOWN');
      if (error instanceof ApiError && error.code === 'SLOT_TAKEN') loadWeek();
    }
  });
  dialog.replaceChildren(form);
  dialog.showModal();
  document.getElementById('book-question').focus();
}

// ---------------------------------------------------------------- week view
function slotButton(slot) {
  const mine = state.mine.find((b) => b.start === slot.start && b.advisorId === slot.advisorId && b.status === 'BOOKED');
  const label = `${slot.localStart} ${slot.advisor?.displayName || ''}`;
  const key = `${slot.workstationId}|${slot.advisorId}|${slot.start}`;
  // The accessible name carries the day and workstation, which sighted users read from the column and dialog.
  const named = (text) => ({ 'aria-label': `${dayLabel(slot.localDate)} ${text} · ${pick(workstations.get(slot.workstationId), 'name') || ''}` });
  if (mine) {
    const text = `${label} · ${t('bookings.yours')}`;
    return el('button', { type: 'button', class: 'slot mine', disabled: true, dataset: { slot: key, state: 'mine' }, ...named(text) }, text);
  }
  if (slot.taken) {
    const text = `${label} · ${t('bookings.taken')}${slot.waitlistLength ? ` · ${t('bookings.waiting', { n: slot.waitlistLength })}` : ''}`;
    return el('button', { type: 'button', class: 'slot taken', dataset: { slot: key, state: 'taken' }, disabled: me.role !== 'STARTUP',
      onclick: () => openBookDialog(slot, true), ...named(text) }, text);
  }
  // A booking moves within its own workstation: while rescheduling, other workstations' slots are not offered.
  const elsewhere = state.rescheduling && state.rescheduling.workstationId !== slot.workstationId;
  const text = elsewhere ? `${label} · ${t('bookings.otherWorkstation')}` : label;
  const refused = state.refusedSlot === key; // the reschedule the server refused stays marked across re-renders
  return el('button', { type: 'button', class: elsewhere ? 'slot elsewhere' : 'slot', dataset: { slot: key, state: elsewhere ? 'elsewhere' : 'free' },
    disabled: me.role !== 'STARTUP' || elsewhere, 'aria-invalid': refused ? 'true' : null, 'aria-describedby': refused ? 'reschedule-error' : null,
    onclick: () => (state.rescheduling ? reschedule(slot) : openBookDialog(slot, false)), ...named(text) }, text);
}

function renderWeek() {
  weekTitle.textContent = t('bookings.weekOf', { from: dayLabel(state.week), to: dayLabel(addDays(state.week, 6)) });
  const days = [...Array(7).keys()].map((i) => addDays(state.week, i));
  weekGrid.replaceChildren(...days.map((day) => {
    const slots = state.slots.filter((s) => s.localDate === day);
    return el('div', { class: 'day', dataset: { day } }, el('h3', {}, dayLabel(day)),
      slots.length ? slots.map(slotButton) : el('p', { class: 'muted' }, t('bookings.noSlots')));
  }));
}

async function loadWeek() {
  setParams({ week: state.week, workstation: state.workstation });
  const filter = { from: state.week, to: addDays(state.week, 6), includeTaken: true };
  if (state.workstation) filter.workstationId = state.workstation;
  if (state.topic) filter.topic = state.topic;
  if (state.language) filter.language = state.language;
  if (state.mode) filter.mode = state.mode;
  const request = (state.weekRequest = (state.weekRequest || 0) + 1);
  try {
    const slots = (await gql('BookingWeek', { filter })).ipSlots;
    if (request !== state.weekRequest) return; // a later navigation or filter change superseded this one
    state.slots = slots;
    renderWeek();
  } catch (error) { showError(error); }
}

// ---------------------------------------------------------------- my bookings (startups)
async function loadMine() {
  if (me.role !== 'STARTUP') return;
  try {
    const data = await gql('BookingMine', { from: addDays(parkToday(), -30), to: addDays(parkToday(), 60) });
    state.mine = data.myIpBookings;
    state.waitlist = data.myIpWaitlist;
    renderMine();
    renderWeek();
  } catch (error) { showError(error); }
}

function renderMine() {
  // cancelled by the system (the advisor's time went away): kept in the list with the reason, so the startup knows
  const bookings = state.mine.filter((b) => b.status === 'BOOKED' || b.status === 'HELD' || b.status === 'NO_SHOW'
    || (b.status === 'CANCELLED' && b.cancelReason));
  const waiting = state.waitlist.filter((w) => w.status === 'WAITING');
  mineBox.replaceChildren(...[
    bookings.length ? el('ul', { class: 'plain', id: 'my-bookings-list' }, bookings.map((b) => el('li', { dataset: { booking: b.id } },
      el('strong', {}, fmtDateTime(b.start)), ' · ', pick(b.workstation, 'name'), ' · ', b.advisor?.displayName || '', ' · ',
      catalogueName(catalogue.topics, b.topic), ' · ', el('span', { class: 'badge role-badge' }, tk('bookings.status', b.status, 'common.none')),
      b.meetingUrl && b.status === 'BOOKED' ? el('p', {}, el('a', { href: b.meetingUrl, target: '_blank', rel: 'noopener', class: 'meeting-link' }, t('bookings.joinMeeting'))) : null,
      b.mode === 'online' && !b.meetingUrl && b.status === 'BOOKED' ? el('p', { class: 'muted' }, t('bookings.meetingPending')) : null,
      b.advisorNote ? el('p', { class: 'muted' }, t('bookings.note'), ': ', b.advisorNote) : null,
      b.cancelReason ? el('p', { class: 'cancel-reason' }, tk('bookings.cancelReason', b.cancelReason, 'bookings.cancelled')) : null,
      el('div', { class: 'row' },
        el('button', { type: 'button', class: 'secondary', onclick: () => download(b.icsUrl, `booking-${b.id}.ics`).catch(showError) }, t('bookings.ics')),
        b.status === 'BOOKED' ? el('button', { type: 'button', class: 'secondary', onclick: () => startReschedule(b) }, t('bookings.reschedule')) : null,
        b.status === 'BOOKED' ? el('button', { type: 'button', class: 'danger', onclick: () => cancel(b) }, t('bookings.cancel')) : null))))
      : el('p', { class: 'muted' }, t('bookings.noBookings')),
    waiting.length ? el('div', {}, el('h3', {}, t('bookings.waitlist')), el('ul', { class: 'plain', id: 'my-waitlist' }, waiting.map((w) => el('li', {},
      fmtDateTime(w.start), ' · ', pick(workstations.get(w.workstationId), 'name'), ' · ', t('bookings.position', { n: w.position ?? '—' }), ' ',
      el('button', { type: 'button', class: 'secondary', onclick: () => leaveWaitlist(w) }, t('bookings.leaveWaitlist')))))) : null].filter(Boolean));
}

async function cancel(booking) {
  if (!confirm(t('bookings.cancelConfirm'))) return;
  try { await gql('BookingCancel', { bookingId: booking.id }); notify(t('bookings.cancelled'), 'ok'); await Promise.all([loadMine(), loadWeek()]); } catch (error) { showError(error); }
}
async function leaveWaitlist(entry) {
  try { await gql('BookingLeaveWaitlist', { entryId: entry.id }); await loadMine(); } catch (error) { showError(error); }
}
function stopReschedule() {
  state.rescheduling = null;
  state.refusedSlot = null;
  rescheduleBanner.hidden = true;
  renderWeek();
}
function startReschedule(booking) {
  state.rescheduling = booking;
  rescheduleBanner.hidden = false;
  rescheduleBanner.replaceChildren(t('bookings.pickNewSlot', { when: fmtDateTime(booking.start) }), ' ',
    t('bookings.sameWorkstation', { name: pick(booking.workstation, 'name') }), ' ',
    el('button', { type: 'button', class: 'secondary', onclick: stopReschedule }, t('common.cancel')),
    el('p', { class: 'field-error', id: 'reschedule-error', role: 'alert' }));
  renderWeek();
  weekGrid.querySelector('button.slot:not([disabled])')?.focus();
}
async function reschedule(slot) {
  const booking = state.rescheduling;
  const errorSlot = document.getElementById('reschedule-error');
  errorSlot.textContent = '';
  state.refusedSlot = null;
  try {
    await gql('BookingReschedule', { bookingId: booking.id, start: slot.start, advisorId: slot.advisorId });
    notify(t('bookings.rescheduled', { when: `${dayLabel(slot.localDate)} ${slot.localStart}` }), 'ok');
    stopReschedule();
    await Promise.all([loadMine(), loadWeek()]);
  } catch (error) {
    // The server's reason goes next to the slot that was picked (the field of this form), not into a generic notice.
    if (!(error instanceof ApiError)) { showError(error); return; }
    const messages = Object.values(error.fields).map(fieldMessage);
    errorSlot.textContent = t('bookings.rescheduleFailed', { when: `${dayLabel(slot.localDate)} ${slot.localStart}`,
      reason: messages.join(' ') || error.userMessage });
    state.refusedSlot = `${slot.workstationId}|${slot.advisorId}|${slot.start}`;
    renderWeek();
    if (error.code === 'SLOT_TAKEN') loadWeek();
  }
}

// ---------------------------------------------------------------- advisor day view
let advisorDate = parkToday();
async function loadAdvisorDay() {
  if (me.role === 'STARTUP') return;
  // Managers pick among the advisors of their own incubator's workstations (others' days are not theirs).
  const staffed = [...workstations.values()].filter((w) => me.role !== 'MANAGER' || w.incubatorId === me.incubatorId);
  const advisors = [...new Map(staffed.flatMap((w) => w.advisors).map((a) => [a.id, a])).values()];
  const picker = me.role === 'IP_ADVISOR' ? null : el('div', { class: 'field' }, el('label', { for: 'day-advisor' }, t('bookings.advisor')),
    el('select', { id: 'day-advisor', onchange: loadAdvisorDay }, advisors.map((a) => el('option', { value: a.id }, a.displayName))));
  const chosen = document.getElementById('day-advisor')?.value || (me.role === 'IP_ADVISOR' ? null : advisors[0]?.id);
  let rows = [];
  try {
    if (me.role === 'IP_ADVISOR' || chosen) rows = (await gql('BookingAdvisorDay', { date: advisorDate, advisorId: me.role === 'IP_ADVISOR' ? null : chosen })).advisorDay;
  } catch (error) { showError(error); }
  const [dateInput, dateHint] = dateField('day-date', { kind: 'date', value: advisorDate });
  dateInput.addEventListener('change', () => { const day = dateValue(dateInput); if (day) { advisorDate = day; loadAdvisorDay(); } });
  const controls = el('div', { class: 'row' }, el('div', { class: 'field' }, el('label', { for: 'day-date' }, t('bookings.date')), dateInput, dateHint), picker,
    me.role === 'IP_ADVISOR' ? el('button', { type: 'button', class: 'secondary', id: 'schedule-ics',
      onclick: () => download(`/api/advisors/${me.id}/schedule.ics`, 'schedule.ics').catch(showError) }, t('bookings.scheduleIcs')) : null);
  if (picker && chosen) picker.querySelector('select').value = chosen;
  advisorBox.replaceChildren(controls, rows.length ? el('ul', { class: 'plain', id: 'day-list' }, rows.map((b) => el('li', {},
    el('strong', {}, `${fmtTime(b.start)}–${fmtTime(b.end)}`), ' · ', pick(b.workstation, 'name'), ' · ', catalogueName(catalogue.topics, b.topic), ' · ',
    catalogueName(catalogue.modes, b.mode), ' · ', el('span', { class: 'badge role-badge' }, tk('bookings.status', b.status, 'common.none')),
    el('p', { class: 'booked-by' }, t('bookings.bookedBy', { startup: pick(b.bookedBy, 'startupName') || '—', person: b.bookedBy?.personName || '—' })),
    el('p', { class: 'booking-question' }, el('strong', {}, t('bookings.questionLabel')), ' ', b.question),
    b.mode === 'online' && b.status === 'BOOKED' && (me.role === 'IP_ADVISOR' || me.role === 'ADMIN') ? meetingEditor(b)
      : b.meetingUrl ? el('p', {}, el('a', { href: b.meetingUrl, target: '_blank', rel: 'noopener' }, t('bookings.joinMeeting'))) : null,
    (me.role === 'IP_ADVISOR' || me.role === 'ADMIN') && b.status === 'BOOKED' ? el('div', { class: 'row' },
      el('button', { type: 'button', class: 'secondary', onclick: () => mark(b, 'HELD') }, t('bookings.markHeld')),
      el('button', { type: 'button', class: 'secondary', onclick: () => mark(b, 'NO_SHOW') }, t('bookings.markNoShow'))) : null,
    me.role === 'IP_ADVISOR' ? noteEditor(b) : null))) : el('p', { class: 'muted' }, t('bookings.dayEmpty')));
}
function meetingEditor(b) {
  const id = `meeting-${b.id}`;
  const input = el('input', { id, type: 'url', maxlength: 500, value: b.meetingUrl || '', placeholder: 'https://', 'aria-describedby': `err-${id}` });
  const error = el('span', { class: 'field-error', id: `err-${id}`, role: 'status' });
  return el('div', { class: 'field' }, el('label', { for: id }, t('bookings.meetingUrl')), input, error,
    el('button', { type: 'button', class: 'secondary', id: `${id}-save`, onclick: async () => {
      error.textContent = '';
      input.removeAttribute('aria-invalid');
      try {
        await gql('SetIpBookingMeetingUrl', { bookingId: b.id, url: input.value });
        notify(t('bookings.meetingSaved'), 'ok');
      } catch (e) {
        if (e instanceof ApiError && e.fields.url) { error.textContent = fieldMessage(e.fields.url); input.setAttribute('aria-invalid', 'true'); } else showError(e);
      }
    } }, t('bookings.meetingSave')));
}
function noteEditor(b) {
  const id = `note-${b.id}`;
  const area = el('textarea', { id, rows: 2, maxlength: 5000 }, b.advisorNote || '');
  return el('div', { class: 'field' }, el('label', { for: id }, t('bookings.note')), area,
    el('button', { type: 'button', class: 'secondary', onclick: async () => {
      try { await gql('BookingWriteNote', { bookingId: b.id, note: area.value }); notify(t('common.saved'), 'ok'); } catch (error) { showError(error); }
    } }, t('common.save')));
}
async function mark(b, outcome) {
  try { await gql('BookingMarkAttendance', { bookingId: b.id, outcome }); await loadAdvisorDay(); } catch (error) { showError(error); }
}

// ---------------------------------------------------------------- the advisor's own availability
const availabilityBox = el('div', { id: 'availability' });
if (me.role === 'IP_ADVISOR') {
  page.append(el('section', { class: 'card', 'aria-labelledby': 'avail-title' }, el('h2', { id: 'avail-title' }, t('bookings.availability')), availabilityBox));
}
const weekdayName = (n) => t(`weekday.${n}`);

function availabilityField(id, labelKey, input) {
  return el('div', { class: 'field' }, el('label', { for: id }, t(labelKey)), input, el('span', { class: 'field-error', id: `err-${id}`, role: 'status' }));
}
// A date or time typed in the page's format (js/datefield.js), with its read-back under it.
function timeField(id, labelKey, kind, value = '') {
  const [input, hint] = dateField(id, { kind, value });
  return availabilityField(id, labelKey, el('span', { class: 'date-pair' }, input, hint));
}
// The parsed values of a form's date/time fields; marks each unreadable one (and returns null then).
function readTimes(form, ids) {
  const values = {};
  let ok = true;
  for (const id of ids) {
    const input = form.querySelector(`#${id}`);
    const value = dateValue(input);
    input.removeAttribute('aria-invalid');
    if (value === null) { form.querySelector(`#err-${id}`).textContent = invalidMessage(input.dataset.dateKind); input.setAttribute('aria-invalid', 'true'); ok = false; }
    values[id] = value;
  }
  return ok ? values : null;
}

async function submitAvailability(kind, input, form) {
  form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
  try {
    await gql(kind === 'rule' ? 'AddAvailabilityRule' : 'AddAvailabilityException', { input });
    notify(t(kind === 'rule' ? 'bookings.ruleAdded' : 'bookings.exceptionAdded'), 'ok');
    await Promise.all([loadAvailability(), loadWeek()]);
  } catch (error) {
    if (error instanceof ApiError && Object.keys(error.fields).length) {
      for (const [path, ext] of Object.entries(error.fields)) {
        const slot = form.querySelector(`#err-${kind}-${path}`) || form.querySelector('.form-error');
        slot.textContent = fieldMessage(ext);
      }
    }
    if (error instanceof ApiError && !Object.keys(error.fields).length) form.querySelector('.form-error').textContent = error.userMessage;
    else if (!(error instanceof ApiError)) showError(error);
  }
}

async function loadAvailability() {
  if (me.role !== 'IP_ADVISOR') return;
  let schedule;
  try { schedule = (await gql('AdvisorSchedule', { advisorId: me.id })).advisorSchedule; } catch (error) { showError(error); return; }
  const mine = [...workstations.values()].filter((w) => w.advisors.some((a) => a.id === me.id));
  const ruleForm = el('form', { id: 'rule-form', class: 'row', novalidate: true },
    availabilityField('rule-workstationId', 'bookings.workstation', el('select', { id: 'rule-workstationId' }, mine.map((w) => el('option', { value: w.id }, pick(w, 'name'))))),
    availabilityField('rule-weekday', 'bookings.weekday', el('select', { id: 'rule-weekday' }, [0, 1, 2, 3, 4, 5, 6].map((n) => el('option', { value: n }, weekdayName(n))))),
    timeField('rule-startTime', 'bookings.from', 'time', '09:00'),
    timeField('rule-endTime', 'bookings.until', 'time', '12:00'),
    timeField('rule-validFrom', 'bookings.validFrom', 'date', parkToday()),
    timeField('rule-validUntil', 'bookings.validUntil', 'date'),
    el('button', { type: 'submit', id: 'rule-add' }, t('bookings.addRule')), el('p', { class: 'field-error form-error', role: 'status' }));
  ruleForm.addEventListener('submit', (e) => {
    e.preventDefault();
    ruleForm.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    const v = (id) => document.getElementById(id).value;
    const times = readTimes(ruleForm, ['rule-startTime', 'rule-endTime', 'rule-validFrom', 'rule-validUntil']);
    if (!times) return;
    const input = { workstationId: v('rule-workstationId'), weekday: Number(v('rule-weekday')), startTime: times['rule-startTime'],
      endTime: times['rule-endTime'], validFrom: times['rule-validFrom'] || parkToday() };
    if (times['rule-validUntil']) input.validUntil = times['rule-validUntil'];
    if (input.endTime <= input.startTime) { ruleForm.querySelector('#err-rule-endTime').textContent = t('bookings.endAfterStart'); return; }
    submitAvailability('rule', input, ruleForm);
  });
  const exceptionForm = el('form', { id: 'exception-form', class: 'row', novalidate: true },
    timeField('exception-date', 'bookings.date', 'date', parkToday()),
    timeField('exception-startTime', 'bookings.fromOptional', 'time'),
    timeField('exception-endTime', 'bookings.untilOptional', 'time'),
    availabilityField('exception-reason', 'bookings.reason', el('input', { id: 'exception-reason', maxlength: 200 })),
    el('button', { type: 'submit', id: 'exception-add' }, t('bookings.addException')), el('p', { class: 'field-error form-error', role: 'status' }));
  exceptionForm.addEventListener('submit', (e) => {
    e.preventDefault();
    exceptionForm.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    const v = (id) => document.getElementById(id).value;
    const times = readTimes(exceptionForm, ['exception-date', 'exception-startTime', 'exception-endTime']);
    if (!times) return;
    const input = { workstationId: mine[0]?.id, date: times['exception-date'], reason: v('exception-reason') };
    if (times['exception-startTime']) input.startTime = times['exception-startTime'];
    if (times['exception-endTime']) input.endTime = times['exception-endTime'];
    confirmLeave(input).then((go) => { if (go) submitAvailability('exception', input, exceptionForm); });
  });
  availabilityBox.replaceChildren(
    el('h3', {}, t('bookings.rules')),
    schedule.rules.length ? el('ul', { class: 'plain', id: 'rule-list' }, schedule.rules.map((r) => el('li', {},
      `${weekdayName(r.weekday)} ${r.startTime.slice(0, 5)}–${r.endTime.slice(0, 5)} · ${pick(workstations.get(r.workstationId), 'name')} · `,
      t('bookings.validRange', { from: fmtDate(r.validFrom), until: r.validUntil ? fmtDate(r.validUntil) : t('bookings.noEnd') }), ' ',
      el('button', { type: 'button', class: 'secondary', dataset: { removeRule: r.id }, onclick: () => removeRule(r) }, t('bookings.removeRule'))))) : el('p', { class: 'muted' }, t('bookings.noRules')),
    ruleForm,
    el('h3', {}, t('bookings.exceptions')),
    schedule.exceptions.length ? el('ul', { class: 'plain', id: 'exception-list' }, schedule.exceptions.map((x) => el('li', {},
      `${fmtDate(x.date)} ${x.startTime ? `${x.startTime.slice(0, 5)}–${(x.endTime || '').slice(0, 5)}` : t('bookings.allDay')} · ${x.reason || ''}`, ' ',
      el('button', { type: 'button', class: 'secondary', onclick: async () => {
        try { await gql('RemoveAvailabilityException', { advisorId: me.id, exceptionId: x.id }); await Promise.all([loadAvailability(), loadWeek()]); } catch (error) { showError(error); }
      } }, t('bookings.removeRule'))))) : el('p', { class: 'muted' }, t('bookings.noExceptions')),
    exceptionForm);
}

// Leave that covers booked consultations cancels them: say how many first (nothing to ask when none).
async function confirmLeave(input) {
  try {
    const { reason, ...planned } = input;
    const n = (await gql('AvailabilityExceptionImpact', { input: planned })).availabilityExceptionImpact;
    return n === 0 || confirm(t('bookings.leaveConfirm', { date: fmtDate(`${input.date}T12:00:00+08:00`), n }));
  } catch (error) { showError(error); return false; }
}

// Removing a weekly window cancels the bookings in it: say how many first, and go on only when confirmed.
async function removeRule(rule) {
  try {
    const n = (await gql('AvailabilityRuleRemovalImpact', { advisorId: me.id, ruleId: rule.id })).availabilityRuleRemovalImpact;
    const when = `${weekdayName(rule.weekday)} ${rule.startTime.slice(0, 5)}–${rule.endTime.slice(0, 5)}`;
    if (!confirm(n ? t('bookings.removeRuleConfirm', { when, n }) : t('bookings.removeRuleConfirmNone', { when }))) return;
    const removed = (await gql('RemoveAvailabilityRule', { advisorId: me.id, ruleId: rule.id })).removeAvailabilityRule;
    notify(removed.cancelledBookings ? t('bookings.ruleRemovedCancelled', { n: removed.cancelledBookings }) : t('bookings.ruleRemoved'), 'ok');
    await Promise.all([loadAvailability(), loadWeek()]);
  } catch (error) { showError(error); }
}

// ---------------------------------------------------------------- live updates
const live = liveConnection();
live.onConnected(async () => {
  try {
    await Promise.all([...workstations.keys()].map((id) => live.request('booking.watch', { workstation_id: id })));
    state.live = 'socket';
  } catch { state.live = 'unavailable'; }
  document.body.dataset.live = state.live;
});
function onSlotEvent(data, taken) {
  const slot = state.slots.find((s) => s.advisorId === data.advisorId && new Date(s.start).getTime() === new Date(data.start).getTime());
  if (slot) { slot.taken = taken; renderWeek(); }
  else loadWeek();
  if (state.rescheduling === null) loadMine();
}
live.on('slot.taken', (data) => onSlotEvent(data, true));
live.on('slot.freed', (data) => onSlotEvent(data, false));
live.on('booking.promoted', () => { notify(t('bookings.promoted'), 'ok'); loadMine(); });
// an advisor's availability changed (rule removed, leave added or withdrawn): reload what is shown
live.on('slots.changed', () => { loadWeek(); if (state.rescheduling === null) loadMine(); });
live.on('booking.cancelled', (data) => {
  if (data.reason) notify(t('bookings.systemCancelled', { reason: tk('bookings.cancelReason', data.reason, 'bookings.cancelled') }), 'error');
  loadMine();
});
live.on('booking.waitlist_closed', () => { notify(t('bookings.waitlistClosed'), 'error'); loadMine(); });

await loadMine();
await Promise.all([loadWeek(), loadAdvisorDay(), loadAvailability()]);
