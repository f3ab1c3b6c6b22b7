// The soak's exactness checks beyond lib/checks.mjs verifyAgainstTruth: the account routes against
// the logs, and historical balances against balanceOf at older blocks.
import { assert, deepEqualWithPath } from '../e2e/lib/harness.mjs';
import { allPages, apiOk } from '../e2e/lib/daemon.mjs';
import { balanceOf } from '../e2e/lib/truth.mjs';

const stripTs = ({ timestamp: _t, ...rest }) => rest;

/**
 * For each of `accounts`: /v1/accounts/{a}/balances == its positive balances from the logs (token
 * order), and /v1/accounts/{a}/transfers == the logs from or to it (once for a self transfer), all
 * at the daemon's head `ctx.head`.
 */
export async function verifyAccounts(ctx, truth, accounts) {
  const { port, head } = ctx;
  for (const a of new Set(accounts)) {
    const bal = await allPages(port, `/v1/accounts/${a}/balances?limit=1000`);
    assert.ok(bal.blocks.every((b) => b === head), `${a} balances: envelope block`);
    const exp = [];
    for (const t of truth.tokens) {
      const v = truth.balances.get(t)?.get(a) ?? 0n;
      if (v > 0n) exp.push({ token: t, balance: v.toString() });
    }
    deepEqualWithPath(bal.items, exp, `$[${a} balances]`);
    const tr = await allPages(port, `/v1/accounts/${a}/transfers?limit=1000`);
    assert.ok(tr.blocks.every((b) => b === head), `${a} transfers: envelope block`);
    deepEqualWithPath(tr.items.map(stripTs), truth.transfers.filter((x) => x.from === a || x.to === a), `$[${a} transfers]`);
  }
}

/**
 * `n` random (token, holder, block N) with N from the token's first block to the head:
 * /v1/tokens/{t}/holders/{a}?block=N == balanceOf(a) by eth_call at N.
 */
export async function verifyHistory(ctx, rng, n, truth) {
  const { port, url, head } = ctx;
  for (let i = 0; i < n; i++) {
    const t = rng.pick(truth.tokens);
    const holders = [...truth.balances.get(t).keys()];
    const a = rng.pick(holders);
    const N = rng.int(truth.stats.get(t).firstBlock, head);
    const j = await apiOk(port, `/v1/tokens/${t}/holders/${a}?block=${N}`);
    assert.equal(j.block, N, 'envelope block');
    assert.equal(j.balance, (await balanceOf(url, t, a, N)).toString(), `${t} ${a} at block ${N}`);
  }
}
