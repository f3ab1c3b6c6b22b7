// Reorg end-to-end test of erc20-indexer against anvil:
//   node tests/e2e/reorg.test.mjs [--seed N] [--blocks N] [--rpc-delay-ms N] [--skip-s7]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// A seeded chain (the workload tokens, NFT, Batcher, WeirdToken) followed by the daemon with
// --confirmations 0 and a 50 ms poll, then blocks replaced under it:
//   S1  anvil_reorg of depth 1, 2, 5 and 12 over blocks full of transfers, the new blocks holding
//       other transfers (other amounts and recipients, fresh holders, some old mints replayed in
//       other blocks, the rest dropped);
//   S2  a token deployed inside the orphaned blocks: gone (404) after the reorg; then another
//       token deployed at the same address shows its own metadata;
//   S3  a reorg of depth 55 while a second daemon is still backfilling a 400+ block chain through
//       a delaying RPC proxy with --max-range 2;
//   S4  two reorgs in quick succession (deeper second, then shallower second);
//   S5  one-block reorgs at the tip that keep the height (with other transfers, then empty);
//   S6  anvil_rollback (the chain gets shorter) then fewer new blocks than were removed;
//   S7  a fresh daemon whose node reorganises between its eth_getLogs and its header fetch of the
//       same range (a hooking proxy makes it deterministic; --skip-s7 leaves it out).
// After each: the daemon's /v1/status block_hash equals the node's head hash, and everything it
// serves equals ground truth from eth_getLogs and balanceOf at that block (lib/checks.mjs), the
// reorg counters moved, and each detected reorg logged one `reorg:` info line.
// Prints "N passed, M failed"; exit code 0 on success.
import { startAnvil, rpc, rpcBatch, deploy, calldata, hex, mine, ZERO_ADDRESS } from './lib/chain.mjs';
import { makeTempDir, sleep } from './lib/proc.mjs';
import { buildChain, Rng } from './lib/workload.mjs';
import { groundTruth, erc20Transfers, totalSupply } from './lib/truth.mjs';
import { api, apiOk, allPages, waitForMetadata, tokenAddressOf, DAEMON_BIN } from './lib/daemon.mjs';
import { verifyAgainstTruth } from './lib/checks.mjs';
import { labelsModel, standardLabels, writeLabels } from './lib/labels.mjs';
import { startRpcProxy } from './lib/rpcproxy.mjs';
import {
  startFollower, waitSynced, status, nodeHead, blockHashes, resyncWorkload, planReplacement,
  anvilReorg, receiptStats, startHookProxy,
} from './lib/reorg.mjs';
import { createHarness, assert, parseArgs, FatalError } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 1);
const blocks = Number(args.blocks ?? 30);
const rpcDelayMs = Number(args['rpc-delay-ms'] ?? 20);
const POLL_MS = 50;
const h = createHarness('reorg', { timeoutMs: 175000 });
let anvil = null;
let daemon = null;
let daemonB = null;
let proxy = null;
let hook = null;
let daemonC = null;
let code = 1;

const rng = new Rng(seed * 7919 + 13);
const tx = (from, to, data) => ({ from, to, data, gas: hex(200_000) });
const keyOf = (t) => `${t.block}|${t.log_index}|${t.tx_hash}|${t.token}|${t.from}|${t.to}|${t.value}`;

try {
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; ${blocks} blocks; rpc proxy delay ${rpcDelayMs} ms`);
  anvil = await h.must('anvil starts', () => startAnvil({}));
  const url = anvil.url;
  const chain = await h.must(`build chain: 3 tokens + NFT/Batcher/WeirdToken, ${blocks} blocks`, () => buildChain(url, { seed, blocks }));
  const w = chain.workload;
  // Deploys the token of S2. Replacement transactions never use it, so the S2 reorg puts its nonce
  // back and its next deployment lands on the orphaned token's address.
  const deployer = w.accounts[99];
  const reserved = new Set([deployer]);
  h.log(`chain head ${chain.head}: ${w.stats.txs} txs, tokens ${chain.tokens.join(' ')}`);

  const dbA = makeTempDir('erc20-e2e-reorg-');
  // Labels (`*` and per-token rows): holders' labels and circulating_supply before and after each reorg.
  const labelRows = standardLabels(chain);
  writeLabels(`${dbA}/labels.csv`, labelRows);
  const labels = labelsModel(labelRows);
  daemon = await h.must(`daemon starts (--confirmations 0, --poll-interval-ms ${POLL_MS}, info log, --labels)`, () =>
    startFollower({ rpcUrl: url, db: `${dbA}/a`, pollMs: POLL_MS, extraArgs: ['--confirmations', '0', '--labels', `${dbA}/labels.csv`] }));
  const port = daemon.port;

  const counters = async (d) => ({ st: await status(d.port), lines: d.reorgs().length });
  let observable = 0; // reorgs daemon A must have logged at least

  /**
   * Wait until `d` stands on the node's head hash, compare everything with ground truth, then check
   * the reorg accounting against `before` (from counters()): `exact` reorgs (or between minCount and
   * maxCount), one parsed `reorg:` line per counted reorg, deepest_reorg >= depth, and the fields of
   * the lines (`line`: expected fields of the single line; `minAncestor`: lowest ancestor of all).
   */
  async function verifyScenario(label, d, before, expect = {}) {
    const s = await h.must(`[${label}] daemon reaches the node's head hash`, () => waitSynced(d.port, url, { timeoutMs: 45000, daemon: d }));
    h.log(`[${label}] daemon on head ${s.head} (${s.hash.slice(0, 10)}), waited ${s.ms} ms`);
    const truth = await groundTruth(url, s.head);
    await verifyAgainstTruth({ h, port: d.port, url, head: s.head, chain, label, labels: d === daemon ? labels : undefined }, truth);
    const after = await counters(d);
    const lines = d.reorgs().slice(before.lines);
    const delta = after.st.reorgs_total - before.st.reorgs_total;
    await h.check(`[${label}] reorgs_total +${expect.exact ?? `${expect.minCount ?? 1}..${expect.maxCount ?? '∞'}`}, one \`reorg:\` line each, deepest_reorg >= ${expect.depth}`, () => {
      if (expect.exact !== undefined) assert.equal(delta, expect.exact, 'reorgs_total increase');
      else {
        assert.ok(delta >= (expect.minCount ?? 1), `reorgs_total increased by ${delta}`);
        if (expect.maxCount !== undefined) assert.ok(delta <= expect.maxCount, `reorgs_total increased by ${delta} > ${expect.maxCount}`);
      }
      assert.equal(lines.length, delta, `reorg lines ${JSON.stringify(lines.map((l) => l.line))} vs reorgs_total +${delta}`);
      assert.ok(after.st.deepest_reorg >= expect.depth, `deepest_reorg ${after.st.deepest_reorg} < ${expect.depth}`);
      assert.ok(after.st.deepest_reorg >= Math.max(0, ...lines.map((l) => l.depth)), 'deepest_reorg below a logged depth');
      for (const l of lines) {
        assert.equal(l.depth, l.oldHead - l.ancestor, `depth of ${l.line}`);
        assert.ok(l.depth >= 1, `depth >= 1 in ${l.line}`);
      }
      if (expect.line) {
        assert.equal(lines.length, 1);
        for (const [k, v] of Object.entries(expect.line)) assert.equal(lines[0][k], v, `${k} in ${lines[0].line}`);
      }
      if (expect.minAncestor !== undefined) {
        assert.equal(Math.min(...lines.map((l) => l.ancestor)), expect.minAncestor, `lowest common ancestor in ${lines.map((l) => l.line).join(' | ')}`);
      }
    });
    for (const l of lines) h.log(`[${label}] ${l.line}`);
    return { ...s, truth, lines, delta };
  }

  // Note: anvil_reorg is not atomic for an observer: anvil drops the blocks then mines the new
  // ones, so the daemon may notice the reorg while the node's head is still below the old height
  // (the `node head` of its log line) and see the new branch grow; it still counts one reorg.

  /** The blocks above `ancestor` were all replaced, `ancestor` was not, the height is `height`. */
  async function checkReplaced(label, ancestor, oldHashes, height) {
    await h.check(`[${label}] blocks ${ancestor + 1}..${height} really replaced (new hashes), block ${ancestor} kept`, async () => {
      const head = await nodeHead(url);
      assert.equal(head.number, height, 'height');
      const now = await blockHashes(url, ancestor, ancestor + oldHashes.length - 1);
      assert.equal(now[0], oldHashes[0], `block ${ancestor} changed`);
      for (let i = 1; i < oldHashes.length; i++) assert.notEqual(now[i], oldHashes[i], `block ${ancestor + i} kept its hash`);
    });
  }

  /** The replacement transactions all landed (anvil numbered the nonces) and none reverted. */
  async function checkLanded(label, from, to, expected) {
    await h.check(`[${label}] all ${expected} replacement transactions mined in the new blocks, none reverted (nonces from the ancestor)`, async () => {
      const r = await receiptStats(url, from, to);
      assert.equal(r.ok + r.failed, expected, 'transactions in the new blocks');
      assert.equal(r.failed, 0, 'reverted');
    });
  }

  /** Old and new transfers of the replaced range differ: some dropped, some new. */
  async function checkDifferent(label, oldTransfers, from, to) {
    return h.check(`[${label}] the new blocks hold other transfers (some old dropped, some new)`, async () => {
      const now = await erc20Transfers(url, to, from);
      assert.ok(oldTransfers.length > 0, 'the orphaned blocks held transfers');
      assert.ok(now.length > 0, 'the new blocks hold transfers');
      const oldKeys = new Set(oldTransfers.map(keyOf));
      const newKeys = new Set(now.map(keyOf));
      const dropped = [...oldKeys].filter((k) => !newKeys.has(k)).length;
      const added = [...newKeys].filter((k) => !oldKeys.has(k)).length;
      assert.ok(dropped > 0 && added > 0, `dropped ${dropped}, added ${added}`);
      return { dropped, added, now: now.length };
    });
  }

  // ---- baseline --------------------------------------------------------------------------------
  {
    const before = await counters(daemon);
    await verifyScenario('initial', daemon, before, { exact: 0, depth: 0 });
  }

  // ---- S1: reorgs of depth 1, 2, 5, 12 with different transfers ---------------------------------
  for (const depth of [1, 2, 5, 12]) {
    const label = `S1 depth ${depth}`;
    for (let i = 0; i < depth; i++) await w.step({ txs: rng.int(5, 10) });
    const s = await h.must(`[${label}] daemon on the head before the reorg`, () => waitSynced(port, url, { daemon }));
    const H = s.head;
    const anc = H - depth;
    const oldHashes = await blockHashes(url, anc, H);
    const oldTransfers = await erc20Transfers(url, H, anc + 1);
    const before = await counters(daemon);
    const plan = await planReplacement(url, { w, rng, depth, reserved });
    await anvilReorg(url, depth, plan.txs);
    const t0 = Date.now();
    await checkReplaced(label, anc, oldHashes, H);
    await checkLanded(label, anc + 1, H, plan.txs.length);
    const diff = await checkDifferent(label, oldTransfers, anc + 1, H);
    h.log(`[${label}] ${oldTransfers.length} transfers orphaned; new blocks: ${JSON.stringify(plan.ops)} -> ${JSON.stringify(diff)}`);
    await verifyScenario(label, daemon, before, {
      exact: 1, depth, line: { oldHead: H, ancestor: anc, depth, undone: oldTransfers.length, tokensRemoved: 0 },
    });
    h.log(`[${label}] verified ${((Date.now() - t0) / 1000).toFixed(2)}s after the reorg`);
    observable++;
    await resyncWorkload(w);
  }

  // ---- S2: a token deployed in the orphaned blocks ---------------------------------------------
  {
    const label = 'S2 orphaned token';
    const s0 = await h.must(`[${label}] daemon on the head`, () => waitSynced(port, url, { daemon }));
    const H0 = s0.head;
    const ghost = await deploy(url, deployer, 'TestToken', ['Ghost Token', 'GHOST', 12]); // block H0+1
    const m = w.accounts;
    await rpcBatch(url, [
      ['eth_sendTransaction', [tx(m[10], ghost, calldata('TestToken', 'mint', [m[11], 10n ** 15n]))]],
      ['eth_sendTransaction', [tx(m[12], ghost, calldata('TestToken', 'mint', [m[13], 5n * 10n ** 14n]))]],
      ['eth_sendTransaction', [tx(m[14], ghost, calldata('TestToken', 'mint', [w.externals[0], 777n]))]],
    ]);
    await mine(url, 1); // block H0+2
    await rpc(url, 'eth_sendTransaction', [tx(m[11], ghost, calldata('TestToken', 'transfer', [m[15], 12345n]))]);
    await mine(url, 1); // block H0+3
    await resyncWorkload(w);
    await w.step({ txs: 8 }); // block H0+4: ordinary traffic on the other tokens
    const s1 = await h.must(`[${label}] daemon on the head with the new token`, () => waitSynced(port, url, { daemon }));
    const H = s1.head;
    const depth = H - H0;
    await h.check(`[${label}] before the reorg the daemon serves the token deployed at ${H0 + 1} with its metadata`, async () => {
      const d = await apiOk(port, `/v1/tokens/${ghost}`);
      assert.equal(d.transfers, 4);
      assert.equal(d.holders, 4);
      assert.equal(d.first_block, H0 + 2);
      const meta = await waitForMetadata(port, [ghost], 15000, { settled: false });
      assert.equal(meta[ghost].name, 'Ghost Token');
      assert.equal(meta[ghost].decimals, 12);
    });
    const oldTransfers = await erc20Transfers(url, H, H0 + 1);
    const oldAll = await blockHashes(url, H0, H);
    const before = await counters(daemon);
    const plan = await planReplacement(url, { w, rng, depth, reserved });
    await anvilReorg(url, depth, plan.txs);
    await checkReplaced(label, H0, oldAll, H);
    await checkLanded(label, H0 + 1, H, plan.txs.length);
    await h.check(`[${label}] the token has no code on the new branch`, async () => {
      assert.equal(await rpc(url, 'eth_getCode', [ghost, 'latest']), '0x');
    });
    await verifyScenario(label, daemon, before, {
      exact: 1, depth, line: { oldHead: H, ancestor: H0, depth, undone: oldTransfers.length, tokensRemoved: 1 },
    });
    observable++;
    await h.check(`[${label}] /v1/tokens/{ghost}, its holders and transfers answer 404; it is not listed; status.tokens excludes it`, async () => {
      for (const p of [`/v1/tokens/${ghost}`, `/v1/tokens/${ghost}/holders`, `/v1/tokens/${ghost}/transfers`]) {
        const r = await api(port, p);
        assert.equal(r.status, 404, `${p}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      }
      const { items } = await allPages(port, '/v1/tokens?limit=1000');
      assert.ok(!items.map(tokenAddressOf).includes(ghost), 'ghost token still listed');
      const st = await status(port);
      assert.equal(st.tokens, items.length);
    });

    // The same deployer nonce on the new branch gives the same address: a different token there
    // must show its own metadata, not the orphaned one's.
    await resyncWorkload(w);
    const phoenix = await deploy(url, deployer, 'TestToken', ['Phoenix Token', 'PHX', 3]);
    await rpcBatch(url, [
      ['eth_sendTransaction', [tx(m[20], phoenix, calldata('TestToken', 'mint', [m[21], 5000n]))]],
      ['eth_sendTransaction', [tx(m[22], phoenix, calldata('TestToken', 'mint', [m[23], 7000n]))]],
    ]);
    await mine(url, 1);
    await resyncWorkload(w);
    const before2 = await counters(daemon);
    const label2 = 'S2 same address redeployed';
    await h.check(`[${label2}] the new deployment reuses the orphaned token's address ${ghost}`, () => assert.equal(phoenix, ghost));
    await verifyScenario(label2, daemon, before2, { exact: 0, depth: 0 });
    await h.check(`[${label2}] metadata of the new token, not of the orphaned one (name, symbol, decimals, total_supply)`, async () => {
      const meta = await waitForMetadata(port, [phoenix], 15000);
      assert.equal(meta[phoenix].name, 'Phoenix Token');
      assert.equal(meta[phoenix].symbol, 'PHX');
      assert.equal(meta[phoenix].decimals, 3);
      assert.equal(meta[phoenix].total_supply, '12000');
      assert.equal(meta[phoenix].first_block, H + 2);
    });
  }

  // ---- S4: two reorgs in quick succession -------------------------------------------------------
  for (const [d1, d2, gapMax] of [[4, 6, 0], [6, 3, 80]]) {
    const label = `S4 reorg ${d1} then ${d2}`;
    for (let i = 0; i < Math.max(d1, d2); i++) await w.step({ txs: rng.int(4, 8) });
    const s = await h.must(`[${label}] daemon on the head before the reorgs`, () => waitSynced(port, url, { daemon }));
    const H = s.head;
    const deep = Math.max(d1, d2);
    const oldHashes = await blockHashes(url, H - deep, H);
    const before = await counters(daemon);
    const plan1 = await planReplacement(url, { w, rng, depth: d1, reserved });
    let plan2 = d2 > d1 ? await planReplacement(url, { w, rng, depth: d2, reserved }) : null; // valid at H-d2 on both branches
    await anvilReorg(url, d1, plan1.txs);
    if (!plan2) plan2 = await planReplacement(url, { w, rng, depth: d2, reserved }); // on top of the first new branch
    const gap = gapMax ? rng.int(0, gapMax) : 0;
    if (gap) await sleep(gap);
    await anvilReorg(url, d2, plan2.txs);
    h.log(`[${label}] second reorg ${gap} ms after the first (plus planning)`);
    await checkReplaced(label, H - deep, oldHashes, H);
    await checkLanded(label, H - d2 + 1, H, plan2.txs.length);
    // The daemon may see both or only the second; either way its lowest common ancestor is H-deep
    // (its original blocks above it are all gone) and it logs one line per reorg it handled.
    await verifyScenario(label, daemon, before, { minCount: 1, maxCount: 2, depth: Math.min(d1, d2), minAncestor: H - deep });
    observable++;
    await resyncWorkload(w);
  }

  // ---- S5: same-height reorgs at the tip --------------------------------------------------------
  {
    let label = 'S5 tip replaced, same height';
    await w.step({ txs: 10 });
    let s = await h.must(`[${label}] daemon on the head before the reorg`, () => waitSynced(port, url, { daemon }));
    let H = s.head;
    let oldHashes = await blockHashes(url, H - 1, H);
    let oldTransfers = await erc20Transfers(url, H, H);
    let before = await counters(daemon);
    const plan = await planReplacement(url, { w, rng, depth: 1, reserved, perBlock: [4, 6] });
    // A mint in the new tip, so that dropping it next (S5b) changes a supply.
    plan.txs.push([tx(w.accounts[30], w.tokens[0], calldata('TestToken', 'mint', [w.externals[1], 424242n])), 0]);
    await anvilReorg(url, 1, plan.txs);
    await checkReplaced(label, H - 1, oldHashes, H);
    await checkLanded(label, H, H, plan.txs.length);
    await checkDifferent(label, oldTransfers, H, H);
    let r = await verifyScenario(label, daemon, before, {
      exact: 1, depth: 1, line: { oldHead: H, ancestor: H - 1, depth: 1, undone: oldTransfers.length, tokensRemoved: 0 },
    });
    await h.check(`[${label}] the daemon's height did not change (${H})`, () => assert.equal(r.status.block, H));
    observable++;

    label = 'S5 tip replaced by an empty block';
    oldHashes = await blockHashes(url, H - 1, H);
    oldTransfers = await erc20Transfers(url, H, H);
    before = await counters(daemon);
    await anvilReorg(url, 1, []);
    await checkReplaced(label, H - 1, oldHashes, H);
    await h.check(`[${label}] the new tip holds no transaction; the old one held ${oldTransfers.length} transfers`, async () => {
      const b = await rpc(url, 'eth_getBlockByNumber', [hex(H), false]);
      assert.equal(b.transactions.length, 0);
      assert.ok(oldTransfers.length > 0);
      assert.ok(oldTransfers.some((t) => t.from === ZERO_ADDRESS), 'the old tip held a mint');
    });
    r = await verifyScenario(label, daemon, before, {
      exact: 1, depth: 1, line: { oldHead: H, ancestor: H - 1, depth: 1, undone: oldTransfers.length, tokensRemoved: 0 },
    });
    observable++;
    await h.check(`[${label}] total_supply of every token == totalSupply() at the head once refreshed (the undone mints no longer count)`, async () => {
      const meta = await waitForMetadata(port, r.truth.tokens, 10000);
      for (const t of r.truth.tokens) assert.equal(meta[t].total_supply, (await totalSupply(url, t, H)).toString(), t);
    });
    await resyncWorkload(w);
  }

  // ---- S6: the chain gets shorter (anvil_rollback) ----------------------------------------------
  {
    const label = 'S6 rollback 3, then 2 new blocks';
    for (let i = 0; i < 3; i++) await w.step({ txs: rng.int(4, 8) });
    const s = await h.must(`[${label}] daemon on the head before the rollback`, () => waitSynced(port, url, { daemon }));
    const H = s.head;
    const oldHashes = await blockHashes(url, H - 3, H);
    const oldTransfers = await erc20Transfers(url, H, H - 2);
    const before = await counters(daemon);
    await rpc(url, 'anvil_rollback', [3]);
    await resyncWorkload(w);
    await sleep(3 * POLL_MS); // the daemon sees a node below its cursor, still on its chain
    await w.step({ txs: 6 });
    await w.step({ txs: 6 });
    await checkReplaced(label, H - 3, oldHashes.slice(0, 3), H - 1);
    const r = await verifyScenario(label, daemon, before, {
      exact: 1, depth: 3, line: { oldHead: H, ancestor: H - 3, depth: 3, undone: oldTransfers.length, tokensRemoved: 0 },
    });
    await h.check(`[${label}] the daemon went down to the shorter head ${H - 1}`, () => assert.equal(r.status.block, H - 1));
    observable++;
  }

  // ---- S3: a reorg while a second daemon is still backfilling ----------------------------------
  {
    const label = 'S3 reorg mid-backfill';
    const DEPTH = 55; // < 64: the ancestor stays above anvil's finalized block
    const w0 = w.head;
    w.head = await mine(url, 300);
    w.stats.blocks += w.head - w0;
    for (let i = 0; i < 70; i++) await w.step({ txs: rng.int(3, 7) });
    const sA = await h.must(`[${label}] daemon A on the head of the ${w.head}-block chain`, () => waitSynced(port, url, { daemon, timeoutMs: 60000 }));
    const H = sA.head;
    const anc = H - DEPTH;
    const trigger = H - 45;
    const oldHashes = await blockHashes(url, anc, H);
    const oldTransfers = await erc20Transfers(url, H, anc + 1);
    const plan = await planReplacement(url, { w, rng, depth: DEPTH, reserved, perBlock: [1, 3] });
    const beforeA = await counters(daemon);

    proxy = await startRpcProxy({ target: url, delayMs: rpcDelayMs });
    const dbB = makeTempDir('erc20-e2e-reorg-b-');
    const t0 = Date.now();
    daemonB = await h.must(`[${label}] daemon B starts through a ${rpcDelayMs} ms RPC proxy with --max-range 2`, () =>
      startFollower({ rpcUrl: proxy.url, db: `${dbB}/b`, pollMs: POLL_MS, extraArgs: ['--confirmations', '0', '--max-range', '2'] }));
    const beforeB = await counters(daemonB);
    const atTrigger = await h.must(`[${label}] daemon B backfills to block >= ${trigger} (head ${H})`, async () => {
      const deadline = Date.now() + 90000;
      for (;;) {
        const st = await status(daemonB.port);
        if (st.block !== null && st.block >= trigger) return st;
        if (Date.now() > deadline) throw new Error(`B at ${JSON.stringify(st)}`);
        if (daemonB.exited()) throw new Error(`daemon B exited\n${daemonB.logs()}`);
        await sleep(5);
      }
    });
    proxy.setDelay(300); // slow B down while the node reorganises under it
    await anvilReorg(url, DEPTH, plan.txs);
    const afterReorg = await status(daemonB.port);
    proxy.setDelay(rpcDelayMs);
    h.log(`[${label}] B at block ${atTrigger.block} (${atTrigger.state}) ${Date.now() - t0} ms after start; reorg ${DEPTH} below head ${H}; B at ${afterReorg.block} right after`);
    await h.check(`[${label}] the reorg happened while B was backfilling, with blocks above the ancestor ${anc} indexed and the head not reached`, () => {
      assert.equal(atTrigger.state, 'backfilling');
      assert.ok(atTrigger.block > anc && atTrigger.block < H, `B at ${atTrigger.block}`);
      assert.ok(afterReorg.block < H, `B at ${afterReorg.block} after the reorg`);
    });
    await checkReplaced(label, anc, oldHashes, H);
    await checkLanded(label, anc + 1, H, plan.txs.length);
    await checkDifferent(label, oldTransfers, anc + 1, H);
    // B had indexed blocks of the old branch above the ancestor: it must undo them (maybe in two
    // steps if a fetch straddled the reorg), never below the ancestor.
    await verifyScenario(`${label} (daemon B)`, daemonB, beforeB, { minCount: 1, depth: 1, minAncestor: anc });
    h.log(`[${label}] B finished ${((Date.now() - t0) / 1000).toFixed(1)}s after its start`);
    await verifyScenario(`${label} (daemon A)`, daemon, beforeA, {
      exact: 1, depth: DEPTH, line: { oldHead: H, ancestor: anc, depth: DEPTH, undone: oldTransfers.length, tokensRemoved: 0 },
    });
    observable++;
    await h.check(`[${label}] daemon B stops cleanly`, async () => {
      const rr = await daemonB.stop('SIGTERM', 15000);
      assert.equal(rr.code, 0, JSON.stringify(rr));
    });
    await proxy.close();
    proxy = null;
  }

  // ---- S7: a reorg between the daemon's eth_getLogs and its header fetch -----------------------
  // A fresh daemon C indexes the chain through a proxy that, right after the node answered C's
  // eth_getLogs for the range ending at the head, replaces the last 2 blocks (empty until then)
  // with blocks holding transfers. C then reads the new headers: they link, and the logs it holds
  // (all of blocks below) carry hashes that match, so nothing looks inconsistent, yet the logs of
  // the new blocks were never fetched. C must end with exactly the node's transfers.
  if (!args['skip-s7']) {
    const label = 'S7 reorg between eth_getLogs and the headers';
    const w0 = w.head;
    w.head = await mine(url, 3); // no transfer in the last 3 blocks
    w.stats.blocks += w.head - w0;
    const sA = await h.must(`[${label}] daemon A on the head`, () => waitSynced(port, url, { daemon }));
    const H = sA.head;
    const before = await counters(daemon);
    const plan = await planReplacement(url, { w, rng, depth: 2, reserved, perBlock: [2, 3] });
    let fired = null;
    hook = await startHookProxy({
      target: url,
      onAnswer: async (body) => {
        if (fired || !body.includes('"eth_getLogs"')) return;
        const msg = JSON.parse(body);
        const req = (Array.isArray(msg) ? msg : [msg]).find((m) => m.method === 'eth_getLogs');
        const to = req.params[0].toBlock;
        if (!/^0x[0-9a-f]+$/i.test(to) || Number(BigInt(to)) < H) return;
        fired = { from: Number(BigInt(req.params[0].fromBlock)), to: Number(BigInt(to)) };
        await anvilReorg(url, 2, plan.txs);
      },
    });
    const dbC = makeTempDir('erc20-e2e-reorg-c-');
    daemonC = await h.must(`[${label}] daemon C starts through the hooking proxy`, () =>
      startFollower({ rpcUrl: hook.url, db: `${dbC}/c`, pollMs: POLL_MS, extraArgs: ['--confirmations', '0'] }));
    const sC = await h.must(`[${label}] daemon C reaches the node's head hash`, () => waitSynced(daemonC.port, url, { daemon: daemonC, timeoutMs: 30000 }));
    await h.check(`[${label}] the node reorganised blocks ${H - 1}..${H} right after answering C's eth_getLogs up to the head`, async () => {
      assert.ok(fired, 'no eth_getLogs up to the head was seen');
      const now = await erc20Transfers(url, H, H - 1);
      assert.ok(now.length > 0, 'the new blocks hold transfers');
      h.log(`[${label}] eth_getLogs ${fired.from}..${fired.to} answered from the old branch; the new blocks ${H - 1}..${H} hold ${now.length} transfers`);
    });
    await sleep(4 * POLL_MS); // C could still notice something: give it a few polls
    await h.check(`[${label}] daemon C serves exactly the node's transfers (status.transfers and every token's transfer list)`, async () => {
      const truth = await groundTruth(url, sC.head);
      const st = await status(daemonC.port);
      assert.equal(st.block_hash, sC.hash);
      const merged = [];
      for (const t of truth.tokens) merged.push(...(await allPages(daemonC.port, `/v1/tokens/${t}/transfers?limit=1000`)).items);
      const got = new Set(merged.map((x) => keyOf(x)));
      const missing = truth.transfers.filter((t) => !got.has(keyOf(t)));
      assert.deepEqual(missing.map((t) => `${t.block}/${t.log_index}`), [], `transfers of the node missing from daemon C (C: ${st.transfers}, node: ${truth.transfers.length})`);
      assert.equal(st.transfers, truth.transfers.length, 'status.transfers');
    });
    await verifyScenario(`${label} (daemon A)`, daemon, before, {
      exact: 1, depth: 2, line: { oldHead: H, ancestor: H - 2, depth: 2, undone: 0, tokensRemoved: 0 },
    });
    observable++;
    await daemonC.stop('SIGTERM', 10000);
    await hook.close();
    hook = null;
  }

  // ---- totals -----------------------------------------------------------------------------------
  await h.check(`daemon A: one \`reorg:\` line per counted reorg, >= ${observable} observable reorgs, deepest_reorg == deepest line, no unparsed reorg line`, async () => {
    const st = await status(port);
    const lines = daemon.reorgs();
    assert.equal(lines.length, st.reorgs_total);
    assert.ok(st.reorgs_total >= observable, `reorgs_total ${st.reorgs_total} < ${observable}`);
    assert.equal(st.deepest_reorg, Math.max(...lines.map((l) => l.depth)));
    assert.ok(st.deepest_reorg >= 55);
    assert.deepEqual(daemon.unparsedReorgLines(), []);
    assert.equal(st.state, 'following');
    h.log(`daemon A: reorgs_total ${st.reorgs_total}, deepest_reorg ${st.deepest_reorg}`);
  });
  await h.check('daemon A exits cleanly (code 0) on SIGTERM', async () => {
    const rr = await daemon.stop('SIGTERM', 15000);
    assert.equal(rr.escalated, false, 'had to SIGKILL');
    assert.equal(rr.code, 0, `exit ${JSON.stringify(rr)}`);
  });
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  if (daemon) console.log(`--- daemon A output (tail) ---\n${daemon.logs()}\n---`);
  if (daemonB) console.log(`--- daemon B output (tail) ---\n${daemonB.logs()}\n---`);
  if (daemonC) console.log(`--- daemon C output (tail) ---\n${daemonC.logs()}\n---`);
} finally {
  if (daemon && !daemon.exited()) await daemon.stop('SIGTERM', 10000);
  if (daemonB && !daemonB.exited()) await daemonB.stop('SIGTERM', 10000);
  if (daemonC && !daemonC.exited()) await daemonC.stop('SIGTERM', 10000);
  if (proxy) await proxy.close();
  if (hook) await hook.close();
  if (anvil) await anvil.stop();
  code = h.finish();
}
process.exit(code);
