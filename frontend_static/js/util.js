// Small shared helpers: quarters, incubator list, query-string state.
import { gql } from './api.js';

export function currentQuarter(now = new Date()) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric' })
    .formatToParts(now);
  const year = Number(parts.find((p) => p.type === 'year').value);
  const month = Number(parts.find((p) => p.type === 'month').value);
  return `${year}Q${Math.floor((month - 1) / 3) + 1}`;
}

export function previousQuarter(quarter) {
  const [year, q] = quarter.split('Q').map(Number);
  return q === 1 ? `${year - 1}Q4` : `${year}Q${q - 1}`;
}

// The last n quarters, newest first, ending at `last` (the current quarter by default).
export function recentQuarters(n = 8, last = currentQuarter()) {
  const out = [last];
  while (out.length < n) out.push(previousQuarter(out[out.length - 1]));
  return out;
}

export async function allIncubators() {
  const nodes = [];
  let after = null;
  do {
    const page = (await gql('IncubatorPicker', { after })).incubators;
    nodes.push(...page.nodes);
    after = page.hasNextPage ? page.endCursor : null;
  } while (after);
  return nodes;
}

export function param(name) { return new URLSearchParams(location.search).get(name); }
export function setParams(values) {
  const params = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(values)) { if (v === null || v === undefined || v === '') params.delete(k); else params.set(k, v); }
  history.replaceState(null, '', `${location.pathname}?${params}`);
}

export function uuid() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
