// The /ws/v1 socket (docs/protocol.md): auth by first frame, requests answered by id, events by name,
// heartbeats, and reconnection by itself with an offline notice. Pages register `onConnected`
// callbacks to re-join rooms (with the last seq they saw) after every (re)connection.
import { t, tk } from './i18n.js';
import { token } from './api.js';

export class LiveError extends Error {
  constructor(code, details = {}) { super(code); this.code = code; this.details = details; }
  get userMessage() { return liveErrorMessage(this.code); }
}

export function liveErrorMessage(code) { return tk('wsError', code, 'wsError.unknown'); }

export class Live {
  constructor() {
    this.socket = null;
    this.nextId = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.connectedCallbacks = [];
    this.statusCallbacks = [];
    this.online = false;
    this.retry = 500;
    this.closed = false;
    this.user = null;
  }

  on(event, handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, []);
    this.handlers.get(event).push(handler);
    return this;
  }
  onConnected(callback) { this.connectedCallbacks.push(callback); if (this.online) callback(this); return this; }
  onStatus(callback) { this.statusCallbacks.push(callback); return this; }

  connect() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/v1`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this._send({ id: 'auth', action: 'auth', token: token() });
    };
    socket.onmessage = (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      this._frame(frame);
    };
    socket.onclose = (close) => {
      const wasOnline = this.online;
      this.online = false;
      for (const [, p] of this.pending) p.reject(new LiveError('offline'));
      this.pending.clear();
      if (this.closed) return;
      this._status('offline', close.code);
      if (close.code === 4401) {
        location.href = `/index.html?next=${encodeURIComponent(location.pathname + location.search)}&expired=1`;
        return;
      }
      setTimeout(() => { if (!this.closed) this.connect(); }, wasOnline ? 300 : this.retry);
      this.retry = Math.min(this.retry * 2, 8000);
    };
    return this;
  }

  close() { this.closed = true; this.socket?.close(1000); }

  _send(frame) { this.socket.send(JSON.stringify(frame)); }

  _status(status, code) { for (const c of this.statusCallbacks) c(status, code); }

  _frame(frame) {
    if (frame.type === 'ping') { this._send({ action: 'pong' }); return; }
    if (frame.id === 'auth') {
      if (frame.type === 'ok') {
        this.online = true;
        this.retry = 500;
        this.user = frame.data?.user || null;
        this._status('online');
        for (const c of this.connectedCallbacks) Promise.resolve(c(this)).catch(() => {});
      }
      return;
    }
    if ((frame.type === 'ok' || frame.type === 'error' || frame.type === 'pong') && frame.id && this.pending.has(frame.id)) {
      const p = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      if (frame.type === 'error') p.reject(new LiveError(frame.code || 'internal', frame.details || {}));
      else p.resolve(frame.data ?? null);
      return;
    }
    if (frame.type === 'event') {
      for (const h of this.handlers.get(frame.event) || []) h(frame.data || {}, frame);
      for (const h of this.handlers.get('*') || []) h(frame.data || {}, frame);
    }
  }

  request(action, payload = {}) {
    if (!this.online) return Promise.reject(new LiveError('offline'));
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this._send({ id, action, payload });
    });
  }
}

// One live connection per page, with the offline banner (#offline) wired in.
export function liveConnection() {
  const live = new Live();
  const banner = document.getElementById('offline');
  let everOnline = false;
  live.onStatus((status) => {
    if (!banner) return;
    if (status === 'offline') {
      banner.textContent = t('live.offline');
      banner.hidden = false;
      document.body.dataset.disconnects = String(Number(document.body.dataset.disconnects || 0) + 1);
    } else {
      banner.hidden = true;
      if (everOnline) document.body.dataset.reconnects = String(Number(document.body.dataset.reconnects || 0) + 1);
      everOnline = true;
    }
  });
  live.connect();
  return live;
}
