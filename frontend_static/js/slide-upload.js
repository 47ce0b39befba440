// Slides for one pitch, from the room page: choose one PDF or images, put the images in order (↑ ↓,
// remove), upload; an uploaded image deck can be reordered as well (its pages are fetched back and sent
// again in the new order). Checks mirror the server's (backend/roadshows/slides.py); its coded errors
// show in the page's language.
import { t, currentLang } from './i18n.js';
import { token } from './api.js';
import { el } from './shell.js';

const TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'image/webp'];
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const MAX_TOTAL_BYTES = 25 * 1024 * 1024;
const MAX_IMAGES = 60;

class SlideUploadError extends Error {
  constructor(userMessage) { super(userMessage); this.userMessage = userMessage; }
}

export function checkSlides(files) {
  if (!files.length) return t('roomPage.slides.none');
  const bad = files.find((f) => !TYPES.includes(f.type));
  if (bad) return t('roomPage.slides.badType', { name: bad.name });
  const big = files.find((f) => f.size > MAX_FILE_BYTES);
  if (big) return t('roomPage.slides.tooLarge', { name: big.name, n: MAX_FILE_BYTES / 2 ** 20 });
  if (files.reduce((sum, f) => sum + f.size, 0) > MAX_TOTAL_BYTES) return t('roomPage.slides.totalTooLarge', { n: MAX_TOTAL_BYTES / 2 ** 20 });
  if (files.some((f) => f.type === 'application/pdf') && files.length > 1) return t('roomPage.slides.mixed');
  if (files.length > MAX_IMAGES) return t('roomPage.slides.tooMany', { n: MAX_IMAGES });
  return null;
}

async function postSlides(roomId, index, files) {
  const form = new FormData();
  for (const file of files) form.append('files', file, file.name);
  let response;
  try {
    response = await fetch(`/api/roadshows/${encodeURIComponent(roomId)}/pitches/${index}/slides`, {
      method: 'POST', body: form, headers: token() ? { Authorization: `Bearer ${token()}` } : {} });
  } catch {
    throw new SlideUploadError(t('error.NETWORK'));
  }
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) {
    const server = currentLang() === 'zh' ? body?.message_zh || body?.message_en : body?.message_en || body?.message_zh;
    throw new SlideUploadError(server || t('error.UNKNOWN'));
  }
  return body;
}

// One pitch's uploader. pitch: {index, slides: {kind, pages, urls} | null}.
export function slideUploader({ roomId, pitch, name, onUploaded, onError }) {
  const id = `slides-${pitch.index}`;
  let items = [];          // [{label, file} | {label, url}] in the order they will be sent
  let chosen = false;      // items are newly chosen files (else: the uploaded deck's pages)
  let reordered = false;
  const summary = el('p', { class: 'muted', id: `${id}-summary` });
  const list = el('ol', { class: 'plain slide-order', id: `${id}-order` });
  const error = el('span', { class: 'field-error', id: `${id}-error`, role: 'status' });
  // The browser's own file button speaks the browser's language: it is hidden behind a label in the page's.
  const input = el('input', { type: 'file', id: `${id}-file`, multiple: true, accept: TYPES.join(','), class: 'sr-only' });
  const chosenName = el('span', { class: 'muted', id: `${id}-chosen` }, t('roomPage.slides.noFile'));
  const send = el('button', { type: 'button', id: `${id}-send`, disabled: true }, t('roomPage.slides.upload'));

  function fromDeck() {
    const deck = pitch.slides;
    chosen = false;
    reordered = false;
    items = deck && deck.kind === 'images' ? deck.urls.map((url, i) => ({ label: t('roomPage.slides.page', { n: i + 1 }), url })) : [];
    summary.textContent = deck ? t(deck.kind === 'pdf' ? 'roomPage.slides.deckPdf' : 'roomPage.slides.deckImages', { pages: deck.pages })
      : t('roomPage.slides.noDeck');
  }
  function move(from, to) {
    if (to < 0 || to >= items.length) return;
    const [item] = items.splice(from, 1);
    items.splice(to, 0, item);
    reordered = true;
    render();
  }
  function render() {
    list.replaceChildren(...items.map((item, i) => el('li', { class: 'row', dataset: { slide: i } },
      item.url ? el('img', { src: item.url, alt: item.label, class: 'slide-thumb' }) : null,
      el('span', { class: 'slide-name' }, `${i + 1}. ${item.label}`),
      el('button', { type: 'button', class: 'secondary', disabled: i === 0, 'aria-label': t('roomPage.slides.up', { name: item.label }), onclick: () => move(i, i - 1) }, '↑'),
      el('button', { type: 'button', class: 'secondary', disabled: i === items.length - 1, 'aria-label': t('roomPage.slides.down', { name: item.label }), onclick: () => move(i, i + 1) }, '↓'),
      chosen ? el('button', { type: 'button', class: 'secondary', 'aria-label': t('roomPage.slides.remove', { name: item.label }),
        onclick: () => { items.splice(i, 1); render(); } }, '×') : null)));
    send.textContent = t(chosen ? 'roomPage.slides.upload' : 'roomPage.slides.saveOrder');
    send.disabled = chosen ? !items.length : !reordered;
  }
  input.addEventListener('change', () => {
    error.textContent = '';
    const files = [...input.files];
    const problem = files.length ? checkSlides(files) : null;
    if (problem) { error.textContent = problem; input.value = ''; return; }
    items = files.map((file) => ({ label: file.name, file }));
    chosen = files.length > 0;
    chosenName.textContent = chosen ? t('roomPage.slides.chosen', { n: files.length }) : t('roomPage.slides.noFile');
    if (!chosen) fromDeck();
    render();
  });
  send.addEventListener('click', async () => {
    error.textContent = '';
    send.disabled = true;
    try {
      const files = chosen ? items.map((x) => x.file)
        : await Promise.all(items.map(async (x, i) => {
          const blob = await (await fetch(x.url)).blob();
          return new File([blob], `slide-${i + 1}.${blob.type.split('/')[1] || 'png'}`, { type: blob.type });
        }));
      const problem = checkSlides(files);
      if (problem) throw new SlideUploadError(problem);
      const deck = await postSlides(roomId, pitch.index, files);
      pitch.slides = { kind: deck.kind, pages: deck.pages, urls: deck.urls };
      input.value = '';
      chosenName.textContent = t('roomPage.slides.noFile');
      fromDeck();
      render();
      onUploaded(pitch.slides);
    } catch (e) {
      error.textContent = e.userMessage || t('error.UNKNOWN');
      render();
      if (!e.userMessage) onError(e);
    }
  });
  fromDeck();
  render();
  return el('div', { class: 'slide-upload', id, dataset: { pitch: pitch.index } },
    el('p', {}, el('strong', {}, name)), summary, list,
    el('p', { class: 'muted' }, t('roomPage.slides.choose')),
    el('div', { class: 'row file-picker' }, input, el('label', { for: `${id}-file`, class: 'button secondary' }, t('roomPage.slides.pick')), chosenName),
    error, send);
}
