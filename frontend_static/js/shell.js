// Every page but sign-in: check the session, draw the header (who, role, incubator, sign out,
// language switch, navigation for the role) and give the page helpers for messages.
import { loadI18n, applyI18n, t, tk, pick, currentLang, setLang } from './i18n.js';
import { gql, token, setToken, ApiError, errorMessage } from './api.js';

export const NAV = [
  { key: 'nav.dashboard', href: '/pages/dashboard.html', roles: ['ADMIN', 'EVALUATOR'] },
  { key: 'nav.scorecard', href: '/pages/scorecard.html', roles: ['ADMIN', 'EVALUATOR', 'MANAGER'] },
  { key: 'nav.submit', href: '/pages/submit.html', roles: ['ADMIN', 'MANAGER'] },
  { key: 'nav.roadshows', href: '/pages/roadshows.html', roles: ['ADMIN', 'EVALUATOR', 'MANAGER', 'STARTUP', 'INVESTOR', 'IP_ADVISOR'] },
  { key: 'nav.matchmaking', href: '/pages/matchmaking.html', roles: ['ADMIN', 'MANAGER', 'STARTUP', 'INVESTOR'] },
  { key: 'nav.bookings', href: '/pages/bookings.html', roles: ['ADMIN', 'MANAGER', 'STARTUP', 'IP_ADVISOR'] },
  { key: 'nav.admin', href: '/pages/admin.html', roles: ['ADMIN'] },
];

export function homeFor(role) {
  return { ADMIN: '/pages/dashboard.html', EVALUATOR: '/pages/dashboard.html', MANAGER: '/pages/submit.html',
    STARTUP: '/pages/matchmaking.html', INVESTOR: '/pages/roadshows.html', IP_ADVISOR: '/pages/bookings.html' }[role]
    || '/pages/roadshows.html';
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A polite status line for the page: notify('saved') or notify(error) with a translated text.
export function notify(message, kind = 'info') {
  const box = document.getElementById('notice');
  if (!box) return;
  box.textContent = message;
  box.className = `notice notice-${kind}`;
  box.hidden = !message;
  // Messages stay until the next one (no timed disappearance: people read at their own pace).
}

export function showError(error) {
  if (error instanceof ApiError) notify(error.userMessage, 'error');
  else if (error && typeof error.userMessage === 'string') notify(error.userMessage, 'error');
  else { console.error(error); notify(errorMessage('UNKNOWN'), 'error'); }
}

export function langSwitch() {
  const other = currentLang() === 'zh' ? 'en' : 'zh';
  return el('button', { type: 'button', class: 'lang-switch', id: 'lang-switch', lang: other === 'zh' ? 'zh-CN' : 'en',
    'aria-label': t('header.switchLanguage'), onclick: () => setLang(other) }, t(`lang.${other}`));
}

function header(user) {
  const here = location.pathname;
  const nav = el('nav', { 'aria-label': t('nav.label'), class: 'main-nav' },
    NAV.filter((n) => n.roles.includes(user.role)).map((n) => el('a', { href: n.href,
      'aria-current': here === n.href ? 'page' : null }, t(n.key))));
  const who = el('div', { class: 'who', id: 'who' },
    el('span', { class: 'who-name', id: 'who-name' }, user.displayName),
    el('span', { class: 'badge role-badge', id: 'who-role' }, tk('role', user.role, 'role.UNKNOWN')),
    user.incubator ? el('span', { class: 'who-incubator', id: 'who-incubator' }, pick(user.incubator, 'name')) : null);
  const signOut = el('button', { type: 'button', id: 'sign-out', class: 'secondary',
    onclick: () => { setToken(null); location.href = '/index.html'; } }, t('header.signOut'));
  return el('div', { class: 'header-inner' },
    el('a', { class: 'brand', href: homeFor(user.role) }, t('app.name')),
    nav, el('div', { class: 'header-tools' }, who, langSwitch(), signOut));
}

// Anything that escapes a page's own handling still reaches the user as a translated message,
// never as a stack trace.
window.addEventListener('unhandledrejection', (event) => { event.preventDefault(); showError(event.reason); });
window.addEventListener('error', (event) => { if (event.error) showError(event.error); });

// initPage({roles}) → the signed-in user (Me), or redirects to sign-in.
export async function initPage({ roles = null, title = null } = {}) {
  await loadI18n();
  if (title) document.title = `${t(title)} · ${t('app.name')}`;
  if (!token()) {
    location.href = `/index.html?next=${encodeURIComponent(location.pathname + location.search)}`;
    return new Promise(() => {});
  }
  let me;
  try {
    me = (await gql('Me')).me;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') return new Promise(() => {});
    applyI18n();
    showError(error);
    throw error;
  }
  const slot = document.getElementById('app-header');
  slot.replaceChildren(header(me));
  applyI18n();
  if (roles && !roles.includes(me.role)) {
    const main = document.getElementById('main');
    main.replaceChildren(el('p', { class: 'notice notice-error', role: 'alert' }, t('error.FORBIDDEN')));
    return new Promise(() => {});
  }
  return me;
}
