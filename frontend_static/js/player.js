// The pitch's live stream inside the page: HLS (.m3u8) through hls.js, served by the app from
// /vendor/hlsjs/ and loaded only when a stream needs it (the browser's own HLS where Media Source is
// missing, as on iPhones); MP4, WebM and other files in a plain <video>. A link opens it in a new tab too.
import { t } from './i18n.js';
import { el } from './shell.js';

const HLS_MODULE = '/vendor/hlsjs/hls.light.min.js';

export function streamKind(url) {
  return new URL(url, location.href).pathname.toLowerCase().endsWith('.m3u8') ? 'hls' : 'file';
}

// streamPlayer(box).show(url | null): shows the stream (the same url again keeps the player as it is).
export function streamPlayer(box) {
  let current = null;
  let hls = null;
  function clear() {
    hls?.destroy();
    hls = null;
    current = null;
    box.replaceChildren();
  }
  async function show(url) {
    if (url === current) return;
    clear();
    if (!url) return;
    current = url;
    const video = el('video', { id: 'stream-video', controls: true, playsinline: true, preload: 'metadata',
      'aria-label': t('roomPage.player') });
    const status = el('p', { class: 'muted', id: 'player-status', role: 'status' });
    box.replaceChildren(video, el('p', {}, el('a', { href: url, target: '_blank', rel: 'noopener' }, t('roomPage.stream'))), status);
    const failed = () => { status.textContent = t('roomPage.playerError'); video.dataset.state = 'error'; };
    video.addEventListener('error', failed);
    video.addEventListener('loadedmetadata', () => { video.dataset.state = 'ready'; });
    if (streamKind(url) === 'hls') {
      const { default: Hls } = await import(HLS_MODULE);
      if (url !== current) return;
      if (Hls.isSupported()) {
        video.dataset.player = 'hls.js';
        hls = new Hls({ lowLatencyMode: true, enableWorker: false });   // no blob: worker (the page's CSP)
        hls.on(Hls.Events.MANIFEST_PARSED, (_, data) => { video.dataset.levels = String(data.levels.length); video.dataset.state = 'manifest'; });
        hls.on(Hls.Events.ERROR, (_, data) => { if (data.fatal) failed(); });
        hls.loadSource(url);
        hls.attachMedia(video);
        return;
      }
      if (!video.canPlayType('application/vnd.apple.mpegurl')) { status.textContent = t('roomPage.playerUnsupported'); return; }
    }
    video.dataset.player = 'native';
    video.src = url;
  }
  return { show };
}
