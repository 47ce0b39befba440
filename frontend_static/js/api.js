// GraphQL over HTTP with the named operations of graphql/operations/, and subscriptions over
// graphql-transport-ws. Errors become ApiError with a code and per-field messages, never raw text.
import { t, tk, currentLang } from './i18n.js';

const TOKEN_KEY = 'incubench.token';
const documents = new Map();

export function token() { return localStorage.getItem(TOKEN_KEY); }
export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value); else localStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(code, errors = []) {
    super(code);
    this.code = code;
    this.errors = errors;
    // field path → {message_zh, message_en}
    this.fields = {};
    for (const e of errors) {
      const ext = e.extensions || {};
      if (ext.field) this.fields[ext.field] = ext;
    }
  }
  // The message to show: the dictionary's text for the code, or the server's localised one for a field.
  get userMessage() { return errorMessage(this.code); }
}

export function errorMessage(code) { return tk('error', code, 'error.UNKNOWN'); }

// The server's own bilingual message for a field error (shown next to the field).
export function fieldMessage(ext) {
  if (!ext) return '';
  const text = currentLang() === 'zh' ? ext.message_zh || ext.message_en : ext.message_en || ext.message_zh;
  return text || t('error.BAD_USER_INPUT');
}

export async function operation(name) {
  if (!documents.has(name)) {
    documents.set(name, fetch(`/graphql-operations/${name}.graphql`).then((r) => {
      if (!r.ok) throw new ApiError('OPERATION_MISSING');
      return r.text();
    }).catch((error) => { documents.delete(name); throw error instanceof ApiError ? error : new ApiError('NETWORK'); }));
  }
  return documents.get(name);
}

export async function gql(name, variables = {}) {
  const query = await operation(name);
  const headers = { 'Content-Type': 'application/json' };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  let response;
  try {
    response = await fetch('/graphql', { method: 'POST', headers,
      body: JSON.stringify({ query, variables, operationName: name }) });
  } catch {
    throw new ApiError('NETWORK');
  }
  let body;
  try { body = await response.json(); } catch { throw new ApiError(response.status >= 500 ? 'INTERNAL' : 'NETWORK'); }
  if (body.errors && body.errors.length) {
    const code = body.errors[0].extensions?.code || 'UNKNOWN';
    if (code === 'UNAUTHENTICATED' && name !== 'Login') {
      setToken(null);
      if (!location.pathname.endsWith('/index.html')) {
        location.href = `/index.html?next=${encodeURIComponent(location.pathname + location.search)}&expired=1`;
      }
    }
    throw new ApiError(code, body.errors);
  }
  return body.data;
}

// POST a file to an upload route; returns the JSON body or throws ApiError.
export async function upload(url, file, fields = {}) {
  const form = new FormData();
  form.append('file', file);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const response = await fetch(url, { method: 'POST', body: form,
    headers: token() ? { Authorization: `Bearer ${token()}` } : {} });
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  // HTTP routes answer {"error": {code, ...}, "errors": [{code, field, message_zh, message_en}, ...]}
  if (!response.ok) throw new ApiError(body?.error?.code || 'UNKNOWN', (body?.errors || []).map((e) => ({ extensions: e })));
  return body;
}

// Download through fetch (the token goes in a header), then save as a file.
export async function download(url, filename) {
  const response = await fetch(url, { headers: token() ? { Authorization: `Bearer ${token()}` } : {} });
  if (!response.ok) {
    let code = 'UNKNOWN';
    try { code = (await response.json())?.error?.code || code; } catch { /* not JSON */ }
    throw new ApiError(code);
  }
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}

// Subscribe to a named subscription; onData(data) per event. Reconnects by itself.
// Returns {close()}. onStatus('online'|'offline') reports the connection.
export function subscribe(name, variables, onData, { onError, onStatus } = {}) {
  let socket = null;
  let closed = false;
  let retry = 500;
  const id = `s${Math.random().toString(36).slice(2)}`;
  async function connect() {
    const query = await operation(name);
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    socket = new WebSocket(url, 'graphql-transport-ws');
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token()}` } }));
    };
    socket.onmessage = (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === 'connection_ack') {
        retry = 500;
        onStatus?.('online');
        socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables, operationName: name } }));
      } else if (frame.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (frame.type === 'next' && frame.id === id) {
        if (frame.payload.errors?.length) onError?.(new ApiError(frame.payload.errors[0].extensions?.code || 'UNKNOWN', frame.payload.errors));
        if (frame.payload.data) onData(frame.payload.data);
      } else if (frame.type === 'error' && frame.id === id) {
        onError?.(new ApiError(frame.payload?.[0]?.extensions?.code || 'UNKNOWN', frame.payload || []));
      }
    };
    socket.onclose = () => {
      if (closed) return;
      onStatus?.('offline');
      setTimeout(() => { if (!closed) connect(); }, retry);
      retry = Math.min(retry * 2, 8000);
    };
  }
  connect();
  return { close() { closed = true; socket?.close(); } };
}
