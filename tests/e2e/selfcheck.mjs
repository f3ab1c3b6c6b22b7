// Self-check of the chain side of the e2e harness (no daemon needed):
//   node selfcheck.mjs [--seed N] [--blocks N]
// Starts anvil, builds the workload chain, computes ground truth from logs and verifies it
// against balanceOf/totalSupply by eth_call, and that the chain holds the edge cases the daemon
// tests rely on (NFT and WeirdToken noise, multi-transfer transactions, zero/self transfers...).
import { startAnvil, rpc, call, TRANSFER_TOPIC, ZERO_ADDRESS } from './lib/chain.mjs';
import { buildChain } from './lib/workload.mjs';
import { groundTruth, transferTopicLogs, isErc20Shaped, balancesOf, totalSupply, sortedHolders } from './lib/truth.mjs';
import { createHarness, assert, parseArgs, FatalError } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 42);
const blocks = Number(args.blocks ?? 60);
const h = createHarness('selfcheck', { timeoutMs: 170000 });
let anvil;
let code = 1;
try {
  anvil = await h.must('anvil starts and answers eth_chainId', async () => {
    const a = await startAnvil({});
    assert.equal(a.chainId, 31337);
    return a;
  });
  h.log(`anvil pid ${anvil.pid} at ${anvil.url}`);
  const tb = Date.now();
  const chain = await h.must(`build chain (seed ${seed}, ${blocks} blocks)`, () => buildChain(anvil.url, { seed, blocks }));
  const w = chain.workload;
  h.log(`chain built in ${((Date.now() - tb) / 1000).toFixed(1)}s: head ${chain.head}, ${w.stats.txs} txs, ` +
    `expected reverts ${w.stats.failedExpected}, unexpected reverts ${w.stats.failedUnexpected}, ops ${JSON.stringify(w.stats.ops)}`);

  const truth = await groundTruth(anvil.url, chain.head);
  h.log(`${truth.transfers.length} ERC20 transfers`);

  await h.check('100 unlocked accounts', async () => assert.equal((await rpc(anvil.url, 'eth_accounts')).length, 100));
  await h.check('head reached', async () => assert.ok(chain.head >= blocks));
  await h.check('WeirdToken.transferTopic() equals the hardcoded Transfer topic', async () => {
    assert.equal(await call(anvil.url, 'WeirdToken', chain.weird, 'transferTopic'), TRANSFER_TOPIC);
  });
  await h.check('token set in ERC20-shaped logs is exactly the 3 TestTokens', async () => {
    assert.deepEqual(truth.tokens, [...chain.tokens].sort());
  });
  await h.check('deployed metadata readable by eth_call', async () => {
    for (const s of chain.tokenSpecs) {
      assert.equal(await call(anvil.url, 'TestToken', s.address, 'name'), s.name);
      assert.equal(await call(anvil.url, 'TestToken', s.address, 'symbol'), s.symbol);
      assert.equal(await call(anvil.url, 'TestToken', s.address, 'decimals'), BigInt(s.decimals));
    }
  });
  await h.check('chain contains the non-ERC20 noise (NFT 4 topics, Weird 3 topics + 64 bytes, Weird 2 topics)', async () => {
    const all = await transferTopicLogs(anvil.url, chain.head);
    const nft = all.filter((l) => l.address.toLowerCase() === chain.nft);
    const weird = all.filter((l) => l.address.toLowerCase() === chain.weird);
    assert.ok(nft.length > 0 && nft.every((l) => l.topics.length === 4 && l.data === '0x'), 'NFT logs');
    assert.ok(weird.some((l) => l.topics.length === 3 && l.data.length === 2 + 128), 'weird 3-topic/64-byte logs');
    assert.ok(weird.some((l) => l.topics.length === 2 && l.data.length === 2 + 128), 'weird 2-topic logs');
    assert.ok([...nft, ...weird].every((l) => !isErc20Shaped(l)));
    h.log(`noise: ${nft.length} NFT logs, ${weird.length} WeirdToken logs; ${all.length} Transfer-topic logs in all`);
  });
  await h.check('edge cases present: multi-transfer txns, multi-token txns, zero-value, self, mint, burn, big values', async () => {
    const perTx = new Map();
    for (const t of truth.transfers) perTx.set(t.tx_hash, [...(perTx.get(t.tx_hash) ?? []), t]);
    const multi = [...perTx.values()].filter((l) => l.length > 1);
    assert.ok(multi.length > 5, `multi-transfer txns: ${multi.length}`);
    assert.ok(multi.some((l) => new Set(l.map((t) => t.token)).size > 1), 'a txn touching several tokens');
    assert.ok(truth.transfers.some((t) => t.value === '0'), 'zero-value transfer');
    assert.ok(truth.transfers.some((t) => t.from === t.to && t.from !== ZERO_ADDRESS), 'self transfer');
    assert.ok(truth.transfers.some((t) => t.from === ZERO_ADDRESS), 'mint');
    assert.ok(truth.transfers.some((t) => t.to === ZERO_ADDRESS), 'burn');
    assert.ok(truth.transfers.some((t) => BigInt(t.value) > 2n ** 128n), 'value > 2^128');
    const blocksWithTransfers = new Set(truth.transfers.map((t) => t.block));
    assert.ok(blocksWithTransfers.size >= blocks * 0.8, `blocks with transfers: ${blocksWithTransfers.size}`);
    const perBlock = truth.transfers.length / blocksWithTransfers.size;
    h.log(`${multi.length} multi-transfer txns, ${perBlock.toFixed(1)} transfers per block`);
  });
  await h.check('few unexpected reverts (model keeps transactions valid)', async () => {
    assert.ok(w.stats.failedUnexpected <= 2, `unexpected reverts: ${w.stats.failedUnexpected}`);
    assert.ok(w.stats.failedExpected > 0, 'some intentional reverts');
  });
  await h.check('ground truth balances from logs == balanceOf at head for every address that appeared', async () => {
    const pairs = [];
    for (const [token, m] of truth.balances) for (const a of m.keys()) pairs.push([token, a]);
    for (const token of chain.tokens) for (const a of [...chain.accounts, ...chain.externals]) pairs.push([token, a]);
    const onchain = await balancesOf(anvil.url, pairs, chain.head);
    let positive = 0;
    pairs.forEach(([token, a], i) => {
      const expected = truth.balances.get(token)?.get(a) ?? 0n;
      assert.ok(expected >= 0n, `negative truth balance ${token} ${a}`);
      assert.equal(onchain[i], expected, `${token} ${a}`);
      if (expected > 0n) positive++;
    });
    h.log(`${pairs.length} (token, address) pairs checked, ${positive} positive`);
  });
  await h.check('local workload model == ground truth', async () => {
    for (const token of chain.tokens) {
      const model = w.bal.get(token);
      const tm = truth.balances.get(token);
      for (const a of new Set([...model.keys(), ...tm.keys()])) assert.equal(model.get(a) ?? 0n, tm.get(a) ?? 0n, `${token} ${a}`);
    }
  });
  await h.check('totalSupply == minted - burned; ≥ 100 distinct holders overall', async () => {
    const everyone = new Set();
    for (const token of chain.tokens) {
      const s = truth.stats.get(token);
      assert.equal(await totalSupply(anvil.url, token, chain.head), s.minted - s.burned);
      for (const hd of sortedHolders(truth.balances.get(token))) everyone.add(hd.address);
    }
    h.log(`${everyone.size} distinct positive holders`);
    assert.ok(everyone.size >= 60);
  });
  await h.check('workload continues after the build (follow phase helper)', async () => {
    const before = chain.head;
    await w.run(3);
    assert.equal(w.head, before + 3);
    const t2 = await groundTruth(anvil.url, w.head);
    const pairs = [];
    for (const [token, m] of t2.balances) for (const a of m.keys()) pairs.push([token, a]);
    const onchain = await balancesOf(anvil.url, pairs, w.head);
    pairs.forEach(([token, a], i) => assert.equal(onchain[i], t2.balances.get(token).get(a)));
  });
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
} finally {
  if (anvil) {
    const r = await anvil.stop();
    h.log(`anvil stopped: ${JSON.stringify(r)}`);
  }
  code = h.finish();
}
process.exit(code);
