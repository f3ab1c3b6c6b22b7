#!/usr/bin/env node
// Chain builder of bench/backfill.sh: fills a running anvil (started with --no-mining and a large
// --gas-limit) with ManyTransfers tokens (bench/contracts/ManyTransfers.sol) until it holds exactly
// --transfers ERC20 Transfer events.
//
//   node bench/backfill-chain.mjs --rpc-url URL [--transfers N] [--holders N] [--tokens N]
//        [--per-block N] [--per-tx N] [--seed S]
//
// The chain:
//   1. --tokens tokens deployed (one block); each constructor mints a treasury supply to the
//      token's hottest holder (1 Transfer each).
//   2. Airdrop: every holder 0..holders-1 gets one mint in token (i % tokens) (mintRange), so all
//      --holders addresses hold something.
//   3. Churn: the rest of the transfers, shared between tokens with Zipf(1.1) weights (busiest
//      token ~26% with 50 tokens), in transactions of --per-tx pseudo-random power-law moves
//      (ManyTransfers.churn), the transactions shuffled so that each block mixes several tokens.
//   Blocks hold --per-block transfers (default 1000, 3-5x mainnet's ERC20 density), as
//   --per-block/--per-tx transactions. anvil recomputes the state root over the whole state at every
//   block (~0.5-0.8 s per block once 100,000 holders hold 50 tokens, on 2 cores), so the number of
//   blocks, not of transfers, sets the build time: 1M transfers take ~10 min at 1000 per block,
//   ~40 min at 250.
//
// Prints one line of JSON on stdout: {head, transfers, holders, tokens, token_addresses, blocks,
// txs, first_block, per_block, per_tx, seed, build_s, gas_used}. Progress goes to stderr.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const E2E = path.join(HERE, '..', 'tests', 'e2e');
const require = createRequire(import.meta.url);
const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

// ---- arguments ------------------------------------------------------------------------------------
const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
  args[a.slice(2)] = process.argv[i + 1];
  i++;
}
const url = args['rpc-url'];
if (!url) throw new Error('--rpc-url is required');
const N = Number(args.transfers ?? 1000000);
const H = Number(args.holders ?? 100000);
const K = Number(args.tokens ?? 50);
const perBlock = Number(args['per-block'] ?? 1000);
const perTx = Number(args['per-tx'] ?? 50);
const seed = BigInt(args.seed ?? 1);
if (N < K + H + 1) throw new Error(`--transfers ${N} must exceed --tokens + --holders (${K + H})`);
if (perTx > perBlock) throw new Error('--per-tx must not exceed --per-block');
const say = (s) => process.stderr.write(`[backfill-chain] ${s}\n`);

// ---- JSON-RPC over a keep-alive connection ----------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
let id = 1;
function post(body) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const payload = Buffer.from(JSON.stringify(body));
    const req = http.request({
      agent, host: u.hostname, port: u.port, path: '/', method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (e) { reject(e); }
      });
      res.on('error', reject);
    });
    req.setTimeout(600000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}
async function rpc(method, params = []) {
  const m = await post({ jsonrpc: '2.0', id: id++, method, params });
  if (m.error) throw new Error(`${method}: ${JSON.stringify(m.error)}`);
  return m.result;
}
async function batch(calls) {
  if (calls.length === 0) return [];
  const reqs = calls.map(([method, params]) => ({ jsonrpc: '2.0', id: id++, method, params }));
  const ms = await post(reqs);
  const byId = new Map(ms.map((m) => [m.id, m]));
  return reqs.map((r) => {
    const m = byId.get(r.id);
    if (!m || m.error) throw new Error(`${r.method}: ${JSON.stringify(m?.error)}`);
    return m.result;
  });
}
const hex = (n) => '0x' + BigInt(n).toString(16);

// ---- compile and ABI ----------------------------------------------------------------------------------
const solc = require(path.join(E2E, 'node_modules', 'solc'));
const source = fs.readFileSync(path.join(HERE, 'contracts', 'ManyTransfers.sol'), 'utf8');
const out = JSON.parse(solc.compile(JSON.stringify({
  language: 'Solidity',
  sources: { 'ManyTransfers.sol': { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun',
    outputSelection: { '*': { '*': ['evm.bytecode.object', 'evm.methodIdentifiers'] } },
  },
})));
const errors = (out.errors || []).filter((e) => e.severity === 'error');
if (errors.length) throw new Error('solc failed:\n' + errors.map((e) => e.formattedMessage).join('\n'));
const C = out.contracts['ManyTransfers.sol'].ManyTransfers;
const pad = (h) => h.padStart(64, '0');
const u256 = (v) => pad(BigInt(v).toString(16));
const str = (s) => {
  const h = Buffer.from(s, 'utf8').toString('hex');
  return u256(h.length / 2) + h.padEnd(Math.ceil(h.length / 64) * 64 || 0, '0');
};
const sel = (sig) => '0x' + C.evm.methodIdentifiers[sig];

// ---- deterministic randomness ---------------------------------------------------------------------
let state = seed * 0x9e3779b97f4a7c15n + 1n;
function rand64() { // splitmix64
  state = (state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  let z = state;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  return z ^ (z >> 31n);
}
const randBelow = (n) => Number(rand64() % BigInt(n));
function isPrime(n) {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

// ---- plan -------------------------------------------------------------------------------------------
const t0 = Date.now();
const from = (await rpc('eth_accounts'))[0];
let nonce = Number(BigInt(await rpc('eth_getTransactionCount', [from, 'pending'])));
const startHead = Number(BigInt(await rpc('eth_blockNumber')));
const unit = 10n ** 18n;
const treasurySupply = 10n ** 9n * unit;

const tokens = [];
for (let t = 0; t < K; t++) {
  let mult = H + 1000 + 7919 * t + randBelow(1000);
  while (!isPrime(mult)) mult++;
  const offset = randBelow(H);
  const ctor = [
    ['string', `Bench Token ${t}`], ['string', `BT${t}`], ['uint256', seed], ['uint256', H],
    ['uint256', mult], ['uint256', offset], ['uint256', unit], ['uint256', treasurySupply],
  ];
  // ABI encoding of (string, string, uint256 x6)
  const headSize = 32 * ctor.length;
  let head = '';
  let tail = '';
  for (const [type, v] of ctor) {
    if (type === 'string') { head += u256(headSize + tail.length / 2); tail += str(v); } else head += u256(v);
  }
  tokens.push({ data: '0x' + C.evm.bytecode.object + head + tail, mult, offset });
}

// Deploy all tokens in one block.
const deployHashes = await batch(tokens.map((t) => ['eth_sendTransaction', [{ from, data: t.data, gas: hex(3_000_000), nonce: hex(nonce++) }]]));
await rpc('evm_mine');
const deployReceipts = await batch(deployHashes.map((h) => ['eth_getTransactionReceipt', [h]]));
deployReceipts.forEach((r, t) => {
  if (!r || r.status !== '0x1') throw new Error(`deploy of token ${t} failed: ${JSON.stringify(r)}`);
  tokens[t].address = r.contractAddress.toLowerCase();
});
say(`${K} tokens deployed at block ${Number(BigInt(deployReceipts[0].blockNumber))}`);

// Jobs: [token, calldata, transfers].
const airdrop = [];
for (let t = 0; t < K && t < H; t++) {
  const total = Math.ceil((H - t) / K);
  for (let k = 0; k < total; k += perTx) {
    const n = Math.min(perTx, total - k);
    airdrop.push([t, sel('mintRange(uint256,uint256,uint256)') + u256(t + k * K) + u256(K) + u256(n), n]);
  }
}
const churnTotal = N - K - H;
const w = Array.from({ length: K }, (_, t) => 1 / Math.pow(t + 1, 1.1));
const wsum = w.reduce((a, b) => a + b, 0);
const counts = w.map((x) => Math.floor((churnTotal * x) / wsum));
for (let t = 0, rest = churnTotal - counts.reduce((a, b) => a + b, 0); rest > 0; t = (t + 1) % K, rest--) counts[t]++;
const churn = [];
counts.forEach((c, t) => {
  for (let k = 0; k < c; k += perTx) {
    const n = Math.min(perTx, c - k);
    churn.push([t, sel('churn(uint256,uint256)') + u256(rand64()) + u256(n), n]);
  }
});
for (let i = churn.length - 1; i > 0; i--) { // Fisher-Yates
  const j = randBelow(i + 1);
  [churn[i], churn[j]] = [churn[j], churn[i]];
}
const jobs = [...airdrop, ...churn];
say(`plan: ${N} transfers = ${K} treasury mints + ${H} airdrop mints + ${churnTotal} churn moves ` +
    `(busiest token ${(100 * counts[0] / churnTotal).toFixed(1)}% of churn), ${jobs.length} txs, ` +
    `${perBlock} transfers per block`);

// ---- mine -------------------------------------------------------------------------------------------
let blocks = 0;
let sent = 0;
let lastSay = Date.now();
let gasUsed = 0n;
const gasFor = (n) => 300_000 + n * 60_000;
for (let j = 0; j < jobs.length;) {
  const calls = [];
  let inBlock = 0;
  while (j < jobs.length && inBlock + jobs[j][2] <= perBlock) {
    const [t, data, n] = jobs[j++];
    calls.push(['eth_sendTransaction', [{ from, to: tokens[t].address, data, gas: hex(gasFor(n)), nonce: hex(nonce++) }]]);
    inBlock += n;
  }
  if (calls.length === 0) { // a job bigger than a block: alone in its block
    const [t, data, n] = jobs[j++];
    calls.push(['eth_sendTransaction', [{ from, to: tokens[t].address, data, gas: hex(gasFor(n)), nonce: hex(nonce++) }]]);
    inBlock += n;
  }
  await batch(calls);
  await rpc('evm_mine');
  blocks++;
  sent += inBlock;
  if (Date.now() - lastSay > 10000) {
    const s = (Date.now() - t0) / 1000;
    say(`${sent} of ${N - K} transfers in ${blocks} blocks, ${s.toFixed(0)} s, ${(sent / s).toFixed(0)} transfers/s`);
    lastSay = Date.now();
  }
}
const head = Number(BigInt(await rpc('eth_blockNumber')));
const firstBlock = startHead + 1;

// ---- check: every transaction succeeded, the logs add up --------------------------------------------
let logs = 0;
for (let b = firstBlock; b <= head; b += 50) {
  const e = Math.min(head, b + 49);
  const r = await rpc('eth_getLogs', [{ fromBlock: hex(b), toBlock: hex(e), topics: [TRANSFER_TOPIC] }]);
  logs += r.length;
}
const blocksInfo = await batch(Array.from({ length: head - firstBlock + 1 }, (_, i) => ['eth_getBlockByNumber', [hex(firstBlock + i), false]]));
for (const b of blocksInfo) gasUsed += BigInt(b.gasUsed);
if (logs !== N) {
  // Find the failed transaction(s) for the message.
  for (const b of blocksInfo) {
    const rs = await batch(b.transactions.map((h) => ['eth_getTransactionReceipt', [h]]));
    const bad = rs.find((r) => r.status !== '0x1');
    if (bad) throw new Error(`transaction ${bad.transactionHash} in block ${Number(BigInt(bad.blockNumber))} failed (gas used ${Number(BigInt(bad.gasUsed))})`);
  }
  throw new Error(`expected ${N} Transfer logs, found ${logs}`);
}
const buildS = (Date.now() - t0) / 1000;
say(`chain built in ${buildS.toFixed(1)} s: blocks ${firstBlock}..${head}, ${logs} Transfer logs, ` +
    `${jobs.length + K} txs, ${(Number(gasUsed) / 1e9).toFixed(1)} Ggas (${(Number(gasUsed) / 1e6 / buildS).toFixed(0)} Mgas/s)`);
process.stdout.write(JSON.stringify({
  head, first_block: firstBlock, transfers: logs, holders: H, tokens: K,
  token_addresses: tokens.map((t) => t.address), blocks: head - firstBlock + 1, txs: jobs.length + K,
  per_block: perBlock, per_tx: perTx, seed: Number(seed), build_s: Number(buildS.toFixed(1)),
  gas_used: gasUsed.toString(), busiest_token_share: Number((counts[0] / churnTotal).toFixed(3)),
}) + '\n');
agent.destroy();
