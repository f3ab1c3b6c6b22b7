// Core end-to-end test of erc20-indexer against anvil:
//   node tests/e2e/core.test.mjs [--seed N] [--blocks N]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// Builds a seeded chain (3 ERC20s with 18/6/0 decimals, an ERC721, a Batcher doing several
// transferFroms per transaction, a WeirdToken emitting non-ERC20-shaped Transfer logs; 100
// accounts; >= 60 blocks of mixed traffic), runs the daemon on it and compares everything it
// serves with ground truth from eth_getLogs and eth_call. Then keeps sending transactions while the
// daemon runs and checks that it follows. Prints "N passed, M failed"; exit code 0 on success.
import fs from 'node:fs';
import { startAnvil, mine } from './lib/chain.mjs';
import { labelsModel, standardLabels, writeLabels } from './lib/labels.mjs';
import { makeTempDir } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { groundTruth, totalSupply } from './lib/truth.mjs';
import { api, apiOk, startDaemon, waitForBlock, waitForMetadata, DAEMON_BIN } from './lib/daemon.mjs';
import { verifyAgainstTruth, verifyBadInputs } from './lib/checks.mjs';
import { createHarness, assert, parseArgs, FatalError } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 1);
const blocks = Number(args.blocks ?? 60);
const h = createHarness('core', { timeoutMs: 170000 });
let anvil = null;
let daemon = null;
let code = 1;

try {
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; ${blocks} blocks`);
  anvil = await h.must('anvil starts', () => startAnvil({}));
  const chain = await h.must(`build chain: 3 tokens, 100 accounts, ${blocks} blocks`, async () => {
    const c = await buildChain(anvil.url, { seed, blocks });
    assert.ok(c.head >= blocks);
    assert.equal(c.accounts.length, 100);
    return c;
  });
  const w = chain.workload;
  h.log(`chain head ${chain.head}: ${w.stats.txs} txs (${w.stats.failedExpected} intentional reverts), tokens ${chain.tokens.join(' ')}`);
  let truth = await groundTruth(anvil.url, chain.head);
  h.log(`${truth.transfers.length} ERC20 transfers in the ground truth`);

  const db = makeTempDir('erc20-e2e-core-');
  const labelRows = standardLabels(chain);
  const labelsFile = `${db}/labels.csv`;
  writeLabels(labelsFile, labelRows);
  const t0 = Date.now();
  daemon = await h.must('daemon starts (with --labels) and serves /v1/status', () => startDaemon({ rpcUrl: anvil.url, db: `${db}/db`, extraArgs: ['--labels', labelsFile] }));
  const port = daemon.port;
  await h.must(`daemon reaches head ${chain.head}`, () => waitForBlock(port, chain.head, 60000, daemon));
  h.log(`daemon indexed ${chain.head} blocks in ${((Date.now() - t0) / 1000).toFixed(2)}s (pid ${daemon.pid}, port ${port})`);

  await h.check('metadata (name, symbol, decimals, total_supply) == deployed values, total_supply == totalSupply() == minted - burned', async () => {
    const meta = await waitForMetadata(port, chain.tokens, 30000);
    for (const s of chain.tokenSpecs) {
      const d = meta[s.address];
      assert.equal(d.name, s.name);
      assert.equal(d.symbol, s.symbol);
      assert.equal(d.decimals, s.decimals);
      const st = truth.stats.get(s.address);
      assert.equal(d.total_supply, (await totalSupply(anvil.url, s.address, chain.head)).toString());
      assert.equal(d.total_supply, (st.minted - st.burned).toString());
    }
  });

  const ctx = { h, port, url: anvil.url, head: chain.head, chain, label: 'backfill', labels: labelsModel(labelRows) };
  await verifyAgainstTruth(ctx, truth);
  await verifyBadInputs(ctx);

  // ---- follow: more traffic while the daemon runs ---------------------------------------------
  const followBlocks = 6;
  for (let i = 0; i < followBlocks; i++) {
    await w.step();
    await new Promise((r) => setTimeout(r, 150));
  }
  const newHead = await mine(anvil.url, 3); // and a few empty blocks
  w.head = newHead;
  const t1 = Date.now();
  await h.must(`daemon follows to the new head ${newHead}`, () => waitForBlock(port, newHead, 30000, daemon));
  h.log(`daemon caught up ${newHead - chain.head} new blocks within ${((Date.now() - t1) / 1000).toFixed(2)}s of the last one`);
  truth = await groundTruth(anvil.url, newHead);
  await verifyAgainstTruth({ ...ctx, head: newHead, label: 'follow' }, truth);
  await h.check('[follow] total_supply refreshed to totalSupply() at the new head', async () => {
    const meta = await waitForMetadata(port, chain.tokens, 30000);
    for (const t of chain.tokens) assert.equal(meta[t].total_supply, (await totalSupply(anvil.url, t, newHead)).toString());
  });

  await h.check('SIGHUP re-reads --labels: the new labels, circulating_supply and a new ETag; a bad file keeps them, the log naming its line', async () => {
    const t = chain.tokens[0];
    const who = chain.accounts[2];
    const path = `/v1/tokens/${t}/holders/${who}`;
    const before = await api(port, path);
    assert.equal(before.json.category, 'exchange');
    const rows2 = labelRows.map((r) => (r.token === '*' && r.address === who ? { ...r, category: 'reserve', label: 'Reserve' } : r));
    writeLabels(labelsFile, rows2);
    process.kill(daemon.pid, 'SIGHUP');
    let now = before;
    for (let i = 0; i < 100 && now.json.category !== 'reserve'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = await api(port, path);
    }
    assert.equal(now.json.category, 'reserve', 'reloaded within 5 s');
    assert.equal(now.json.label, 'Reserve');
    assert.notEqual(now.headers.etag, before.headers.etag, 'a reload makes a new ETag');
    const s = truth.stats.get(t);
    const d = await apiOk(port, `/v1/tokens/${t}`);
    assert.equal(d.circulating_supply, labelsModel(rows2).circulating(t, s.minted - s.burned, truth.balances.get(t)).toString());
    fs.writeFileSync(labelsFile, 'token,address,category,label\r\n*,0x12,burn,x\r\n');
    process.kill(daemon.pid, 'SIGHUP');
    for (let i = 0; i < 100 && !daemon.logs().includes('labels not reloaded'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(daemon.logs(), /labels not reloaded, the previous 4 rows stay: labels file .*labels\.csv, line 2: address '0x12' is not an address/);
    assert.equal((await apiOk(port, path)).category, 'reserve', 'the labels in use stay');
  });

  await h.check('a bad labels file or --non-circulating stops start-up (exit 2) with a message naming it', async () => {
    const bad = `${db}/bad-labels.csv`;
    fs.writeFileSync(bad, 'token,address,category,label\n*,0x000000000000000000000000000000000000dead,burn,ok\n*,0x000000000000000000000000000000000000beef,Not OK,x\n');
    for (const [extra, want] of [
      [['--labels', bad], /labels file .*bad-labels\.csv, line 3: category 'Not OK'/],
      [['--labels', `${db}/missing.csv`], /labels file .*missing\.csv: cannot be read/],
      [['--non-circulating', 'burn,Team'], /invalid category 'Team' in --non-circulating/],
    ]) {
      const d = await startDaemon({ rpcUrl: anvil.url, db: `${db}/db2`, extraArgs: extra, waitReady: false });
      for (let i = 0; i < 100 && !d.exited(); i++) await new Promise((res) => setTimeout(res, 50));
      assert.ok(d.exited(), `${extra.join(' ')}: exits`);
      assert.equal(d.proc.exitCode, 2, `${extra.join(' ')}: exit code`);
      assert.match(d.logs(), want);
    }
  });

  await h.check('daemon exits cleanly (code 0) on SIGTERM within 15 s', async () => {
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.escalated, false, 'had to SIGKILL');
    assert.equal(r.code, 0, `exit ${JSON.stringify(r)}`);
  });
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  if (daemon) console.log(`--- daemon output (tail) ---\n${daemon.logs()}\n---`);
} finally {
  if (daemon && !daemon.exited()) await daemon.stop('SIGTERM', 10000);
  if (anvil) await anvil.stop();
  code = h.finish();
}
process.exit(code);
