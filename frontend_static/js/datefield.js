// Dates, times of day and date-times typed in the page's language, whatever the browser's locale: a text field whose
// format, check and read-back ("reads as Friday 4 December 2026 14:30", in Chinese on a Chinese page) follow the page. Values are park
// (Beijing) wall-clock time: 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:mm'.
import { t, fmtDate } from './i18n.js';
import { el } from './shell.js';

// Also the Chinese way: year/month/day characters, full-width colon and comma (as \u escapes).
const PATTERN = /^(\d{4})\s*[-/.\u5e74]\s*(\d{1,2})\s*[-/.\u6708]\s*(\d{1,2})\s*\u65e5?(?:(?:\s+|T|\s*[,\uff0c]\s*)(\d{1,2})\s*[:\uff1a]\s*(\d{2}))?$/;
const pad = (n) => String(n).padStart(2, '0');

// parseDateText('2026-12-04 14:30', 'datetime') → '2026-12-04T14:30'; '' for empty; null when invalid.
const TIME = /^(\d{1,2})\s*[:\uff1a]\s*(\d{2})$/;
export function parseDateText(text, kind = 'datetime') {
  const value = String(text || '').trim();
  if (!value) return '';
  if (kind === 'time') {
    const t24 = TIME.exec(value);
    if (!t24 || Number(t24[1]) > 23 || Number(t24[2]) > 59) return null;
    return `${pad(Number(t24[1]))}:${t24[2]}`;
  }
  const m = PATTERN.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hasTime = m[4] !== undefined;
  if (kind === 'date' && hasTime) return null;
  if (kind === 'datetime' && !hasTime) return null;
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  const date = `${year}-${pad(month)}-${pad(day)}`;
  if (!hasTime) return date;
  const [hour, minute] = [Number(m[4]), Number(m[5])];
  if (hour > 23 || minute > 59) return null;
  return `${date}T${pad(hour)}:${pad(minute)}`;
}

// The page's own way of writing a parsed value (for the read-back and for filling a field).
export function describeDate(value) {
  if (!value) return '';
  if (value.length === 5) return value; // a time of day, 24-hour clock in both languages
  const at = new Date(value.length > 10 ? `${value}:00+08:00` : `${value}T12:00:00+08:00`);
  return fmtDate(at, value.length > 10 ? { dateStyle: 'full', timeStyle: 'short' } : { dateStyle: 'full' });
}

// A park time (ISO string with any offset) as field text: '2026-12-04 14:30'.
export function toFieldText(iso, kind = 'datetime') {
  if (!iso) return '';
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  return kind === 'date' ? date : `${date} ${parts.hour}:${parts.minute}`;
}

const KEYS = {
  date: { placeholder: 'date.placeholderDate', format: 'date.formatDate', invalid: 'date.invalidDate' },
  time: { placeholder: 'date.placeholderTime', format: 'date.formatTime', invalid: 'date.invalidTime' },
  datetime: { placeholder: 'date.placeholderDateTime', format: 'date.formatDateTime', invalid: 'date.invalidDateTime' },
};
export function invalidMessage(kind) { return t(KEYS[kind].invalid); }

// dateField(id, {kind: 'date' | 'time' | 'datetime', value}) → [input, hint]: put both inside the field, after its label.
export function dateField(id, { kind = 'datetime', value = '' } = {}) {
  const input = el('input', { id, type: 'text', inputmode: 'numeric', autocomplete: 'off', value, class: 'date-input',
    placeholder: t(KEYS[kind].placeholder), 'aria-describedby': `${id}-hint`,
    dataset: { dateKind: kind } });
  const hint = el('span', { class: 'date-hint', id: `${id}-hint` });
  const echo = () => {
    const parsed = parseDateText(input.value, kind);
    hint.textContent = parsed === '' ? t(KEYS[kind].format)
      : parsed === null ? t(KEYS[kind].invalid) : t('date.reads', { value: describeDate(parsed) });
  };
  input.addEventListener('input', echo);
  input.refreshHint = echo;
  echo();
  return [input, hint];
}

// The field's value: '' (empty), null (not a valid date) or the parsed value.
export function dateValue(input) { return parseDateText(input.value, input.dataset.dateKind || 'datetime'); }
