// Roadshow calendar: upcoming and live roadshows first, then past ones; each opens its live room.
import { t, tk, pick, fmtDateTime, fmtNumber } from '../i18n.js';
import { gql } from '../api.js';
import { initPage, el, showError } from '../shell.js';

await initPage({ title: 'nav.roadshows' });
const page = document.getElementById('page');
let roadshows = [];
try { roadshows = (await gql('RoadshowCalendar')).roadshows; } catch (error) { showError(error); }

function card(r) {
  const minutes = r.agenda.reduce((sum, a) => sum + a.pitchMinutes + a.qaMinutes, 0);
  return el('li', { class: 'card', dataset: { roadshow: r.id } },
    el('h3', {}, el('a', { href: `/pages/room.html?id=${encodeURIComponent(r.id)}` }, pick(r, 'title'))),
    el('p', {}, el('span', { class: `badge status-${r.status}` }, tk('roadshow.status', r.status, 'common.none')), ' ',
      fmtDateTime(r.startsAt), ' · ', t('roadshow.pitchCount', { n: r.agenda.length }), ' · ', t('roadshow.minutes', { n: minutes }),
      r.industryFocus.length ? ` · ${r.industryFocus.map((i) => tk('industry', i.toUpperCase(), 'industry.OTHER')).join('、')}` : ''),
    el('p', { class: 'muted' }, r.agenda.map((a) => pick(a, 'startupName')).join(' · ')),
    el('a', { class: 'button', href: `/pages/room.html?id=${encodeURIComponent(r.id)}` },
      t(r.status === 'ENDED' ? 'roadshow.viewRecord' : r.status === 'LIVE' ? 'roadshow.enterLive' : 'roadshow.enter')));
}

const upcoming = roadshows.filter((r) => r.status !== 'ENDED').sort((a, b) => a.startsAt.localeCompare(b.startsAt));
const past = roadshows.filter((r) => r.status === 'ENDED').sort((a, b) => b.startsAt.localeCompare(a.startsAt));
page.replaceChildren(el('h1', {}, t('roadshow.calendar')),
  el('section', { 'aria-labelledby': 'upcoming-title' }, el('h2', { id: 'upcoming-title' }, t('roadshow.upcoming')),
    upcoming.length ? el('ul', { class: 'plain grid grid-2', id: 'upcoming' }, upcoming.map(card)) : el('p', { class: 'muted' }, t('roadshow.noneUpcoming'))),
  el('section', { 'aria-labelledby': 'past-title' }, el('h2', { id: 'past-title' }, t('roadshow.past')),
    past.length ? el('ul', { class: 'plain grid grid-2', id: 'past' }, past.map(card)) : el('p', { class: 'muted' }, t('roadshow.nonePast'))));
void fmtNumber;
