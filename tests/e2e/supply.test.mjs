// total_supply against the chain: during a backfill, while following, after anvil_reorg,
// anvil_rollback, evm_revert and a kill -9 + restart, every token's total_supply equals
// totalSupply() at its total_supply_block on the node's canonical chain (by that block's hash),
// /v1/tokens items equal /v1/tokens/{token} read at the same state, and once settled total_supply
// equals indexed_supply. Also: validators (ETag) change with the block and with the metadata, and
// a 304 on a full holders export costs next to nothing.
import { createHarness, assert, parseArgs, deepEqualWithPath } from './lib/harness.mjs';
import { startAnvil, rpc, hex, deploy, calldata, mine, blockNumber } from './lib/chain.mjs';
import { makeTempDir, sleep, httpRequest } from './lib/proc.mjs';
import { startDaemon, api, apiOk, waitForBlock } from './lib/daemon.mjs';
import http from 'node:http';
import { anvilReorg, waitSynced } from './lib/reorg.mjs';
import { Rng } from './lib/workload.mjs';
import { deployAirdrop, airdrop } from './lib/airdrop.mjs';

const args = parseArgs();
const h = createHarness('supply', { timeoutMs: 170000 });
const rng = new Rng(Number(args.seed ?? 11));
const GAS = hex(200_000);

const anvil = await startAnvil({ args: ['--gas-limit', '1000000000'] });
const url = anvil.url;
const accounts = (await rpc(url, 'eth_accounts')).map((a) => a.toLowerCase());

// The daemon reaches anvil through a proxy that can hold eth_call answers back (a test decides
// when metadata arrives) and that keeps eth_calls and chain changes apart: anvil 1.7.1 answers an
// eth_call by the head block's hash from the state of a block it is mining (about 1 call in 20
// while blocks are mined back to back); a real node does not.
let gate = null;
const hold = () => { let open; const p = new Promise((r) => { open = r; }); gate = { p, open }; };
const release = () => { if (gate) gate.open(); gate = null; };
let delayMs = 0;
let callsAtNode = 0;
let changing = null;  // a promise while the test changes the chain
const proxy = await new Promise((resolve) => {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const isCall = body.includes('"eth_call"');
      try {
        if (delayMs > 0) await sleep(delayMs);
        if (isCall) { while (changing) await changing; callsAtNode++; }
        let up;
        try { up = await httpRequest(url, { method: 'POST', body, timeoutMs: 60000 }); } finally { if (isCall) callsAtNode--; }
        if (isCall && gate) await gate.p;
        res.writeHead(up.status, { 'content-type': 'application/json' });
        res.end(up.text);
      } catch (e) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy error: ${e.message}`);
      }
    });
  });
  server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  }));
});
/** Runs `fn` (a chain change) while no eth_call of the daemon is at the node. */
async function exclusive(fn) {
  while (changing) await changing;
  let done;
  changing = new Promise((r) => { done = r; });
  try {
    while (callsAtNode > 0) await sleep(2);
    return await fn();
  } finally {
    changing = null;
    done();
  }
}

const tokens = [];
for (let i = 0; i < 5; i++) tokens.push(await deploy(url, accounts[0], 'TestToken', [`Supply ${i}`, `S${i}`, 18]));
const send = (from, to, data) => rpc(url, 'eth_sendTransaction', [{ from, to, data, gas: GAS }]);
const tt = (fn, a) => calldata('TestToken', fn, a);
for (const t of tokens) await send(accounts[0], t, tt('mint', [accounts[0], 10n ** 30n]));
await mine(url);

/** Transaction requests of one block of random mints, burns and transfers on `on`. */
function opsFor(on = tokens) {
  const txs = [];
  for (const t of on) {
    for (let k = rng.int(1, 3); k > 0; k--) {
      const v = BigInt(rng.int(1, 1_000_000)) * 10n ** BigInt(rng.int(0, 12));
      const kind = rng.pick(['mint', 'mint', 'burn', 'transfer']);
      if (kind === 'mint') txs.push({ from: rng.pick(accounts.slice(1, 10)), to: t, data: tt('mint', [rng.pick(accounts.slice(1, 20)), v]), gas: GAS });
      else if (kind === 'burn') txs.push({ from: accounts[1], to: t, data: tt('burn', [accounts[0], v]), gas: GAS });
      else txs.push({ from: accounts[0], to: t, data: tt('transfer', [rng.pick(accounts.slice(1, 20)), v]), gas: GAS });
    }
  }
  return txs;
}
async function activity(blocks, on = tokens) {
  for (let b = 0; b < blocks; b++) {
    for (const tx of opsFor(on)) await rpc(url, 'eth_sendTransaction', [tx]);
    await exclusive(() => mine(url));
  }
  return blockNumber(url);
}

const supplyAt = async (token, blockHash) =>
  BigInt(await rpc(url, 'eth_call', [{ to: token, data: tt('totalSupply', []) }, { blockHash }]));

/**
 * One look at the daemon: the token list, every token's detail and the list again. Checks that
 * each shown total_supply is totalSupply() at total_supply_block of the canonical chain (an
 * answer without the field is taken as read at its `block`). Returns {block, consistent, settled}:
 * consistent when both lists came from one state (same ETag) and each detail equals its item;
 * settled when every supply is read and equals indexed_supply.
 */
async function look(port, label) {
  const st = await apiOk(port, '/v1/status');
  const first = await api(port, '/v1/tokens?limit=1000');
  assert.equal(first.status, 200, `${label}: /v1/tokens: ${first.text.slice(0, 200)}`);
  // Until the daemon sees that its head is gone, everything it shows is of its own chain.
  const nodeBlock = await rpc(url, 'eth_getBlockByNumber', [hex(st.block), false]);
  if (st.block !== first.json.block || nodeBlock?.hash !== st.block_hash) return { block: st.block, stale: true };
  const details = new Map();
  for (const it of first.json.items) details.set(it.address, await apiOk(port, `/v1/tokens/${it.address}`));
  const again = await api(port, '/v1/tokens?limit=1000');
  const block = first.json.block;
  const hashes = new Map();
  const hashOf = async (n) => {
    if (!hashes.has(n)) hashes.set(n, (await rpc(url, 'eth_getBlockByNumber', [hex(n), false]))?.hash ?? null);
    return hashes.get(n);
  };
  let settled = first.json.items.length === tokens.length;
  for (const it of [...first.json.items, ...details.values()]) {
    if (it.total_supply === null) { settled = false; continue; }
    const at = 'total_supply_block' in it ? it.total_supply_block : (it.block ?? block);
    assert.ok(Number.isInteger(at), `${label}: ${it.address} total_supply ${it.total_supply} without total_supply_block`);
    const hash = await hashOf(at);
    assert.ok(hash, `${label}: ${it.address} total_supply_block ${at} is not a block of the node`);
    const expected = await supplyAt(it.address, hash);
    assert.equal(BigInt(it.total_supply), expected,
      `${label}: ${it.address} total_supply ${it.total_supply} != totalSupply() at block ${at} (${hash}); answer block ${it.block ?? block}`);
    if (it.total_supply !== it.indexed_supply) settled = false;
  }
  let consistent = again.headers.etag === first.headers.etag && again.json.block === block;
  if (consistent) {
    for (const it of first.json.items) {
      const d = details.get(it.address);
      if (d.block !== block) { consistent = false; break; }
      const { block: _b, ...rest } = d;
      deepEqualWithPath(it, rest, `${label}: /v1/tokens item vs /v1/tokens/${it.address} at block ${block}`);
    }
  }
  return { block, consistent, settled };
}

/** Looks until settled and consistent; every look must pass look()'s checks. Returns the looks. */
async function settle(port, label, { timeoutMs = 20000, head = null } = {}) {
  const deadline = Date.now() + timeoutMs;
  let looks = 0;
  for (;;) {
    const r = await look(port, label);
    if (!r.stale) looks++;
    if (r.settled && r.consistent && (head === null || r.block === head)) return { ...r, looks };
    if (Date.now() > deadline) throw new Error(`${label}: not settled after ${timeoutMs} ms (${looks} looks, last ${JSON.stringify(r)})`);
    await sleep(50);
  }
}

try {
  // ---- backfill ---------------------------------------------------------------------------------
  const head0 = await activity(60);
  // A token with many holders, for the cost of a 304 on a whole export.
  const air = await deployAirdrop(url, accounts[0]);
  await airdrop(url, accounts[0], air, 0, 20000, { perTx: 2000, perBlock: 10 });
  const head1 = await activity(40);
  tokens.push(air);
  const db = makeTempDir();
  delayMs = 15;
  const daemonArgs = ['--max-range', '2', '--fetch-workers', '1', '--reorg-window', '16'];
  const logLevel = process.env.SUPPLY_DEBUG ? 'debug' : 'warn';
  let d = await startDaemon({ rpcUrl: proxy.url, db, extraArgs: daemonArgs, logLevel });
  await h.check(`during a backfill to ${head1} (from ${head0 - 60}): every total_supply is totalSupply() at its total_supply_block`, async () => {
    let looks = 0;
    for (;;) {
      const st = await apiOk(d.port, '/v1/status');
      if (st.block !== null && st.block >= head1) break;
      if (st.block !== null && !(await look(d.port, `backfill at ${st.block}`)).stale) looks++;
      await sleep(20);
    }
    assert.ok(looks >= 3, `only ${looks} looks during the backfill`);
    h.log(`${looks} looks during the backfill`);
  });
  delayMs = 0;
  await h.check('after the backfill: settled, list == details, total_supply == indexed_supply', () => settle(d.port, 'after backfill', { head: head1 }));

  // ---- metadata written after its block reaches the list (point 9) and changes the ETag -------
  await h.check('a first page read before a block\'s metadata is not served after it (list == details at one block)', async () => {
    hold();
    const head = await activity(1);
    await waitForBlock(d.port, head, 20000, d);
    const before = await api(d.port, `/v1/tokens/${tokens[0]}`);
    const listBefore = await api(d.port, '/v1/tokens?limit=1000');  // pins a snapshot of this block
    release();
    await settle(d.port, 'metadata after the block', { head });
    const after = await api(d.port, `/v1/tokens/${tokens[0]}`);
    assert.equal(after.json.block, before.json.block);
    if (before.json.total_supply !== after.json.total_supply) {
      assert.notEqual(after.headers.etag, before.headers.etag, 'ETag unchanged although the metadata changed');
      const c = await httpRequest(`http://127.0.0.1:${d.port}/v1/tokens/${tokens[0]}`, { headers: { 'if-none-match': before.headers.etag } });
      assert.equal(c.status, 200, 'an old ETag after a metadata write must not give 304');
    }
    const listAfter = await api(d.port, '/v1/tokens?limit=1000');
    assert.notEqual(listAfter.headers.etag, listBefore.headers.etag, 'the list kept its ETag across a metadata write');
  });

  // ---- validators ---------------------------------------------------------------------------------
  await h.check('a 304 on a full holders export (20000 holders) costs next to nothing; the ETag changes with the block', async () => {
    const p = `/v1/tokens/${air}/holders?format=csv`;
    const base = `http://127.0.0.1:${d.port}`;
    const full = await httpRequest(base + p);
    assert.equal(full.status, 200);
    assert.ok(full.headers.etag, 'the export carries an ETag');
    assert.ok(full.text.split('\r\n').length - 2 >= 20000, 'export rows');
    const time = async (headers) => {
      const ms = [];
      for (let i = 0; i < 7; i++) {
        const t0 = process.hrtime.bigint();
        const r = await httpRequest(base + p, { headers });
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
        assert.equal(r.status, headers['if-none-match'] ? 304 : 200);
      }
      // The fastest of 7: the cost of the work itself. A median also carries whatever else the
      // machine runs (ctest -j2 runs another e2e test beside this one), which made a 304 of
      // ~0.6 ms measure 5 ms once on a loaded box.
      return Math.min(...ms);
    };
    const exportMs = await time({});
    const notModifiedMs = await time({ 'if-none-match': full.headers.etag });
    h.log(`export ${exportMs.toFixed(2)} ms, 304 ${notModifiedMs.toFixed(2)} ms (fastest of 7)`);
    assert.ok(notModifiedMs * 5 < exportMs, `304 took ${notModifiedMs} ms, the export ${exportMs} ms`);
    const dist = await httpRequest(`${base}/v1/tokens/${air}/distribution`);
    const dist304 = await httpRequest(`${base}/v1/tokens/${air}/distribution`, { headers: { 'if-none-match': dist.headers.etag } });
    assert.equal(dist304.status, 304);
    const head = await exclusive(() => mine(url));  // a block that touches no token
    await waitForBlock(d.port, head, 20000, d);
    const moved = await httpRequest(base + p, { headers: { 'if-none-match': full.headers.etag } });
    assert.equal(moved.status, 200, 'a new block must change the validator');
    assert.notEqual(moved.headers.etag, full.headers.etag);
  });

  // ---- reorgs ---------------------------------------------------------------------------------
  // Each change is made with the metadata held back until the daemon stands on the new head and
  // has served a first page there, so supplies of the new branch arrive after that page.
  const reorgCase = async (label, mutate) => {
    await h.check(label, async () => {
      hold();
      const head = await mutate();
      await waitSynced(d.port, url, { daemon: d });
      await look(d.port, `${label}, metadata held`);
      release();
      const r = await settle(d.port, label, { head });
      h.log(`${label}: settled after ${r.looks} looks`);
    });
  };
  await reorgCase('anvil_reorg depth 3, same height, other mints and burns', async () => {
    await activity(4);
    const txs = opsFor().map((tx) => [tx, rng.int(0, 2)]);
    return (await exclusive(() => anvilReorg(url, 3, txs))).number;
  });
  await reorgCase('anvil_rollback 2, then 3 blocks of other transfers', async () => {
    await activity(3);
    await exclusive(() => rpc(url, 'anvil_rollback', [2]));
    return activity(3, tokens.slice(0, 3));
  });
  await reorgCase('evm_snapshot, 3 blocks, evm_revert, 4 other blocks', async () => {
    const snap = await rpc(url, 'evm_snapshot', []);
    await activity(3);
    await exclusive(() => rpc(url, 'evm_revert', [snap]));
    return activity(4, tokens.slice(2));
  });

  // ---- kill -9 and restart ----------------------------------------------------------------------
  await h.check('kill -9 before a block\'s supplies are read, restart: read again and settled', async () => {
    hold();
    const head = await activity(1);
    await waitForBlock(d.port, head, 20000, d);
    await d.kill9();
    release();
    d = await startDaemon({ rpcUrl: proxy.url, db, extraArgs: daemonArgs, logLevel });
      await settle(d.port, 'restart', { head });
  });
  await h.check('kill -9, anvil_reorg depth 2 while down, restart: settled on the new branch', async () => {
    await d.kill9();
    const head = (await anvilReorg(url, 2, opsFor(tokens.slice(1, 4)).map((tx) => [tx, rng.int(0, 1)]))).number;
    d = await startDaemon({ rpcUrl: proxy.url, db, extraArgs: daemonArgs, logLevel });
      await waitSynced(d.port, url, { daemon: d });
    await settle(d.port, 'restart after a reorg', { head });
  });
  await d.stop();
} catch (e) {
  h.fail('unexpected error', e);
} finally {
  release();
  await proxy.close();
  await anvil.stop();
}
process.exit(h.finish());
