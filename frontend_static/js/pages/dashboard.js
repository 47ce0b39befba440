// Evaluator dashboard: pickers, the ranking table (sortable, filterable), Plotly charts from the API's
// `chart` JSON, publish, export, who has not submitted; live updates via the rankingUpdated subscription.
import { t, tk, pick, fmtNumber, fmtDateTime, currentLang } from '../i18n.js';
import { gql, ApiError, download } from '../api.js';
import { initPage, el, notify, showError } from '../shell.js';
import { drawFigure } from '../charts.js';
import { recentQuarters, param, setParams } from '../util.js';
import * as R from '../ranking_api.js';

await initPage({ roles: ['ADMIN', 'EVALUATOR'], title: 'nav.dashboard' });
const page = document.getElementById('page');
const state = { quarter: param('quarter') || recentQuarters(2)[1], scheme: param('scheme') || '', method: param('method') || '',
  dimension: param('dimension') || '', subArea: '', industry: '', sort: { key: 'rank', dir: 1 }, ranking: null,
  subscription: null };

function select(id, labelKey, options, value, onchange) {
  const s = el('select', { id, onchange: () => onchange(s.value) },
    options.map(([v, label]) => el('option', { value: v, selected: v === value }, label)));
  return el('div', { class: 'field' }, el('label', { for: id }, t(labelKey)), s);
}

const meta = await R.rankingOptions().catch(() => ({ schemes: [], methods: [], dimensions: [] }));
state.scheme = state.scheme || meta.schemes[0]?.id || '';
state.method = state.method || meta.methods[0]?.id || '';

const pickers = el('div', { class: 'row', id: 'pickers' },
  select('quarter', 'dashboard.quarter', recentQuarters(12).map((q) => [q, q]), state.quarter, (v) => { state.quarter = v; reload(true); }),
  select('scheme', 'dashboard.scheme', [['', t('dashboard.schemeCurrent')]], state.scheme, (v) => { state.scheme = v; reload(); }),
  select('method', 'dashboard.method', meta.methods.map((m) => [m.id, tk('method', m.id, 'dashboard.methodOther')]), state.method, (v) => { state.method = v; reload(); }),
  select('dimension', 'dashboard.dimension', [['', t('dashboard.composite')], ...meta.dimensions.map((d) => [d.id, tk('dimension', d.id, 'dimension.other')])],
    state.dimension, (v) => { state.dimension = v; reload(); }),
  select('filter-subarea', 'dashboard.subArea', [['', t('common.all')], ...['DESHENG', 'BEIZHAN', 'GUANGAN'].map((a) => [a, t(`subArea.${a}`)])],
    '', (v) => { state.subArea = v; renderTable(); }),
  select('filter-industry', 'dashboard.industry', [['', t('common.all')], ...['FINTECH', 'DIGITAL', 'RD_DESIGN', 'CULTURE_TECH', 'OTHER'].map((a) => [a, t(`industry.${a}`)])],
    '', (v) => { state.industry = v; renderTable(); }));

const actions = el('div', { class: 'row' },
  el('button', { type: 'button', id: 'publish', onclick: publish }, t('dashboard.publish')),
  el('button', { type: 'button', id: 'export-csv', class: 'secondary', onclick: () => exportAs('csv') }, t('dashboard.exportCsv')),
  el('button', { type: 'button', id: 'export-xlsx', class: 'secondary', onclick: () => exportAs('xlsx') }, t('dashboard.exportXlsx')));
const summary = el('p', { id: 'ranking-summary', class: 'muted', 'aria-live': 'polite' });
const tableBox = el('div', { class: 'table-wrap', id: 'ranking-box' });
const missingBox = el('div', { id: 'missing' });
const charts = ['bars', 'trends', 'intervals', 'heatmap'].map((kind) => el('section', { class: 'card' },
  el('h2', { class: 'sr-only' }, t(`dashboard.chart.${kind}`)), el('div', { class: 'chart', id: `chart-${kind}`, role: 'img', 'aria-label': t(`dashboard.chart.${kind}`) })));
page.replaceChildren(el('h1', {}, t('dashboard.title')),
  el('div', { class: 'card' }, pickers, actions, summary),
  el('section', { class: 'card', 'aria-labelledby': 'ranking-title' }, el('h2', { id: 'ranking-title' }, t('dashboard.ranking')), tableBox),
  el('div', { class: 'grid grid-2' }, ...charts),
  el('section', { class: 'card', 'aria-labelledby': 'missing-title' }, el('h2', { id: 'missing-title' }, t('dashboard.missing')), missingBox));

const COLUMNS = [
  { key: 'rank', label: 'dashboard.col.rank', num: true },
  { key: 'change', label: 'dashboard.col.change', num: true },
  { key: 'name', label: 'dashboard.col.name' },
  { key: 'composite', label: 'dashboard.col.composite', num: true },
  ...R.DIMENSIONS.map((d) => ({ key: `dim:${d}`, label: `dimension.${d}`, num: true })),
  { key: 'tier', label: 'dashboard.col.tier' },
  { key: 'interval', label: 'dashboard.col.interval', num: true },
];

function sortValue(row, key) {
  if (key === 'name') return pick(row.incubator, 'name');
  if (key === 'change') return row.change ?? -Infinity;
  if (key === 'interval') return row.interval ? row.interval[1] - row.interval[0] : Infinity;
  if (key === 'tier') return row.tierOrder ?? 99;
  if (key.startsWith('dim:')) return row.dimensions[key.slice(4)] ?? -Infinity;
  return row[key] ?? Infinity;
}

function changeCell(change) {
  if (change === null || change === undefined) return el('td', { class: 'num change-same' }, el('span', { 'aria-label': t('dashboard.changeNew') }, t('dashboard.changeNewShort')));
  if (change > 0) return el('td', { class: 'num change-up' }, el('span', { 'aria-label': t('dashboard.changeUp', { n: change }) }, `▲ ${fmtNumber(change)}`));
  if (change < 0) return el('td', { class: 'num change-down' }, el('span', { 'aria-label': t('dashboard.changeDown', { n: -change }) }, `▼ ${fmtNumber(-change)}`));
  return el('td', { class: 'num change-same' }, el('span', { 'aria-label': t('dashboard.changeSame') }, '＝'));
}

function visibleRows() {
  let rows = state.ranking.rows.filter((r) => (!state.subArea || r.incubator.subArea === state.subArea)
    && (!state.industry || (r.incubator.industries || []).includes(state.industry)));
  const { key, dir } = state.sort;
  rows = [...rows].sort((a, b) => {
    const x = sortValue(a, key); const y = sortValue(b, key);
    return (typeof x === 'string' ? x.localeCompare(y, currentLang() === 'zh' ? 'zh-CN' : 'en') : x - y) * dir;
  });
  return rows;
}

function renderTable() {
  if (!state.ranking) { tableBox.replaceChildren(); return; }
  const rows = visibleRows();
  const { key, dir } = state.sort;
  const head = el('tr', {}, COLUMNS.map((c) => {
    const active = c.key === key;
    return el('th', { scope: 'col', class: c.num ? 'num' : '', 'aria-sort': active ? (dir > 0 ? 'ascending' : 'descending') : 'none' },
      el('button', { type: 'button', class: 'sort', dataset: { sort: c.key, arrow: active ? (dir > 0 ? '↑' : '↓') : '' },
        onclick: () => { state.sort = { key: c.key, dir: active ? -dir : 1 }; renderTable(); } }, t(c.label)));
  }));
  const body = rows.map((r) => el('tr', { dataset: { incubator: r.incubator.id } },
    el('td', { class: 'num' }, fmtNumber(r.rank)),
    changeCell(r.change),
    el('td', {}, el('a', { href: `/pages/scorecard.html?incubator=${r.incubator.id}&quarter=${state.quarter}` }, pick(r.incubator, 'name')),
      r.imputed ? el('span', { class: 'muted', title: t('dashboard.imputed') }, ' *') : null),
    el('td', { class: 'num composite' }, fmtNumber(r.composite, { minimumFractionDigits: 1, maximumFractionDigits: 1 })),
    ...R.DIMENSIONS.map((d) => el('td', { class: 'num' }, fmtNumber(r.dimensions[d], { minimumFractionDigits: 1, maximumFractionDigits: 1 }))),
    el('td', {}, el('span', { class: `badge tier-${r.tier}` }, tk('tier', r.tier, 'tier.unknown'))),
    el('td', { class: 'num' }, r.interval ? t('dashboard.intervalValue', { low: r.interval[0], high: r.interval[1] }) : '—')));
  tableBox.replaceChildren(rows.length
    ? el('table', { id: 'ranking-table' }, el('thead', {}, head), el('tbody', {}, body))
    : el('p', { class: 'muted' }, t('common.empty')));
}

async function renderCharts() {
  await Promise.all(['bars', 'trends', 'intervals', 'heatmap'].map(async (kind) => {
    const box = document.getElementById(`chart-${kind}`);
    try {
      const figure = await R.chart(kind, { quarter: state.quarter, scheme: state.scheme, method: state.method, dimension: state.dimension });
      if (figure) { box.classList.remove('chart-empty'); await drawFigure(box, figure); return; }
      box.replaceChildren(el('p', { class: 'muted' }, t('dashboard.noChartData', { chart: t(`dashboard.chart.${kind}`) })));
    } catch (error) {
      // no data for this quarter is a normal state, not an error
      const empty = error instanceof ApiError && (error.code === 'NOT_FOUND' || error.code === 'BAD_USER_INPUT');
      box.replaceChildren(el('p', { class: empty ? 'muted' : 'notice notice-error' }, empty
        ? t('dashboard.noChartData', { chart: t(`dashboard.chart.${kind}`) })
        : error instanceof ApiError ? error.userMessage : t('error.UNKNOWN')));
    }
    box.classList.add('chart-empty');
    delete box.dataset.drawn;
  }));
}

// The quarter's reporting window: open or closed for everyone, reopened for single incubators.
async function windowControls() {
  const w = (await gql('ReportingWindow', { quarter: state.quarter })).reportingWindow;
  const closed = w.state === 'CLOSED';
  const toggle = async () => {
    try {
      await gql(closed ? 'OpenReportingWindow' : 'CloseReportingWindow', { quarter: state.quarter });
      notify(t(closed ? 'dashboard.windowOpened' : 'dashboard.windowClosed'), 'ok');
      await loadMissing();
    } catch (error) { showError(error); }
  };
  return { closed, reopened: new Set(w.reopenedFor), node: el('p', { class: 'row', id: 'window' },
    el('span', {}, t(closed ? 'dashboard.windowStateClosed' : 'dashboard.windowStateOpen', { quarter: state.quarter })),
    el('button', { type: 'button', class: 'secondary', id: 'window-toggle', onclick: toggle }, t(closed ? 'dashboard.openWindow' : 'dashboard.closeWindow'))) };
}

async function reopenFor(incubatorId) {
  try {
    await gql('ReopenReportingWindow', { quarter: state.quarter, incubatorId });
    notify(t('dashboard.reopened'), 'ok');
    await loadMissing();
  } catch (error) { showError(error); }
}

async function loadMissing() {
  try {
    const [data, win] = await Promise.all([
      gql('MissingSubmissions', { quarter: state.quarter, first: 100 }).then((d) => d.missingSubmissions), windowControls()]);
    const reopen = (m) => (win.closed && !win.reopened.has(m.incubatorId)
      ? el('button', { type: 'button', class: 'secondary', onclick: () => reopenFor(m.incubatorId) }, t('dashboard.reopenFor'))
      : win.reopened.has(m.incubatorId) ? el('span', { class: 'badge role-badge' }, t('dashboard.reopenedBadge')) : null);
    missingBox.replaceChildren(win.node, data.totalCount
      ? el('div', {}, el('p', {}, t('dashboard.missingCount', { n: data.totalCount })),
        el('ul', { class: 'plain', id: 'missing-list' }, data.nodes.map((m) => el('li', {}, pick(m, 'name'),
          m.draftRevision ? el('span', { class: 'muted' }, ` — ${t('dashboard.hasDraft')}`) : null, ' ', reopen(m)))))
      : el('p', { class: 'notice notice-ok' }, t('dashboard.allSubmitted')));
  } catch (error) { missingBox.replaceChildren(el('p', { class: 'notice notice-error' }, error.userMessage || t('error.UNKNOWN'))); }
}

async function loadRanking() {
  const request = (state.rankingRequest = (state.rankingRequest || 0) + 1);
  try {
    const ranking = await R.ranking({ quarter: state.quarter, scheme: state.scheme, method: state.method, dimension: state.dimension });
    if (request !== state.rankingRequest) return; // superseded by a later picker change
    state.ranking = ranking;
    const r = state.ranking;
    R.setTrendIncubators(r.rows.slice(0, 8).map((row) => row.incubator.id));
    document.getElementById('publish').disabled = r.rows.length === 0;
    // the scheme versions this server scores with (one today; published snapshots keep their own)
    const schemeSelect = document.getElementById('scheme');
    if (r.schemeVersion && ![...schemeSelect.options].some((o) => o.value === r.schemeVersion)) {
      schemeSelect.append(el('option', { value: r.schemeVersion }, t('dashboard.schemeVersion', { version: r.schemeVersion })));
    }
    summary.textContent = [t('dashboard.count', { n: r.rows.length }),
      t('dashboard.schemeVersion', { version: r.schemeVersion }),
      r.published ? t('dashboard.publishedAt', { when: fmtDateTime(r.published.at), version: r.published.version }) : t('dashboard.notPublished'),
      r.computedAt ? t('dashboard.computedAt', { when: fmtDateTime(r.computedAt) }) : ''].filter(Boolean).join(' · ');
  } catch (error) {
    state.ranking = null;
    showError(error);
  }
  renderTable();
}

async function reload(quarterChanged = false) {
  setParams({ quarter: state.quarter, scheme: state.scheme, method: state.method, dimension: state.dimension });
  await loadRanking();
  await Promise.all([renderCharts(), loadMissing()]);
  if (quarterChanged || !state.subscription) watch();
}

function watch() {
  state.subscription?.close();
  state.subscription = R.watchRanking(state.quarter, () => {
    document.body.dataset.rankingUpdates = String(Number(document.body.dataset.rankingUpdates || 0) + 1);
    notify(t('dashboard.updated'), 'info');
    loadRanking();
    renderCharts();
    loadMissing();
  }, (status) => { document.getElementById('offline').hidden = status !== 'offline'; });
}

async function publish() {
  if (!confirm(t('dashboard.publishConfirm', { quarter: state.quarter }))) return;
  try {
    const result = await R.publish({ quarter: state.quarter, scheme: state.scheme, method: state.method });
    notify(t('dashboard.published', { version: result?.version ?? '' }), 'ok');
    await loadRanking();
  } catch (error) { showError(error); }
}

// The server's export of the same view (quarter, method, dimension) as CSV or XLSX.
async function exportAs(format) {
  try {
    await download(R.exportUrl(format, { quarter: state.quarter, method: state.method, dimension: state.dimension }),
      `ranking-${state.quarter}${state.dimension ? `-${state.dimension}` : ''}.${format}`);
    notify(t('dashboard.exported'), 'ok');
  } catch (error) { showError(error); }
}

await loadRanking();
await Promise.all([renderCharts(), loadMissing()]);
watch();
