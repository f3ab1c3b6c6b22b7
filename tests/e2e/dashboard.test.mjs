// The dashboard at / in a real browser (Debian's Chromium through puppeteer-core):
//   node tests/e2e/dashboard.test.mjs
// On the e2e chain: every view loads with no console error and no failed request; the figures it
// shows equal the API's (status, the token list, a token's holders and supply in its decimals,
// the first holders rows, an account's balances); every chart draws a canvas with the number of
// points the API's series has; paging, search, the block picker and back/forward work; the page
// is served with a strict CSP and hashed, immutable assets. Then against a daemon still
// backfilling behind a slow node: the progress bar moves. /docs renders /openapi.yaml. Screenshots go to
// build/e2e-artifacts/dashboard/.
import fs from 'node:fs';
import path from 'node:path';
import { startAnvil, mine, REPO_DIR } from './lib/chain.mjs';
import { makeTempDir, httpRequest, sleep } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { startDaemon, waitForBlock, waitForMetadata, apiOk } from './lib/daemon.mjs';
import { startRpcProxy } from './lib/rpcproxy.mjs';
import { startBrowser, screenshot, texts, charts } from './lib/browser.mjs';
import { createHarness, assert } from './lib/harness.mjs';

const h = createHarness('dashboard', { timeoutMs: 300000 });
let code = 1;

const group = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
/** The raw amount in whole tokens, grouped, fraction cut to `max` digits (… marks a cut). */
function whole(raw, decimals, max = null) {
  if (decimals === null) return group(raw);
  const d = BigInt(decimals);
  const v = BigInt(raw);
  const int = (v / 10n ** d).toString();
  let frac = (v % 10n ** d).toString().padStart(decimals, '0').replace(/0+$/, '');
  let cut = '';
  if (max !== null && frac.length > max) { frac = frac.slice(0, max).replace(/0+$/, ''); cut = '…'; }
  return group(int) + (frac ? `.${frac}` : '') + cut;
}

async function show(page, base, hash) {
  await page.goto(`${base}/${hash}`, { waitUntil: 'networkidle0' });
}

async function noProblems(page, where) {
  const p = page.problems();
  assert.deepEqual(p, [], `${where}: ${p.join('; ')}`);
}

try {
  const anvil = await h.must('start anvil', () => startAnvil());
  const chain = await h.must('build the e2e chain', () => buildChain(anvil.url, { seed: 9, blocks: 60 }));
  const head = chain.head;
  const tmp = makeTempDir();
  const d = await h.must('start the daemon', () => startDaemon({ rpcUrl: anvil.url, db: path.join(tmp, 'db') }));
  await h.must('the daemon reaches the head', () => waitForBlock(d.port, head));
  await waitForMetadata(d.port, chain.tokens);
  const base = `http://127.0.0.1:${d.port}`;
  const browser = await h.must('start Chromium', () => startBrowser());
  const page = await browser.page();

  await h.check('GET / is the page with a strict CSP; its assets are hashed and immutable', async () => {
    const r = await httpRequest(`${base}/`);
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.match(r.headers['content-security-policy'], /script-src 'self';/);
    assert.doesNotMatch(r.headers['content-security-policy'], /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['set-cookie'], undefined);
    const assets = [...r.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.length >= 5, assets.join(' '));
    for (const a of assets) {
      assert.match(a, /\.[0-9a-f]{16}\./, a);
      const ar = await httpRequest(`${base}${a}`);
      assert.equal(ar.status, 200, a);
      assert.equal(ar.headers['cache-control'], 'public, max-age=31536000, immutable', a);
    }
    const again = await httpRequest(`${base}/`, { headers: { 'if-none-match': r.headers.etag } });
    assert.equal(again.status, 304);
  });

  const status = await apiOk(d.port, '/v1/status');
  await h.check('status view: the figures of /v1/status, no progress bar while following', async () => {
    await show(page, base, '#/');
    await page.waitForSelector('[data-testid=status-block]');
    assert.equal((await texts(page, '[data-testid=status-block]'))[0], group(String(status.block)));
    assert.equal((await texts(page, '[data-testid=status-state]'))[0], status.state);
    assert.equal((await texts(page, '[data-testid=status-tokens]'))[0], group(String(status.tokens)));
    assert.equal((await texts(page, '[data-testid=status-transfers]'))[0], group(String(status.transfers)));
    assert.equal(await page.$('[data-testid=progress]'), null);
    await screenshot(page, 'dashboard', 'status');
    await noProblems(page, 'status');
  });

  const tokens = (await apiOk(d.port, '/v1/tokens?limit=25')).items;
  await h.check('tokens view: the token list in the API\'s order, supplies in each token\'s decimals', async () => {
    await show(page, base, '#/tokens');
    await page.waitForSelector('[data-testid=tokens-table] tbody tr');
    const rows = await page.$$eval('[data-testid=tokens-table] tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
    assert.deepEqual(rows.map((r) => r[0]), tokens.map((t) => t.symbol ?? t.address));
    assert.deepEqual(rows.map((r) => r[2]), tokens.map((t) => group(String(t.holders))));
    assert.deepEqual(rows.map((r) => r[4]), tokens.map((t) => whole(t.indexed_supply, t.decimals, 4)));
    await screenshot(page, 'dashboard', 'tokens');
    await noProblems(page, 'tokens');
  });

  // The token with most holders: its holders span pages.
  const token = tokens[0];
  const meta = await apiOk(d.port, `/v1/tokens/${token.address}`);
  const holders1 = await apiOk(d.port, `/v1/tokens/${token.address}/holders?limit=25`);
  await h.check(`token view (${token.symbol}): summary, the first holders rows, distribution and charts equal the API's`, async () => {
    await page.click('[data-testid=token-link]');
    await page.waitForSelector('[data-testid=holders-table] tbody tr');
    await page.waitForNetworkIdle();
    assert.equal(new URL(page.url()).hash, `#/token/${token.address}`);
    assert.equal((await texts(page, '[data-testid=token-holders]'))[0], group(String(meta.holders)));
    const supply = (await texts(page, '[data-testid=token-supply] .whole'))[0];
    assert.equal(supply, whole(meta.indexed_supply, meta.decimals));
    assert.equal((await texts(page, '[data-testid=token-supply] .raw'))[0], meta.decimals ? `${group(meta.indexed_supply)} raw` : '');
    assert.deepEqual(await texts(page, '[data-testid=holder-address]'), holders1.items.map((x) => x.address));
    assert.deepEqual(await texts(page, '[data-testid=holder-raw]'), holders1.items.map((x) => group(x.balance)));
    assert.deepEqual(await texts(page, '[data-testid=holder-balance]'), holders1.items.map((x) => whole(x.balance, meta.decimals, 6)));
    const dist = await apiOk(d.port, `/v1/tokens/${token.address}/distribution?lorenz=50`);
    assert.equal((await texts(page, '[data-testid=dist-top10]'))[0], `${(100 * dist.top10_share).toFixed(2)}%`);
    const step = Math.max(1, Math.ceil((meta.last_block - meta.first_block + 1) / 200));
    const series = await apiOk(d.port, `/v1/tokens/${token.address}/series?from_block=${meta.first_block}&to_block=${meta.last_block}&step=${step}&activity=false`);
    const points = series.items.filter((i) => i.timestamp !== null).length;
    const drawn = Object.fromEntries((await charts(page)).map((c) => [c.id, c]));
    for (const id of ['chart-holders', 'chart-supply', 'chart-transfers']) {
      assert.ok(drawn[id]?.canvas && drawn[id].inked, `${id}: ${JSON.stringify(drawn[id])}`);
      assert.equal(drawn[id].points, points, id);
    }
    assert.equal(drawn['chart-lorenz'].points, dist.lorenz.length);
    assert.ok(drawn['chart-lorenz'].inked);
    const csv = await page.$eval('[data-testid=download-csv]', (a) => a.getAttribute('href'));
    const exported = await httpRequest(`${base}${csv}`);
    assert.equal(exported.text.trim().split('\n').length, meta.holders + 1, 'the CSV link exports every holder');
    await screenshot(page, 'dashboard', 'token');
    await noProblems(page, 'token');
  });
  await h.check('token view: the next holders page is the API\'s, and back returns to the first', async () => {
    assert.ok(holders1.next_cursor, 'more than 25 holders');
    await page.click('[data-testid=holders-next]');
    await page.waitForFunction((first) => document.querySelector('[data-testid=holder-address]')?.textContent !== first, {}, holders1.items[0].address);
    await page.waitForNetworkIdle();
    const next = await apiOk(d.port, `/v1/tokens/${token.address}/holders?limit=25&cursor=${holders1.next_cursor}`);
    assert.deepEqual(await texts(page, '[data-testid=holder-address]'), next.items.map((x) => x.address));
    await page.goBack();
    await page.waitForFunction((first) => document.querySelector('[data-testid=holder-address]')?.textContent === first, {}, holders1.items[0].address);
    await page.goForward();
    await page.waitForFunction((first) => document.querySelector('[data-testid=holder-address]')?.textContent === first, {}, next.items[0].address);
    await noProblems(page, 'paging');
  });
  const past = Math.floor((meta.first_block + head) / 2);
  await h.check(`block picker: as of block ${past}, the holders, summary and link are historical`, async () => {
    await show(page, base, `#/token/${token.address}`);
    await page.waitForSelector('[data-testid=block-input]');
    await page.type('[data-testid=block-input]', String(past));
    await page.click('[data-testid=block-picker] button');
    await page.waitForFunction((b) => location.hash.includes(`block=${b}`), {}, past);
    await page.waitForFunction((b) => document.querySelector('[data-testid=as-of]')?.textContent.includes(b), {}, group(String(past)));
    await page.waitForNetworkIdle();
    const then = await apiOk(d.port, `/v1/tokens/${token.address}/holders?block=${past}&limit=25`);
    const tokenThen = await apiOk(d.port, `/v1/tokens/${token.address}?block=${past}`);
    assert.deepEqual(await texts(page, '[data-testid=holder-address]'), then.items.map((x) => x.address));
    assert.equal((await texts(page, '[data-testid=token-holders]'))[0], group(String(tokenThen.holders)));
    const csv = await page.$eval('[data-testid=download-csv]', (a) => a.getAttribute('href'));
    assert.match(csv, new RegExp(`block=${past}`));
    await screenshot(page, 'dashboard', 'token-past');
    await noProblems(page, 'block picker');
  });
  const account = holders1.items[0].address;
  await h.check('search: a token address opens the token, an account address the account', async () => {
    await show(page, base, '#/tokens');
    await page.waitForSelector('[data-testid=search-input]');
    await page.type('[data-testid=search-input]', tokens[1].address.toUpperCase().replace('0X', '0x'));
    await page.click('[data-testid=search] button');
    await page.waitForFunction((a) => location.hash === `#/token/${a}`, {}, tokens[1].address);
    await show(page, base, '#/tokens');
    await page.waitForSelector('[data-testid=search-input]');
    await page.type('[data-testid=search-input]', account);
    await page.click('[data-testid=search] button');
    await page.waitForFunction((a) => location.hash === `#/account/${a}`, {}, account);
    await page.waitForNetworkIdle();
    // The search asks /v1/tokens/{address} first: for an account that is a 404 (and Chromium's
    // console line for it), expected; nothing else may fail.
    const expected = (p) => p.includes(`/v1/tokens/${account}`) || /Failed to load resource: .* 404/.test(p);
    const other = page.problems().filter((p) => !expected(p));
    assert.deepEqual(other, [], other.join('; '));
  });
  await h.check('search by symbol: an exact symbol opens its token, a prefix lists the matching tokens, none says so', async () => {
    const withSymbol = tokens.filter((t) => t.symbol);
    const target = withSymbol[withSymbol.length - 1];
    const search = async (q) => {
      await show(page, base, '#/tokens');
      await page.waitForSelector('[data-testid=search-input]');
      await page.type('[data-testid=search-input]', q);
      await page.click('[data-testid=search] button');
    };
    await search(target.symbol.toLowerCase());
    await page.waitForFunction((a) => location.hash === `#/token/${a}`, {}, target.address);
    const prefix = target.symbol.slice(0, 1);
    const want = (await apiOk(d.port, `/v1/tokens?symbol=${encodeURIComponent(prefix)}&limit=20`)).items;
    await search(prefix);
    if (want.filter((t) => t.symbol.toLowerCase() === prefix.toLowerCase()).length !== 1) {
      await page.waitForSelector('[data-testid=search-hit]');
      assert.deepEqual(await texts(page, '[data-testid=search-hit]'), want.map((t) => t.symbol));
    }
    await search('no-such-symbol');
    await page.waitForFunction(() => /no token's symbol starts with/.test(document.querySelector('[data-testid=search-note]')?.textContent ?? ''));
    await page.waitForNetworkIdle();
    await noProblems(page, 'symbol search');
  });
  await h.check('account view: balances equal the API\'s, the balance chart has one point per change', async () => {
    await show(page, base, `#/account/${account}`);
    await page.waitForSelector('[data-testid=balances-table] tbody tr');
    const balances = (await apiOk(d.port, `/v1/accounts/${account}/balances?limit=1000&columns=token,symbol,decimals,balance`)).items;
    assert.deepEqual(await texts(page, '[data-testid=balance-token]'), balances.map((b) => b.symbol ?? b.token));
    assert.deepEqual(await texts(page, '[data-testid=balance-amount]'), balances.map((b) => whole(b.balance, b.decimals)));
    const history = (await apiOk(d.port, `/v1/accounts/${account}/tokens/${balances[0].token}/history?limit=1000`)).items;
    const chart = (await charts(page)).find((c) => c.id === 'chart-balance');
    assert.ok(chart?.inked, JSON.stringify(chart));
    assert.equal(chart.points, history.filter((c) => c.timestamp !== null).length);
    await screenshot(page, 'dashboard', 'account');
    await noProblems(page, 'account');
  });
  await h.check('/docs: the API reference rendered from /openapi.yaml (== docs/openapi.yaml), a section per path, no script', async () => {
    const spec = fs.readFileSync(path.join(REPO_DIR, 'docs', 'openapi.yaml'), 'utf8');
    const served = await httpRequest(`${base}/openapi.yaml`);
    assert.equal(served.status, 200);
    assert.equal(served.text, spec);
    await page.goto(`${base}/docs`, { waitUntil: 'networkidle0' });
    const paths = [...spec.matchAll(/^ {2}(\/\S*):$/gm)].map((m) => m[1]);
    assert.ok(paths.length >= 16);
    assert.deepEqual(await page.$$eval('section.op', (s) => s.map((x) => x.dataset.path)), paths);
    assert.equal(await page.$('script'), null);
    await screenshot(page, 'dashboard', 'docs');
    await noProblems(page, 'docs');
  });
  await d.stop();

  // The same database behind read tokens: the page asks for one and then reads with it.
  const secret = 'dashboard-token-0123456789';
  const tokenFile = path.join(tmp, 'read-tokens');
  fs.writeFileSync(tokenFile, `viewer:${secret}\n`);
  const t = await h.must('restart the daemon with --read-token-file', async () => {
    const daemon = await startDaemon({ rpcUrl: anvil.url, db: path.join(tmp, 'db'), extraArgs: ['--read-token-file', tokenFile], waitReady: false });
    for (let i = 0; i < 300 && (await httpRequest(`http://127.0.0.1:${daemon.port}/healthz`).catch(() => ({}))).status !== 200; i++) await sleep(100);
    return daemon;
  });
  await h.check('with read tokens: the page asks for one, then lists the API\'s tokens; a download carries it', async () => {
    const tb = `http://127.0.0.1:${t.port}`;
    await show(page, tb, '#/tokens');
    await page.waitForSelector('[data-testid=token-form]');
    assert.ok(page.problems().every((p) => /^401 /.test(p) || /Failed to load resource: .* 401/.test(p)), 'only the 401s before the token');
    await page.type('[data-testid=token-input]', secret);
    await page.click('[data-testid=token-form] button');
    await page.waitForSelector('[data-testid=token-link]');
    const res = await httpRequest(`${tb}/v1/tokens?limit=25`, { headers: { authorization: `Bearer ${secret}` } });
    const want = JSON.parse(res.text).items;
    assert.deepEqual(await texts(page, '[data-testid=token-link]'), want.map((x) => x.symbol ?? x.address));
    await show(page, tb, `#/token/${want[0].address}`);
    await page.waitForSelector('[data-testid=download-csv]');
    const csv = page.waitForResponse((r) => /\/holders\?.*format=csv/.test(r.url()));
    await page.click('[data-testid=download-csv]');
    assert.equal((await csv).status(), 200);
    await screenshot(page, 'dashboard', 'read-token');
    await noProblems(page, 'read tokens');
  });
  await t.stop();

  // A daemon still backfilling: many empty blocks behind a node that answers slowly.
  // 400 ranges of 10 blocks at 250 ms a call, one at a time: over a minute of backfill.
  await mine(anvil.url, 4000);
  const slow = await startRpcProxy({ target: anvil.url, delayMs: 250 });
  const b = await h.must('start a daemon that backfills behind a slow node', () => startDaemon({ rpcUrl: slow.url, db: path.join(tmp, 'db2'), extraArgs: ['--max-range', '10', '--fetch-workers', '1'] }));
  await h.check('status view while backfilling: a progress bar that moves, with a pace and an ETA', async () => {
    await show(page, `http://127.0.0.1:${b.port}`, '#/');
    await page.waitForSelector('[data-testid=progress-bar]', { timeout: 30000 });
    const value = () => page.$eval('[data-testid=progress-bar]', (el) => Number(el.value));
    const first = await value();
    const max = await page.$eval('[data-testid=progress-bar]', (el) => Number(el.max));
    const st = await apiOk(b.port, '/v1/status');
    assert.equal(max, st.progress.target_block - st.progress.from_block + 1);
    await page.waitForFunction((v) => Number(document.querySelector('[data-testid=progress-bar]')?.value) > v, { timeout: 30000 }, first);
    await page.waitForFunction(() => /ETA/.test(document.querySelector('[data-testid=progress-eta]')?.textContent ?? ''), { timeout: 30000 });
    assert.match((await texts(page, '[data-testid=progress-rate]'))[0], /blocks\/s/);
    await screenshot(page, 'dashboard', 'backfilling');
    await noProblems(page, 'backfilling');
  });
  await b.stop();
  await slow.close();
  await browser.close();
  await anvil.stop();
} catch (e) {
  h.fail('unexpected error', e);
} finally {
  code = h.finish();
}
process.exit(code);
