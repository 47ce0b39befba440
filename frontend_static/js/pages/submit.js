// Manager submission: the quarter's raw fields grouped by dimension, client checks mirroring the
// server's (number, range, whole counts, the scheme's consistency rules), server field errors next to their fields, drafts, history, upload.
// What is typed survives a language switch (kept in sessionStorage for that reload), and leaving with
// unsaved changes (another page, another quarter or incubator) asks first.
import { t, pick, fmtNumber, fmtDateTime, tk, currentLang, unitText } from '../i18n.js';
import { gql, ApiError, fieldMessage, upload, download } from '../api.js';
import { initPage, el, notify, showError } from '../shell.js';
import { recentQuarters, allIncubators, param, setParams, uuid } from '../util.js';
import { brokenConstraints } from '../constraints.js';

const me = await initPage({ roles: ['ADMIN', 'MANAGER'], title: 'nav.submit' });
const page = document.getElementById('page');
const state = { incubatorId: me.incubatorId || param('incubator'), quarter: param('quarter') || recentQuarters(2)[1],
  fields: [], head: null, pendingKey: null };

const TYPED_KEY = 'incubench.submit.typed';
let switchingLanguage = false;

// The form's typed values (field id → text) and whether they differ from the stored revision.
function typedValues() {
  return Object.fromEntries(state.fields.map((f) => [f.id, document.getElementById(`f-${f.id}`)?.value ?? '']));
}
function storedText(id) {
  const value = valueOf(state.head?.metrics, id);
  return value === null ? '' : String(value);
}
function dirty() {
  return state.fields.some((f) => { const input = document.getElementById(`f-${f.id}`); return input && input.value.trim() !== storedText(f.id); });
}
// A change of quarter or incubator with unsaved changes: ask first; undo the picker's change if refused.
function leaveForm(select, previous) {
  if (!dirty() || confirm(t('submit.unsavedConfirm'))) return true;
  select.value = previous;
  return false;
}
window.addEventListener('beforeunload', (e) => {
  if (switchingLanguage || !dirty()) return;
  e.preventDefault();
  e.returnValue = '';
});
window.addEventListener('incubench:language-switch', () => {
  if (!dirty()) return;
  switchingLanguage = true;
  sessionStorage.setItem(TYPED_KEY, JSON.stringify({ incubatorId: state.incubatorId, quarter: state.quarter, values: typedValues() }));
});

const quarterSelect = el('select', { id: 'quarter', onchange: () => {
  if (!leaveForm(quarterSelect, state.quarter)) return;
  state.quarter = quarterSelect.value; load();
} },
  recentQuarters(12).map((q) => el('option', { value: q, selected: q === state.quarter }, q)));
const controls = el('div', { class: 'row' },
  el('div', { class: 'field' }, el('label', { for: 'quarter' }, t('submit.quarter')), quarterSelect));
if (me.role === 'ADMIN') {
  const incubators = await allIncubators();
  state.incubatorId = state.incubatorId || incubators[0]?.id;
  const select = el('select', { id: 'incubator', onchange: () => {
    if (!leaveForm(select, state.incubatorId)) return;
    state.incubatorId = select.value; load();
  } },
    incubators.map((i) => el('option', { value: i.id, selected: i.id === state.incubatorId }, pick(i, 'name'))));
  controls.prepend(el('div', { class: 'field' }, el('label', { for: 'incubator' }, t('submit.incubator')), select));
}
const statusLine = el('p', { id: 'status-line', class: 'muted', 'aria-live': 'polite' });
const form = el('form', { id: 'metrics-form', novalidate: true });
const history = el('div', { id: 'history' });
const uploadReport = el('div', { id: 'upload-report' });
page.replaceChildren(
  el('h1', {}, t('submit.title')), el('div', { class: 'card' }, controls, statusLine),
  form,
  el('div', { class: 'grid grid-2' },
    el('section', { class: 'card', 'aria-labelledby': 'history-title' },
      el('h2', { id: 'history-title' }, t('submit.history')), history,
      el('div', { class: 'row' }, ['csv', 'xlsx'].map((format) => el('button', { type: 'button', class: 'secondary',
        onclick: () => download(`/api/export/revisions.${format}?${new URLSearchParams({ quarter: state.quarter, incubatorId: state.incubatorId })}`,
          `revisions-${state.quarter}.${format}`).catch(showError) }, t(`submit.export.${format}`))))),
    el('section', { class: 'card', 'aria-labelledby': 'upload-title' },
      el('h2', { id: 'upload-title' }, t('submit.upload')),
      el('p', { class: 'muted' }, t('submit.uploadHelp')),
      el('div', { class: 'row file-picker' },
        el('input', { id: 'upload-file', type: 'file', accept: '.csv,.xlsx', class: 'sr-only',
          onchange: (e) => { document.getElementById('upload-name').textContent = e.target.files[0]?.name || t('submit.noFile'); } }),
        el('label', { for: 'upload-file', class: 'button secondary' }, t('submit.uploadFile')),
        el('span', { id: 'upload-name', class: 'muted' }, t('submit.noFile'))),
      el('button', { type: 'button', id: 'upload-button', class: 'secondary', onclick: doUpload }, t('submit.uploadButton')),
      uploadReport)));

function valueOf(metrics, id) {
  const found = (metrics || []).find((m) => m.field === id);
  return found ? found.value : null;
}

function renderForm() {
  const groups = new Map();
  for (const f of state.fields) {
    const key = f.dimension || 'other';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(f);
  }
  const sets = [...groups.entries()].map(([dimension, fields]) => el('fieldset', {},
    el('legend', {}, tk('dimension', dimension, 'dimension.other')),
    el('div', { class: 'fields' }, fields.map((f) => {
      const value = valueOf(state.head?.metrics, f.id);
      return el('div', { class: 'field', dataset: { field: f.id } },
        el('label', { for: `f-${f.id}` }, pick(f, 'name'), ' ', el('span', { class: 'unit' }, `(${unitText(f.unit)})`)),
        el('input', { id: `f-${f.id}`, name: f.id, type: 'text', inputmode: f.integer ? 'numeric' : 'decimal',
          value: value === null ? '' : String(value), 'aria-describedby': `help-${f.id} err-${f.id}`,
          oninput: () => clearFieldError(f.id) }),
        el('span', { class: 'help', id: `help-${f.id}` }, pick(f, 'help')),
        el('span', { class: 'field-error', id: `err-${f.id}`, role: 'status' }));
    }))));
  form.replaceChildren(...sets, el('div', { class: 'row card' },
    el('button', { type: 'button', id: 'save-draft', class: 'secondary', onclick: () => save(false) }, t('submit.saveDraft')),
    el('button', { type: 'submit', id: 'submit-final' }, t('submit.submitFinal'))));
}
form.addEventListener('submit', (e) => { e.preventDefault(); save(true); });

function clearFieldError(id) {
  const input = document.getElementById(`f-${id}`);
  input?.removeAttribute('aria-invalid');
  const slot = document.getElementById(`err-${id}`);
  if (slot) slot.textContent = '';
}
function setFieldError(id, message) {
  const input = document.getElementById(`f-${id}`);
  input?.setAttribute('aria-invalid', 'true');
  const slot = document.getElementById(`err-${id}`);
  if (slot) slot.textContent = message;
}

// Mirrors the server's per-field checks (validate_metrics): a number, ≥ min, ≤ max, whole for counts;
// the consistency rules between fields follow in save() (constraints.js).
function clientCheck(f, raw) {
  if (raw === '') return null;
  const value = Number(raw.replace(/,/g, ''));
  const name = pick(f, 'name');
  if (!Number.isFinite(value)) return t('submit.check.number', { name, unit: unitText(f.unit) });
  if (value < f.min) return f.min === 0 ? t('submit.check.negative', { name }) : t('submit.check.min', { name, min: f.min, unit: unitText(f.unit) });
  if (f.max !== null && value > f.max) return t('submit.check.max', { name, max: f.max, unit: unitText(f.unit) });
  if (f.integer && !Number.isInteger(value)) return t('submit.check.integer', { name, unit: unitText(f.unit) });
  return null;
}

async function save(final) {
  let bad = null;
  const metrics = [];
  for (const f of state.fields) {
    clearFieldError(f.id);
    const raw = document.getElementById(`f-${f.id}`).value.trim();
    const problem = clientCheck(f, raw);
    if (problem) { setFieldError(f.id, problem); bad = bad || f.id; continue; }
    metrics.push({ field: f.id, value: raw === '' ? null : Number(raw.replace(/,/g, '')) });
  }
  const values = Object.fromEntries(metrics.map((m) => [m.field, m.value]));
  for (const broken of brokenConstraints(values)) {
    setFieldError(broken.field, t(broken.key));
    bad = bad || broken.field;
  }
  if (bad) {
    notify(t('error.BAD_USER_INPUT'), 'error');
    document.getElementById(`f-${bad}`).focus();
    return;
  }
  const input = { incubatorId: state.incubatorId, quarter: state.quarter, metrics, final,
    baseRevision: state.head ? state.head.revision : 0 };
  // the same key while retrying the same content (a lost response or double click stores once)
  const fingerprint = JSON.stringify(input);
  if (!state.pendingKey || state.pendingKey.fingerprint !== fingerprint) state.pendingKey = { fingerprint, key: uuid() };
  input.idempotencyKey = state.pendingKey.key;
  for (const b of form.querySelectorAll('button')) b.disabled = true;
  try {
    const result = (await gql('SaveQuarterlyMetrics', { input })).submitQuarterlyMetrics;
    state.pendingKey = null;
    await load(false);
    notify(t(final ? 'submit.submitted' : 'submit.draftSaved', { revision: result.revision.revision }), 'ok');
  } catch (error) {
    if (error instanceof ApiError && error.code === 'BAD_USER_INPUT') {
      let first = null;
      for (const [path, ext] of Object.entries(error.fields)) {
        const id = path.startsWith('metrics.') ? path.slice(8) : null;
        if (id && document.getElementById(`f-${id}`)) { setFieldError(id, fieldMessage(ext)); first = first || id; }
      }
      const other = Object.keys(error.fields).filter((p) => !p.startsWith('metrics.') || !document.getElementById(`f-${p.slice(8)}`));
      notify(other.length ? other.map((p) => fieldMessage(error.fields[p])).join(' ') : t('error.BAD_USER_INPUT'), 'error');
      if (first) document.getElementById(`f-${first}`).focus();
    } else if (error instanceof ApiError && error.code === 'CONFLICT') {
      notify(t('submit.conflict'), 'error');
    } else {
      showError(error);
    }
  } finally {
    for (const b of form.querySelectorAll('button')) b.disabled = false;
  }
}

function renderHistory(revisions) {
  if (!revisions.nodes.length) { history.replaceChildren(el('p', { class: 'muted' }, t('submit.noHistory'))); return; }
  const names = new Map(state.fields.map((f) => [f.id, pick(f, 'name')]));
  history.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { id: 'history-table' },
    el('thead', {}, el('tr', {}, ['submit.revision', 'submit.status', 'submit.author', 'submit.when', 'submit.changed']
      .map((k) => el('th', { scope: 'col' }, t(k))))),
    el('tbody', {}, revisions.nodes.map((r) => el('tr', {},
      el('td', { class: 'num' }, fmtNumber(r.revision)),
      el('td', {}, tk('submit.statusValue', r.status, 'common.none')),
      el('td', {}, r.authorName),
      el('td', {}, fmtDateTime(r.createdAt)),
      el('td', { style: 'white-space: normal' }, r.revision === 1 ? t('submit.firstRevision')
        : r.changedFields.map((f) => names.get(f) || f).join(currentLang() === 'zh' ? '、' : ', ') || t('submit.noChanges')))))))); 
}

async function load(clearNotice = true) {
  setParams({ quarter: state.quarter, incubator: me.role === 'ADMIN' ? state.incubatorId : null });
  if (clearNotice) notify('');
  if (!state.incubatorId) { statusLine.textContent = t('submit.noIncubator'); return; }
  try {
    const data = await gql('SubmissionForm', { incubatorId: state.incubatorId, quarter: state.quarter });
    state.fields = data.rawFields;
    state.head = data.quarterlyMetrics;
    renderForm();
    restoreTyped();
    renderHistory(data.metricsRevisions);
    const head = state.head;
    const windowText = data.reportingWindow.state === 'CLOSED' ? t('submit.windowClosed') : t('submit.windowOpen');
    statusLine.textContent = head
      ? t('submit.headStatus', { revision: head.revision, status: tk('submit.statusValue', head.status, 'common.none'),
        when: fmtDateTime(head.updatedAt) }) + ' ' + windowText
      : `${t('submit.nothingYet')} ${windowText}`;
  } catch (error) { showError(error); }
}

// After a language switch: put back what was typed for this incubator and quarter (once).
function restoreTyped() {
  const kept = sessionStorage.getItem(TYPED_KEY);
  if (!kept) return;
  sessionStorage.removeItem(TYPED_KEY);
  let typed = null;
  try { typed = JSON.parse(kept); } catch { return; }
  if (!typed || typed.incubatorId !== state.incubatorId || typed.quarter !== state.quarter) return;
  for (const [id, value] of Object.entries(typed.values || {})) {
    const input = document.getElementById(`f-${id}`);
    if (input) input.value = value;
  }
  notify(t('submit.typedKept'), 'info');
}

async function doUpload() {
  const file = document.getElementById('upload-file').files[0];
  if (!file) { notify(t('submit.uploadPick'), 'error'); return; }
  uploadReport.replaceChildren();
  try {
    const result = await upload('/api/submissions/import', file);
    uploadReport.replaceChildren(el('p', { class: 'notice notice-ok', id: 'upload-ok' }, t('submit.uploadOk', { count: result.stored })));
    await load(false);
  } catch (error) {
    if (error instanceof ApiError && error.errors.length) {
      uploadReport.replaceChildren(el('p', { class: 'notice notice-error' }, t('submit.uploadRejected')),
        el('ul', { id: 'upload-errors' }, error.errors.map((e) => el('li', {}, fieldMessage(e.extensions)))));
    } else showError(error);
  }
}

await load();
