// The dashboard's entry: the view the URL names (#/, #/tokens, #/token/0x…, #/account/0x…),
// rendered again on every hash change, so links are shareable and back and forward work.
import { isAddress, headers, readToken, setReadToken } from './api.js';
import { h, fill, parseHash, link } from './dom.js';
import { statusView } from './status.js';
import { tokensView } from './tokens.js';
import { tokenView } from './token.js';
import { accountView } from './account.js';

const main = document.getElementById('main');
let leave = null; // the shown view's clean-up (the status view's refresh)

function notFound(what) {
  fill(main, h('section', {}, h('h2', {}, 'Not found'), h('p', {}, what, ' ', h('a', { href: link([]) }, 'Back to the status'))));
}

async function route() {
  if (leave) leave();
  leave = null;
  const { path, query } = parseHash();
  document.querySelectorAll('header nav a').forEach((a) => a.classList.toggle('active', a.dataset.view === (path[0] ?? 'status')));
  main.setAttribute('aria-busy', 'true');
  try {
    if (path.length === 0) leave = statusView(main);
    else if (path[0] === 'tokens') await tokensView(main, query);
    else if (path[0] === 'token' && isAddress(path[1])) await tokenView(main, path[1].toLowerCase(), query);
    else if (path[0] === 'account' && isAddress(path[1])) await accountView(main, path[1].toLowerCase(), query);
    else notFound(`No view at ${location.hash}.`);
  } finally {
    main.setAttribute('aria-busy', 'false');
  }
}

// The read token: asked for when an answer is a 401, kept for the tab; the view is read again.
function askToken() {
  if (document.querySelector('[data-testid=token-form]')) return;
  const input = h('input', { type: 'password', name: 'token', placeholder: 'read token', 'aria-label': 'read token', 'data-testid': 'token-input', autocomplete: 'off' });
  const form = h('form', { class: 'token-form', 'data-testid': 'token-form' }, readToken() ? 'The token was refused. ' : 'This API needs a read token. ', input, h('button', { type: 'submit' }, 'Use'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    setReadToken(input.value.trim());
    form.remove();
    route();
  });
  document.querySelector('header').append(form);
  input.focus();
}

// Downloads of /v1 answers go through fetch when there is a token (a link cannot carry it).
async function download(ev) {
  const a = ev.target.closest('a[download]');
  if (!a || !readToken() || !a.getAttribute('href').startsWith('/v1/')) return;
  ev.preventDefault();
  const res = await fetch(a.getAttribute('href'), { headers: headers('*/*') });
  if (res.status === 401) return askToken();
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'export';
  const blobUrl = URL.createObjectURL(await res.blob());
  const save = h('a', { href: blobUrl, download: name });
  document.body.append(save);
  save.click();
  save.remove();
  setTimeout(() => URL.revokeObjectURL(blobUrl), 60000);
}

window.addEventListener('erc20-unauthorized', askToken);
document.addEventListener('click', (ev) => { download(ev).catch(() => {}); });
window.addEventListener('hashchange', route);
route();
