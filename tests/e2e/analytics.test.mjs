// The analytics routes (issue #14) on odd tokens, against anvil:
//   node tests/e2e/analytics.test.mjs [--seed N] [--rounds N]
//
// One plain TestToken (the workload's traffic, its clock crossing hours, a UTC midnight and a
// Monday) beside three odd tokens: a fee-on-transfer token (FeeToken: 1% of every transfer to a
// collector, as a second Transfer event), a log-only token (LogToken: Transfer events with no
// balances, so the logs push accounts below zero) and a rebasing token (RebasingToken: balanceOf
// multiplied by a factor that changes without events). The daemon runs with a labels file. Every
// analytics route (series by steps and periods, /tokens/{token}?block=N, distribution detail,
// flows, account history, labels and circulating supply) is compared with ground truth from
// eth_getLogs and the block timestamps, then again after an anvil_reorg that replaces the last
// blocks with other odd transfers. balanceOf is compared only where it is the logs' (not for the
// log-only and rebasing tokens).
import { startAnvil, deploy, calldata, rpcBatch } from './lib/chain.mjs';
import { makeTempDir } from './lib/proc.mjs';
import { Workload, Rng } from './lib/workload.mjs';
import { groundTruth, balancesOf, blockInfo } from './lib/truth.mjs';
import { apiOk, DAEMON_BIN } from './lib/daemon.mjs';
import { startFollower, waitSynced, anvilReorg, resyncWorkload } from './lib/reorg.mjs';
import { labelsModel, writeLabels } from './lib/labels.mjs';
import {
  verifyAccountHistory, verifyDistributionDetail, verifyFlows, verifyLabels, verifySeries, verifyTokenAtBlock,
} from './lib/analytics-checks.mjs';
import { createHarness, assert, parseArgs, FatalError } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 7);
const rounds = Number(args.rounds ?? 24);
const h = createHarness('analytics', { timeoutMs: 300000 });
let anvil = null;
let daemon = null;
let code = 1;

const GAS = 200000;
const E18 = 10n ** 18n;

/** The odd tokens' operations of one block: fee transfers, log-only transfers, rebasing moves. */
function oddOps(rng, acc, odd) {
  const ops = [];
  const op = (kind, from, to, contract, fn, fnArgs) => ops.push({ kind, tx: { from, to, data: calldata(contract, fn, fnArgs), gas: GAS }, apply: () => {} });
  for (let i = 0; i < rng.int(1, 3); i++) {
    const from = acc[rng.int(1, 5)];
    op('fee', from, odd.fee, 'FeeToken', 'transfer', [acc[rng.int(6, 30)], BigInt(rng.int(1, 1000)) * E18]);
  }
  for (let i = 0; i < rng.int(1, 3); i++) {
    const from = rng.chance(0.2) ? '0x0000000000000000000000000000000000000000' : acc[rng.int(1, 30)];
    op('log', acc[0], odd.log, 'LogToken', 'emitTransfer', [from, acc[rng.int(1, 30)], BigInt(rng.int(0, 500))]);
  }
  if (rng.chance(0.7)) op('reb', acc[rng.int(1, 4)], odd.reb, 'RebasingToken', 'transfer', [acc[rng.int(5, 30)], BigInt(rng.int(1, 50))]);
  return ops;
}

async function verifyAll(label, head) {
  const truth = await groundTruth(anvil.url, head);
  const ctx = { h, port: daemon.port, url: anvil.url, head, label, labels, logsOnly: new Set([odd.log, odd.reb]) };
  await h.check(`[${label}] the odd tokens are in the logs: fee transfers come in pairs, the log-only token has negative balances`, async () => {
    const log = truth.balances.get(odd.log);
    assert.ok([...log.values()].some((b) => b < 0n), 'a negative balance');
    const t = await apiOk(daemon.port, `/v1/tokens/${odd.log}`);
    assert.equal(t.negative_balances, [...log.values()].filter((b) => b < 0n).length);
    const fee = truth.transfers.filter((x) => x.token === odd.fee && x.to === collector);
    assert.ok(fee.length > 0, 'fees paid');
    const onchain = await balancesOf(anvil.url, [[odd.fee, collector]], head);
    assert.equal(onchain[0], truth.balances.get(odd.fee).get(collector), 'the collector: balanceOf == logs');
  });
  const last = await blockInfo(anvil.url, Array.from({ length: 10 }, (_, i) => head - 9 + i));
  h.log(`[${label}] last block times: ${[...last.values()].map((x) => x.timestamp).join(' ')}`);
  await verifySeries(ctx, truth);
  await verifyTokenAtBlock(ctx, truth);
  await verifyDistributionDetail(ctx, truth);
  await verifyFlows(ctx, truth);
  await verifyAccountHistory(ctx, truth);
  await verifyLabels(ctx, truth);
}

let odd = {};
let collector = '';
let labels = null;

try {
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; ${rounds} rounds`);
  anvil = await h.must('anvil starts', () => startAnvil({}));
  const w = new Workload(anvil.url, { seed, extras: false, tokenSpecs: [{ name: 'Plain', symbol: 'PLN', decimals: 18 }], txPerBlock: [3, 8] });
  const rng = new Rng(seed + 1);
  await h.must('deploy a TestToken, FeeToken, LogToken and RebasingToken; mint the odd ones', async () => {
    await w.setup();
    const acc = w.accounts;
    collector = acc[40];
    odd = {
      fee: await deploy(anvil.url, w.deployer, 'FeeToken', [collector]),
      log: await deploy(anvil.url, w.deployer, 'LogToken', []),
      reb: await deploy(anvil.url, w.deployer, 'RebasingToken', []),
    };
    // The deployments used the deployer's nonces: the workload sends with explicit ones.
    const counts = await rpcBatch(anvil.url, acc.map((a) => ['eth_getTransactionCount', [a, 'pending']]));
    acc.forEach((a, i) => w.nonces.set(a, Number(BigInt(counts[i]))));
    const mints = [];
    for (let k = 1; k <= 5; k++) mints.push({ kind: 'feeMint', tx: { from: acc[0], to: odd.fee, data: calldata('FeeToken', 'mint', [acc[k], 1_000_000n * E18]), gas: GAS }, apply: () => {} });
    for (let k = 1; k <= 4; k++) mints.push({ kind: 'rebMint', tx: { from: acc[0], to: odd.reb, data: calldata('RebasingToken', 'mint', [acc[k], 100_000n]), gas: GAS }, apply: () => {} });
    await w.sendAndMine(mints);
  });
  const acc = w.accounts;
  await h.must(`${rounds} rounds: the plain token's traffic, then a block of odd transfers (a rebase half way)`, async () => {
    for (let i = 0; i < rounds; i++) {
      await w.step();
      const ops = oddOps(rng, acc, odd);
      if (i === Math.floor(rounds / 2)) ops.push({ kind: 'rebase', tx: { from: acc[0], to: odd.reb, data: calldata('RebasingToken', 'setFactor', [3n]), gas: GAS }, apply: () => {} });
      await w.sendAndMine(ops);
    }
  });
  h.log(`chain head ${w.head}: plain ${w.tokens[0]}, fee ${odd.fee}, log ${odd.log}, rebasing ${odd.reb}`);

  const db = makeTempDir('erc20-e2e-analytics-');
  const rows = [
    { token: '*', address: acc[1], category: 'treasury', label: 'Treasury' },
    { token: odd.fee, address: collector, category: 'reserve', label: 'Fee collector' },
    { token: odd.log, address: acc[2], category: 'team', label: 'Team' },
    { token: odd.reb, address: acc[1], category: 'exchange', label: 'Exchange' },
  ];
  writeLabels(`${db}/labels.csv`, rows);
  labels = labelsModel(rows);
  daemon = await h.must('daemon starts (--labels) and reaches the head', async () => {
    const d = await startFollower({ rpcUrl: anvil.url, db: `${db}/db`, pollMs: 50, logLevel: 'warn', extraArgs: ['--labels', `${db}/labels.csv`] });
    await waitSynced(d.port, anvil.url, { timeoutMs: 60000, daemon: d });
    return d;
  });
  await verifyAll('indexed', w.head);

  const reorged = await h.must('anvil_reorg of depth 4: the last blocks replaced by other odd transfers', async () => {
    const txs = [];
    for (let k = 0; k < 4; k++) for (const op of oddOps(rng, acc, odd)) txs.push([{ ...op.tx, gas: `0x${GAS.toString(16)}` }, k]);
    const head = await anvilReorg(anvil.url, 4, txs);
    await resyncWorkload(w);
    await waitSynced(daemon.port, anvil.url, { timeoutMs: 60000, daemon });
    return head.number;
  });
  await verifyAll('after reorg', reorged);
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  if (daemon) console.log(`--- daemon output (tail) ---\n${daemon.logs()}\n---`);
} finally {
  if (daemon && !daemon.exited()) await daemon.stop('SIGTERM', 10000);
  if (anvil) await anvil.stop();
  code = h.finish();
}
process.exit(code);
