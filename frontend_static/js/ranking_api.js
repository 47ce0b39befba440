// The dashboard's view of the rankings API (graphql/operations/Dashboard*.graphql, PublishRanking,
// RankingUpdated, MissingSubmissions), shaped for the page.
import { gql, subscribe } from './api.js';
import { currentLang } from './i18n.js';
import { recentQuarters } from './util.js';

export const DIMENSIONS = ['tech_conversion', 'investment', 'mentoring', 'supply_chain', 'global_services'];
export const METHODS = ['ARITHMETIC', 'GEOMETRIC', 'TOPSIS'];
const TIER_ORDER = ['benchmark', 'near_benchmark', 'developing', 'needs_improvement', 'insufficient_data'];

export async function rankingOptions() {
  return { schemes: [{ id: '', label: '' }], methods: METHODS.map((id) => ({ id })), dimensions: DIMENSIONS.map((id) => ({ id })) };
}

function variables({ quarter, scheme, method, dimension }) {
  const v = { quarter, method: method || 'ARITHMETIC' };
  if (scheme) v.scheme = scheme;
  if (dimension) v.dimension = dimension;
  return v;
}

export async function ranking(options) {
  const data = await gql('DashboardRanking', variables(options));
  const r = data.ranking;
  const latest = data.publishedRankings.length ? data.publishedRankings[data.publishedRankings.length - 1] : null;
  return {
    schemeVersion: r.schemeVersion, computedAt: r.computedAt, source: r.source,
    published: latest ? { at: latest.publishedAt, version: latest.version } : null,
    rows: r.rows.map((e) => ({
      rank: e.rank, change: e.rankChange, composite: e.composite, tier: e.tier,
      tierOrder: TIER_ORDER.indexOf(e.tier), interval: e.rankLow !== null && e.rankHigh !== null ? [e.rankLow, e.rankHigh] : null,
      imputed: e.imputed.length > 0,
      dimensions: {
        tech_conversion: e.techConversion, investment: e.investment, mentoring: e.mentoring,
        supply_chain: e.supplyChain, global_services: e.globalServices,
      },
      incubator: { id: e.incubatorId, nameZh: e.nameZh, nameEn: e.nameEn, subArea: e.subArea, industries: e.industries || [] },
    })),
  };
}

let lastTop = [];
export async function chart(kind, { quarter, method }, topIds = null) {
  const lang = currentLang();
  const base = { lang, method: method || 'ARITHMETIC' };
  if (kind === 'trends') {
    const ids = topIds || lastTop;
    if (!ids.length) return null;
    const quarters = recentQuarters(8, quarter).reverse();
    return (await gql('DashboardChart', { ...base, kind: 'RANK_TRENDS', incubatorIds: ids, quarters })).chart;
  }
  const kinds = { bars: 'RANKING_BARS', intervals: 'RANK_INTERVALS', heatmap: 'DIMENSION_HEATMAP' };
  return (await gql('DashboardChart', { ...base, kind: kinds[kind], quarter })).chart;
}
export function setTrendIncubators(ids) { lastTop = ids; }

export async function radar(incubatorId, quarter) {
  return (await gql('DashboardChart', { kind: 'RADAR', quarter, incubatorId, lang: currentLang() })).chart;
}

export async function publish({ quarter, method }) {
  return (await gql('PublishRanking', { quarter, method: method || 'ARITHMETIC' })).publishRanking;
}

export function watchRanking(quarter, onUpdate, onStatus) {
  return subscribe('RankingUpdated', { quarter }, onUpdate, { onStatus });
}

export function exportUrl(format, { quarter, method, dimension }) {
  const params = new URLSearchParams({ quarter, method: (method || 'ARITHMETIC').toLowerCase() });
  if (dimension) params.set('dimension', dimension);
  return `/api/export/ranking.${format}?${params}`;
}
