// Query API end-to-end test of erc20-indexer against anvil:
//   node tests/e2e/api.test.mjs [--seed N] [--blocks N]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// Builds a seeded chain (the core workload's 3 tokens, NFT, Batcher and WeirdToken traffic; two
// "tie" tokens with CSV-hostile names and identical counts; an AirdropToken with ~2,600 holders
// credited in two phases), runs the daemon and checks every route of the query API against ground
// truth computed independently from eth_getLogs and eth_call (balanceOf at past blocks):
// status, token lists and their orders, details, holders (now and at past blocks), historical
// balances, transfers, distribution figures (BigInt in JS), account balances and transfers,
// paging walks == NDJSON == CSV exports, walks that stay on one snapshot while blocks are mined,
// ETag / If-None-Match, /metrics, /healthz, /readyz (a second daemon behind a gate proxy), and a
// battery of bad inputs including malformed HTTP over raw sockets and a slowloris sender.
// Prints "N passed, M failed"; exit code 0 on success.
import http from 'node:http';
import { startAnvil, mine, rpc, rpcBatch, deploy, calldata, hex, blockNumber } from './lib/chain.mjs';
import { makeTempDir, httpRequest, sleep } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { erc20Transfers, balancesFromLogs, sortedHolders, tokenStats, blockInfo, distributionTruth } from './lib/truth.mjs';
import { startDaemon, waitForBlock, waitForMetadata, api, apiOk, allPages, tokenAddressOf, DAEMON_BIN } from './lib/daemon.mjs';
import { createHarness, assert, parseArgs, FatalError, deepEqualWithPath } from './lib/harness.mjs';
import { startGate } from './lib/gate.mjs';
import { parseCsv } from './lib/csv.mjs';
import { deployAirdrop, airdrop } from './lib/airdrop.mjs';
import { rawRequest, slowSender } from './lib/httpraw.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 7);
const blocks = Number(args.blocks ?? 50);
const h = createHarness('api', { timeoutMs: 420000 });
const ZERO = '0x0000000000000000000000000000000000000000';
let anvil = null;
let daemon = null;
let gated = null;
let gate = null;
let code = 1;

// ---------------------------------------------------------------------------------------------
// Ground truth (independent of the daemon): logs up to a block, balances, distributions
// ---------------------------------------------------------------------------------------------
let transfersCache = { head: -1, list: [] };
/** All ERC20-shaped transfers up to `block`, with their block timestamps (daemon item shape). */
async function transfersUpTo(url, block) {
  if (transfersCache.head < block) {
    const list = await erc20Transfers(url, block);
    const info = await blockInfo(url, [...new Set(list.map((t) => t.block))]);
    transfersCache = { head: block, list: list.map((t) => ({ ...t, timestamp: info.get(t.block).timestamp })) };
  }
  return transfersCache.list.filter((t) => t.block <= block);
}

async function truthAt(url, block) {
  const transfers = await transfersUpTo(url, block);
  const balances = balancesFromLogs(transfers);
  const stats = tokenStats(transfers);
  const holderCount = new Map([...balances].map(([t, m]) => [t, [...m.values()].filter((b) => b > 0n).length]));
  return { block, transfers, balances, stats, holderCount, tokens: [...stats.keys()].sort() };
}

/** balanceOf by eth_call at `block`; a token not deployed yet at that block answers "0x": 0. */
// symbol() of each token at the node's latest block, as a string (null where the call fails or
// answers no ABI string).
async function chainSymbols(url, tokens) {
  const res = await rpcBatch(url, tokens.map((t) => ['eth_call', [{ to: t, data: '0x95d89b41' }, 'latest']]), { raw: true });
  return res.map((r) => {
    const raw = Buffer.from((r.result ?? '0x').slice(2), 'hex');
    if (raw.length < 64) return null;
    const n = Number(raw.readBigUInt64BE(56));
    return raw.length >= 64 + n ? raw.subarray(64, 64 + n).toString('utf8') : null;
  });
}

async function balancesAt(url, token, holders, block) {
  const res = await rpcBatch(url, holders.map((a) => ['eth_call', [{ to: token, data: calldata('TestToken', 'balanceOf', [a]) }, hex(block)]]));
  return res.map((r) => (r === '0x' ? 0n : BigInt(r)));
}

function assertClose(actual, expected, what) {
  if (expected === null) { assert.equal(actual, null, what); return; }
  assert.equal(typeof actual, 'number', `${what}: ${actual}`);
  const diff = Math.abs(actual - expected);
  assert.ok(diff <= 1e-9 * Math.abs(expected) || diff <= 1e-12, `${what}: got ${actual}, expected ${expected} (diff ${diff})`);
}

function compareDistribution(got, exp, ctx) {
  assert.deepEqual(Object.keys(got).sort(), ['block', 'gini', 'hhi', 'holders', 'nakamoto', 'share_buckets', 'supply', 'token', 'top100_share', 'top10_share'], ctx);
  assert.deepEqual(got.share_buckets, exp.share_buckets, `${ctx}: share_buckets`);
  assert.equal(got.holders, exp.holders, `${ctx}: holders`);
  assert.equal(got.supply, exp.supply, `${ctx}: supply`);
  assert.equal(got.nakamoto, exp.nakamoto, `${ctx}: nakamoto`);
  for (const k of ['top10_share', 'top100_share', 'gini', 'hhi']) assertClose(got[k], exp[k], `${ctx}: ${k}`);
}

const cmpHolder = (a, b) => (a.balance > b.balance ? -1 : a.balance < b.balance ? 1 : a.address < b.address ? -1 : a.address > b.address ? 1 : 0);

/** Tokens ordered by `key` (holders|transfers) descending, ties by address ascending. */
function rankTokens(truth, key) {
  const rows = truth.tokens.map((t) => ({ t, v: key === 'holders' ? truth.holderCount.get(t) ?? 0 : truth.stats.get(t).transfers }));
  rows.sort((a, b) => b.v - a.v || (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  return rows.map((r) => r.t);
}

function accountTransfersTruth(truth, account, { token = null, direction = 'any', from = 0, to = Infinity } = {}) {
  return truth.transfers.filter((t) => {
    if (token && t.token !== token) return false;
    if (t.block < from || t.block > to) return false;
    const out = t.from === account;
    const inn = t.to === account;
    return direction === 'in' ? inn : direction === 'out' ? out : inn || out;
  });
}

function accountBalancesTruth(truth, account) {
  const items = [];
  for (const t of truth.tokens) {
    const b = truth.balances.get(t)?.get(account) ?? 0n;
    if (b > 0n) items.push({ token: t, balance: b.toString() });
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------------------------

const csvCell = (v) => (v === null || v === undefined ? '' : String(v));

async function fetchExport(port, path, format) {
  const sep = path.includes('?') ? '&' : '?';
  const r = await httpRequest(`http://127.0.0.1:${port}${path}${sep}format=${format}`, { timeoutMs: 60000 });
  assert.equal(r.status, 200, `${path} format=${format}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  const ct = r.headers['content-type'] ?? '';
  if (format === 'ndjson') assert.match(ct, /application\/x-ndjson/, `content-type ${ct}`);
  else assert.match(ct, /text\/csv/, `content-type ${ct}`);
  assert.equal(r.headers['transfer-encoding'], 'chunked', `${path} ${format}: chunked`);
  return r.text;
}

/** Walk `path` with `limit`, fetch its NDJSON and CSV exports; all three must be the same items. */
async function walkEqualsExports(port, path, limit) {
  const sep = path.includes('?') ? '&' : '?';
  const walk = await allPages(port, `${path}${sep}limit=${limit}`);
  assert.ok(walk.blocks.every((b) => b === walk.blocks[0]), `walk blocks ${[...new Set(walk.blocks)]}`);
  const nd = await fetchExport(port, path, 'ndjson');
  assert.ok(nd === '' || nd.endsWith('\n'), 'NDJSON ends with a newline');
  const ndItems = nd.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  deepEqualWithPath(ndItems, walk.items);
  const csv = parseCsv(await fetchExport(port, path, 'csv'));
  if (walk.items.length === 0) {
    assert.ok(csv.length <= 1, `CSV of an empty list has ${csv.length} rows`);
  } else {
    const cols = Object.keys(walk.items[0]);
    deepEqualWithPath(csv[0], cols);
    deepEqualWithPath(csv.slice(1), walk.items.map((it) => cols.map((c) => csvCell(it[c]))));
  }
  return walk;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * HTTP request with the path sent exactly as given (new URL() would resolve "..", "%2e%2e").
 * Resolves {status, headers, text, body (Buffer)}.
 */
function request(port, path, { method = 'GET', body, headers = {}, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request({
      host: '127.0.0.1', port, path, method, agent: false,
      headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, text: b.toString('utf8'), body: b });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function expectError(port, p, status, codeRe = null, { method = 'GET', body } = {}) {
  const r = await request(port, p, { method, body });
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(r.status), `${method} ${p}: HTTP ${r.status}, expected ${statuses}: ${r.text.slice(0, 200)}`);
  assert.match(r.headers['content-type'] ?? '', /application\/json/, `${p}: content-type`);
  let j;
  try { j = JSON.parse(r.text); } catch { throw new Error(`${p}: error body is not JSON: ${r.text.slice(0, 200)}`); }
  assert.ok(j && typeof j.error === 'object' && j.error !== null, `${p}: {"error": ...}, got ${r.text.slice(0, 200)}`);
  assert.deepEqual(Object.keys(j).sort(), ['error'], `${p}: top-level keys`);
  assert.equal(typeof j.error.code, 'string', `${p}: error.code`);
  assert.equal(typeof j.error.message, 'string', `${p}: error.message`);
  assert.ok(j.error.message.length > 0, `${p}: empty message`);
  if (codeRe) assert.match(j.error.code, codeRe, `${p}: error.code ${j.error.code}`);
  return { ...r, json: j };
}

/** The same check on a raw-socket answer. */
function expectRawError(res, status, codeRe = null) {
  assert.equal(res.responses.length >= 1, true, `no HTTP answer (closed ${res.closed}, error ${res.error}): ${JSON.stringify(res.raw.slice(0, 200))}`);
  const r = res.responses[0];
  assert.equal(r.status, status, `HTTP ${r.status}: ${r.body.slice(0, 200)}`);
  assert.match(r.headers['content-type'] ?? '', /application\/json/);
  const j = JSON.parse(r.body);
  assert.equal(typeof j.error?.code, 'string');
  assert.equal(typeof j.error?.message, 'string');
  if (codeRe) assert.match(j.error.code, codeRe);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Prometheus text
// ---------------------------------------------------------------------------------------------
function parseMetrics(text) {
  const types = new Map();
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) { types.set(m[1], m[2]); continue; }
    if (line.startsWith('#')) continue;
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad metrics line ${JSON.stringify(line)}`);
    const labels = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let lm;
      let consumed = 0;
      while ((lm = re.exec(m[3])) !== null) { labels[lm[1]] = lm[2]; consumed = re.lastIndex; }
      if (consumed !== m[3].length) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    }
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return { types, samples };
}

const sample = (mt, name, labels = {}) => mt.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));


async function waitFor(what, fn, timeoutMs = 10000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last.ok) return last;
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}; last ${JSON.stringify(last).slice(0, 300)}`);
    await sleep(everyMs);
  }
}

// =============================================================================================
try {
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; ${blocks} blocks`);
  anvil = await h.must('anvil starts (block gas limit 1e9 for the airdrops)', () => startAnvil({ args: ['--gas-limit', '1000000000'] }));
  const url = anvil.url;
  const accounts = (await rpc(url, 'eth_accounts')).map((a) => a.toLowerCase());
  const extra = {};

  // ---- chain --------------------------------------------------------------------------------
  await h.must('extra tokens: two ties with CSV-hostile names, an AirdropToken with 1,500 holders', async () => {
    extra.tieA = await deploy(url, accounts[99], 'TestToken', ['Tie, "A" Token', 'T,A', 18]);
    extra.tieB = await deploy(url, accounts[99], 'TestToken', ['Tie B \u2713 "quoted"', 'TB"', 6]);
    for (const t of [extra.tieA, extra.tieB]) {
      await rpc(url, 'eth_sendTransaction', [{ from: accounts[99], to: t, data: calldata('TestToken', 'mint', [accounts[5], 12345n]), gas: hex(200000) }]);
    }
    await mine(url, 1);
    extra.air = await deployAirdrop(url, accounts[98], { name: 'Airdrop', symbol: 'AIR', decimals: 18, salt: BigInt(seed), unit: 10n ** 15n });
    extra.airPhase1 = (await airdrop(url, accounts[98], extra.air, 0, 1500, { perTx: 1500 }))[0];
  });
  const chain = await h.must(`build chain: workload of ${blocks} blocks`, async () => {
    const c = await buildChain(url, { seed, blocks });
    assert.ok(c.head >= blocks);
    return c;
  });
  const w = chain.workload;
  await h.must('airdrop phase 2: holders 1000..2599 (1000..1499 credited twice)', async () => {
    extra.airPhase2 = (await airdrop(url, accounts[98], extra.air, 1000, 1600, { perTx: 1600 }))[0];
    // accounts[98] is one of the workload's senders: give it its nonce back.
    w.nonces.set(accounts[98], Number(BigInt(await rpc(url, 'eth_getTransactionCount', [accounts[98], 'pending']))));
    w.head = await blockNumber(url);
  });
  let head = w.head;
  const allTokens = [...chain.tokens, extra.tieA, extra.tieB, extra.air].sort();
  let truth = await truthAt(url, head);
  h.log(`chain head ${head}: ${truth.transfers.length} ERC20 transfers, tokens ${allTokens.join(' ')}`);

  const db = makeTempDir('erc20-e2e-api-');
  daemon = await h.must('daemon starts', () => startDaemon({ rpcUrl: url, db: `${db}/db` }));
  const port = daemon.port;
  await h.must(`daemon reaches head ${head}`, () => waitForBlock(port, head, 60000, daemon));
  await h.must('metadata of every token settled', () => waitForMetadata(port, allTokens, 30000));

  // Addresses that appear anywhere, plus contracts and a never-seen address.
  const everyone = new Set([...accounts, ...chain.externals, ...allTokens, chain.batcher, chain.nft, chain.weird, '0x00000000000000000000000000000000000000aa']);
  for (const t of truth.transfers) { everyone.add(t.from); everyone.add(t.to); }
  everyone.delete(ZERO);

  // ---- status, health ------------------------------------------------------------------------
  await h.check('/v1/status: block, hash, chain_id, node_block, lag, counts, types', async () => {
    const st = await apiOk(port, '/v1/status');
    assert.equal(st.block, head);
    assert.equal(st.chain_id, 31337);
    assert.equal(st.block_hash, (await rpc(url, 'eth_getBlockByNumber', [hex(head), false])).hash.toLowerCase());
    assert.equal(st.node_block, head);
    assert.equal(st.lag_blocks, 0);
    assert.equal(st.tokens, allTokens.length);
    assert.equal(st.transfers, truth.transfers.length);
    assert.equal(st.state, 'following');
    assert.equal(st.node_reachable, true);
    assert.equal(st.reorgs_total, 0);
    assert.equal(st.deepest_reorg, 0);
    assert.equal(typeof st.version, 'string');
  });
  await h.check('/healthz 200 {"status":"ok"}; /readyz 200 {"ready":true,"lag_blocks":0} when caught up', async () => {
    const hz = await api(port, '/healthz');
    assert.equal(hz.status, 200);
    assert.deepEqual(hz.json, { status: 'ok' });
    const rz = await api(port, '/readyz');
    assert.equal(rz.status, 200, rz.text);
    assert.equal(rz.json.ready, true);
    assert.equal(rz.json.lag_blocks, 0);
  });

  // ---- tokens --------------------------------------------------------------------------------
  const details = {};
  await h.check('/v1/tokens/{token} for every token == logs (minted, burned, holders, transfers, first/last block)', async () => {
    for (const t of allTokens) {
      const d = await apiOk(port, `/v1/tokens/${t}`);
      const s = truth.stats.get(t);
      assert.equal(d.block, head);
      assert.equal(d.address, t);
      assert.equal(d.minted, s.minted.toString(), `${t} minted`);
      assert.equal(d.burned, s.burned.toString(), `${t} burned`);
      assert.equal(d.indexed_supply, (s.minted - s.burned).toString());
      assert.equal(d.holders, truth.holderCount.get(t), `${t} holders`);
      assert.equal(d.transfers, s.transfers, `${t} transfers`);
      assert.equal(d.first_block, s.firstBlock);
      assert.equal(d.last_block, s.lastBlock);
      assert.equal(d.negative_balances, 0);
      const { block: _b, ...rest } = d;
      details[t] = rest;
    }
    assert.equal(details[extra.tieA].name, 'Tie, "A" Token');
    assert.equal(details[extra.tieA].symbol, 'T,A');
    assert.equal(details[extra.air].holders, 2600);
  });
  await h.check('/v1/tokens default order == order=holders: holders desc, ties by address asc; items == details', async () => {
    const def = await apiOk(port, '/v1/tokens');
    const byHolders = await apiOk(port, '/v1/tokens?order=holders');
    assert.equal(def.block, head);
    deepEqualWithPath(def.items, byHolders.items);
    assert.equal(def.next_cursor, null);
    deepEqualWithPath(def.items.map(tokenAddressOf), rankTokens(truth, 'holders'));
    for (const it of def.items) deepEqualWithPath(it, details[it.address]);
    const ia = def.items.findIndex((x) => x.address === [extra.tieA, extra.tieB].sort()[0]);
    assert.equal(def.items[ia + 1].address, [extra.tieA, extra.tieB].sort()[1], 'the tie tokens are adjacent, address ascending');
  });
  await h.check('/v1/tokens?order=transfers: transfers desc, ties by address asc', async () => {
    const j = await apiOk(port, '/v1/tokens?order=transfers');
    deepEqualWithPath(j.items.map(tokenAddressOf), rankTokens(truth, 'transfers'));
    for (const it of j.items) deepEqualWithPath(it, details[it.address]);
  });
  await h.check('/v1/tokens?symbol=: the tokens whose symbol (symbol() on the chain) starts with it, any case, by symbol then address, paged', async () => {
    const symbols = await chainSymbols(url, allTokens);
    allTokens.forEach((t, i) => { if (symbols[i] !== null) assert.equal(details[t].symbol, symbols[i], `${t} symbol`); });
    const bySymbol = allTokens.map((t) => ({ t, s: details[t].symbol })).filter((x) => x.s);
    assert.ok(bySymbol.length >= 5, 'tokens with a symbol');
    const fold = (x) => x.replace(/[A-Z]/g, (c) => c.toLowerCase());
    const expected = (q) => bySymbol.filter((x) => fold(x.s).startsWith(fold(q)))
      .sort((a, b) => (fold(a.s) < fold(b.s) ? -1 : fold(a.s) > fold(b.s) ? 1 : a.t < b.t ? -1 : 1)).map((x) => x.t);
    const queries = new Set(['t', 'T', 'x-none']);
    for (const { s } of bySymbol) {
      queries.add(s);
      queries.add(s.slice(0, 2));
      queries.add(s.replace(/[a-zA-Z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())));
    }
    for (const q of queries) {
      const page = await apiOk(port, `/v1/tokens?symbol=${encodeURIComponent(q)}&limit=1000`);
      assert.equal(page.block, head);
      assert.deepEqual(page.items.map(tokenAddressOf), expected(q), `symbol=${q}`);
      for (const it of page.items) deepEqualWithPath(it, details[it.address]);
      const walk = await allPages(port, `/v1/tokens?symbol=${encodeURIComponent(q)}&limit=1`);
      assert.deepEqual(walk.items.map(tokenAddressOf), expected(q), `symbol=${q} a page at a time`);
    }
    const csv = parseCsv((await api(port, '/v1/tokens?symbol=t&format=csv&columns=address,symbol')).text);
    assert.deepEqual(csv.slice(1).map((r) => r[0]), expected('t'));
    await expectError(port, '/v1/tokens?symbol=', 400, /bad_symbol/);
    await expectError(port, '/v1/tokens?symbol=a%00b', 400, /bad_symbol/);
    await expectError(port, `/v1/tokens?symbol=${'x'.repeat(65)}`, 400, /bad_symbol/);
    await expectError(port, '/v1/tokens?symbol=t&order=holders', 400, /bad_parameter/);
  });
  await h.check('/v1/tokens paging limit=1 in both orders == one page; each page carries the same block', async () => {
    for (const order of ['holders', 'transfers']) {
      const walk = await allPages(port, `/v1/tokens?order=${order}&limit=1`);
      assert.equal(walk.pages, allTokens.length);
      assert.ok(walk.blocks.every((b) => b === head));
      deepEqualWithPath(walk.items.map(tokenAddressOf), rankTokens(truth, order));
    }
  });

  // ---- holders -------------------------------------------------------------------------------
  await h.check('holders (all pages, every token) == positive balances from logs; default page is 100 items', async () => {
    for (const t of allTokens) {
      const walk = await allPages(port, `/v1/tokens/${t}/holders?limit=1000`);
      assert.ok(walk.blocks.every((b) => b === head));
      deepEqualWithPath(walk.items, sortedHolders(truth.balances.get(t)));
    }
    const first = await apiOk(port, `/v1/tokens/${extra.air}/holders`);
    assert.equal(first.items.length, 100);
    assert.equal(typeof first.next_cursor, 'string');
    const max = await apiOk(port, `/v1/tokens/${extra.air}/holders?limit=1000`);
    assert.equal(max.items.length, 1000);
  });

  const pastBlocks = [...new Set([0, extra.airPhase1 - 1, extra.airPhase1, chain.tokens.length + 2, Math.floor(head / 4), Math.floor(head / 2),
    Math.floor((3 * head) / 4), extra.airPhase2 - 1, extra.airPhase2, head])].filter((b) => b >= 0 && b <= head).sort((a, b) => a - b);
  await h.check(`holders?block=N == positive balances from logs up to N (N in ${pastBlocks.join(',')}, every token)`, async () => {
    for (const n of pastBlocks) {
      const tr = await truthAt(url, n);
      for (const t of allTokens) {
        const walk = await allPages(port, `/v1/tokens/${t}/holders?block=${n}&limit=${t === extra.air ? 1000 : 37}`);
        assert.ok(walk.blocks.every((b) => b === walk.blocks[0]), 'one block per walk');
        assert.ok(walk.blocks[0] === n || walk.blocks[0] === head, `envelope block ${walk.blocks[0]} (N ${n}, head ${head})`);
        deepEqualWithPath(walk.items, sortedHolders(tr.balances.get(t)));
      }
    }
  });

  await h.check('holders/{account}?block=N == balanceOf by eth_call at N, every address x token, several N', async () => {
    const addrs = [...everyone];
    const sampleBlocks = [...new Set([extra.airPhase1, Math.floor(head / 3), Math.floor((2 * head) / 3), extra.airPhase2 - 1, head])];
    for (const n of sampleBlocks) {
      for (const t of [...chain.tokens, extra.tieA]) {
        const onchain = await balancesAt(url, t, addrs, n);
        for (let i = 0; i < addrs.length; i++) {
          const j = await apiOk(port, `/v1/tokens/${t}/holders/${addrs[i]}?block=${n}`);
          deepEqualWithPath(j, { block: n, token: t, account: addrs[i], balance: onchain[i].toString(), label: null, category: null });
        }
      }
    }
  });
  await h.check('holders/{account}?block=N for 60 airdrop holders across both airdrop phases == balanceOf at N', async () => {
    const holdersNow = (await allPages(port, `/v1/tokens/${extra.air}/holders?limit=1000`)).items.map((x) => x.address);
    const picks = holdersNow.filter((_, i) => i % 43 === 0).slice(0, 60);
    for (const n of [extra.airPhase1 - 1, extra.airPhase1, extra.airPhase2 - 1, extra.airPhase2]) {
      const onchain = await balancesAt(url, extra.air, picks, n);
      for (let i = 0; i < picks.length; i++) {
        const j = await apiOk(port, `/v1/tokens/${extra.air}/holders/${picks[i]}?block=${n}`);
        assert.equal(j.balance, onchain[i].toString(), `${picks[i]} at ${n}`);
        assert.equal(j.block, n);
      }
    }
  });
  await h.check('holders/{account} without block == current balance, block == head; mixed-case addresses accepted, answered lowercase', async () => {
    const t = chain.tokens[0];
    const a = truth.transfers.find((x) => x.token === t && x.to !== ZERO).to;
    const j = await apiOk(port, `/v1/tokens/${t}/holders/${a}`);
    deepEqualWithPath(j, { block: head, token: t, account: a, balance: (truth.balances.get(t).get(a) ?? 0n).toString(), label: null, category: null });
    const up = (x) => '0x' + x.slice(2).toUpperCase();
    const j2 = await apiOk(port, `/v1/tokens/${up(t)}/holders/${up(a)}`);
    deepEqualWithPath(j2, j);
    const z = await apiOk(port, `/v1/tokens/${t}/holders/0x00000000000000000000000000000000000000aa`);
    assert.equal(z.balance, '0');
  });

  // ---- transfers ----------------------------------------------------------------------------
  await h.check('token transfers (all pages) == logs with block timestamps; default page 100', async () => {
    for (const t of allTokens) {
      const walk = await allPages(port, `/v1/tokens/${t}/transfers?limit=1000`);
      assert.ok(walk.blocks.every((b) => b === head));
      deepEqualWithPath(walk.items, truth.transfers.filter((x) => x.token === t));
    }
    const first = await apiOk(port, `/v1/tokens/${extra.air}/transfers`);
    assert.equal(first.items.length, 100);
  });
  await h.check('token transfers with from_block / to_block ranges == logs in range', async () => {
    const t = chain.tokens[1];
    const all = truth.transfers.filter((x) => x.token === t);
    const b1 = all[Math.floor(all.length / 3)].block;
    const b2 = all[Math.floor((2 * all.length) / 3)].block;
    const cases = [[b1, b2], [b1, null], [null, b2], [b1, b1], [head + 1, null], [0, 0], [b2, head + 1000]];
    for (const [f, to] of cases) {
      const q = [f !== null ? `from_block=${f}` : null, to !== null ? `to_block=${to}` : null, 'limit=7'].filter(Boolean).join('&');
      const walk = await allPages(port, `/v1/tokens/${t}/transfers?${q}`);
      deepEqualWithPath(walk.items, all.filter((x) => (f === null || x.block >= f) && (to === null || x.block <= to)));
    }
  });

  // ---- distribution -------------------------------------------------------------------------
  await h.check('distribution (no params) == BigInt figures from logs, every token', async () => {
    for (const t of allTokens) {
      const d = await apiOk(port, `/v1/tokens/${t}/distribution`);
      assert.equal(d.block, head);
      assert.equal(d.token, t);
      compareDistribution(d, distributionTruth(truth.balances.get(t)), t);
    }
  });
  await h.check('distribution?block=N == figures at N, every token, several N', async () => {
    for (const n of pastBlocks) {
      const tr = await truthAt(url, n);
      for (const t of allTokens) {
        const d = await apiOk(port, `/v1/tokens/${t}/distribution?block=${n}`);
        assert.equal(d.block, n);
        compareDistribution(d, distributionTruth(tr.balances.get(t)), `${t}@${n}`);
      }
    }
  });
  await h.check('distribution?exclude=A,B (top holders, a non-holder, mixed case, duplicates, empty items), with and without block', async () => {
    for (const t of allTokens) {
      const hs = sortedHolders(truth.balances.get(t));
      const ex = [hs[0]?.address, hs[3]?.address, '0x00000000000000000000000000000000000000aa'].filter(Boolean);
      const exp = distributionTruth(truth.balances.get(t), new Set(ex));
      const q = ex.map((a, i) => (i === 0 ? '0x' + a.slice(2).toUpperCase() : a)).join(',');
      compareDistribution(await apiOk(port, `/v1/tokens/${t}/distribution?exclude=${q}`), exp, `${t} exclude`);
      compareDistribution(await apiOk(port, `/v1/tokens/${t}/distribution?exclude=${q},${ex[0]},`), exp, `${t} exclude dup`);
      const n = Math.floor(head / 2);
      const tr = await truthAt(url, n);
      const hsn = sortedHolders(tr.balances.get(t));
      const exn = hsn.slice(0, 2).map((x) => x.address);
      const dn = await apiOk(port, `/v1/tokens/${t}/distribution?block=${n}&exclude=${exn.join('%2C')}`);
      assert.equal(dn.block, n);
      compareDistribution(dn, distributionTruth(tr.balances.get(t), new Set(exn)), `${t}@${n} exclude`);
    }
  });
  await h.check('distribution excluding every holder, and before the token existed: holders 0, supply "0", figures null', async () => {
    const t = extra.tieA; // one holder
    const d = await apiOk(port, `/v1/tokens/${t}/distribution?exclude=${accounts[5]}`);
    compareDistribution(d, distributionTruth(new Map()), 'all excluded');
    const d0 = await apiOk(port, `/v1/tokens/${chain.tokens[0]}/distribution?block=0`);
    compareDistribution(d0, distributionTruth(new Map()), 'block 0');
  });

  // ---- accounts -----------------------------------------------------------------------------
  await h.check('accounts/{a}/balances == positive balances from logs, token order, for every address seen', async () => {
    for (const a of everyone) {
      const walk = await allPages(port, `/v1/accounts/${a}/balances`);
      assert.ok(walk.blocks.every((b) => b === head));
      deepEqualWithPath(walk.items, accountBalancesTruth(truth, a));
    }
    const walk1 = await allPages(port, `/v1/accounts/${accounts[5]}/balances?limit=1`);
    deepEqualWithPath(walk1.items, accountBalancesTruth(truth, accounts[5]));
    assert.ok(walk1.pages >= 3, `accounts[5] holds ${walk1.items.length} tokens`);
  });
  // Busy senders and receivers, a self-transferrer, a receive-only external, a contract.
  const counts = new Map();
  for (const t of truth.transfers) for (const a of [t.from, t.to]) if (a !== ZERO) counts.set(a, (counts.get(a) ?? 0) + 1);
  const busy = [...counts].sort((x, y) => y[1] - x[1]).slice(0, 6).map(([a]) => a);
  const selfT = truth.transfers.find((t) => t.from === t.to && t.from !== ZERO)?.from;
  const sampleAccounts = [...new Set([...busy, selfT, chain.externals[0], chain.tokens[0], accounts[5], accounts[42], '0x00000000000000000000000000000000000000aa'].filter(Boolean))];
  await h.check(`accounts/{a}/transfers: direction in/out/any x token filter x block ranges == logs (${sampleAccounts.length} accounts)`, async () => {
    for (const a of sampleAccounts) {
      for (const direction of ['in', 'out', 'any', null]) {
        for (const token of [null, ...chain.tokens]) {
          const q = [direction ? `direction=${direction}` : null, token ? `token=${token}` : null, 'limit=1000'].filter(Boolean).join('&');
          const walk = await allPages(port, `/v1/accounts/${a}/transfers?${q}`);
          assert.ok(walk.blocks.every((b) => b === head));
          deepEqualWithPath(walk.items, accountTransfersTruth(truth, a, { token, direction: direction ?? 'any' }), `${a} ${q}`);
        }
      }
      const f = Math.floor(head / 3);
      const to = Math.floor((2 * head) / 3);
      for (const [ff, tt] of [[f, to], [f, null], [null, to], [to, to]]) {
        const q = [ff !== null ? `from_block=${ff}` : null, tt !== null ? `to_block=${tt}` : null, 'limit=3'].filter(Boolean).join('&');
        const walk = await allPages(port, `/v1/accounts/${a}/transfers?${q}`);
        deepEqualWithPath(walk.items, accountTransfersTruth(truth, a, { from: ff ?? 0, to: tt ?? Infinity }), `${a} ${q}`);
      }
    }
    if (selfT) {
      const walk = await allPages(port, `/v1/accounts/${selfT}/transfers?direction=in&limit=1000`);
      assert.ok(walk.items.some((x) => x.from === selfT && x.to === selfT), 'a self transfer is "in"');
    }
  });

  // ---- paging walks == exports ---------------------------------------------------------------
  const listPaths = [
    ['/v1/tokens', 1], ['/v1/tokens?order=transfers', 2],
    [`/v1/tokens/${extra.air}/holders`, 1000], [`/v1/tokens/${extra.air}/holders`, 333],
    [`/v1/tokens/${chain.tokens[0]}/holders`, 9], [`/v1/tokens/${chain.tokens[1]}/holders?block=${Math.floor(head / 2)}`, 11],
    [`/v1/tokens/${extra.air}/holders?block=${extra.airPhase2 - 1}`, 500],
    [`/v1/tokens/${extra.air}/transfers`, 1000], [`/v1/tokens/${chain.tokens[2]}/transfers?from_block=${Math.floor(head / 3)}`, 17],
    [`/v1/tokens/${chain.tokens[0]}/transfers?from_block=${head + 1}`, 5],
    [`/v1/accounts/${accounts[5]}/balances`, 1], [`/v1/accounts/${busy[0]}/transfers`, 13],
    [`/v1/accounts/${busy[1]}/transfers?direction=out&token=${chain.tokens[0]}`, 4],
    [`/v1/accounts/0x00000000000000000000000000000000000000aa/transfers`, 10],
  ];
  await h.check(`paging walks == NDJSON export == CSV export (RFC 4180, quoted fields) on ${listPaths.length} lists`, async () => {
    for (const [p, limit] of listPaths) await walkEqualsExports(port, p, limit);
  });
  await h.check('CSV export of tokens quotes names and symbols with comma and quote (UTF-8 kept)', async () => {
    const text = await fetchExport(port, '/v1/tokens', 'csv');
    assert.ok(text.includes('"Tie, ""A"" Token","T,A"'), 'quoted name with doubled quotes, quoted symbol with a comma');
    assert.ok(text.includes('"Tie B \u2713 ""quoted""","TB"""'), 'quoted UTF-8 name, symbol ending in a quote');
    const rows = parseCsv(text);
    const nameCol = rows[0].indexOf('name');
    assert.ok(rows.some((r) => r[nameCol] === 'Tie B \u2713 "quoted"'));
  });
  await h.check('export rejects limit and cursor (400)', async () => {
    await expectError(port, `/v1/tokens/${extra.air}/holders?format=ndjson&limit=10`, 400, /bad_parameter/);
    const c = (await apiOk(port, `/v1/tokens/${extra.air}/holders?limit=10`)).next_cursor;
    await expectError(port, `/v1/tokens/${extra.air}/holders?format=csv&cursor=${c}`, 400, /bad_parameter/);
  });

  // ---- ETag ---------------------------------------------------------------------------------
  const etagPaths = [
    `/v1/tokens/${chain.tokens[0]}`, `/v1/tokens/${chain.tokens[0]}/distribution`,
    `/v1/tokens/${chain.tokens[0]}/holders/${accounts[1]}?block=${Math.floor(head / 2)}`,
    `/v1/accounts/${accounts[5]}/balances`, `/v1/tokens/${extra.tieA}/holders`, '/v1/tokens',
  ];
  await h.check('ETag on data answers; If-None-Match (exact, list, weak W/, *) -> 304 without body; other tag -> 200', async () => {
    for (const p of etagPaths) {
      const r = await httpRequest(`http://127.0.0.1:${port}${p}`);
      assert.equal(r.status, 200, p);
      const tag = r.headers.etag;
      assert.match(tag ?? '', /^(W\/)?"[^"]+"$/, `${p}: ETag ${tag}`);
      const again = await httpRequest(`http://127.0.0.1:${port}${p}`);
      assert.equal(again.headers.etag, tag, `${p}: same data, same ETag`);
      for (const inm of [tag, `"nope", ${tag}`, `W/${tag}`, '*']) {
        const c = await httpRequest(`http://127.0.0.1:${port}${p}`, { headers: { 'if-none-match': inm } });
        assert.equal(c.status, 304, `${p} If-None-Match ${inm}`);
        assert.equal(c.text, '', '304 has no body');
        assert.equal(c.headers.etag, tag, '304 repeats the ETag');
      }
      const miss = await httpRequest(`http://127.0.0.1:${port}${p}`, { headers: { 'if-none-match': '"0000000000000000"' } });
      assert.equal(miss.status, 200);
    }
  });
  await h.check('ETag of a first page that has more pages is stable, so If-None-Match -> 304', async () => {
    const p = `/v1/tokens/${extra.air}/holders?limit=10`;
    const r1 = await httpRequest(`http://127.0.0.1:${port}${p}`);
    const r2 = await httpRequest(`http://127.0.0.1:${port}${p}`);
    assert.equal(r1.status, 200);
    const c = await httpRequest(`http://127.0.0.1:${port}${p}`, { headers: { 'if-none-match': r1.headers.etag } });
    assert.equal(r2.headers.etag, r1.headers.etag, `same data, different ETags; next_cursor ${JSON.parse(r1.text).next_cursor} vs ${JSON.parse(r2.text).next_cursor}`);
    assert.equal(c.status, 304);
  });

  // ---- metrics ------------------------------------------------------------------------------
  await h.check('/metrics: every required family with its type; values == /v1/status; route templates, methods, histograms', async () => {
    await api(port, '/v1/nope'); // a 404 to count
    await api(port, `/v1/tokens/${chain.tokens[0]}/holders?limit=0`); // a 400 to count
    await sleep(200); // a request is counted once its answer is written
    const r = await httpRequest(`http://127.0.0.1:${port}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /^text\/plain/);
    const st = await apiOk(port, '/v1/status');
    const mt = parseMetrics(r.text);
    const want = {
      erc20_indexed_block: 'gauge', erc20_node_block: 'gauge', erc20_lag_blocks: 'gauge', erc20_rpc_requests_total: 'counter',
      erc20_rpc_request_duration_seconds: 'histogram', erc20_http_requests_total: 'counter',
      erc20_http_request_duration_seconds: 'histogram', erc20_reorgs_total: 'counter', erc20_db_size_bytes: 'gauge',
    };
    for (const [name, type] of Object.entries(want)) assert.equal(mt.types.get(name), type, `# TYPE ${name}`);
    assert.equal(sample(mt, 'erc20_indexed_block').value, st.block);
    assert.equal(sample(mt, 'erc20_node_block').value, st.node_block);
    assert.equal(sample(mt, 'erc20_lag_blocks').value, st.lag_blocks);
    assert.equal(sample(mt, 'erc20_reorgs_total').value, st.reorgs_total);
    assert.ok(sample(mt, 'erc20_db_size_bytes').value > 0);
    // What RocksDB and the allocator hold (docs/soak.md reads them).
    for (const kind of ['memtables', 'table_readers', 'block_cache', 'block_cache_pinned']) {
      assert.equal(mt.types.get('erc20_rocksdb_memory_bytes'), 'gauge');
      assert.ok(sample(mt, 'erc20_rocksdb_memory_bytes', { kind }) !== undefined, `erc20_rocksdb_memory_bytes{kind="${kind}"}`);
    }
    assert.ok(sample(mt, 'erc20_rocksdb_memory_bytes', { kind: 'memtables' }).value > 0, 'memtables hold their arena');
    for (const kind of ['in_use', 'free', 'mmapped']) assert.ok(sample(mt, 'erc20_malloc_bytes', { kind }) !== undefined, `erc20_malloc_bytes{kind="${kind}"}`);
    // Under a sanitizer the allocator is the sanitizer's: glibc's mallinfo2 counts nothing.
    if (!process.env.ERC20_E2E_SANITIZER) assert.ok(sample(mt, 'erc20_malloc_bytes', { kind: 'in_use' }).value > 0);
    for (const m of ['eth_getLogs', 'eth_blockNumber', 'eth_chainId']) {
      assert.ok(mt.samples.some((s) => s.name === 'erc20_rpc_requests_total' && s.labels.method?.startsWith(m) && s.value > 0), `rpc method ${m}`);
    }
    const routes = new Set(mt.samples.filter((s) => s.name === 'erc20_http_requests_total').map((s) => s.labels.route));
    for (const s of mt.samples.filter((x) => x.name === 'erc20_http_requests_total')) {
      assert.ok(s.labels.route && s.labels.status, 'route and status labels');
      assert.ok(!/0x[0-9a-f]{40}/.test(s.labels.route), `route label is a template, not a path: ${s.labels.route}`);
    }
    assert.ok(routes.has('/v1/tokens/{token}/holders'), 'route template label');
    assert.ok(sample(mt, 'erc20_http_requests_total', { route: '/v1/status', status: '200' })?.value > 0);
    assert.ok(sample(mt, 'erc20_http_requests_total', { route: '/v1/tokens/{token}/holders', status: '400' })?.value > 0);
    assert.ok(mt.samples.some((s) => s.name === 'erc20_http_requests_total' && s.labels.status === '404'));
    for (const fam of ['erc20_http_request_duration_seconds', 'erc20_rpc_request_duration_seconds']) {
      const series = new Map();
      for (const s of mt.samples.filter((x) => x.name.startsWith(fam + '_'))) {
        const { le, ...rest } = s.labels;
        const key = JSON.stringify(rest);
        if (!series.has(key)) series.set(key, { buckets: [] });
        const e = series.get(key);
        if (s.name === `${fam}_bucket`) e.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
        else if (s.name === `${fam}_count`) e.count = s.value;
        else if (s.name === `${fam}_sum`) e.sum = s.value;
      }
      assert.ok(series.size > 0, `${fam} has series`);
      for (const [k, e] of series) {
        assert.ok(e.buckets.length > 1 && e.buckets.at(-1)[0] === Infinity, `${fam}${k}: +Inf bucket`);
        for (let i = 1; i < e.buckets.length; i++) {
          assert.ok(e.buckets[i][0] > e.buckets[i - 1][0] && e.buckets[i][1] >= e.buckets[i - 1][1], `${fam}${k}: cumulative buckets`);
        }
        assert.equal(e.buckets.at(-1)[1], e.count, `${fam}${k}: +Inf == count`);
        assert.ok(e.sum >= 0);
      }
    }
  });
  await h.check('/metrics counters grow: erc20_http_requests_total{route="/v1/status",status="200"} +3 after 3 requests', async () => {
    const before = sample(parseMetrics((await api(port, '/metrics')).text), 'erc20_http_requests_total', { route: '/v1/status', status: '200' }).value;
    for (let i = 0; i < 3; i++) await apiOk(port, '/v1/status');
    // A request is counted once its answer is written: allow the last one a moment.
    const r = await waitFor('3 more /v1/status requests counted', async () => {
      const after = sample(parseMetrics((await api(port, '/metrics')).text), 'erc20_http_requests_total', { route: '/v1/status', status: '200' }).value;
      return { ok: after - before >= 3, after };
    }, 3000);
    assert.equal(r.after - before, 3);
  });

  await h.check('/metrics query caches: a repeat of distribution?block=N is a hit, another exclude a miss; erc20_cache_* typed', async () => {
    const t = chain.tokens[0];
    const n = Math.max(1, (await apiOk(port, '/v1/status')).block - 1);
    const counts = async () => {
      const mt = parseMetrics((await api(port, '/metrics')).text);
      for (const [fam, type] of [['erc20_cache_hits_total', 'counter'], ['erc20_cache_misses_total', 'counter'],
        ['erc20_cache_evictions_total', 'counter'], ['erc20_cache_bytes', 'gauge'], ['erc20_cache_budget_bytes', 'gauge']]) {
        assert.equal(mt.types.get(fam), type, fam);
      }
      assert.equal(sample(mt, 'erc20_cache_budget_bytes', { cache: 'distribution' }).value, 64 << 20);
      assert.equal(mt.samples.some((s) => s.labels.cache === 'past_holders'), false, 'no holder-list cache');
      return {
        hits: sample(mt, 'erc20_cache_hits_total', { cache: 'distribution' }).value,
        misses: sample(mt, 'erc20_cache_misses_total', { cache: 'distribution' }).value,
      };
    };
    // Distributions walk the holder list page by page; only answers are kept.
    const q = `/v1/tokens/${t}/distribution?block=${n}&exclude=${accounts[2]}`;
    const before = await counts();
    const first = await apiOk(port, q);
    const again = await apiOk(port, q);
    const other = await apiOk(port, `/v1/tokens/${t}/distribution?block=${n}&exclude=${accounts[1]}`);
    assert.deepEqual(again, first);
    assert.equal(other.block, first.block);
    const after = await counts();
    assert.equal(after.hits - before.hits, 1, 'the repeat came from the cache');
    assert.equal(after.misses - before.misses, 2, 'the first and the other exclude were computed');
  });
  // ---- bad inputs ---------------------------------------------------------------------------
  // Both run in the background while the battery goes on (~10 s).
  const slow = slowSender(port, { intervalMs: 1000, maxMs: 20000 });
  const slowKeptAlive = slowSender(port, { first: 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', intervalMs: 1000, maxMs: 20000 });
  const T = chain.tokens[0];
  const A = accounts[1];
  await h.check('bad addresses -> 400 bad_address (path, token filter, exclude)', async () => {
    for (const bad of ['0xZZ', '0x1234', `${T}00`, T.slice(2), `0x${'g'.repeat(40)}`, `0X${T.slice(2)}x`, '%2e%2e', `${T}%00`, `0x${T.slice(2, 41)}`]) {
      await expectError(port, `/v1/tokens/${bad}`, 400, /bad_address/);
      await expectError(port, `/v1/tokens/${bad}/holders`, 400, /bad_address/);
      await expectError(port, `/v1/accounts/${bad}/balances`, 400, /bad_address/);
      await expectError(port, `/v1/tokens/${T}/holders/${bad}`, 400, /bad_address/);
    }
    await expectError(port, `/v1/accounts/${A}/transfers?token=0x12`, 400, /bad_address/);
    await expectError(port, `/v1/tokens/${T}/distribution?exclude=${A},0xnope`, 400, /bad_address/);
  });
  await h.check('unknown token -> 404 unknown_token on every token route; unknown routes -> 404 not_found (/ is the dashboard)', async () => {
    const u = '0x' + '12'.repeat(20);
    for (const p of ['', '/holders', '/transfers', '/distribution', `/holders/${A}`, `/holders/${A}?block=1`]) await expectError(port, `/v1/tokens/${u}${p}`, 404, /unknown_token/);
    for (const p of ['/v1/nope', '/v2/status', `/v1/tokens/${T}/nope`, `/v1/accounts/${A}`, '/v1/accounts', '/index.html', '/assets', `/v1/tokens/${T}/holders/${A}/x`, '/v1/tokens/../x', '/v1/../v1/status', `/v1/tokens/${T}/..`]) {
      await expectError(port, p, 404, /not_found/);
    }
  });
  await h.check('numbers: negative, huge, non-numeric, hex, exponent, empty, above head -> 400', async () => {
    const bads = ['-1', 'abc', '1e3', '0x10', '1.5', '', '+5', ' 1', '18446744073709551616', '99999999999999999999999', '9223372036854775808'];
    for (const b of bads) {
      const v = encodeURIComponent(b);
      await expectError(port, `/v1/tokens/${T}/holders/${A}?block=${v}`, 400, /^bad_/);
      await expectError(port, `/v1/tokens/${T}/holders?block=${v}`, 400, /^bad_/);
      await expectError(port, `/v1/tokens/${T}/distribution?block=${v}`, 400, /^bad_/);
      await expectError(port, `/v1/tokens/${T}/transfers?from_block=${v}`, 400, /^bad_/);
      await expectError(port, `/v1/accounts/${A}/transfers?to_block=${v}`, 400, /^bad_/);
    }
    for (const p of [`/v1/tokens/${T}/holders/${A}?block=${head + 1}`, `/v1/tokens/${T}/holders?block=${head + 1}`, `/v1/tokens/${T}/distribution?block=${head + 1000}`]) {
      await expectError(port, p, 400, /block_out_of_range/);
    }
    await expectError(port, `/v1/tokens/${T}/transfers?from_block=10&to_block=9`, 400, /bad_range/);
    await expectError(port, `/v1/accounts/${A}/transfers?from_block=10&to_block=9`, 400, /bad_range/);
  });
  await h.check('limit=0, 1001, 100000, -1, 1.5, abc, empty -> 400 bad_limit on every list route', async () => {
    const lists = ['/v1/tokens', `/v1/tokens/${T}/holders`, `/v1/tokens/${T}/holders?block=1`, `/v1/tokens/${T}/transfers`, `/v1/accounts/${A}/balances`, `/v1/accounts/${A}/transfers`];
    for (const l of lists) {
      for (const v of ['0', '1001', '100000', '-1', '1.5', 'abc', '']) {
        await expectError(port, `${l}${l.includes('?') ? '&' : '?'}limit=${v}`, 400, /bad_limit/);
      }
      assert.equal((await api(port, `${l}${l.includes('?') ? '&' : '?'}limit=1`)).status, 200);
    }
  });
  await h.check('forged cursors -> 400 bad_cursor (garbage, odd hex, short, wrong route, tampered length, truncated)', async () => {
    const holdersCursor = (await apiOk(port, `/v1/tokens/${extra.air}/holders?limit=5`)).next_cursor;
    const transfersCursor = (await apiOk(port, `/v1/tokens/${extra.air}/transfers?limit=5`)).next_cursor;
    const tokensCursor = (await apiOk(port, '/v1/tokens?limit=1')).next_cursor;
    const forged = ['garbage', 'zz', '0', '00', '00'.repeat(8), 'ff'.repeat(9), holdersCursor.slice(0, -2), holdersCursor + '00',
      holdersCursor.slice(0, 16) + '00' + holdersCursor.slice(18), transfersCursor, tokensCursor, '%00'];
    for (const c of forged) await expectError(port, `/v1/tokens/${extra.air}/holders?cursor=${c}`, 400, /bad_cursor/);
    for (const c of ['garbage', holdersCursor, tokensCursor + 'ab']) await expectError(port, `/v1/tokens/${extra.air}/transfers?cursor=${c}`, 400, /bad_cursor/);
    for (const c of ['garbage', transfersCursor]) await expectError(port, '/v1/tokens?cursor=' + c, 400, /bad_cursor/);
    for (const c of ['garbage', holdersCursor]) await expectError(port, `/v1/accounts/${A}/balances?cursor=${c}`, 400, /bad_cursor/);
    for (const c of ['garbage', holdersCursor]) await expectError(port, `/v1/accounts/${A}/transfers?cursor=${c}`, 400, /bad_cursor/);
  });
  await h.check('unknown format/order/direction, unknown or repeated parameter, bad percent-encoding -> 400', async () => {
    await expectError(port, `/v1/tokens/${T}/holders?format=xml`, 400, /bad_format/);
    await expectError(port, '/v1/tokens?format=JSON', 400, /bad_format/);
    await expectError(port, '/v1/tokens?order=name', 400, /bad_order/);
    await expectError(port, `/v1/accounts/${A}/transfers?direction=sideways`, 400, /bad_direction/);
    await expectError(port, `/v1/tokens/${T}?format=csv`, 400, /unknown_parameter/);
    await expectError(port, `/v1/tokens/${T}/distribution?format=csv`, 400, /unknown_parameter/);
    await expectError(port, `/v1/tokens/${T}/holders?foo=1`, 400, /unknown_parameter/);
    await expectError(port, '/v1/status?x', 400, /unknown_parameter/);
    await expectError(port, `/v1/tokens/${T}/holders?limit=1&limit=2`, 400, /bad_parameter/);
    await expectError(port, `/v1/tokens/${T}/holders?limit=%zz`, 400, /bad_query/);
    await expectError(port, `/v1/tokens/${T}/holders?limit=%4`, 400, /bad_query/);
  });
  await h.check('error bodies are valid UTF-8 JSON even when they quote undecodable input (limit=%ff%fe)', async () => {
    for (const p of ['/v1/tokens?limit=%ff%fe', '/v1/tokens?order=%e2%82', '/v1/tokens?%ff=1']) {
      const r = await request(port, p);
      assert.equal(r.status, 400);
      let text;
      try { text = utf8.decode(r.body); } catch { throw new Error(`${p}: body is not valid UTF-8: ${JSON.stringify(r.body.toString('latin1'))}`); }
      JSON.parse(text);
    }
  });
  await h.check('wrong methods POST/PUT/DELETE/PATCH/OPTIONS -> 405 JSON; HEAD -> 200 without body', async () => {
    for (const p of ['/v1/status', `/v1/tokens/${T}/holders`, '/metrics', '/healthz']) {
      for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) await expectError(port, p, 405, /method_not_allowed/, { method: m, body: m === 'POST' || m === 'PUT' ? '{}' : undefined });
    }
    const head_ = await rawRequest(port, `HEAD /v1/tokens/${T} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { headMethods: [true] });
    assert.equal(head_.responses[0]?.status, 200);
    assert.equal(head_.responses[0].body, '');
  });
  await h.check('405 answers carry Allow: GET, HEAD (RFC 9110 15.5.6)', async () => {
    const r = await expectError(port, '/v1/status', 405, /method_not_allowed/, { method: 'POST', body: '{}' });
    assert.match(r.headers.allow ?? '', /GET/, `Allow header: ${r.headers.allow}`);
  });
  await h.check('raw sockets: 12 KB header -> 431, 300 headers -> 431, 1 MB Content-Length -> 413, 30 KB chunked body -> 413', async () => {
    expectRawError(await rawRequest(port, `GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(12000)}\r\n\r\n`), 431);
    expectRawError(await rawRequest(port, 'GET /v1/status HTTP/1.1\r\nHost: x\r\n' + Array.from({ length: 300 }, (_, i) => `X-H${i}: ${'b'.repeat(60)}\r\n`).join('') + '\r\n'), 431);
    expectRawError(await rawRequest(port, `POST /v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n${'x'.repeat(100)}`), 413);
    expectRawError(await rawRequest(port, `GET /v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n`), 413);
    expectRawError(await rawRequest(port, `POST /v1/status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7530\r\n${'x'.repeat(30000)}\r\n0\r\n\r\n`), 413);
  });
  await h.check('raw sockets: malformed request line, bad version, NUL in target, bad header -> 400 JSON', async () => {
    expectRawError(await rawRequest(port, 'GARBAGE\r\n\r\n'), 400);
    expectRawError(await rawRequest(port, 'GET /v1/status HTTP/9.9\r\n\r\n'), 400);
    expectRawError(await rawRequest(port, 'GET /v1/sta\0tus HTTP/1.1\r\nHost: x\r\n\r\n'), 400);
    expectRawError(await rawRequest(port, 'GET /v1/status HTTP/1.1\r\nHost x\r\n\r\n'), 400);
    expectRawError(await rawRequest(port, 'GET /v1/status HTTP/1.1\r\nContent-Length: abc\r\n\r\n'), 400);
  });
  await h.check('raw sockets: path tricks (../, %2e%2e, %2f) -> 404 / 400, never another route\'s data', async () => {
    const get = (p) => rawRequest(port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expectRawError(await get('/v1/tokens/../x'), 404, /not_found/);
    expectRawError(await get('/v1/tokens/../../v1/status'), 404, /not_found/);
    expectRawError(await get('/v1/tokens/%2e%2e'), 400, /bad_address/);
    expectRawError(await get('/v1/tokens/%2e%2e/holders'), 400, /bad_address/);
    expectRawError(await get(`/v1/tokens/${T}/holders/..%2f..%2fstatus`), 400, /bad_address/);
    expectRawError(await get(`/v1/tokens/${T}%2fholders`), 400, /bad_address/);
  });
  await h.check('keep-alive: two pipelined requests on one connection get two answers, connection stays open', async () => {
    const r = await rawRequest(port, `GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/tokens/${T} HTTP/1.1\r\nHost: x\r\n\r\n`, { responses: 2 });
    assert.equal(r.responses.length, 2);
    assert.equal(r.responses[0].status, 200);
    assert.equal(JSON.parse(r.responses[1].body).address, T);
    assert.equal(r.closed, false);
  });
  await h.check('slowloris (one header byte per second) is dropped by the 10 s read timeout, within 15 s', async () => {
    const s = await slow;
    assert.notEqual(s.closedAfterMs, null, `still connected after 20 s (${s.bytesSent} bytes sent)`);
    assert.ok(s.closedAfterMs >= 8000 && s.closedAfterMs <= 15000, `dropped after ${s.closedAfterMs} ms`);
    assert.ok(!/^HTTP\/1\.1 200/.test(s.received), 'no answer to an incomplete request');
  });
  await h.check('slowloris on a kept-alive connection (one good request, then one byte per second) is dropped within 15 s', async () => {
    const s2 = await slowKeptAlive;
    assert.match(s2.received, /^HTTP\/1\.1 200/, 'the first request is answered');
    assert.notEqual(s2.closedAfterMs, null, `still connected 20 s into the trickle (${s2.bytesSent} bytes sent): the 60 s idle timeout covers the whole next request`);
    assert.ok(s2.closedAfterMs <= 15000, `dropped after ${s2.closedAfterMs} ms`);
  });
  await h.check('the server still answers correctly after the battery', async () => {
    const st = await apiOk(port, '/v1/status');
    assert.equal(st.block, head);
    const walk = await allPages(port, `/v1/tokens/${chain.tokens[0]}/holders?limit=50`);
    deepEqualWithPath(walk.items, sortedHolders(truth.balances.get(chain.tokens[0])));
  });

  // ---- walks while blocks are mined -----------------------------------------------------------
  /** Walk `p`, mining one workload block (and waiting for the daemon to apply it) between pages. */
  async function walkWhileMining(p, limit) {
    const items = [];
    const pageBlocks = [];
    let cursor = null;
    for (let pages = 0; ; pages++) {
      const j = await apiOk(port, `${p}${p.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      items.push(...j.items);
      pageBlocks.push(j.block);
      if (j.next_cursor === null) break;
      cursor = j.next_cursor;
      if (pages > 200) throw new Error('too many pages');
      await w.step();
      head = w.head;
      await waitForBlock(port, head, 30000, daemon);
    }
    return { items, pageBlocks };
  }
  const walkCases = [
    ['holders', (b) => `/v1/tokens/${chain.tokens[0]}/holders`, 12, async (b) => sortedHolders((await truthAt(url, b)).balances.get(chain.tokens[0]))],
    ['transfers', () => `/v1/tokens/${chain.tokens[1]}/transfers`, 60, async (b) => (await truthAt(url, b)).transfers.filter((x) => x.token === chain.tokens[1])],
    ['tokens by transfers', () => '/v1/tokens?order=transfers', 1, async (b) => {
      const tr = await truthAt(url, b);
      return rankTokens(tr, 'transfers');
    }],
    ['account transfers', () => `/v1/accounts/${busy[0]}/transfers`, 4, async (b) => accountTransfersTruth(await truthAt(url, b), busy[0])],
    ['account balances', () => `/v1/accounts/${accounts[5]}/balances`, 1, async (b) => accountBalancesTruth(await truthAt(url, b), accounts[5])],
    ['holders?block=N', () => `/v1/tokens/${chain.tokens[2]}/holders?block=${Math.floor(head / 2)}`, 8, null],
  ];
  for (const [name, pathOf, limit, expected] of walkCases) {
    await h.check(`walk of ${name} while a block is mined and applied between pages: one block, each item once, == truth at that block`, async () => {
      const p = pathOf();
      const { items, pageBlocks } = await walkWhileMining(p, limit);
      assert.ok(pageBlocks.length >= 3, `only ${pageBlocks.length} pages`);
      assert.ok(pageBlocks.every((b) => b === pageBlocks[0]), `blocks of the walk's pages: ${pageBlocks.join(',')}`);
      assert.ok(head > pageBlocks[0], 'the chain moved during the walk');
      const keys = items.map((x) => JSON.stringify(x));
      assert.equal(new Set(keys).size, keys.length, 'an item came twice');
      if (expected) {
        const exp = await expected(pageBlocks[0]);
        deepEqualWithPath(name.startsWith('tokens') ? items.map(tokenAddressOf) : items, exp);
      } else {
        const n = Number(/block=(\d+)/.exec(p)[1]);
        deepEqualWithPath(items, sortedHolders((await truthAt(url, n)).balances.get(chain.tokens[2])));
      }
    });
  }
  await h.check('a paging walk keeps its snapshot while 300 other clients start walks (pin eviction)', async () => {
    const p = `/v1/tokens/${chain.tokens[0]}/holders?limit=10`;
    const first = await apiOk(port, p);
    const items = [...first.items];
    const blocksSeen = [first.block];
    let cursor = first.next_cursor;
    await w.step({ txs: 12 });
    head = w.head;
    await waitForBlock(port, head, 30000, daemon);
    for (let i = 0; i < 300; i += 30) {
      await Promise.all(Array.from({ length: 30 }, () => apiOk(port, `/v1/tokens/${extra.air}/holders?limit=1`)));
    }
    while (cursor) {
      const j = await apiOk(port, `${p}&cursor=${cursor}`);
      items.push(...j.items);
      blocksSeen.push(j.block);
      cursor = j.next_cursor;
    }
    assert.ok(blocksSeen.every((b) => b === first.block), `blocks of the walk's pages: ${blocksSeen.join(',')}`);
    deepEqualWithPath(items, sortedHolders((await truthAt(url, first.block)).balances.get(chain.tokens[0])));
  });

  // ---- readiness: a second daemon behind a gate proxy ---------------------------------------
  gate = await startGate(url, { mode: 'head' });
  const db2 = makeTempDir('erc20-e2e-api-gated-');
  gated = await h.must('gated daemon (--ready-max-lag 0) starts while the node is unreachable but for eth_blockNumber', () => startDaemon({ rpcUrl: gate.url, db: `${db2}/db`, extraArgs: ['--ready-max-lag', '0', '--rpc-timeout-ms', '1000'] }));
  await h.check('/readyz 503 not_ready and data routes 503 while nothing is indexed', async () => {
    await sleep(500);
    const st = await apiOk(gated.port, '/v1/status');
    assert.equal(st.block, null);
    await expectError(gated.port, '/readyz', 503, /not_ready/);
    await expectError(gated.port, '/v1/tokens', 503, /not_ready/);
    await expectError(gated.port, `/v1/tokens/${T}/holders`, 503, /not_ready/);
    assert.equal((await api(gated.port, '/healthz')).status, 200, '/healthz stays 200');
  });
  await h.check('gate opened: the gated daemon catches up, /readyz 200', async () => {
    gate.setMode('open');
    head = await blockNumber(url);
    await waitForBlock(gated.port, head, 60000, gated);
    await waitFor('/readyz 200', async () => { const r = await api(gated.port, '/readyz'); return { ok: r.status === 200, r: r.text }; });
  });
  await h.check('gate closed, 3 blocks mined: node ahead by 3 > --ready-max-lag 0 -> /readyz 503; status and metrics say lag 3', async () => {
    gate.setMode('head');
    const before = (await apiOk(gated.port, '/v1/status')).block;
    head = await mine(url, 3);
    w.head = head;
    const r = await waitFor('/readyz 503', async () => { const x = await api(gated.port, '/readyz'); return { ok: x.status === 503, x }; });
    assert.match(r.x.json?.error?.code ?? '', /not_ready/);
    // While its held calls time out, the daemon keeps asking for the head (eth_blockNumber goes
    // through the gate), so the lag it reports reaches the node's: wait for that, since anvil_mine
    // inserts the blocks one by one and the first answer may have been head-2.
    const st = await waitFor('node_block == head', async () => {
      const s = await apiOk(gated.port, '/v1/status');
      return { ok: s.node_block === head, ...s };
    }, 30000);
    assert.equal(st.block, before);
    assert.equal(st.lag_blocks, head - before);
    const mt = parseMetrics((await api(gated.port, '/metrics')).text);
    assert.equal(sample(mt, 'erc20_lag_blocks').value, head - before);
    assert.equal(sample(mt, 'erc20_node_block').value, head);
    assert.equal(sample(mt, 'erc20_indexed_block').value, before);
    // The main daemon (default --ready-max-lag 64) is not gated and stays ready.
    assert.equal((await api(port, '/readyz')).status, 200);
  });
  await h.check('gate opened again: /readyz back to 200 with lag 0', async () => {
    gate.setMode('open');
    await waitForBlock(gated.port, head, 30000, gated);
    const r = await waitFor('/readyz 200', async () => { const x = await api(gated.port, '/readyz'); return { ok: x.status === 200, x }; });
    assert.equal(r.x.json.lag_blocks, 0);
  });
  await gated.stop('SIGTERM', 15000);
  await gate.close();

  // ---- final state ---------------------------------------------------------------------------
  await waitForBlock(port, head, 30000, daemon);
  truth = await truthAt(url, head);
  await h.check(`final: holders and transfers of every token == logs at the new head ${head}`, async () => {
    for (const t of allTokens) {
      deepEqualWithPath((await allPages(port, `/v1/tokens/${t}/holders?limit=1000`)).items, sortedHolders(truth.balances.get(t)));
      deepEqualWithPath((await allPages(port, `/v1/tokens/${t}/transfers?limit=1000`)).items, truth.transfers.filter((x) => x.token === t));
    }
  });
  await h.check('daemon exits cleanly (code 0) on SIGTERM', async () => {
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.escalated, false);
    assert.equal(r.code, 0);
  });
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  if (daemon) console.log(`--- daemon output (tail) ---\n${daemon.logs()}\n---`);
} finally {
  if (gated && !gated.exited()) await gated.stop('SIGTERM', 10000);
  if (gate) await gate.close();
  if (daemon && !daemon.exited()) await daemon.stop('SIGTERM', 10000);
  if (anvil) await anvil.stop();
  code = h.finish();
}
process.exit(code);
