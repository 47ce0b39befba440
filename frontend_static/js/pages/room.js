// The live roadshow room over /ws/v1: agenda, current pitch and countdown, slide, chat, Q&A with
// upvotes, reactions, viewer count, the investor's "interested" button and moderator controls.
// Reconnects by itself and resumes from the last seq it saw (docs/protocol.md). The stream plays in the
// page (js/player.js); presenters and moderators upload and order slides here. After the event (or when
// the room answers room.ended) the page shows the record to everyone the room was open to.
import { t, tk, pick, fmtNumber, fmtTime, fmtDateTime } from '../i18n.js';
import { gql, ApiError } from '../api.js';
import { streamPlayer } from '../player.js';
import { slideUploader } from '../slide-upload.js';
import { initPage, el, notify, showError } from '../shell.js';
import { liveConnection, LiveError, liveErrorMessage } from '../live.js';
import { param } from '../util.js';

await initPage({ title: 'nav.roadshows' });
const roomId = param('id');
const page = document.getElementById('page');
const REACTIONS = ['clap', 'like', 'heart', 'fire', 'think'];
const room = { seq: null, roadshow: null, agenda: [], current: null, slide: null, chat: [], questions: [], presence: 0,
  people: [], me: {}, reactions: {}, interest: {}, interested: new Set(), offset: 0, joined: false };

function fail(error) {
  notify(error instanceof LiveError ? error.userMessage : t('wsError.unknown'), 'error');
}
async function act(action, payload = {}) {
  try { return await live.request(action, { room_id: roomId, ...payload }); } catch (error) { fail(error); return null; }
}

// ---------------------------------------------------------------- layout
const title = el('h1', { id: 'room-title' }, t('common.loading'));
const statusLine = el('span', { id: 'room-status', class: 'muted', 'aria-live': 'polite' });
const agendaList = el('ol', { class: 'agenda', id: 'agenda' });
const currentBox = el('div', { id: 'current-pitch' });
const countdown = el('div', { class: 'countdown', id: 'countdown', role: 'timer', 'aria-live': 'off' }, '--:--');
const slideBox = el('div', { class: 'slide', id: 'slide' }, t('roomPage.noSlide'));
const reactionsBox = el('div', { class: 'row reactions', id: 'reactions' });
const interestBox = el('div', { id: 'interest' });
const modBox = el('div', { id: 'moderator', class: 'card', hidden: true });
const chatList = el('ul', { class: 'plain messages', id: 'chat-list', 'aria-live': 'polite' });
const chatInput = el('input', { id: 'chat-input', maxlength: 1000, autocomplete: 'off' });
const chatForm = el('form', { id: 'chat-form', class: 'row' }, el('label', { for: 'chat-input', class: 'sr-only' }, t('roomPage.chatLabel')),
  chatInput, el('button', { type: 'submit', id: 'chat-send' }, t('common.send')));
const qaList = el('ul', { class: 'plain messages', id: 'qa-list' });
const qaInput = el('input', { id: 'qa-input', maxlength: 1000, autocomplete: 'off' });
const qaForm = el('form', { id: 'qa-form', class: 'row' }, el('label', { for: 'qa-input', class: 'sr-only' }, t('roomPage.askLabel')),
  qaInput, el('button', { type: 'submit', id: 'qa-send' }, t('roomPage.ask')));
const viewers = el('span', { id: 'viewer-count', class: 'badge role-badge' });
const endedBox = el('p', { id: 'room-ended', class: 'notice', hidden: true });
const playerBox = el('div', { id: 'player' });
const uploadBox = el('div', { id: 'slide-uploads' });
chatInput.setAttribute('aria-label', t('roomPage.chatLabel'));
chatInput.placeholder = t('roomPage.chatPlaceholder');
qaInput.setAttribute('aria-label', t('roomPage.askLabel'));
qaInput.placeholder = t('roomPage.askPlaceholder');

page.replaceChildren(
  el('p', {}, el('a', { href: '/pages/roadshows.html' }, t('roomPage.back'))),
  title, el('p', { class: 'row' }, statusLine, viewers), endedBox,
  el('div', { class: 'room' },
    el('section', { class: 'card', 'aria-labelledby': 'agenda-title' }, el('h2', { id: 'agenda-title' }, t('roomPage.agenda')), agendaList),
    el('section', { 'aria-labelledby': 'stage-title' },
      el('div', { class: 'card' }, el('h2', { id: 'stage-title' }, t('roomPage.stage')), currentBox, playerBox, countdown, slideBox, reactionsBox, interestBox),
      modBox),
    el('div', {},
      el('section', { class: 'card', 'aria-labelledby': 'chat-title' }, el('h2', { id: 'chat-title' }, t('roomPage.chat')), chatList, chatForm),
      el('section', { class: 'card', 'aria-labelledby': 'qa-title' }, el('h2', { id: 'qa-title' }, t('roomPage.qa')), qaList, qaForm))));

chatForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = chatInput.value.trim();
  if (!text) return;
  if (await act('chat.send', { text })) chatInput.value = '';
});
qaForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = qaInput.value.trim();
  if (!text) return;
  const payload = { text };
  if (room.current && room.current.pitch_index >= 0) payload.pitch_index = room.current.pitch_index;
  if (await act('qa.ask', payload)) qaInput.value = '';
});

// ---------------------------------------------------------------- rendering
function startupName(index) { const a = room.agenda[index]; return a ? pick(a, 'startup_name') : ''; }

function renderHeader() {
  const r = room.roadshow;
  if (!r) return;
  title.textContent = pick(r, 'title');
  document.title = `${pick(r, 'title')} · ${t('app.name')}`;
  statusLine.textContent = tk('roadshow.status', r.status.toUpperCase(), 'common.none');
  viewers.textContent = t('roomPage.viewers', { n: room.presence });
  renderClosed();
}

function closed() { return ['ended', 'cancelled'].includes(room.roadshow?.status); }

// Ended or cancelled: no one is "online" any more, nothing can be sent, and the page says what to do next.
function renderClosed() {
  const status = room.roadshow?.status;
  const isClosed = closed();
  document.body.dataset.roomStatus = status || '';
  viewers.hidden = isClosed;
  for (const control of [chatInput, qaInput, ...chatForm.querySelectorAll('button'), ...qaForm.querySelectorAll('button')]) control.disabled = isClosed;
  chatInput.placeholder = t(isClosed ? 'roomPage.closedPlaceholder' : 'roomPage.chatPlaceholder');
  qaInput.placeholder = t(isClosed ? 'roomPage.closedPlaceholder' : 'roomPage.askPlaceholder');
  endedBox.hidden = !isClosed;
  if (status === 'ended') {
    endedBox.replaceChildren(t('roomPage.endedNotice'), ' ',
      el('a', { href: location.href, id: 'open-record', onclick: (e) => { e.preventDefault(); live.close(); showRecord(); } }, t('roomPage.openRecord')));
  } else if (status === 'cancelled') endedBox.replaceChildren(t('roomPage.cancelled'));
}

function renderAgenda() {
  const index = closed() ? -1 : room.current?.pitch_index ?? -1;
  agendaList.replaceChildren(...room.agenda.map((a) => el('li', { 'aria-current': a.index === index ? 'true' : 'false' },
    pick(a, 'startup_name'), el('span', { class: 'muted' }, ` · ${t('roomPage.agendaMinutes', { pitch: a.pitch_minutes, qa: a.qa_minutes })}`),
    room.interest[a.index] ? el('span', { class: 'muted' }, ` · ${t('roomPage.interestCount', { n: room.interest[a.index] })}`) : null)));
}

function renderCurrent() {
  const c = room.current;
  if (closed()) {
    currentBox.replaceChildren(el('p', { id: 'current-closed' }, t(room.roadshow.status === 'ended' ? 'roomPage.ended' : 'roomPage.cancelled')));
    player.show(null);
  } else if (!c || c.pitch_index < 0) {
    currentBox.replaceChildren(el('p', {}, t('roomPage.notStarted'),
      room.roadshow?.starts_at ? ` ${t('roomPage.startsAt', { when: fmtDateTime(room.roadshow.starts_at) })}` : ''));
    player.show(null);
  } else {
    currentBox.replaceChildren(el('p', {}, el('strong', { id: 'current-startup' }, startupName(c.pitch_index)), ' · ',
      tk('roomPage.phase', c.phase, 'roomPage.phase.waiting')));
    player.show(c.stream_url);
  }
  renderAgenda();
  renderInterest();
}

const player = streamPlayer(playerBox);

function tick() {
  const c = room.current;
  if (!c || !c.ends_at || room.roadshow?.status !== 'live') { countdown.textContent = '--:--'; return; }
  const left = Math.max(0, Math.round((new Date(c.ends_at).getTime() - (Date.now() + room.offset)) / 1000));
  countdown.textContent = `${String(Math.floor(left / 60)).padStart(2, '0')}:${String(left % 60).padStart(2, '0')}`;
  countdown.setAttribute('aria-label', t('roomPage.timeLeft', { m: Math.floor(left / 60), s: left % 60 }));
}
setInterval(tick, 500);

function renderSlide() {
  const s = room.slide;
  if (!s || !s.url) { slideBox.replaceChildren(t('roomPage.noSlide')); return; }
  const url = s.url; // signed, expiring URL handed to room members (no access token in it)
  slideBox.replaceChildren(s.kind === 'pdf'
    ? el('div', {}, el('p', {}, t('roomPage.slidePage', { page: s.page, pages: s.pages })), el('a', { href: `${url}#page=${s.page}`, target: '_blank', rel: 'noopener', class: 'button secondary' }, t('roomPage.openPdf')))
    : el('figure', {}, el('img', { src: url, alt: t('roomPage.slideAlt', { page: s.page, pages: s.pages }) }),
      el('figcaption', {}, t('roomPage.slidePage', { page: s.page, pages: s.pages }))));
  renderModerator();
}

function renderReactions(counts = {}) {
  reactionsBox.replaceChildren(...(room.reactionKinds || REACTIONS).map((kind) => el('button', {
    type: 'button', class: 'secondary', dataset: { reaction: kind },
    disabled: room.roadshow?.status !== 'live', onclick: () => act('reaction.send', { kind }) },
  `${t(`roomPage.reaction.${kind}`)}${counts[kind] ? ` ${fmtNumber(counts[kind])}` : ''}`)));
}

function renderInterest() {
  if (!room.me.investor) { interestBox.replaceChildren(); return; }
  const index = room.current?.pitch_index ?? -1;
  const done = room.interested.has(index);
  interestBox.replaceChildren(el('button', { type: 'button', id: 'interested', disabled: index < 0 || done || closed(),
    onclick: async () => { if (await act('interest.signal', { pitch_index: index })) { room.interested.add(index); renderInterest(); notify(t('roomPage.interestSent'), 'ok'); } } },
  t(done ? 'roomPage.interestedDone' : 'roomPage.interested', { name: startupName(index) })));
}

function renderChat() {
  chatList.replaceChildren(...room.chat.map((m) => el('li', { dataset: { message: m.message_id } },
    el('strong', {}, m.author.name), el('span', { class: 'muted' }, ` ${fmtTime(m.at)} `), m.text,
    room.me.moderator ? el('button', { type: 'button', class: 'secondary', 'aria-label': t('roomPage.removeMessage'),
      onclick: () => act('message.remove', { message_id: m.message_id }) }, '×') : null)));
  chatList.scrollTop = chatList.scrollHeight;
}

function renderQuestions() {
  const visible = room.questions.filter((q) => room.me.moderator || !q.hidden)
    .sort((a, b) => (b.pinned - a.pinned) || (b.upvotes - a.upvotes) || String(a.at).localeCompare(String(b.at)));
  qaList.replaceChildren(...visible.map((q) => el('li', { dataset: { question: q.question_id } },
    q.pinned ? el('span', { class: 'badge role-badge' }, t('roomPage.pinned')) : null, ' ',
    el('span', { class: 'question-text' }, q.text), el('span', { class: 'muted' }, ` — ${q.author.name}`),
    q.hidden ? el('span', { class: 'muted' }, ` (${t('roomPage.hiddenLabel')})`) : null,
    el('div', { class: 'row' },
      el('button', { type: 'button', class: 'secondary upvote', 'aria-label': t('roomPage.upvote'), disabled: closed(),
        onclick: () => act('qa.upvote', { question_id: q.question_id }) }, `▲ ${fmtNumber(q.upvotes)}`),
      (room.me.moderator || room.me.presenter) && !closed() ? el('button', { type: 'button', class: 'secondary', onclick: () => answer(q) }, t('roomPage.answer')) : null,
      room.me.moderator ? el('button', { type: 'button', class: 'secondary', onclick: () => act('qa.pin', { question_id: q.question_id, pinned: !q.pinned }) }, t(q.pinned ? 'roomPage.unpin' : 'roomPage.pin')) : null,
      room.me.moderator ? el('button', { type: 'button', class: 'secondary', onclick: () => act('qa.hide', { question_id: q.question_id, hidden: !q.hidden }) }, t(q.hidden ? 'roomPage.unhide' : 'roomPage.hide')) : null),
    q.answer ? el('p', { class: 'notice' }, `${t('roomPage.answerBy', { name: q.answer.by?.name || '' })} ${q.answer.text}`) : null)));
}
async function answer(q) {
  const text = prompt(t('roomPage.answerPrompt'));
  if (text && text.trim()) await act('qa.answer', { question_id: q.question_id, text: text.trim() });
}

function renderModerator() {
  const canSlide = room.me.moderator || room.me.presenter;
  if (!room.me.moderator && !canSlide) { modBox.hidden = true; return; }
  modBox.hidden = false;
  const status = room.roadshow?.status;
  const s = room.slide;
  const buttons = [];
  if (room.me.moderator) {
    if (status === 'scheduled') buttons.push(el('button', { type: 'button', id: 'mod-start', onclick: () => act('room.start') }, t('roomPage.mod.start')));
    if (status === 'live') {
      buttons.push(room.current?.pitch_index < 0
        ? el('button', { type: 'button', id: 'mod-first', onclick: () => act('pitch.start', { index: 0 }) }, t('roomPage.mod.firstPitch'))
        : el('button', { type: 'button', id: 'mod-next', onclick: () => act('pitch.next') }, t('roomPage.mod.next')));
      buttons.push(el('button', { type: 'button', class: 'danger', id: 'mod-end', onclick: () => { if (confirm(t('roomPage.mod.endConfirm'))) act('room.end'); } }, t('roomPage.mod.end')));
    }
  }
  if (canSlide && s && s.pages > 0) {
    buttons.push(el('button', { type: 'button', class: 'secondary', disabled: s.page <= 1, onclick: () => act('slide.set', { page: s.page - 1 }) }, t('roomPage.mod.prevSlide')));
    buttons.push(el('button', { type: 'button', class: 'secondary', disabled: s.page >= s.pages, onclick: () => act('slide.set', { page: s.page + 1 }) }, t('roomPage.mod.nextSlide')));
  }
  const people = room.me.moderator && room.people.length ? el('ul', { class: 'plain', id: 'people' }, room.people.map((p) => el('li', {},
    p.organisation ? `${p.name} · ${p.organisation}` : p.name, p.user_id !== room.me.user_id ? el('span', {},
      ' ', el('button', { type: 'button', class: 'secondary', onclick: () => act('participant.mute', { user_id: p.user_id, muted: true }) }, t('roomPage.mod.mute')),
      ' ', el('button', { type: 'button', class: 'danger', onclick: () => act('participant.remove', { user_id: p.user_id }) }, t('roomPage.mod.remove'))) : null))) : null;
  renderUploads();
  // replaceChildren() writes null as the text "null": only real nodes go in.
  modBox.replaceChildren(...[el('h2', {}, t(room.me.moderator ? 'roomPage.mod.title' : 'roomPage.presenter')),
    buttons.length ? el('div', { class: 'row' }, ...buttons) : null,
    people ? el('h3', {}, t('roomPage.mod.people')) : null, people, uploadBox].filter(Boolean));
}

// Slides can be uploaded (and reordered) for a pitch that has not started yet: the presenter's own,
// or any for a moderator (the server's rule, backend/roadshows/slides.py).
function renderUploads() {
  const status = room.roadshow?.status;
  const open = room.agenda.filter((a) => (room.me.moderator || a.startup_id === room.me.startup_id)
    && (status === 'scheduled' || (status === 'live' && (room.current?.pitch_index ?? -1) < a.index)));
  if (!open.length || !(room.me.moderator || room.me.presenter)) { uploadBox.replaceChildren(); uploadBox.dataset.pitches = ''; return; }
  if (uploadBox.dataset.pitches === open.map((a) => a.index).join(',')) return; // keep files being chosen
  uploadBox.dataset.pitches = open.map((a) => a.index).join(',');
  uploadBox.replaceChildren(el('h3', {}, t('roomPage.slides.title')), ...open.map((a) => slideUploader({
    roomId, pitch: a, name: pick(a, 'startup_name'),
    onUploaded: (deck) => { a.slides = deck; if (room.slide && room.slide.pitch_index === a.index) renderSlide(); notify(t('roomPage.slides.uploaded', { name: pick(a, 'startup_name'), pages: deck.pages }), 'ok'); },
    onError: showError })));
}

function renderAll() {
  if (closed()) notify('');  // earlier messages (interest sent, muted…) no longer apply
  renderHeader(); renderCurrent(); renderSlide(); renderReactions(); renderChat(); renderQuestions(); renderModerator(); tick();
}

function applySnapshot(s) {
  room.roadshow = s.roadshow;
  room.agenda = s.agenda;
  room.current = s.current;
  room.offset = s.current?.server_time ? new Date(s.current.server_time).getTime() - Date.now() : 0;
  room.slide = s.slide;
  room.chat = s.chat;
  room.questions = s.questions;
  room.presence = s.presence?.count ?? 0;
  room.people = s.presence?.people || [];
  room.me = s.me || {};
  room.reactionKinds = s.reactions;
  renderAll();
}

// ---------------------------------------------------------------- live
const live = liveConnection();
live.onConnected(async () => {
  try {
    const payload = { room_id: roomId };
    if (room.seq !== null) payload.last_seq = room.seq;
    const reply = await live.request('room.join', payload);
    if (!reply.resumed) { room.seq = reply.seq; applySnapshot(reply.snapshot); }
    document.body.dataset.lastJoin = reply.resumed ? 'resumed' : 'snapshot';
    room.joined = true;
    document.body.dataset.joined = 'true';
  } catch (error) {
    if (error instanceof LiveError && error.code === 'room.ended') { live.close(); await showRecord(); return; }
    if (error instanceof LiveError && error.code === 'room.cancelled') {
      live.close();
      document.getElementById('offline').hidden = true;
      title.textContent = t('roomPage.cancelled');
      page.querySelector('.room')?.remove();
      return;
    }
    title.textContent = t('roomPage.unavailable');
    fail(error);
  }
});

// After the event: the record for everyone the room was open to — agenda with slides, Q&A with answers,
// chat, interest (organisers see every investor's, a startup the interest in its pitch, an investor their
// own), attendance analytics.
async function showRecord() {
  document.getElementById('offline').hidden = true;
  endedBox.hidden = true;
  let analytics = null;
  let transcript = null;
  try {
    [analytics, transcript] = await Promise.all([gql('RoadshowAnalytics', { id: roomId }), gql('RoadshowTranscript', { id: roomId })]);
  } catch (error) {
    title.textContent = t('roomPage.ended');
    showError(error);
    page.querySelector('.room')?.remove();
    return;
  }
  const r = transcript.roadshowTranscript.roadshow;
  const a = analytics.roadshowAnalytics;
  const entries = transcript.roadshowTranscript.entries;
  const names = new Map(r.agenda.map((x) => [x.index, pick(x, 'startupName')]));
  title.textContent = pick(r, 'title');
  document.title = `${pick(r, 'title')} · ${t('app.name')}`;
  statusLine.textContent = `${tk('roadshow.status', r.status, 'common.none')} · ${fmtDateTime(r.startedAt)} – ${fmtTime(r.endedAt)}`;
  viewers.hidden = true;
  document.body.dataset.roomStatus = 'record';
  const pitchOf = (e) => (e.pitchIndex !== null && e.pitchIndex !== undefined && names.has(e.pitchIndex) ? ` · ${names.get(e.pitchIndex)}` : '');
  const by = (e) => (e.authorOrganisation && e.authorOrganisation !== e.authorName ? `${e.authorName} · ${e.authorOrganisation}` : e.authorName);
  const questions = entries.filter((e) => e.kind === 'question');
  const chat = entries.filter((e) => e.kind === 'chat');
  const interest = entries.filter((e) => e.kind === 'interest');
  const empty = (key) => el('p', { class: 'muted' }, t(key));
  const section = (id, key, ...body) => el('section', { class: 'card', id, 'aria-labelledby': `${id}-title` }, el('h2', { id: `${id}-title` }, t(key)), ...body);
  const record = el('div', { id: 'record', class: 'grid grid-2' },
    section('record-agenda', 'roomPage.agenda', el('ol', { class: 'plain', id: 'record-agenda-list' }, r.agenda.map((x) => el('li', { dataset: { pitch: x.index } },
      el('strong', {}, pick(x, 'startupName')), el('span', { class: 'muted' }, ` · ${t('roomPage.agendaMinutes', { pitch: x.pitchMinutes, qa: x.qaMinutes })}`),
      x.slides ? el('div', { class: 'row record-slides' }, x.slides.kind === 'pdf'
        ? el('a', { href: x.slides.urls[0], target: '_blank', rel: 'noopener', class: 'button secondary' }, t('roomPage.openPdfPages', { pages: x.slides.pages }))
        : x.slides.urls.map((url, i) => el('a', { href: url, target: '_blank', rel: 'noopener', 'aria-label': t('roomPage.slideAlt', { page: i + 1, pages: x.slides.pages }) },
          el('img', { src: url, class: 'slide-thumb', alt: t('roomPage.slideAlt', { page: i + 1, pages: x.slides.pages }) }))))
        : el('p', { class: 'muted' }, t('roomPage.noSlide')))))),
    section('record-analytics', 'roomPage.analytics',
      el('p', { id: 'analytics-summary' }, t('roomPage.analyticsSummary', { unique: a.uniqueViewers, peak: a.peakViewers,
        average: fmtNumber(a.averageViewers, { maximumFractionDigits: 1 }), minutes: fmtNumber(a.durationSeconds / 60, { maximumFractionDigits: 0 }),
        questions: a.questions, interest: a.interestCount })),
      el('div', { class: 'table-wrap' }, el('table', {},
        el('thead', {}, el('tr', {}, ['roomPage.col.pitch', 'roomPage.col.viewers', 'roomPage.col.peak', 'roomPage.col.questions', 'roomPage.col.interest', 'roomPage.col.reactions']
          .map((k, i) => el('th', { scope: 'col', class: i ? 'num' : '' }, t(k))))),
        el('tbody', {}, a.pitches.map((p) => el('tr', {}, el('td', {}, names.get(p.index) || ''),
          ...[p.viewers, p.peakViewers, p.questions, p.interestCount, p.reactions].map((v) => el('td', { class: 'num' }, fmtNumber(v))))))))),
    section('record-qa', 'roomPage.qa', questions.length ? el('ul', { class: 'plain', id: 'record-qa-list' }, questions.map((e) => el('li', {},
      el('p', {}, el('strong', {}, e.text), el('span', { class: 'muted' }, ` — ${by(e)}${pitchOf(e)} · ▲ ${fmtNumber(e.upvotes)}`)),
      e.answer ? el('p', { class: 'notice' }, t('roomPage.answerText', { text: e.answer })) : el('p', { class: 'muted' }, t('roomPage.unanswered')))))
      : empty('roomPage.noQuestions')),
    section('record-interest', 'roomPage.interestTitle', interest.length ? el('ul', { class: 'plain', id: 'record-interest-list' }, interest.map((e) => el('li', {},
      el('strong', {}, by(e)), el('span', { class: 'muted' }, `${pitchOf(e)} · ${fmtTime(e.at)}`))))
      : empty('roomPage.noInterest')),
    section('record-chat', 'roomPage.chat', chat.length ? el('ul', { class: 'plain messages', id: 'transcript' }, chat.map((e) => el('li', {},
      el('span', { class: 'muted' }, `${fmtTime(e.at)} `), el('strong', {}, e.authorName), ' ', e.text)))
      : empty('roomPage.noChat')));
  const room = page.querySelector('.room');
  if (room) room.replaceWith(record); else page.append(record);
}
live.on('*', (data, frame) => {
  if (frame.topic === `room:${roomId}` && typeof frame.seq === 'number') room.seq = Math.max(room.seq ?? 0, frame.seq);
});
live.on('chat.message', (m) => { if (!room.chat.some((x) => x.message_id === m.message_id)) { room.chat.push(m); room.chat = room.chat.slice(-200); renderChat(); } });
live.on('chat.removed', (d) => { room.chat = room.chat.filter((m) => m.message_id !== d.message_id); renderChat(); });
live.on('qa.asked', (q) => { if (!room.questions.some((x) => x.question_id === q.question_id)) room.questions.push(q); renderQuestions(); });
function patchQuestion(d, fields) {
  const q = room.questions.find((x) => x.question_id === d.question_id);
  if (q) Object.assign(q, fields);
  renderQuestions();
}
live.on('qa.upvoted', (d) => patchQuestion(d, { upvotes: d.upvotes }));
live.on('qa.answered', (d) => patchQuestion(d, { answer: d.answer }));
live.on('qa.pinned', (d) => patchQuestion(d, { pinned: d.pinned }));
live.on('qa.hidden', (d) => {
  // Shown again: the event carries the whole question (a replay or snapshot may have left out its text).
  if (d.question && !room.questions.some((x) => x.question_id === d.question_id)) room.questions.push(d.question);
  patchQuestion(d, d.question || { hidden: d.hidden });
});
live.on('pitch.changed', (c) => { room.current = c; if (c.server_time) room.offset = new Date(c.server_time).getTime() - Date.now(); renderCurrent(); renderModerator(); tick(); });
live.on('slide.changed', (s) => { room.slide = s; renderSlide(); });
live.on('room.status', (d) => {
  if (room.roadshow) Object.assign(room.roadshow, { status: d.status, ended_at: d.ended_at ?? room.roadshow.ended_at });
  if (d.status === 'ended' && room.current) room.current = { ...room.current, phase: 'done', ends_at: null };
  renderAll();
});
live.on('room.updated', (d) => {
  if (!room.roadshow) return;
  Object.assign(room.roadshow, { title_zh: d.title_zh, title_en: d.title_en, starts_at: d.starts_at });
  const slides = new Map(room.agenda.map((a) => [a.startup_id, a.slides]));
  room.agenda = d.agenda.map((a) => ({ ...a, slides: slides.get(a.startup_id) || null }));
  uploadBox.dataset.pitches = '';
  renderAll();
  notify(t('roomPage.updated', { when: fmtDateTime(d.starts_at) }), 'info');
});
live.on('presence', (d) => { room.presence = d.count; renderHeader(); });
live.on('presence.detail', (d) => { room.presence = d.count; room.people = d.people || []; renderHeader(); renderModerator(); });
live.on('reactions', (d) => renderReactions(d.counts));
live.on('interest.signalled', (d) => { room.interest[d.pitch_index] = d.count; renderAgenda(); });
live.on('participant.muted', (d) => { if (d.user_id === room.me.user_id) { room.me.muted = d.muted; notify(t(d.muted ? 'roomPage.youMuted' : 'roomPage.youUnmuted'), d.muted ? 'error' : 'info'); } });
live.on('room.removed', () => { notify(liveErrorMessage('room.removed'), 'error'); live.close(); });
live.on('participant.removed', (d) => { if (d.user_id === room.me.user_id) { notify(liveErrorMessage('room.removed'), 'error'); live.close(); } });
live.on('countdown.ended', () => tick());
