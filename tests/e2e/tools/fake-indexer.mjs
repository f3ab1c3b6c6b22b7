#!/usr/bin/env node
// TEST DOUBLE, not the product: a tiny JavaScript stand-in for `erc20-indexer run` that serves the
// same HTTP API from an in-memory index persisted to <db>/state.json (atomic rename after every
// step, so kill -9 is safe). It exists only to check the e2e harness itself:
//   ERC20_INDEXER_BIN=tests/e2e/tools/fake-indexer.mjs node tests/e2e/core.test.mjs
// No reorg handling. Accepts: run --rpc-url U --db D --listen H:P --poll-interval-ms N
//   --log-level L --max-range N
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { rpc, calldata, decodeResult, hex, TRANSFER_TOPIC, ZERO_ADDRESS } from '../lib/chain.mjs';
import { isErc20Shaped } from '../lib/truth.mjs';

const argv = process.argv.slice(2);
if (argv[0] !== 'run') { console.error('usage: fake-indexer run --rpc-url URL --db DIR --listen HOST:PORT'); process.exit(2); }
const opt = {};
for (let i = 1; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
const rpcUrl = opt['rpc-url'];
const db = opt.db;
const [host, portStr] = opt.listen.split(':');
const pollMs = Number(opt['poll-interval-ms'] ?? 1000);
const maxRange = Number(opt['max-range'] ?? 1000);
fs.mkdirSync(db, { recursive: true });
const stateFile = path.join(db, 'state.json');

// ---- state ----------------------------------------------------------------------------------
let S = { chain_id: null, block: null, block_hash: null, tokens: {}, times: {} };
if (fs.existsSync(stateFile)) S = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
// tokens[addr] = {balances: {holder: dec}, minted, burned, transfers: [...], meta: {...}|null}
let nodeBlock = 0;
let state = 'starting';

function persist() {
  const tmp = stateFile + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(S));
  fs.renameSync(tmp, stateFile);
}

async function step() {
  if (S.chain_id === null) S.chain_id = Number(BigInt(await rpc(rpcUrl, 'eth_chainId')));
  nodeBlock = Number(BigInt(await rpc(rpcUrl, 'eth_blockNumber')));
  const from = S.block === null ? 0 : S.block + 1;
  if (from > nodeBlock) { state = 'following'; return false; }
  state = 'backfilling';
  const to = Math.min(nodeBlock, from + maxRange - 1);
  const logs = await rpc(rpcUrl, 'eth_getLogs', [{ fromBlock: hex(from), toBlock: hex(to), topics: [TRANSFER_TOPIC] }]);
  for (const l of logs) {
    if (!isErc20Shaped(l)) continue;
    const token = l.address.toLowerCase();
    const t = S.tokens[token] ??= { balances: {}, minted: '0', burned: '0', transfers: [], meta: null };
    const fromA = '0x' + l.topics[1].slice(26).toLowerCase();
    const toA = '0x' + l.topics[2].slice(26).toLowerCase();
    const v = BigInt(l.data);
    const b = Number(BigInt(l.blockNumber));
    if (!(b in S.times)) {
      const blk = await rpc(rpcUrl, 'eth_getBlockByNumber', [l.blockNumber, false]);
      S.times[b] = Number(BigInt(blk.timestamp));
    }
    touched.add(token);
    if (fromA === ZERO_ADDRESS) t.minted = (BigInt(t.minted) + v).toString();
    else t.balances[fromA] = (BigInt(t.balances[fromA] ?? '0') - v).toString();
    if (toA === ZERO_ADDRESS) t.burned = (BigInt(t.burned) + v).toString();
    else t.balances[toA] = (BigInt(t.balances[toA] ?? '0') + v).toString();
    t.transfers.push({ block: b, tx_hash: l.transactionHash.toLowerCase(), log_index: Number(BigInt(l.logIndex)), token, from: fromA, to: toA, value: v.toString() });
  }
  const blk = await rpc(rpcUrl, 'eth_getBlockByNumber', [hex(to), false]);
  S.block = to;
  S.block_hash = blk.hash.toLowerCase();
  persist();
  return true;
}

const touched = new Set();
async function fetchMeta() {
  for (const [addr, t] of Object.entries(S.tokens)) {
    if (t.meta && touched.has(addr)) {
      try {
        t.meta.total_supply = decodeResult('uint256', await rpc(rpcUrl, 'eth_call', [{ to: addr, data: calldata('TestToken', 'totalSupply', []) }, hex(S.block)])).toString();
        touched.delete(addr);
      } catch { /* later */ }
    }
    if (t.meta) continue;
    try {
      const get = async (fn, type) => decodeResult(type, await rpc(rpcUrl, 'eth_call', [{ to: addr, data: calldata('TestToken', fn, []) }, hex(S.block)]));
      t.meta = { name: await get('name', 'string'), symbol: await get('symbol', 'string'), decimals: Number(await get('decimals', 'uint8')), total_supply: (await get('totalSupply', 'uint256')).toString() };
    } catch { /* try later */ }
  }
}

async function loop() {
  for (;;) {
    try {
      const more = await step();
      await fetchMeta();
      if (!more) await new Promise((r) => setTimeout(r, pollMs));
    } catch (e) {
      if (opt['log-level'] !== 'error') console.error('step failed:', e.message);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

// ---- API ------------------------------------------------------------------------------------
const send = (res, status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
const err = (res, status, code, message) => send(res, status, { error: { code, message } });

function summary(addr) {
  const t = S.tokens[addr];
  const bals = Object.values(t.balances).map(BigInt);
  return {
    address: addr, name: t.meta?.name ?? null, symbol: t.meta?.symbol ?? null, decimals: t.meta?.decimals ?? null,
    total_supply: t.meta?.total_supply ?? null, indexed_supply: (BigInt(t.minted) - BigInt(t.burned)).toString(),
    minted: t.minted, burned: t.burned, holders: bals.filter((b) => b > 0n).length, transfers: t.transfers.length,
    negative_balances: bals.filter((b) => b < 0n).length, first_block: t.transfers[0].block, last_block: t.transfers[t.transfers.length - 1].block,
  };
}

function page(res, items, q, keyOf) {
  const lim = q.get('limit') ?? '100';
  if (!/^[0-9]+$/.test(lim) || Number(lim) < 1 || Number(lim) > 1000) return err(res, 400, 'bad_limit', 'limit must be 1..1000');
  const n = Number(lim);
  let start = 0;
  const c = q.get('cursor');
  if (c !== null) {
    const i = items.findIndex((x) => keyOf(x) === c);
    if (i < 0) return err(res, 400, 'bad_cursor', 'bad cursor');
    start = i + 1;
  }
  const slice = items.slice(start, start + n);
  const more = start + n < items.length;
  send(res, 200, { block: S.block, items: slice, next_cursor: more ? keyOf(slice[slice.length - 1]) : null });
}

const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  const parts = u.pathname.split('/').filter(Boolean);
  const q = u.searchParams;
  if (u.pathname === '/v1/status') {
    return send(res, 200, { chain_id: S.chain_id, block: S.block, block_hash: S.block_hash, node_block: nodeBlock, lag_blocks: Math.max(0, nodeBlock - (S.block ?? 0)), state, tokens: Object.keys(S.tokens).length, transfers: Object.values(S.tokens).reduce((s, t) => s + t.transfers.length, 0), version: 'fake' });
  }
  if (parts[0] !== 'v1' || parts[1] !== 'tokens') return err(res, 404, 'not_found', 'no such route');
  if (parts.length === 2) return page(res, Object.keys(S.tokens).sort().map(summary), q, (x) => 't' + x.address.slice(2));
  if (!/^0x[0-9a-fA-F]{40}$/.test(parts[2])) return err(res, 400, 'bad_address', 'bad address');
  const addr = parts[2].toLowerCase();
  const t = S.tokens[addr];
  if (!t) return err(res, 404, 'unknown_token', 'unknown token');
  if (parts.length === 3) return send(res, 200, { block: S.block, ...summary(addr) });
  if (parts[3] === 'holders' && parts.length === 4) {
    const hs = Object.entries(t.balances).map(([address, b]) => ({ address, b: BigInt(b) })).filter((h) => h.b > 0n)
      .sort((x, y) => (x.b > y.b ? -1 : x.b < y.b ? 1 : x.address < y.address ? -1 : 1)).map((h) => ({ address: h.address, balance: h.b.toString() }));
    return page(res, hs, q, (x) => 'h' + x.address.slice(2));
  }
  if (parts[3] === 'transfers' && parts.length === 4) {
    for (const k of ['from_block', 'to_block']) if (q.has(k) && !/^[0-9]+$/.test(q.get(k))) return err(res, 400, `bad_${k}`, `${k} must be a decimal integer`);
    const fb = q.has('from_block') ? Number(q.get('from_block')) : 0;
    const tb = q.has('to_block') ? Number(q.get('to_block')) : Infinity;
    const xs = t.transfers.filter((x) => x.block >= fb && x.block <= tb).map((x) => ({ block: x.block, timestamp: S.times[x.block], ...x }));
    return page(res, xs, q, (x) => `x${x.block}-${x.log_index}`);
  }
  return err(res, 404, 'not_found', 'no such route');
});
server.listen(Number(portStr), host, () => loop());
process.on('SIGTERM', () => { server.close(); process.exit(0); });
