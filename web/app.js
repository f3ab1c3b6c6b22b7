// The dashboard's entry: the view the URL names (#/, #/tokens, #/token/0x…, #/account/0x…),
// rendered again on every hash change, so links are shareable and back and forward work.
import { isAddress } from './api.js';
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

window.addEventListener('hashchange', route);
route();
