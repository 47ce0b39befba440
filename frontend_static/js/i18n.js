// One dictionary per language (js/i18n/zh.json, en.json); Chinese by default, the choice persisted.
const STORAGE_KEY = 'incubench.lang';
export const LANGS = ['zh', 'en'];
let dict = {};
let lang = 'zh';

export function currentLang() { return lang; }
export function locale() { return lang === 'zh' ? 'zh-CN' : 'en-GB'; }

export async function loadI18n() {
  const stored = localStorage.getItem(STORAGE_KEY);
  lang = LANGS.includes(stored) ? stored : 'zh';
  const response = await fetch(`/js/i18n/${lang}.json`, { cache: 'no-cache' });
  dict = await response.json();
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  return lang;
}

// Pages with a form in progress listen for 'incubench:language-switch' to keep what was typed across
// the reload (and not ask "leave the page?" for it).
export function setLang(next) {
  if (!LANGS.includes(next)) return;
  window.dispatchEvent(new CustomEvent('incubench:language-switch', { detail: { lang: next } }));
  localStorage.setItem(STORAGE_KEY, next);
  location.reload();
}

export function has(key) { return Object.prototype.hasOwnProperty.call(dict, key); }

// t('key', {n: 3}) → the text with {n} filled in; numbers in params are formatted for the locale.
export function t(key, params = {}) {
  let text = has(key) ? dict[key] : (has('common.missingText') ? dict['common.missingText'] : '');
  return text.replace(/\{(\w+)\}/g, (_, name) => {
    const value = params[name];
    if (value === undefined || value === null) return '';
    return typeof value === 'number' ? fmtNumber(value) : String(value);
  });
}

// A unit from the indicator scheme (stored in Chinese) in the current language, via the unit.* keys.
export function unitText(unit) {
  const key = `unit.${unit}`;
  return has(key) ? t(key) : unit;
}

// A key built from an enum value or error code, with a fallback key when the dictionary lacks it.
export function tk(prefix, value, fallback) {
  const key = `${prefix}.${value}`;
  return has(key) ? t(key) : t(fallback);
}

export function fmtNumber(value, options = {}) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 2, ...options }).format(value);
}
export function fmtPercent(value) { return fmtNumber(value, { style: 'percent', maximumFractionDigits: 1 }); }
export function fmtDate(value, options = { dateStyle: 'medium' }) {
  if (!value) return '—';
  const date = value instanceof Date ? value : new Date(value);
  return new Intl.DateTimeFormat(locale(), { timeZone: 'Asia/Shanghai', ...options }).format(date);
}
export function fmtDateTime(value) { return fmtDate(value, { dateStyle: 'medium', timeStyle: 'short' }); }
export function fmtTime(value) { return fmtDate(value, { timeStyle: 'short' }); }

// Fill data-i18n (text), data-i18n-placeholder, data-i18n-aria (aria-label), data-i18n-title.
export function applyI18n(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  root.querySelectorAll('[data-i18n-aria]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nAria)); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
}

// The localised half of a bilingual server field: {nameZh, nameEn} or {message_zh, message_en}.
export function pick(obj, base) {
  if (!obj) return '';
  const zh = obj[`${base}Zh`] ?? obj[`${base}_zh`];
  const en = obj[`${base}En`] ?? obj[`${base}_en`];
  return (lang === 'zh' ? zh || en : en || zh) || '';
}
