// Assertions of the analytics routes (issue #14) against ground truth from the node: each figure
// recomputed independently from eth_getLogs, eth_getBlockByNumber and balanceOf.
import { assert, deepEqualWithPath } from './harness.mjs';
import { balanceChanges, balancesOf, blockInfo } from './truth.mjs';
import { allPages, apiOk } from './daemon.mjs';

const ZERO = '0x0000000000000000000000000000000000000000';

/** The accounts of `token` with the most transfers (and so the most history), busiest first. */
function busiestAccounts(transfers, token, n) {
  const count = new Map();
  for (const t of transfers) {
    if (t.token !== token) continue;
    for (const a of [t.from, t.to]) if (a !== ZERO) count.set(a, (count.get(a) ?? 0) + 1);
  }
  return [...count].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map((e) => e[0]);
}

/**
 * /v1/accounts/{account}/tokens/{token}/history: for the busiest accounts of every token, whole,
 * paged by 3 and over a middle window, equals the balance changes recomputed from the logs, each
 * balance equals balanceOf at its block, each timestamp the block's.
 */
export async function verifyAccountHistory(ctx, truth) {
  const { h, port, url, head, label } = ctx;
  for (const token of truth.tokens) {
    const accounts = busiestAccounts(truth.transfers, token, 4);
    await h.check(`[${label}] ${token.slice(0, 10)} account history == balance changes from the logs == balanceOf`, async () => {
      const pairs = [];
      for (const a of accounts) {
        const want = balanceChanges(truth.transfers, token, a, 0, head);
        assert.ok(want.length > 0, `${a} has transfers, so a history`);
        const path = `/v1/accounts/${a}/tokens/${token}/history`;
        const whole = await allPages(port, `${path}?limit=1000`);
        assert.ok(whole.blocks.every((b) => b === head), 'envelope block');
        for (const it of whole.items) assert.deepEqual(Object.keys(it), ['block', 'timestamp', 'balance']);
        deepEqualWithPath(whole.items.map(({ block, balance }) => ({ block, balance })), want);
        const paged = await allPages(port, `${path}?limit=3`);
        deepEqualWithPath(paged.items, whole.items);
        const lo = Math.floor(head / 3);
        const hi = Math.floor((2 * head) / 3);
        const win = await allPages(port, `${path}?from_block=${lo}&to_block=${hi}&limit=2`);
        deepEqualWithPath(win.items.map(({ block, balance }) => ({ block, balance })), balanceChanges(truth.transfers, token, a, lo, hi));
        const info = await blockInfo(url, whole.items.map((x) => x.block));
        for (const it of whole.items) {
          assert.equal(it.timestamp, info.get(it.block).timestamp, `timestamp of block ${it.block}`);
          pairs.push({ a, it });
        }
      }
      // balanceOf at each change's block (archive state from anvil), in batches.
      for (let i = 0; i < pairs.length; i += 50) {
        const chunk = pairs.slice(i, i + 50);
        const got = await Promise.all(chunk.map(({ a, it }) => balancesOf(url, [[token, a]], it.block)));
        chunk.forEach(({ a, it }, k) => assert.equal(got[k][0].toString(), it.balance, `balanceOf ${a} at ${it.block}`));
      }
      // An account that never touched the token has an empty history.
      const none = await apiOk(port, `/v1/accounts/0x00000000000000000000000000000000000000a1/tokens/${token}/history`);
      assert.deepEqual(none.items, []);
      assert.equal(none.next_cursor, null);
    });
  }
}
