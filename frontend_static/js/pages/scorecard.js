// Incubator scorecard: radar against the benchmark threshold, the official gates checked before a tier,
// indicators with contributions, the gap to benchmark as the least-effort plan (ordered steps, each with
// its points), a what-if panel recomputed as targets are edited, and the change since the previous
// quarter split into own values, imputation, peers and scheme.
import { t, tk, pick, fmtNumber, unitText } from '../i18n.js';
import { gql, ApiError, fieldMessage } from '../api.js';
import { initPage, el, showError } from '../shell.js';
import { drawFigure } from '../charts.js';
import { recentQuarters, previousQuarter, allIncubators, param, setParams } from '../util.js';
import { radar } from '../ranking_api.js';

const me = await initPage({ roles: ['ADMIN', 'EVALUATOR', 'MANAGER'], title: 'nav.scorecard' });
const page = document.getElementById('page');
const state = { incubatorId: me.role === 'MANAGER' ? me.incubatorId : param('incubator'), quarter: param('quarter') || recentQuarters(2)[1], card: null };

const controls = el('div', { class: 'row' });
const quarterSelect = el('select', { id: 'quarter', onchange: () => { state.quarter = quarterSelect.value; load(); } },
  recentQuarters(12).map((q) => el('option', { value: q, selected: q === state.quarter }, q)));
controls.append(el('div', { class: 'field' }, el('label', { for: 'quarter' }, t('scorecard.quarter')), quarterSelect));
if (me.role !== 'MANAGER') {
  const incubators = await allIncubators().catch(() => []);
  state.incubatorId = state.incubatorId || incubators[0]?.id;
  const select = el('select', { id: 'incubator', onchange: () => { state.incubatorId = select.value; load(); } },
    incubators.map((i) => el('option', { value: i.id, selected: i.id === state.incubatorId }, pick(i, 'name'))));
  controls.prepend(el('div', { class: 'field' }, el('label', { for: 'incubator' }, t('scorecard.incubator')), select));
}
const summary = el('div', { id: 'summary', class: 'row', 'aria-live': 'polite' });
const radarBox = el('div', { class: 'chart', id: 'chart-radar', role: 'img', 'aria-label': t('scorecard.radar') });
const gapBox = el('div', { id: 'gap' });
const gateBox = el('div', { id: 'gates' });
const whatIfBox = el('div', { id: 'what-if' });
const whatIfResult = el('div', { id: 'what-if-result', 'aria-live': 'polite' });
const changeBox = el('div', { id: 'change' });
const indicatorBox = el('div', { class: 'table-wrap', id: 'indicators' });
page.replaceChildren(el('h1', {}, t('scorecard.title')), el('div', { class: 'card' }, controls, summary),
  el('div', { class: 'grid grid-2' },
    el('section', { class: 'card', 'aria-labelledby': 'radar-title' }, el('h2', { id: 'radar-title' }, t('scorecard.radar')), radarBox),
    el('section', { class: 'card', 'aria-labelledby': 'gap-title' }, el('h2', { id: 'gap-title' }, t('scorecard.gap')), gapBox)),
  el('section', { class: 'card', 'aria-labelledby': 'gates-title' }, el('h2', { id: 'gates-title' }, t('scorecard.gates')), gateBox),
  el('div', { class: 'grid grid-2' },
    el('section', { class: 'card', 'aria-labelledby': 'whatif-title' }, el('h2', { id: 'whatif-title' }, t('scorecard.whatIf')),
      el('p', { class: 'muted' }, t('scorecard.whatIfHelp')), whatIfResult, whatIfBox),
    el('section', { class: 'card', 'aria-labelledby': 'change-title' }, el('h2', { id: 'change-title' }, t('scorecard.change')), changeBox)),
  el('section', { class: 'card', 'aria-labelledby': 'ind-title' }, el('h2', { id: 'ind-title' }, t('scorecard.indicators')), indicatorBox));

const num1 = (v) => fmtNumber(v, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const tierBadge = (tier) => el('span', { class: `badge tier-${tier}` }, tk('tier', tier, 'tier.unknown'));

function renderSummary(card) {
  summary.replaceChildren(
    el('div', {}, el('span', { class: 'label' }, t('scorecard.composite')), ' ', el('strong', { id: 'composite' }, num1(card.composite))),
    el('div', {}, el('span', { class: 'label' }, t('scorecard.rank')), ' ', el('strong', { id: 'rank' }, t('scorecard.rankOf', { rank: card.rank, total: card.total }))),
    el('div', {}, el('span', { class: 'label' }, t('scorecard.tier')), ' ', tierBadge(card.tier)),
    ...card.dimensions.map((d) => el('div', {}, el('span', { class: 'label' }, tk('dimension', d.dimension, 'dimension.other')), ' ', num1(d.score))));
}

function renderGates(card) {
  const notes = card.notApplicableDimensions.length
    ? el('p', { class: 'muted', id: 'na-dimensions' }, t('scorecard.naDimensions', {
      dimensions: card.notApplicableDimensions.map((d) => tk('dimension', d, 'dimension.other')).join('、') })) : null;
  if (!card.tiered) { gateBox.replaceChildren(el('p', { class: 'muted', id: 'gates-untiered' }, t('scorecard.notTiered'))); return; }
  gateBox.replaceChildren(el('p', { class: 'muted' }, t('scorecard.gatesHelp')),
    el('ul', { class: 'plain', id: 'gate-list' }, card.gates.map((g) => el('li', { dataset: { gate: g.gateId, status: g.status } },
      el('span', { class: `badge gate-${g.status}` }, tk('scorecard.gateStatus', g.status, 'scorecard.status.other')), ' ',
      pick(g, 'name'), ' ', el('span', { class: 'muted' }, g.value === null ? '' : `(${fmtNumber(g.value, { maximumFractionDigits: 3 })})`),
      el('div', { class: 'muted small' }, g.basis)))), notes);
}

function planBlock(g, id) {
  const intro = el('p', {}, t('scorecard.gapIntro', { tier: tk('tier', g.targetTier, 'tier.unknown'), quarter: g.quarter,
    points: g.compositeNeeded === null ? '—' : num1(g.compositeNeeded) }));
  const shortfalls = g.dimensionShortfalls.length ? el('p', { class: 'muted' }, t('scorecard.shortfalls'), ' ',
    g.dimensionShortfalls.map((d) => `${tk('dimension', d.dimension, 'dimension.other')} ${num1(d.score)}`).join(' · ')) : null;
  if (!g.reachable) return [intro, shortfalls, el('p', { class: 'notice', id: `${id}-unreachable` }, t('scorecard.planUnreachable', { reason: g.reason }))];
  return [intro, shortfalls,
    el('p', { class: 'muted', id: `${id}-summary` }, t('scorecard.planSummary', { steps: g.steps.length, effort: num1(g.totalEffort),
      tier: tk('tier', g.reachesTier, 'tier.unknown'), after: num1(g.compositeAfter) })),
    g.optimal ? null : el('p', { class: 'muted', id: `${id}-not-proven` }, t('scorecard.planNotProven')),
    el('ol', { class: 'todo', id: `${id}-list` }, g.steps.map((step) => el('li', { dataset: { lever: step.lever, points: String(step.pointsGained) } },
      pick(step, 'message'),
      el('span', { class: 'muted' }, ` ${t('scorecard.stepPoints', { points: fmtNumber(step.pointsGained, { maximumFractionDigits: 2 }), ratio: fmtNumber(step.pointsPerEffort, { maximumFractionDigits: 2 }) })}`))))];
}

function renderGap(card) {
  if (!card.gap) {
    gapBox.replaceChildren(el('p', { class: card.tiered ? 'notice notice-ok' : 'muted', id: 'gap-none' },
      t(card.tiered ? 'scorecard.isBenchmark' : 'scorecard.notTiered')));
    return;
  }
  const next = card.nextTierGap ? el('details', { id: 'next-tier', open: true },
    el('summary', {}, t('scorecard.nextTier', { tier: tk('tier', card.nextTierGap.targetTier, 'tier.unknown') })),
    ...planBlock(card.nextTierGap, 'next-gap')) : null;
  gapBox.replaceChildren(...[next, ...planBlock(card.gap, 'gap')].filter(Boolean));
}

let whatIfTimer = null;
function renderWhatIf(card) {
  const levers = new Map();
  for (const item of card.gap?.steps || []) {
    if (!levers.has(item.lever)) levers.set(item.lever, item);
    // a field the lever is part of moves with it (more non-rent income is more total income)
    if (item.alsoField && !levers.has(item.alsoField)) {
      levers.set(item.alsoField, { lever: item.alsoField, change: item.change, unit: item.unit, leverNameZh: item.alsoNameZh, leverNameEn: item.alsoNameEn });
    }
  }
  if (!levers.size) { whatIfBox.replaceChildren(el('p', { class: 'muted' }, t('scorecard.whatIfNone'))); whatIfResult.replaceChildren(); return; }
  whatIfBox.replaceChildren(el('div', { class: 'fields' }, [...levers.values()].map((item) => el('div', { class: 'field' },
    el('label', { for: `wi-${item.lever}` }, t('scorecard.whatIfField', { lever: pick(item, 'leverName'), unit: unitText(item.unit) })),
    el('input', { id: `wi-${item.lever}`, type: 'number', step: 'any', value: '0', dataset: { lever: item.lever },
      oninput: () => { clearTimeout(whatIfTimer); whatIfTimer = setTimeout(runWhatIf, 300); } }),
    el('span', { class: 'help' }, t('scorecard.whatIfSuggested', { n: fmtNumber(item.change), unit: unitText(item.unit) }))))),
  el('button', { type: 'button', class: 'secondary', id: 'what-if-apply-gap', onclick: () => {
    for (const item of levers.values()) document.getElementById(`wi-${item.lever}`).value = String(item.change);
    runWhatIf();
  } }, t('scorecard.whatIfUseGap')));
  whatIfResult.replaceChildren();
}

async function runWhatIf() {
  const changes = [...whatIfBox.querySelectorAll('input[data-lever]')]
    .map((i) => ({ field: i.dataset.lever, value: Number(i.value) })).filter((c) => Number.isFinite(c.value) && c.value !== 0);
  if (!changes.length) { whatIfResult.replaceChildren(); return; }
  try {
    const r = (await gql('WhatIf', { incubatorId: state.incubatorId, quarter: state.quarter, changes })).whatIf;
    whatIfResult.replaceChildren(el('table', { id: 'what-if-table' },
      el('thead', {}, el('tr', {}, el('th', {}), el('th', { class: 'num' }, t('scorecard.before')), el('th', { class: 'num' }, t('scorecard.after')))),
      el('tbody', {},
        el('tr', {}, el('th', { scope: 'row' }, t('scorecard.composite')), el('td', { class: 'num' }, num1(r.compositeBefore)), el('td', { class: 'num', id: 'what-if-composite' }, num1(r.compositeAfter))),
        el('tr', {}, el('th', { scope: 'row' }, t('scorecard.rank')), el('td', { class: 'num' }, fmtNumber(r.rankBefore)), el('td', { class: 'num', id: 'what-if-rank' }, fmtNumber(r.rankAfter))),
        el('tr', {}, el('th', { scope: 'row' }, t('scorecard.tier')), el('td', {}, tierBadge(r.tierBefore)), el('td', { id: 'what-if-tier' }, tierBadge(r.tierAfter))),
        ...r.dimensionsAfter.map((d) => el('tr', {}, el('th', { scope: 'row' }, tk('dimension', d.dimension, 'dimension.other')),
          el('td', { class: 'num' }, num1(r.dimensionsBefore.find((b) => b.dimension === d.dimension)?.score)), el('td', { class: 'num' }, num1(d.score)))))));
  } catch (error) {
    whatIfResult.replaceChildren(el('p', { class: 'field-error' }, error instanceof ApiError && Object.keys(error.fields).length
      ? Object.values(error.fields).map(fieldMessage).join(' ') : error.userMessage || t('error.UNKNOWN')));
  }
}

async function renderChange() {
  const from = previousQuarter(state.quarter);
  try {
    const data = (await gql('ExplainChange', { fromQuarter: from, toQuarter: state.quarter, incubatorIds: [state.incubatorId] })).explainChange;
    const e = data.nodes[0];
    if (!e) { changeBox.replaceChildren(el('p', { class: 'muted' }, t('scorecard.noChange', { from }))); return; }
    const effects = e.indicatorEffects.filter((x) => Math.abs(x.effect) >= 0.05)
      .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect)).slice(0, 6);
    changeBox.replaceChildren(
      el('p', { id: 'change-summary' }, t('scorecard.changeSummary', { from, to: state.quarter, before: num1(e.compositeBefore), after: num1(e.compositeAfter),
        delta: `${e.delta >= 0 ? '+' : ''}${num1(e.delta)}`, rankBefore: e.rankBefore ?? '—', rankAfter: e.rankAfter ?? '—' })),
      el('ul', { class: 'plain', id: 'change-effects' }, effects.map((x) => el('li', {}, pick(x, 'name'), ': ',
        el('span', { class: x.effect >= 0 ? 'change-up' : 'change-down' }, `${x.effect >= 0 ? '+' : ''}${num1(x.effect)}`)))),
      el('p', { class: 'muted', id: 'change-parts' }, t('scorecard.changeParts', { peer: num1(e.peerEffect), imputation: num1(e.imputationEffect),
        scheme: num1(e.schemeEffect), interaction: num1(e.interaction) })));
  } catch (error) {
    changeBox.replaceChildren(el('p', { class: 'muted' }, error instanceof ApiError && error.code === 'NOT_FOUND' ? t('scorecard.noChange', { from }) : (error.userMessage || t('error.UNKNOWN'))));
  }
}

function renderIndicators(card) {
  const rows = [...card.indicators].sort((a, b) => a.dimension.localeCompare(b.dimension) || b.contribution - a.contribution);
  indicatorBox.replaceChildren(el('table', { id: 'indicator-table' },
    el('thead', {}, el('tr', {}, ['scorecard.col.dimension', 'scorecard.col.indicator', 'scorecard.col.value', 'scorecard.col.threshold',
      'scorecard.col.normalized', 'scorecard.col.weight', 'scorecard.col.contribution', 'scorecard.col.status']
      .map((k) => el('th', { scope: 'col', class: ['scorecard.col.dimension', 'scorecard.col.indicator', 'scorecard.col.status'].includes(k) ? '' : 'num' }, t(k))))),
    el('tbody', {}, rows.map((r) => el('tr', { dataset: { indicator: r.indicatorId } },
      el('td', {}, tk('dimension', r.dimension, 'dimension.other')),
      el('td', { style: 'white-space: normal', title: r.basis }, pick(r, 'name')),
      el('td', { class: 'num' }, r.value === null ? '—' : `${fmtNumber(r.value)} ${unitText(r.unit)}`),
      el('td', { class: 'num' }, r.threshold === null ? '—' : fmtNumber(r.threshold)),
      el('td', { class: 'num' }, r.normalized === null ? '—' : num1(r.normalized)),
      el('td', { class: 'num' }, fmtNumber(r.effectiveWeight, { style: 'percent', maximumFractionDigits: 1 })),
      el('td', { class: 'num' }, num1(r.contribution)),
      el('td', {}, r.platformCounted && r.status === 'reported' ? t('scorecard.status.platform')
        : tk('scorecard.status', r.status.replace(':', '_'), 'scorecard.status.other')))))));
}

async function load() {
  setParams({ quarter: state.quarter, incubator: me.role === 'MANAGER' ? null : state.incubatorId });
  if (!state.incubatorId) return;
  try {
    state.card = (await gql('IncubatorScorecard', { incubatorId: state.incubatorId, quarter: state.quarter })).incubatorScorecard;
  } catch (error) {
    state.card = null;
    const message = error instanceof ApiError && error.code === 'NOT_FOUND' ? t('scorecard.noData', { quarter: state.quarter }) : null;
    summary.replaceChildren(el('p', { class: 'notice' }, message || error.userMessage || t('error.UNKNOWN')));
    for (const box of [gapBox, gateBox, whatIfBox, whatIfResult, changeBox, indicatorBox, radarBox]) box.replaceChildren();
    if (!message) showError(error);
    return;
  }
  renderSummary(state.card); renderGates(state.card); renderGap(state.card); renderWhatIf(state.card); renderIndicators(state.card);
  await Promise.all([renderChange(), radar(state.incubatorId, state.quarter).then((fig) => drawFigure(radarBox, fig))
    .catch(() => radarBox.replaceChildren(el('p', { class: 'muted' }, t('common.empty'))))]);
}

await load();
