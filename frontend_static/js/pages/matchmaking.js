// Matchmaking: recommendations with their reasons, interest/decline, matches, the negotiation thread
// (live over /ws/v1) and the signed-in party's matchmaking-session schedule; the startup's and the
// investor's own profile; managers and admins post open calls and provider offers (sessions: sessions.html).
import { t, tk, pick, fmtNumber, fmtDate, fmtDateTime, currentLang } from '../i18n.js';
import { gql, ApiError, fieldMessage } from '../api.js';
import { initPage, el, notify, showError } from '../shell.js';
import { liveConnection, LiveError } from '../live.js';
import { param, setParams } from '../util.js';
import { counterpartForm } from './counterpart-form.js';

const me = await initPage({ roles: ['ADMIN', 'MANAGER', 'STARTUP', 'INVESTOR'], title: 'nav.matchmaking' });
const page = document.getElementById('page');
const state = { party: null, side: null, kind: '', matches: [], openMatch: null, messages: [] };

const partyBox = el('div', { class: 'row', id: 'party' });
const kindSelect = el('select', { id: 'rec-kind', onchange: () => { state.kind = kindSelect.value; loadRecommendations(); } },
  el('option', { value: '' }, t('common.all')), ...['INVESTOR', 'FIRM_CALL', 'PROVIDER'].map((k) => el('option', { value: k }, t(`match.kind.${k}`))));
const loading = () => el('p', { class: 'muted' }, t('common.loading'));   // until the first answer
const recBox = el('div', { id: 'recommendations' }, loading());
const matchBox = el('div', { id: 'matches' }, loading());
const threadBox = el('div', { id: 'thread' });
const scheduleBox = el('div', { id: 'schedule' }, loading());
const profileBox = el('div', { id: 'profile' });
const postBox = el('div', { id: 'postings' });
const organiser = me.role === 'MANAGER' || me.role === 'ADMIN';
page.replaceChildren(el('h1', {}, t('match.title')),
  ...(organiser ? [el('p', {}, el('a', { href: '/pages/sessions.html', id: 'sessions-link' }, t('session.manage')))] : []),
  el('div', { class: 'card' }, partyBox), profileBox, postBox,
  el('div', { class: 'grid grid-3' },
    el('section', { class: 'card', 'aria-labelledby': 'rec-title' }, el('h2', { id: 'rec-title' }, t('match.recommendations')),
      el('div', { class: 'field', id: 'rec-kind-field' }, el('label', { for: 'rec-kind' }, t('match.kind')), kindSelect), recBox),
    el('div', {},
      el('section', { class: 'card', 'aria-labelledby': 'matches-title' }, el('h2', { id: 'matches-title' }, t('match.matches')), matchBox),
      el('section', { class: 'card', 'aria-labelledby': 'thread-title' }, el('h2', { id: 'thread-title' }, t('match.thread')), threadBox),
      el('section', { class: 'card', 'aria-labelledby': 'schedule-title' }, el('h2', { id: 'schedule-title' }, t('match.schedule')), scheduleBox))));

const money = (v) => (v === null || v === undefined ? '—' : t('match.money', { n: fmtNumber(v) }));
const reasonText = (r) => (currentLang() === 'zh' ? r.zh || r.en : r.en || r.zh);

// ---------------------------------------------------------------- whose recommendations
async function choosePartyAndLoad() {
  if (me.role === 'STARTUP') {
    state.party = me.startupId; state.side = 'startup';
  } else if (me.role === 'INVESTOR') {
    const profile = (await gql('MyInvestorProfile')).myInvestorProfile;
    state.investorProfile = profile;
    if (!profile) { recBox.replaceChildren(el('p', { class: 'notice' }, t('match.noProfileYet'))); return; }
    state.party = profile.id; state.side = 'counterpart';
    document.getElementById('rec-kind-field').hidden = true;
  } else {
    const startups = (await gql('StartupProfiles', { incubatorId: me.role === 'MANAGER' ? me.incubatorId : null, first: 100 })).startupProfiles.nodes;
    state.party = param('startup') || startups[0]?.id; state.side = 'startup';
    const select = el('select', { id: 'party-select', onchange: () => { state.party = select.value; setParams({ startup: state.party }); loadRecommendations(); } },
      startups.map((s) => el('option', { value: s.id, selected: s.id === state.party }, pick(s, 'name'))));
    select.addEventListener('change', () => loadProfile());
    partyBox.replaceChildren(el('div', { class: 'field' }, el('label', { for: 'party-select' }, t('match.forStartup')), select));
  }
  if (me.role === 'STARTUP' || me.role === 'INVESTOR') partyBox.replaceChildren(el('p', {}, t(me.role === 'STARTUP' ? 'match.introStartup' : 'match.introInvestor')));
  await loadRecommendations();
}

async function loadRecommendations() {
  if (!state.party) { recBox.replaceChildren(el('p', { class: 'muted' }, t('common.empty'))); return; }
  try {
    const vars = { partyId: state.party, first: 10 };
    if (state.kind && state.side === 'startup') vars.kind = state.kind;
    const page = (await gql('Recommendations', vars)).recommendations;
    recBox.replaceChildren(page.nodes.length ? el('ol', { class: 'plain', id: 'rec-list' }, page.nodes.map(recommendation))
      : el('p', { class: 'muted' }, t('match.noRecommendations')));
  } catch (error) { showError(error); }
}

function recommendation(r) {
  const other = state.side === 'startup' ? r.counterpart : r.startup;
  const id = state.side === 'startup' ? r.counterpart.id : r.startup.id;
  const decided = r.myDecision;
  const details = state.side === 'startup'
    ? [t(`match.kind.${r.counterpart.kind}`), r.counterpart.organisation, r.counterpart.ticketMin !== null ? t('match.ticket', { min: money(r.counterpart.ticketMin), max: money(r.counterpart.ticketMax) }) : null]
    : [tk('industry', r.startup.industry, 'industry.OTHER'), tk('match.stage', r.startup.stage, 'common.none'), t('match.ask', { min: money(r.startup.askMin), max: money(r.startup.askMax) })];
  return el('li', { class: 'card', dataset: { party: id } },
    el('h3', {}, pick(other, 'name'), ' ', el('span', { class: 'badge role-badge' }, t('match.score', { n: fmtNumber(r.score, { maximumFractionDigits: 0 }) }))),
    el('p', { class: 'muted' }, details.filter(Boolean).join(' · ')),
    el('ul', { class: 'reasons' }, r.reasons.map((x) => el('li', {}, reasonText(x), el('span', { class: 'muted' }, ` (${x.points >= 0 ? '+' : ''}${fmtNumber(x.points, { maximumFractionDigits: 1 })})`)))),
    r.matched ? el('p', { class: 'notice notice-ok' }, t('match.matched'))
      : el('div', { class: 'row' },
        el('button', { type: 'button', class: 'interest', disabled: decided === 'INTERESTED', onclick: () => decide(r, 'INTERESTED') },
          t(decided === 'INTERESTED' ? 'match.interestSent' : 'match.interest')),
        el('button', { type: 'button', class: 'secondary decline', disabled: decided === 'DECLINED', onclick: () => decide(r, 'DECLINED') },
          t(decided === 'DECLINED' ? 'match.declinedDone' : 'match.decline')),
        r.theirDecision === 'INTERESTED' ? el('span', { class: 'badge tier-benchmark' }, t('match.theyAreInterested')) : null));
}

async function decide(r, decision) {
  try {
    const result = (await gql('DecideOnMatch', { startupId: r.startup.id, counterpartId: r.counterpart.id, decision })).decideOnMatch;
    notify(t(result.matchCreated ? 'match.created' : decision === 'INTERESTED' ? 'match.interestSaved' : 'match.declineSaved'), 'ok');
    await Promise.all([loadRecommendations(), loadMatches()]);
  } catch (error) { showError(error); }
}

// ---------------------------------------------------------------- matches and the thread
async function loadMatches() {
  try {
    state.matches = (await gql('Matches', { first: 50 })).matches.nodes;
    matchBox.replaceChildren(state.matches.length ? el('ul', { class: 'plain', id: 'match-list' }, state.matches.map((m) => el('li', { dataset: { match: m.id } },
      el('button', { type: 'button', class: state.openMatch === m.id ? '' : 'secondary', onclick: () => openThread(m.id) },
        `${pick(m.startup, 'name')} ↔ ${pick(m.counterpart, 'name')}`), ' ',
      el('span', { class: 'muted' }, `${t('match.score', { n: fmtNumber(m.score, { maximumFractionDigits: 0 }) })} · ${fmtDateTime(m.createdAt)}`))))
      : el('p', { class: 'muted' }, t('match.noMatches')));
  } catch (error) { showError(error); }
}

const threadList = el('ul', { class: 'plain messages', id: 'thread-list', 'aria-live': 'polite' });
const threadInput = el('input', { id: 'thread-input', maxlength: 4000, autocomplete: 'off', 'aria-label': t('match.messageLabel'), placeholder: t('match.messagePlaceholder') });
const threadForm = el('form', { class: 'row', id: 'thread-form' }, threadInput, el('button', { type: 'submit', id: 'thread-send' }, t('common.send')));
threadForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = threadInput.value.trim();
  if (!text || !state.openMatch) return;
  try {
    const reply = await live.request('negotiation.send', { match_id: state.openMatch, text });
    addMessage(reply.message);
    threadInput.value = '';
  } catch (error) { notify(error instanceof LiveError ? error.userMessage : t('wsError.unknown'), 'error'); }
});

function renderThread() {
  threadList.replaceChildren(...state.messages.map((m) => el('li', { dataset: { message: m.id } },
    el('strong', {}, m.senderName ?? m.sender_name), el('span', { class: 'muted' }, ` ${fmtDateTime(m.at)} `), m.text)));
  threadList.scrollTop = threadList.scrollHeight;
}
function addMessage(m) {
  if (state.messages.some((x) => x.id === m.id)) return;
  state.messages.push(m);
  renderThread();
}
async function openThread(matchId) {
  state.openMatch = matchId;
  try {
    const rows = (await gql('NegotiationMessages', { matchId, first: 50 })).negotiationMessages;
    state.messages = [...rows].reverse();
  } catch (error) { showError(error); state.messages = []; }
  const match = state.matches.find((m) => m.id === matchId);
  threadBox.replaceChildren(el('p', {}, match ? `${pick(match.startup, 'name')} ↔ ${pick(match.counterpart, 'name')}` : ''), threadList, threadForm);
  renderThread();
  loadMatches();
  threadInput.focus();
}
threadBox.replaceChildren(el('p', { class: 'muted' }, t('match.pickMatch')));

// ---------------------------------------------------------------- schedule
async function loadSchedule() {
  if (me.role !== 'STARTUP' && me.role !== 'INVESTOR') { scheduleBox.replaceChildren(el('p', { class: 'muted' }, t('match.scheduleParties'))); return; }
  try {
    const sessions = (await gql('MySchedule')).mySchedule;
    scheduleBox.replaceChildren(sessions.length ? el('div', {}, sessions.map((s) => el('div', {}, el('h3', {}, s.title),
      el('ul', { class: 'plain' }, s.meetings.map((m) => el('li', {}, el('strong', {}, `${fmtDateTime(m.startsAt)}`), ' · ',
        `${pick(m.startup, 'name')} ↔ ${pick(m.counterpart, 'name')}`))))))
      : el('p', { class: 'muted' }, t('match.noSchedule')));
  } catch (error) { showError(error); }
}

// ---------------------------------------------------------------- the startup's own profile
const NEEDS = ['FUNDING', 'SUPPLY_CHAIN', 'IP', 'MARKET', 'OFFICE', 'LEGAL', 'FINANCE'];
const STAGES = ['SEED', 'ANGEL', 'PRE_A', 'SERIES_A', 'SERIES_B', 'SERIES_C_PLUS'];

function profileField(id, labelKey, input) {
  return el('div', { class: 'field' }, el('label', { for: `p-${id}` }, t(labelKey)), input,
    el('span', { class: 'field-error', id: `err-p-${id}`, role: 'status' }));
}

async function loadProfile() {
  if (me.role === 'INVESTOR') { investorProfile(); return; }
  if (state.side !== 'startup' || !state.party) { profileBox.replaceChildren(); return; }
  let p;
  try { p = (await gql('StartupProfile', { id: state.party })).startupProfile; } catch (error) { showError(error); return; }
  const num = (v) => (v === null || v === undefined ? '' : String(v));
  const form = el('form', { id: 'profile-form', novalidate: true },
    el('div', { class: 'fields' },
      profileField('stage', 'match.profile.stage', el('select', { id: 'p-stage' }, el('option', { value: '' }, '—'),
        STAGES.map((x) => el('option', { value: x, selected: p.stage === x }, t(`match.stage.${x}`))))),
      profileField('foundedYear', 'match.profile.foundedYear', el('input', { id: 'p-foundedYear', type: 'number', value: num(p.foundedYear) })),
      profileField('teamSize', 'match.profile.teamSize', el('input', { id: 'p-teamSize', type: 'number', value: num(p.teamSize) })),
      profileField('askMin', 'match.profile.askMin', el('input', { id: 'p-askMin', type: 'number', step: 'any', value: num(p.askMin) })),
      profileField('askMax', 'match.profile.askMax', el('input', { id: 'p-askMax', type: 'number', step: 'any', value: num(p.askMax) }))),
    el('fieldset', { id: 'p-needs' }, el('legend', {}, t('match.profile.needs')), el('div', { class: 'row' },
      NEEDS.map((n) => el('label', {}, el('input', { type: 'checkbox', name: 'need', value: n, checked: (p.needs || []).includes(n) }), ' ', t(`match.need.${n}`)))),
    el('span', { class: 'field-error', id: 'err-p-needs', role: 'status' })),
    profileField('description', 'match.profile.description', el('textarea', { id: 'p-description', rows: 3, maxlength: 2000 }, p.description || '')),
    profileField('supplyNeed', 'match.profile.supplyNeed', el('textarea', { id: 'p-supplyNeed', rows: 2, maxlength: 1000 }, p.supplyNeed || '')),
    el('button', { type: 'submit', id: 'profile-save' }, t('common.save')));
  form.addEventListener('submit', (e) => { e.preventDefault(); saveProfile(form); });
  profileBox.replaceChildren(el('details', { class: 'card', id: 'profile-details' }, el('summary', {}, t('match.profile.title', { name: pick(p, 'name') })), form));
}

async function saveProfile(form) {
  form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
  const v = (id) => document.getElementById(`p-${id}`).value.trim();
  const n = (id) => (v(id) === '' ? null : Number(v(id)));
  const input = { stage: v('stage') || null, foundedYear: n('foundedYear'), teamSize: n('teamSize'), askMin: n('askMin'), askMax: n('askMax'),
    needs: [...form.querySelectorAll('input[name=need]:checked')].map((x) => x.value), description: v('description'), supplyNeed: v('supplyNeed') };
  // the server's checks, mirrored (matchmaking validate_startup)
  const problems = [];
  const year = new Date().getFullYear();
  if (input.foundedYear !== null && !(input.foundedYear >= 1980 && input.foundedYear <= year)) problems.push(['foundedYear', t('match.check.year', { max: year })]);
  if (input.teamSize !== null && !(Number.isInteger(input.teamSize) && input.teamSize >= 1 && input.teamSize <= 100000)) problems.push(['teamSize', t('match.check.teamSize')]);
  if (input.needs.includes('FUNDING') && input.askMin === null && input.askMax === null) problems.push(['askMin', t('match.check.askRequired')]);
  else if ((input.askMin === null) !== (input.askMax === null)) problems.push([input.askMin === null ? 'askMin' : 'askMax', t('match.check.bothEnds')]);
  for (const f of ['askMin', 'askMax']) if (input[f] !== null && !(input[f] > 0 && input[f] <= 10000000)) problems.push([f, t('match.check.amount')]);
  if (input.askMin !== null && input.askMax !== null && input.askMax < input.askMin) problems.push(['askMax', t('match.check.upperBelowLower')]);
  const show = (field, message) => { const slot = document.getElementById(`err-p-${field}`) || document.getElementById('err-p-needs'); slot.textContent = message; };
  if (problems.length) { problems.forEach(([f, m]) => show(f, m)); notify(t('error.BAD_USER_INPUT'), 'error'); return; }
  try {
    await gql('UpdateStartupProfile', { startupId: state.party, input });
    notify(t('match.profile.saved'), 'ok');
    await loadRecommendations();
  } catch (error) {
    if (error instanceof ApiError && error.code === 'BAD_USER_INPUT') {
      for (const [path, ext] of Object.entries(error.fields)) show(path, fieldMessage(ext));
      notify(t('error.BAD_USER_INPUT'), 'error');
    } else showError(error);
  }
}

// ---------------------------------------------------------------- the investor's own profile
function investorProfile() {
  const p = state.investorProfile;
  const form = counterpartForm({ kind: 'INVESTOR', value: p, prefix: 'ip', onSaved: async (saved) => {
    const created = !p;
    state.investorProfile = saved;
    if (created) { state.party = saved.id; state.side = 'counterpart'; document.getElementById('rec-kind-field').hidden = true; investorProfile(); }
    else document.getElementById('investor-profile-name').textContent = t('cp.myProfile', { name: pick(saved, 'name') });   // a renamed profile
    await loadRecommendations();
  } });
  profileBox.replaceChildren(el('details', { class: 'card', id: 'investor-profile', open: !p },
    el('summary', { id: 'investor-profile-name' }, p ? t('cp.myProfile', { name: pick(p, 'name') }) : t('cp.createProfile')), form));
}

// ---------------------------------------------------------------- managers' open calls and provider offers
async function loadPostings() {
  if (!organiser) return;
  const kind = el('select', { id: 'post-kind' }, ['FIRM_CALL', 'PROVIDER'].map((k) => el('option', { value: k }, t(`match.kind.${k}`))));
  const formSlot = el('div', {});
  const list = el('ul', { class: 'plain', id: 'posting-list' }, el('li', { class: 'muted' }, t('common.loading')));
  const drawForm = () => formSlot.replaceChildren(counterpartForm({ kind: kind.value, prefix: 'post', onSaved: () => drawList() }));
  kind.addEventListener('change', drawForm);
  async function drawList() {
    try {
      const rows = (await Promise.all(['FIRM_CALL', 'PROVIDER'].map((k) => gql('Counterparts', { kind: k, first: 50 }))))
        .flatMap((r) => r.counterparts.nodes);
      list.replaceChildren(...(rows.length ? rows.map((c) => el('li', { dataset: { counterpart: c.id } },
        el('strong', {}, pick(c, 'name')), ' ', el('span', { class: 'badge' }, t(`match.kind.${c.kind}`)), ' ',
        el('span', { class: 'muted' }, [c.organisation, c.deadline ? t('cp.until', { date: fmtDate(`${c.deadline}T12:00:00+08:00`) }) : null].filter(Boolean).join(' · '))))
        : [el('li', { class: 'muted' }, t('common.empty'))]));
    } catch (error) { showError(error); }
  }
  postBox.replaceChildren(el('details', { class: 'card', id: 'post-details' },
    el('summary', {}, t('cp.postTitle')),
    el('div', { class: 'field' }, el('label', { for: 'post-kind' }, t('match.kind')), kind), formSlot,
    el('h3', {}, t('cp.postedList')), list));
  drawForm();
  await drawList();
}

// ---------------------------------------------------------------- live
const live = liveConnection();
live.on('negotiation.message', (m) => { if (m.match_id === state.openMatch) addMessage({ ...m, senderName: m.sender_name }); });
live.on('match.created', (d) => { notify(t('match.createdWith', { name: pick(state.side === 'startup' ? d.counterpart : d.startup, 'name') }), 'ok'); loadMatches(); loadRecommendations(); });
live.onConnected(() => { document.body.dataset.live = 'socket'; });

await choosePartyAndLoad().catch(showError);
await loadProfile();
await Promise.all([loadMatches(), loadSchedule(), loadPostings()]);
