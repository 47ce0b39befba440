import { loadI18n, applyI18n, t } from '../i18n.js';
import { gql, setToken, token, ApiError } from '../api.js';
import { homeFor, langSwitch, notify, showError } from '../shell.js';

await loadI18n();
document.title = `${t('signin.title')} · ${t('app.name')}`;
applyI18n();
document.getElementById('lang-slot').replaceChildren(langSwitch());
const params = new URLSearchParams(location.search);
if (params.get('expired')) notify(t('signin.expired'), 'error');

// Only a path on this site: browsers read a backslash as "/", so "/\evil.example" would leave it.
function safeNext(role) {
  const next = params.get('next');
  if (next && next.startsWith('/') && !/[\\\u0000-\u001f]/.test(next)) {
    const url = new URL(next, location.origin);
    if (url.origin === location.origin) return url.pathname + url.search + url.hash;
  }
  return homeFor(role);
}

if (token()) {
  try {
    const me = (await gql('Me')).me;
    location.replace(safeNext(me.role));
  } catch { /* stale token: stay here */ }
}

document.getElementById('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const username = document.getElementById('username').value.trim();
  const password = document.getElementById('password').value;
  if (!username || !password) { notify(t('signin.missing'), 'error'); return; }
  const newField = document.getElementById('new-password-field');
  const newPassword = newField.hidden ? null : document.getElementById('new-password').value;
  const button = document.getElementById('signin-submit');
  button.disabled = true;
  try {
    const result = (await gql('Login', { username, password, newPassword })).login;
    setToken(result.token);
    location.href = safeNext(result.user.role);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') notify(t('signin.failed'), 'error');
    else if (error instanceof ApiError && error.code === 'PASSWORD_CHANGE_REQUIRED') {
      newField.hidden = false;  // reset by an admin: the next attempt sends a new password too
      notify(t('signin.mustChange'), 'error');
      document.getElementById('new-password').focus();
    } else showError(error);
  } finally {
    button.disabled = false;
  }
});
