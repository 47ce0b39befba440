// Park administration (admins): the incubator registry (filtered list, create, edit) and accounts
// (list by role with paging, create, disable / re-enable). Server field errors show next to their fields.
import { t, tk, pick, fmtNumber, fmtDate } from '../i18n.js';
import { gql, ApiError, fieldMessage } from '../api.js';
import { initPage, el, notify, showError } from '../shell.js';
import { allIncubators } from '../util.js';
import { dateField, dateValue, invalidMessage } from '../datefield.js';

const me = await initPage({ roles: ['ADMIN'], title: 'nav.admin' });
const page = document.getElementById('page');

const KINDS = ['INCUBATOR', 'MAKER_SPACE', 'ACCELERATOR'];
const ACCREDITATIONS = ['NATIONAL', 'MUNICIPAL', 'DISTRICT', 'NONE'];
const SUB_AREAS = ['DESHENG', 'BEIZHAN', 'GUANGAN'];
const INDUSTRIES = ['FINTECH', 'DIGITAL', 'RD_DESIGN', 'CULTURE_TECH', 'OTHER'];
const ROLES = ['ADMIN', 'EVALUATOR', 'MANAGER', 'STARTUP', 'INVESTOR', 'IP_ADVISOR'];
const PAGE_SIZE = 20;

const kindText = (v) => tk('admin.kind', v, 'common.none');
const accreditationText = (v) => tk('admin.accreditation', v, 'common.none');
const subAreaText = (v) => tk('subArea', v, 'common.none');
const industryText = (v) => tk('industry', v, 'common.none');
const roleText = (v) => tk('role', v, 'role.UNKNOWN');

function selectField(id, labelKey, options, { value = '', onchange = null, blank = null } = {}) {
  const select = el('select', { id, 'aria-describedby': `err-${id}`, onchange: () => { clearError(id); onchange?.(select.value); } },
    blank ? el('option', { value: '' }, blank) : null,
    options.map(([v, label]) => el('option', { value: v, selected: v === value }, label)));
  return el('div', { class: 'field', id: `field-${id}` }, el('label', { for: id }, t(labelKey)), select,
    el('span', { class: 'field-error', id: `err-${id}`, role: 'status' }));
}

function inputField(id, labelKey, attrs = {}, helpKey = null) {
  const describedBy = helpKey ? `help-${id} err-${id}` : `err-${id}`;
  return el('div', { class: 'field', id: `field-${id}` }, el('label', { for: id }, t(labelKey)),
    el('input', { id, name: id, type: 'text', 'aria-describedby': describedBy, oninput: () => clearError(id), ...attrs }),
    helpKey ? el('span', { class: 'help', id: `help-${id}` }, t(helpKey)) : null,
    el('span', { class: 'field-error', id: `err-${id}`, role: 'status' }));
}

function controlsOf(id) {
  const node = document.getElementById(id);
  if (!node) return [];
  return node.tagName === 'FIELDSET' ? [...node.querySelectorAll('input')] : [node];
}
function clearError(id) {
  for (const c of controlsOf(id)) c.removeAttribute('aria-invalid');
  const slot = document.getElementById(`err-${id}`);
  if (slot) slot.textContent = '';
}
function setError(id, message) {
  for (const c of controlsOf(id)) c.setAttribute('aria-invalid', 'true');
  const slot = document.getElementById(`err-${id}`);
  if (slot) slot.textContent = message;
}
function focusField(id) { controlsOf(id)[0]?.focus(); }

// An ApiError's field errors go next to the form's fields (`<prefix>-<field>`); the others into the notice.
function showServerErrors(error, prefix) {
  if (!(error instanceof ApiError) || !Object.keys(error.fields).length) { showError(error); return; }
  let first = null;
  const other = [];
  for (const [path, ext] of Object.entries(error.fields)) {
    const id = `${prefix}-${path}`;
    if (document.getElementById(id)) { setError(id, fieldMessage(ext)); first = first || id; } else other.push(fieldMessage(ext));
  }
  notify(other.length ? other.join(' ') : error.userMessage, 'error');
  if (first) focusField(first);
}

// Pages through a connection with a stack of cursors (previous / next).
function pager(id, load) {
  const state = { cursors: [null], index: 0, hasNext: false };
  const prev = el('button', { type: 'button', class: 'secondary', id: `${id}-prev`,
    onclick: () => { state.index -= 1; load(state.cursors[state.index]); } }, t('admin.prevPage'));
  const next = el('button', { type: 'button', class: 'secondary', id: `${id}-next`,
    onclick: () => { state.index += 1; load(state.cursors[state.index]); } }, t('admin.nextPage'));
  const label = el('span', { class: 'muted', id: `${id}-page`, 'aria-live': 'polite' });
  return {
    node: el('div', { class: 'row' }, prev, label, next),
    reset() { state.cursors = [null]; state.index = 0; return null; },
    update(connection) {
      state.cursors[state.index + 1] = connection.endCursor;
      state.hasNext = connection.hasNextPage;
      prev.disabled = state.index === 0;
      next.disabled = !state.hasNext;
      label.textContent = t('admin.pageNumber', { page: state.index + 1 });
    },
  };
}

// ---------------------------------------------------------------- incubators
const incFilter = { subArea: '', kind: '', accreditation: '', industry: '' };
const incFilters = el('div', { class: 'row', id: 'incubator-filters' },
  selectField('filter-subArea', 'admin.inc.subArea', SUB_AREAS.map((v) => [v, subAreaText(v)]),
    { blank: t('common.all'), onchange: (v) => { incFilter.subArea = v; loadIncubators(incPager.reset()); } }),
  selectField('filter-kind', 'admin.inc.kind', KINDS.map((v) => [v, kindText(v)]),
    { blank: t('common.all'), onchange: (v) => { incFilter.kind = v; loadIncubators(incPager.reset()); } }),
  selectField('filter-accreditation', 'admin.inc.accreditation', ACCREDITATIONS.map((v) => [v, accreditationText(v)]),
    { blank: t('common.all'), onchange: (v) => { incFilter.accreditation = v; loadIncubators(incPager.reset()); } }),
  selectField('filter-industry', 'admin.inc.industry', INDUSTRIES.map((v) => [v, industryText(v)]),
    { blank: t('common.all'), onchange: (v) => { incFilter.industry = v; loadIncubators(incPager.reset()); } }));
const loading = () => el('p', { class: 'muted' }, t('common.loading'));   // until the first page arrives
const incTable = el('div', { class: 'table-wrap', id: 'incubator-list' }, loading());
const incPager = pager('incubator-pager', (after) => loadIncubators(after));
let incRows = [];

const INC_FIELDS = ['nameZh', 'nameEn', 'kind', 'accreditation', 'subArea', 'industries', 'foundedOn', 'floorArea', 'operator'];
const incHeading = el('h2', { id: 'incubator-form-title' }, t('admin.inc.new'));
const incSubmit = el('button', { type: 'submit', id: 'incubator-save' }, t('admin.inc.create'));
// Cancelling hides the focused button: focus goes back to the row's edit button (or the form's first field).
const incCancel = el('button', { type: 'button', id: 'incubator-cancel', class: 'secondary', hidden: true,
  onclick: () => {
    const back = editing && incTable.querySelector(`tr[data-id="${CSS.escape(editing)}"] .edit-incubator`);
    editIncubator(null);
    if (back) back.focus(); else focusField('inc-nameZh');
  } }, t('admin.inc.cancelEdit'));
const incForm = el('form', { id: 'incubator-form', novalidate: true, 'aria-labelledby': 'incubator-form-title' },
  incHeading,
  el('div', { class: 'fields' },
    inputField('inc-nameZh', 'admin.inc.nameZh', { lang: 'zh-CN', maxlength: 120 }),
    inputField('inc-nameEn', 'admin.inc.nameEn', { lang: 'en', maxlength: 120 }),
    selectField('inc-kind', 'admin.inc.kind', KINDS.map((v) => [v, kindText(v)]), { blank: t('admin.choose') }),
    selectField('inc-accreditation', 'admin.inc.accreditation', ACCREDITATIONS.map((v) => [v, accreditationText(v)]), { blank: t('admin.choose') }),
    selectField('inc-subArea', 'admin.inc.subArea', SUB_AREAS.map((v) => [v, subAreaText(v)]), { blank: t('admin.choose') }),
    foundedField(),
    inputField('inc-floorArea', 'admin.inc.floorArea', { inputmode: 'decimal' }, 'admin.inc.floorAreaHelp'),
    inputField('inc-operator', 'admin.inc.operator', { maxlength: 120 })),
  el('fieldset', { id: 'inc-industries', 'aria-describedby': 'err-inc-industries' },
    el('legend', {}, t('admin.inc.industries')),
    el('div', { class: 'row' }, INDUSTRIES.map((v) => el('label', { class: 'check' },
      el('input', { type: 'checkbox', value: v, name: 'industries', onchange: () => clearError('inc-industries') }), ' ', industryText(v)))),
    el('span', { class: 'field-error', id: 'err-inc-industries', role: 'status' })),
  el('div', { class: 'row' }, incSubmit, incCancel));
let editing = null;

// The founding date in the page's format (js/datefield.js), not the browser's locale-bound picker.
function foundedField() {
  const [input, hint] = dateField('inc-foundedOn', { kind: 'date' });
  input.addEventListener('input', () => clearError('inc-foundedOn'));
  input.setAttribute('aria-describedby', 'inc-foundedOn-hint err-inc-foundedOn');
  return el('div', { class: 'field', id: 'field-inc-foundedOn' }, el('label', { for: 'inc-foundedOn' }, t('admin.inc.foundedOn')), input, hint,
    el('span', { class: 'field-error', id: 'err-inc-foundedOn', role: 'status' }));
}

function incValues() {
  const value = (f) => document.getElementById(`inc-${f}`).value.trim();
  return {
    nameZh: value('nameZh'), nameEn: value('nameEn'), kind: value('kind'), accreditation: value('accreditation'),
    subArea: value('subArea'), foundedOn: value('foundedOn'), floorArea: value('floorArea').replace(/,/g, ''),
    operator: value('operator'),
    industries: [...document.querySelectorAll('#inc-industries input:checked')].map((c) => c.value),
  };
}

function editIncubator(incubator) {
  editing = incubator ? incubator.id : null;
  for (const f of INC_FIELDS) clearError(`inc-${f}`);
  const set = (f, v) => { document.getElementById(`inc-${f}`).value = v ?? ''; };
  for (const f of ['nameZh', 'nameEn', 'kind', 'accreditation', 'subArea', 'foundedOn', 'operator']) set(f, incubator?.[f]);
  set('floorArea', incubator ? String(incubator.floorArea) : '');
  document.getElementById('inc-foundedOn').refreshHint();
  for (const c of document.querySelectorAll('#inc-industries input')) c.checked = !!incubator?.industries.includes(c.value);
  incHeading.textContent = incubator ? t('admin.inc.editing', { name: pick(incubator, 'name') }) : t('admin.inc.new');
  incSubmit.textContent = incubator ? t('admin.inc.update') : t('admin.inc.create');
  incCancel.hidden = !incubator;
  if (incubator) { incForm.scrollIntoView({ block: 'start' }); focusField('inc-nameZh'); }
}

incForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  for (const f of INC_FIELDS) clearError(`inc-${f}`);
  const values = incValues();
  // Presence and number format only; the server checks the ranges and answers per field.
  let bad = null;
  for (const f of INC_FIELDS) {
    const missing = f === 'industries' ? !values.industries.length : values[f] === '';
    if (missing) { setError(`inc-${f}`, t('admin.required')); bad = bad || f; }
  }
  const founded = dateValue(document.getElementById('inc-foundedOn'));
  if (values.foundedOn !== '' && founded === null) { setError('inc-foundedOn', invalidMessage('date')); bad = bad || 'foundedOn'; }
  if (values.floorArea !== '' && !Number.isFinite(Number(values.floorArea))) {
    setError('inc-floorArea', t('admin.check.number')); bad = bad || 'floorArea';
  }
  if (bad) { notify(t('error.BAD_USER_INPUT'), 'error'); focusField(`inc-${bad}`); return; }
  const input = { ...values, foundedOn: founded, floorArea: Number(values.floorArea) };
  incSubmit.disabled = true;
  try {
    if (editing) {
      const saved = (await gql('UpdateIncubator', { incubatorId: editing, input })).updateIncubator;
      notify(t('admin.inc.updated', { name: pick(saved, 'name') }), 'ok');
    } else {
      const saved = (await gql('CreateIncubator', { input })).createIncubator;
      notify(t('admin.inc.created', { name: pick(saved, 'name') }), 'ok');
    }
    editIncubator(null);
    await Promise.all([loadIncubators(incPager.reset()), loadIncubatorChoices()]);
  } catch (error) {
    showServerErrors(error, 'inc');
  } finally {
    incSubmit.disabled = false;
  }
});

// Only the latest request's answer is shown (a quick change of filters must not be overtaken by an older answer).
let incRequest = 0;
async function loadIncubators(after) {
  const filter = Object.fromEntries(Object.entries(incFilter).filter(([, v]) => v));
  const mine = ++incRequest;
  try {
    const connection = (await gql('Incubators', { filter, first: PAGE_SIZE, after })).incubators;
    if (mine !== incRequest) return;
    incRows = connection.nodes;
    incPager.update(connection);
    renderIncubators();
  } catch (error) { showError(error); }
}

function renderIncubators() {
  if (!incRows.length) { incTable.replaceChildren(el('p', { class: 'muted' }, t('admin.inc.none'))); return; }
  const headers = ['admin.inc.name', 'admin.inc.kind', 'admin.inc.accreditation', 'admin.inc.subArea', 'admin.inc.industries',
    'admin.inc.foundedOn', 'admin.inc.floorArea', 'admin.inc.operator', 'common.actions'];
  incTable.replaceChildren(el('table', { id: 'incubator-table' },
    el('caption', { class: 'sr-only' }, t('admin.inc.title')),
    el('thead', {}, el('tr', {}, headers.map((k) => el('th', { scope: 'col', class: k === 'admin.inc.floorArea' ? 'num' : null }, t(k))))),
    el('tbody', {}, incRows.map((i) => el('tr', { dataset: { id: i.id } },
      el('th', { scope: 'row' }, pick(i, 'name')),
      el('td', {}, kindText(i.kind)),
      el('td', {}, accreditationText(i.accreditation)),
      el('td', {}, subAreaText(i.subArea)),
      el('td', {}, i.industries.map(industryText).join(t('admin.listSeparator'))),
      el('td', {}, fmtDate(i.foundedOn)),
      el('td', { class: 'num' }, t('admin.inc.areaValue', { area: fmtNumber(i.floorArea) })),
      el('td', {}, i.operator),
      el('td', {}, el('button', { type: 'button', class: 'secondary edit-incubator',
        'aria-label': t('admin.inc.editNamed', { name: pick(i, 'name') }), onclick: () => editIncubator(i) }, t('admin.inc.edit'))))))));
}

// ---------------------------------------------------------------- accounts
let userRole = '';
let userSearch = '';
const userTable = el('div', { class: 'table-wrap', id: 'user-list' }, loading());
const userPager = pager('user-pager', (after) => loadUsers(after));
let searchTimer = null;
const searchField = inputField('filter-search', 'admin.users.search', { type: 'search', maxlength: 50, autocomplete: 'off',
  placeholder: t('admin.users.searchPlaceholder') }, 'admin.users.searchHelp');
const userFilter = el('form', { class: 'row', role: 'search', id: 'user-search', onsubmit: (e) => e.preventDefault() },
  searchField,
  selectField('filter-role', 'admin.users.role', ROLES.map((r) => [r, roleText(r)]),
    { blank: t('common.all'), onchange: (v) => { userRole = v; loadUsers(userPager.reset()); } }));
// Typing searches after a short pause (one request per pause, not per key).
searchField.querySelector('input').addEventListener('input', (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { userSearch = e.target.value.trim(); loadUsers(userPager.reset()); }, 250);
});
let userRows = [];

let userRequest = 0;
async function loadUsers(after) {
  const mine = ++userRequest;
  try {
    const connection = (await gql('AdminUsers', { role: userRole || null, first: PAGE_SIZE, after, search: userSearch || null })).users;
    if (mine !== userRequest) return;
    userRows = connection.nodes;
    userPager.update(connection);
    clearError('filter-search');
    renderUsers();
  } catch (error) { showServerErrors(error, 'filter'); }
}

function renderUsers() {
  if (!userRows.length) {
    userTable.replaceChildren(el('p', { class: 'muted', id: 'users-none' }, userSearch ? t('admin.users.noMatch', { text: userSearch }) : t('admin.users.none')));
    return;
  }
  const headers = ['admin.users.username', 'admin.users.displayName', 'admin.users.role', 'admin.users.organisation',
    'admin.users.incubator', 'admin.users.status', 'common.actions'];
  userTable.replaceChildren(el('table', { id: 'user-table' },
    el('caption', { class: 'sr-only' }, t('admin.users.title')),
    el('thead', {}, el('tr', {}, headers.map((k) => el('th', { scope: 'col' }, t(k))))),
    el('tbody', {}, userRows.map((u) => el('tr', { dataset: { username: u.username, active: String(u.active) } },
      el('th', { scope: 'row' }, u.username, u.id === me.id ? el('span', { class: 'muted' }, ` ${t('admin.users.you')}`) : null),
      el('td', {}, u.displayName),
      el('td', {}, roleText(u.role)),
      el('td', {}, u.organisation || '—'),
      el('td', {}, u.incubator ? pick(u.incubator, 'name') : '—'),
      el('td', {}, el('span', { class: `badge ${u.active ? 'change-up' : 'change-down'}` },
        t(u.active ? 'admin.users.active' : 'admin.users.disabled'))),
      el('td', {},
        el('button', { type: 'button', class: u.active ? 'danger toggle-active' : 'secondary toggle-active',
          'aria-label': t(u.active ? 'admin.users.disableNamed' : 'admin.users.enableNamed', { name: u.username }),
          'aria-describedby': `err-row-${u.id}`, onclick: (e) => setActive(u, !u.active, e.currentTarget) },
        t(u.active ? 'admin.users.disable' : 'admin.users.enable')),
        el('button', { type: 'button', class: 'secondary unlock-account',
          'aria-label': t('admin.users.unlockNamed', { name: u.username }),
          onclick: (e) => accountAction(u, 'UnlockAccount', {}, 'admin.users.unlocked', e.currentTarget) },
        t('admin.users.unlock')),
        el('button', { type: 'button', class: 'secondary reset-password',
          'aria-label': t('admin.users.resetNamed', { name: u.username }),
          onclick: (e) => accountAction(u, 'ResetPassword', { temporaryPassword: temporaryPassword() },
            'admin.users.resetDone', e.currentTarget) },
        t('admin.users.reset')),
        el('span', { class: 'field-error', id: `err-row-${u.id}`, role: 'status' })))))));
}

// A random temporary password (4 groups of 4 letters and digits): the account must replace it at sign-in.
function temporaryPassword() {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return chars.match(/.{4}/g).join('-');
}

// Unlock (forget sign-in failures) or reset the password; the notice names the temporary password.
async function accountAction(user, operation, variables, done, button) {
  const slot = document.getElementById(`err-row-${user.id}`);
  slot.textContent = '';
  button.disabled = true;
  try {
    await gql(operation, { userId: user.id, ...variables });
    notify(t(done, { name: user.username, password: variables.temporaryPassword || '' }), 'ok');
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

async function setActive(user, active, button) {
  const slot = document.getElementById(`err-row-${user.id}`);
  slot.textContent = '';
  button.disabled = true;
  try {
    const saved = (await gql('SetUserActive', { userId: user.id, active })).setUserActive;
    Object.assign(user, { active: saved.active });
    renderUsers();
    notify(t(saved.active ? 'admin.users.enabled' : 'admin.users.disabledDone', { name: saved.username }), 'ok');
  } catch (error) {
    button.disabled = false;
    if (error instanceof ApiError && error.fields.userId) {
      slot.textContent = fieldMessage(error.fields.userId);
      notify(fieldMessage(error.fields.userId), 'error');
    } else showError(error);
  }
}

const USER_FIELDS = ['username', 'displayName', 'role', 'password', 'organisation', 'incubatorId', 'startupId'];
const userSubmit = el('button', { type: 'submit', id: 'user-save' }, t('admin.users.create'));
const userForm = el('form', { id: 'user-form', novalidate: true, 'aria-labelledby': 'user-form-title' },
  el('h2', { id: 'user-form-title' }, t('admin.users.new')),
  el('div', { class: 'fields' },
    inputField('user-username', 'admin.users.username', { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' }, 'admin.users.usernameHelp'),
    inputField('user-displayName', 'admin.users.displayName', { autocomplete: 'off' }),
    selectField('user-role', 'admin.users.role', ROLES.map((r) => [r, roleText(r)]), { value: 'MANAGER', onchange: roleChanged }),
    inputField('user-password', 'admin.users.password', { type: 'password', autocomplete: 'new-password' }),
    inputField('user-organisation', 'admin.users.organisation', { autocomplete: 'off' }),
    selectField('user-incubatorId', 'admin.users.incubator', [], { blank: t('admin.choose'), onchange: incubatorChanged }),
    selectField('user-startupId', 'admin.users.startup', [], { blank: t('admin.choose') })),
  el('div', { class: 'row' }, userSubmit));

// Managers are bound to an incubator; a startup account to a startup profile, picked within its incubator.
function roleChanged(role) {
  document.getElementById('field-user-incubatorId').hidden = !['MANAGER', 'STARTUP'].includes(role);
  document.getElementById('field-user-startupId').hidden = role !== 'STARTUP';
  clearError('user-incubatorId');
  clearError('user-startupId');
  if (role === 'STARTUP') loadStartupChoices(document.getElementById('user-incubatorId').value);
}
function incubatorChanged(incubatorId) {
  if (document.getElementById('user-role').value === 'STARTUP') loadStartupChoices(incubatorId);
}

function fillChoices(id, items) {
  const select = document.getElementById(id);
  const keep = select.value;
  select.replaceChildren(el('option', { value: '' }, t('admin.choose')),
    ...items.map((i) => el('option', { value: i.id, selected: i.id === keep }, pick(i, 'name'))));
}

async function loadIncubatorChoices() {
  try { fillChoices('user-incubatorId', await allIncubators()); } catch (error) { showError(error); }
}

let startupRequest = 0;
async function loadStartupChoices(incubatorId) {
  const mine = ++startupRequest;
  if (!incubatorId) { fillChoices('user-startupId', []); return; }
  try {
    const nodes = [];
    let after = null;
    do {
      const connection = (await gql('StartupProfiles', { incubatorId, first: 100, after })).startupProfiles;
      nodes.push(...connection.nodes);
      after = connection.hasNextPage ? connection.endCursor : null;
    } while (after);
    if (mine === startupRequest) fillChoices('user-startupId', nodes);
  } catch (error) { showError(error); }
}

userForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  for (const f of USER_FIELDS) clearError(`user-${f}`);
  const value = (f) => document.getElementById(`user-${f}`).value;
  const role = value('role');
  const input = { username: value('username').trim(), displayName: value('displayName').trim(), role,
    password: value('password'), organisation: value('organisation').trim(),
    incubatorId: ['MANAGER', 'STARTUP'].includes(role) ? value('incubatorId') || null : null,
    startupId: role === 'STARTUP' ? value('startupId') || null : null };
  let bad = null;
  for (const f of ['username', 'displayName', 'password']) {
    if (!input[f]) { setError(`user-${f}`, t('admin.required')); bad = bad || f; }
  }
  if (bad) { notify(t('error.BAD_USER_INPUT'), 'error'); focusField(`user-${bad}`); return; }
  userSubmit.disabled = true;
  try {
    const saved = (await gql('CreateUser', { input })).createUser;
    notify(t('admin.users.created', { name: saved.username, role: roleText(saved.role) }), 'ok');
    for (const f of ['username', 'displayName', 'password', 'organisation']) document.getElementById(`user-${f}`).value = '';
    await loadUsers(userPager.reset());
  } catch (error) {
    showServerErrors(error, 'user');
  } finally {
    userSubmit.disabled = false;
  }
});

// ---------------------------------------------------------------- layout
page.replaceChildren(
  el('h1', {}, t('admin.title')),
  el('section', { class: 'card', 'aria-labelledby': 'incubators-title' },
    el('h2', { id: 'incubators-title' }, t('admin.inc.title')), incFilters, incTable, incPager.node),
  el('section', { class: 'card' }, incForm),
  el('section', { class: 'card', 'aria-labelledby': 'users-title' },
    el('h2', { id: 'users-title' }, t('admin.users.title')), userFilter, userTable, userPager.node),
  el('section', { class: 'card' }, userForm));
roleChanged('MANAGER');
await Promise.all([loadIncubators(null), loadUsers(null), loadIncubatorChoices()]);
