import { t } from '../i18n.js';
import { initPage, el } from '../shell.js';

await initPage({ title: 'nav.roadshows' });
document.getElementById('page').replaceChildren(el('p', { class: 'notice' }, t('common.apiPending')));
