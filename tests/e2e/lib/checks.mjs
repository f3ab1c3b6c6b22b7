// Assertions shared by the e2e tests: the daemon's answers against ground truth from the node.
import { assert, deepEqualWithPath } from './harness.mjs';
import { rpc, hex } from './chain.mjs';
import { balancesOf, sortedHolders, blockInfo } from './truth.mjs';
import { api, apiOk, allPages, tokenAddressOf } from './daemon.mjs';
import { labelsModel } from './labels.mjs';
import { verifyAccountHistory, verifyChainSeries, verifyDistributionDetail, verifyFlows, verifyLabels, verifySeries, verifyTokenAtBlock } from './analytics-checks.mjs';

const TRANSFER_KEYS = ['block', 'log_index', 'timestamp', 'token', 'tx_hash', 'from', 'to', 'value'].sort();

function byBlockLog(a, b) { return a.block - b.block || a.log_index - b.log_index; }

/** Daemon transfer item -> truth shape (drops timestamp, which is checked separately). */
const stripTs = ({ timestamp: _t, ...rest }) => rest;

/**
 * Compare everything the daemon serves with `truth` (from groundTruth()) at the daemon's head.
 * `ctx`: {h (harness), port, url (anvil), head, chain (buildChain result), label, labels (the
 * labelsModel of the daemon's --labels; default the built-in labels only)}.
 * Returns the daemon's token list.
 */
export async function verifyAgainstTruth(ctx, truth) {
  const { h, port, url, head, chain, label } = ctx;
  const L = (s) => `[${label}] ${s}`;
  const weirdOrNft = new Set([chain.nft, chain.weird, chain.batcher].filter(Boolean));

  const status = await h.check(L(`status: block ${head}, hash, chain_id, counts, lag`), async () => {
    // node_block is null until the daemon's first eth_blockNumber after a start.
    let st = await apiOk(port, '/v1/status');
    for (let i = 0; i < 100 && typeof st.node_block !== 'number'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      st = await apiOk(port, '/v1/status');
    }
    assert.equal(st.block, head);
    assert.equal(st.chain_id, 31337);
    const blk = await rpc(url, 'eth_getBlockByNumber', [hex(head), false]);
    assert.equal(st.block_hash, blk.hash.toLowerCase());
    assert.equal(st.transfers, truth.transfers.length, 'status.transfers');
    assert.equal(st.tokens, truth.tokens.length, 'status.tokens');
    assert.equal(typeof st.node_block, 'number');
    assert.ok(st.node_block >= st.block, 'node_block >= block');
    assert.equal(st.lag_blocks, st.node_block - st.block, 'lag_blocks');
    assert.equal(typeof st.state, 'string');
    assert.equal(typeof st.version, 'string');
    return st;
  });

  const tokenItems = await h.check(L('token set == tokens of ERC20-shaped logs (no NFT, no WeirdToken, no Batcher)'), async () => {
    const { items, blocks } = await allPages(port, '/v1/tokens?limit=1000');
    assert.ok(blocks.every((b) => b === head), 'envelope block');
    const listed = items.map(tokenAddressOf);
    assert.equal(new Set(listed).size, listed.length, 'a token listed twice');
    const kept = [];
    for (const it of items) {
      const t = tokenAddressOf(it);
      assert.notEqual(t, chain.nft, 'TestNFT (4-topic Transfer) must not be a token');
      if (t === chain.weird) { // tolerated only if it carries nothing
        assert.equal(Number(it.holders ?? 0), 0, 'WeirdToken has holders');
        assert.equal(Number(it.transfers ?? 0), 0, 'WeirdToken has transfers');
        continue;
      }
      kept.push(t);
    }
    assert.deepEqual([...kept].sort(), truth.tokens);
    return items;
  });

  await h.check(L('token list paging with limit=1 visits each token once'), async () => {
    const { items, pages } = await allPages(port, '/v1/tokens?limit=1');
    const all = (tokenItems ?? []).map(tokenAddressOf);
    assert.deepEqual(items.map(tokenAddressOf), all);
    assert.equal(pages, all.length);
  });

  for (const token of truth.tokens) {
    const tl = token.slice(0, 10);
    const s = truth.stats.get(token);
    const bal = truth.balances.get(token);
    const labels = ctx.labels ?? labelsModel();
    const expHolders = sortedHolders(bal, (a) => labels.find(token, a));

    await h.check(L(`${tl} detail: minted, burned, indexed_supply, holders, transfers, first/last block`), async () => {
      const d = await apiOk(port, `/v1/tokens/${token}`);
      assert.equal(d.block, head);
      assert.equal(d.address, token);
      assert.equal(d.minted, s.minted.toString(), 'minted');
      assert.equal(d.burned, s.burned.toString(), 'burned');
      assert.equal(d.indexed_supply, (s.minted - s.burned).toString(), 'indexed_supply');
      assert.equal(d.circulating_supply, labels.circulating(token, s.minted - s.burned, bal).toString(), 'circulating_supply');
      assert.equal(d.holders, expHolders.length, 'holders');
      assert.equal(d.transfers, s.transfers, 'transfers');
      assert.equal(d.negative_balances, 0, 'negative_balances');
      assert.equal(d.first_block, s.firstBlock, 'first_block');
      assert.equal(d.last_block, s.lastBlock, 'last_block');
    });

    const holders = await h.check(L(`${tl} holders (all pages) == positive balances from logs, balance desc / address asc`), async () => {
      const { items, blocks } = await allPages(port, `/v1/tokens/${token}/holders?limit=1000`);
      assert.ok(blocks.every((b) => b === head), 'envelope block');
      for (const it of items) {
        assert.deepEqual(Object.keys(it), ['address', 'balance', 'label', 'category']);
        assert.match(it.address, /^0x[0-9a-f]{40}$/);
        assert.match(it.balance, /^[1-9][0-9]*$/, 'balance is a positive decimal string');
      }
      for (let i = 1; i < items.length; i++) {
        const a = BigInt(items[i - 1].balance);
        const b = BigInt(items[i].balance);
        assert.ok(a > b || (a === b && items[i - 1].address < items[i].address), `order at ${i}`);
      }
      deepEqualWithPath(items, expHolders);
      return items;
    });

    await h.check(L(`${tl} every address that appeared: daemon balance == logs == balanceOf at block ${head}`), async () => {
      const daemonBal = new Map((holders ?? []).map((x) => [x.address, BigInt(x.balance)]));
      const addrs = new Set([...bal.keys(), ...chain.accounts, ...(chain.externals ?? [])]);
      addrs.delete('0x0000000000000000000000000000000000000000');
      const list = [...addrs];
      const onchain = await balancesOf(url, list.map((a) => [token, a]), head);
      list.forEach((a, i) => {
        const fromLogs = bal.get(a) ?? 0n;
        assert.equal(daemonBal.get(a) ?? 0n, fromLogs, `daemon vs logs for ${a}`);
        assert.equal(onchain[i], fromLogs, `balanceOf vs logs for ${a}`);
      });
    });

    await h.check(L(`${tl} holders paging with limit=7 yields each holder exactly once, in order`), async () => {
      const { items, pages } = await allPages(port, `/v1/tokens/${token}/holders?limit=7`);
      assert.equal(new Set(items.map((x) => x.address)).size, items.length, 'duplicates');
      deepEqualWithPath(items, expHolders);
      assert.equal(pages, Math.max(1, Math.ceil(expHolders.length / 7)));
    });

    const expTransfers = truth.transfers.filter((t) => t.token === token);
    await h.check(L(`${tl} transfers (all pages) == ERC20-shaped eth_getLogs, same order and fields`), async () => {
      const { items, blocks } = await allPages(port, `/v1/tokens/${token}/transfers?limit=1000`);
      assert.ok(blocks.every((b) => b === head), 'envelope block');
      for (const it of items) assert.deepEqual(Object.keys(it).sort(), TRANSFER_KEYS);
      deepEqualWithPath(items.map(stripTs), expTransfers);
      const info = await blockInfo(url, items.map((x) => x.block));
      for (const it of items) assert.equal(it.timestamp, info.get(it.block).timestamp, `timestamp of block ${it.block}`);
    });

    await h.check(L(`${tl} transfers paging (limit=7) and from_block/to_block window (inclusive)`), async () => {
      const { items } = await allPages(port, `/v1/tokens/${token}/transfers?limit=7`);
      deepEqualWithPath(items.map(stripTs), expTransfers);
      const lo = Math.floor(head / 3);
      const hi = Math.floor((2 * head) / 3);
      const w = await allPages(port, `/v1/tokens/${token}/transfers?from_block=${lo}&to_block=${hi}&limit=5`);
      deepEqualWithPath(w.items.map(stripTs), expTransfers.filter((t) => t.block >= lo && t.block <= hi));
      const one = expTransfers.length ? expTransfers[expTransfers.length - 1].block : head;
      const x = await allPages(port, `/v1/tokens/${token}/transfers?from_block=${one}&to_block=${one}&limit=1000`);
      deepEqualWithPath(x.items.map(stripTs), expTransfers.filter((t) => t.block === one));
    });
  }

  await h.check(L('all tokens\' transfers merged by (block, log_index) == the whole ERC20 log list'), async () => {
    const merged = [];
    for (const token of truth.tokens) merged.push(...(await allPages(port, `/v1/tokens/${token}/transfers?limit=1000`)).items.map(stripTs));
    merged.sort(byBlockLog);
    deepEqualWithPath(merged, truth.transfers);
  });

  await verifyAccountHistory(ctx, truth);
  await verifyDistributionDetail(ctx, truth);
  await verifyFlows(ctx, truth);
  await verifySeries(ctx, truth);
  await verifyChainSeries(ctx, truth);
  await verifyTokenAtBlock(ctx, truth);
  await verifyLabels(ctx, truth);

  await h.check(L('NFT, WeirdToken, Batcher and a random address are unknown tokens (404) or empty'), async () => {
    for (const a of [...weirdOrNft, '0x00000000000000000000000000000000000000aa']) {
      const r = await api(port, `/v1/tokens/${a}`);
      if (a === chain.weird && r.status === 200) {
        assert.equal(r.json.holders, 0);
        assert.equal(r.json.transfers, 0);
        continue;
      }
      assert.equal(r.status, 404, `${a}: ${r.text}`);
      assert.equal(typeof r.json?.error?.code, 'string');
      assert.equal(typeof r.json?.error?.message, 'string');
    }
  });
  return { status, tokenItems };
}

/** Bad inputs: 400 / 404 with {"error": {"code", "message"}}. */
export async function verifyBadInputs(ctx) {
  const { h, port, chain } = ctx;
  const token = chain.tokens[0];
  const expectError = async (p, status) => {
    const r = await api(port, p);
    if (Array.isArray(status)) assert.ok(status.includes(r.status), `${p}: HTTP ${r.status}, expected one of ${status}: ${r.text.slice(0, 200)}`);
    else assert.equal(r.status, status, `${p}: ${r.text.slice(0, 200)}`);
    assert.ok(r.json && typeof r.json.error === 'object' && r.json.error !== null, `${p}: JSON error body, got ${r.text.slice(0, 200)}`);
    assert.equal(typeof r.json.error.code, 'string', `${p}: error.code`);
    assert.equal(typeof r.json.error.message, 'string', `${p}: error.message`);
  };
  await h.check('bad address /v1/tokens/0xZZ -> 400 JSON error', () => expectError('/v1/tokens/0xZZ', 400));
  await h.check('bad addresses (short, long, no 0x) -> 400', async () => {
    await expectError('/v1/tokens/0x1234', 400);
    await expectError(`/v1/tokens/${token}00`, 400);
    await expectError(`/v1/tokens/${token.slice(2)}`, 400);
    await expectError('/v1/tokens/0xZZ/holders', 400);
  });
  await h.check('unknown token -> 404 (detail, holders, transfers)', async () => {
    const unknown = '0x' + '12'.repeat(20);
    await expectError(`/v1/tokens/${unknown}`, 404);
    await expectError(`/v1/tokens/${unknown}/holders`, 404);
    await expectError(`/v1/tokens/${unknown}/transfers`, 404);
  });
  await h.check('unknown routes -> 404', async () => {
    await expectError('/v1/nope', 404);
    await expectError(`/v1/tokens/${token}/nope`, 404);
  });
  for (const base of ['/v1/tokens', `/v1/tokens/${token}/holders`, `/v1/tokens/${token}/transfers`]) {
    await h.check(`limit=0, limit=abc, limit=100000, limit=-1 on ${base.replace(token, '{token}')} -> 400`, async () => {
      for (const l of ['0', 'abc', '100000', '-1']) await expectError(`${base}?limit=${l}`, 400);
    });
  }
  await h.check('garbage cursor and bad block range params -> 4xx JSON error', async () => {
    await expectError(`/v1/tokens/${token}/holders?cursor=garbage`, [400, 404, 422]);
    await expectError(`/v1/tokens/${token}/transfers?from_block=abc`, [400, 422]);
  });
  await h.check('limit=1000 (the maximum) is accepted', async () => {
    const r = await api(port, `/v1/tokens/${token}/holders?limit=1000`);
    assert.equal(r.status, 200);
  });
}
