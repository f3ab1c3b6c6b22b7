// Assertions of the analytics routes (issue #14) against ground truth from the node: each figure
// recomputed independently from eth_getLogs, eth_getBlockByNumber and balanceOf.
import { assert, deepEqualWithPath } from './harness.mjs';
import { balanceChanges, balancesFromLogs, balancesOf, blockInfo, chainSeriesTruth, distributionDetail, distributionTruth, flowsTruth, seriesTruth, sortedHolders, tokenStats } from './truth.mjs';
import { labelsModel } from './labels.mjs';
import { allPages, api, apiOk } from './daemon.mjs';

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
      // balanceOf at each change's block (archive state from anvil), in batches; not for a
      // token whose balanceOf is not its logs' (ctx.logsOnly: rebasing, log-only).
      for (let i = 0; i < pairs.length && !ctx.logsOnly?.has(token); i += 50) {
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

function assertDetail(got, want, what) {
  deepEqualWithPath(got.share_buckets, want.share_buckets, `${what} share_buckets`);
  if ('percentiles' in want) deepEqualWithPath(got.percentiles, want.percentiles, `${what} percentiles`);
  if (want.lorenz === undefined) return;
  if (want.lorenz === null) { assert.equal(got.lorenz, null, `${what} lorenz`); return; }
  assert.equal(got.lorenz.length, want.lorenz.length, `${what} lorenz points`);
  got.lorenz.forEach(([x, y], i) => {
    assert.ok(Math.abs(x - want.lorenz[i][0]) < 1e-12 && Math.abs(y - want.lorenz[i][1]) < 1e-12,
      `${what} lorenz[${i}] = [${x}, ${y}], want [${want.lorenz[i]}]`);
  });
}

/**
 * /v1/tokens/{token}/distribution's detail (share buckets, percentiles, Lorenz curve), at the head
 * and at a past block, with and without exclusions, equals the definitions over the balances
 * recomputed from the logs; bad values of its parameters are 400s.
 */
export async function verifyDistributionDetail(ctx, truth) {
  const { h, port, head, label } = ctx;
  const past = Math.floor(head / 2);
  const pastBalances = balancesFromLogs(truth.transfers.filter((t) => t.block <= past));
  await h.check(`[${label}] distribution share_buckets, percentiles, lorenz == the definitions over the logs' balances`, async () => {
    for (const token of truth.tokens) {
      const base = `/v1/tokens/${token}/distribution`;
      const plain = await apiOk(port, base);
      assert.ok(!('percentiles' in plain) && !('lorenz' in plain), 'detail only when asked');
      assertDetail(plain, { share_buckets: distributionDetail(truth.balances.get(token)).share_buckets }, `${token} plain`);
      for (const k of [1, 3, 10, 1000]) {
        const d = await apiOk(port, `${base}?lorenz=${k}&percentiles=true`);
        const want = distributionDetail(truth.balances.get(token), { lorenz: k });
        assertDetail(d, want, `${token} K=${k}`);
      }
      const top = sortedHolders(truth.balances.get(token)).slice(0, 2).map((x) => x.address);
      const exclude = new Set(top);
      const ex = await apiOk(port, `${base}?exclude=${top.join(',')}&lorenz=7&percentiles=true`);
      assertDetail(ex, distributionDetail(truth.balances.get(token), { exclude, lorenz: 7 }), `${token} exclude`);
      const at = await apiOk(port, `${base}?block=${past}&lorenz=5&percentiles=true`);
      assert.equal(at.block, past);
      assertDetail(at, distributionDetail(pastBalances.get(token), { lorenz: 5 }), `${token} at ${past}`);
    }
    const token = truth.tokens[0];
    for (const q of ['lorenz=0', 'lorenz=1001', 'lorenz=x', 'percentiles=yes']) {
      const r = await api(port, `/v1/tokens/${token}/distribution?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.ok(r.json.error.message.length > 0);
    }
  });
}

/** Seeded ranges [from, to] within [0, head]: the whole chain, a single block, random windows. */
function someRanges(head, seed) {
  let x = seed >>> 0;
  const next = () => { x = (x * 1103515245 + 12345) >>> 0; return x; };
  const out = [[0, head], [Math.floor(head / 2), Math.floor(head / 2)]];
  for (let i = 0; i < 3; i++) {
    const a = next() % (head + 1);
    const b = next() % (head + 1);
    out.push([Math.min(a, b), Math.max(a, b)]);
  }
  return out;
}

/**
 * /v1/tokens/{token}/flows: for every token, over several ranges, both orders, the paged walk and
 * the NDJSON export equal the flows recomputed from the logs; before and after equal balanceOf at
 * from - 1 and to for the largest movers; bad ranges and orders are 400s.
 */
export async function verifyFlows(ctx, truth) {
  const { h, port, url, head, label } = ctx;
  await h.check(`[${label}] flows == balance differences recomputed from the logs (both orders, paged, ndjson) == balanceOf`, async () => {
    for (const token of truth.tokens) {
      for (const [from, to] of someRanges(head, token.charCodeAt(5) + head)) {
        for (const order of ['gain', 'loss']) {
          const want = flowsTruth(truth.transfers, token, from, to, order);
          const path = `/v1/tokens/${token}/flows?from_block=${from}&to_block=${to}&order=${order}`;
          const first = await apiOk(port, `${path}&limit=1000`);
          assert.equal(first.from_block, from);
          assert.equal(first.to_block, to);
          assert.equal(first.gained_holders, want.gained_holders, `${path} gained_holders`);
          assert.equal(first.lost_holders, want.lost_holders, `${path} lost_holders`);
          deepEqualWithPath(first.items, want.items, path);
          const paged = await allPages(port, `${path}&limit=7`);
          deepEqualWithPath(paged.items, want.items, `${path} paged`);
          const nd = await fetch(`http://127.0.0.1:${port}${path}&format=ndjson`).then((r) => r.text());
          deepEqualWithPath(nd.split('\n').filter(Boolean).map((l) => JSON.parse(l)), want.items, `${path} ndjson`);
        }
        // The chain's own balances at both ends, for the largest movers.
        const movers = flowsTruth(truth.transfers, token, from, to).items.slice(0, 3);
        if (movers.length === 0 || ctx.logsOnly?.has(token)) continue;
        const after = await balancesOf(url, movers.map((m) => [token, m.account]), to);
        const before = from === 0 ? movers.map(() => 0n) : await balancesOf(url, movers.map((m) => [token, m.account]), from - 1);
        movers.forEach((m, i) => {
          assert.equal(m.after, after[i].toString(), `balanceOf ${m.account} at ${to}`);
          assert.equal(m.before, before[i].toString(), `balanceOf ${m.account} at ${from - 1}`);
        });
      }
    }
    const token = truth.tokens[0];
    for (const q of [`from_block=5&to_block=4`, `to_block=${head + 1}`, 'order=up', 'from_block=x']) {
      const r = await api(port, `/v1/tokens/${token}/flows?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
    }
  });
}

/** Equal items, the doubles of the distribution figures within 1e-9 relative. */
function assertSeriesItems(got, want, what) {
  assert.equal(got.length, want.length, `${what}: items`);
  got.forEach((g, i) => {
    const w = want[i];
    assert.deepEqual(Object.keys(g), Object.keys(w), `${what}[${i}] keys`);
    for (const k of Object.keys(w)) {
      if (typeof w[k] === 'number' && !Number.isInteger(w[k])) {
        const diff = Math.abs(g[k] - w[k]);
        assert.ok(diff <= 1e-9 * Math.abs(w[k]) || diff <= 1e-12, `${what}[${i}].${k}: got ${g[k]}, expected ${w[k]}`);
      } else {
        assert.deepEqual(g[k], w[k], `${what}[${i}].${k} (block ${w.block})`);
      }
    }
  });
}

/** CSV text -> objects, numbers as numbers (series cells have no quotes or commas). */
function parseCsv(text) {
  const [head, ...lines] = text.trim().split('\r\n');
  const keys = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v === '' ? null : /^-?[0-9.e+-]+$/.test(v) && !/^[0-9]{16,}$/.test(v) ? Number(v) : v])));
}

/**
 * /v1/tokens/{token}/series: for every token, by steps and by UTC hours, days and weeks (the
 * workload's clock crosses each), over the token's whole life and seeded windows, equals the items
 * recomputed from the logs and the blocks' timestamps; NDJSON and CSV carry the same items;
 * distribution=true adds the concentration figures; the bounds and bad parameters are 400s.
 */
export async function verifySeries(ctx, truth) {
  const { h, port, url, head, label } = ctx;
  await h.check(`[${label}] series (steps, hours, days, weeks) == items recomputed from the logs and block times`, async () => {
    const info = await blockInfo(url, Array.from({ length: head + 1 }, (_, b) => b));
    const times = new Map([...info].map(([b, x]) => [b, x.timestamp]));
    const periods = new Set(['hour', 'day', 'week'].map((p) => `${p}:${new Set([...times.values()].map((t) => (p === 'hour' ? Math.floor(t / 3600) : p === 'day' ? Math.floor(t / 86400) : Math.floor((t / 86400 + 3) / 7)))).size}`));
    h.log(`[${label}] block times over ${[...periods].join(', ')} (period:count)`);
    const stats = tokenStats(truth.transfers);
    for (const token of truth.tokens) {
      const first = stats.get(token).firstBlock;
      const base = `/v1/tokens/${token}/series`;
      // Defaults: from the token's first block to the head.
      const whole = await apiOk(port, `${base}?step=7`);
      assert.equal(whole.block, head);
      assert.equal(whole.from_block, first);
      assert.equal(whole.to_block, head);
      assert.equal(whole.step, 7);
      assertSeriesItems(whole.items, seriesTruth(truth.transfers, times, token, first, head, { step: 7 }), `${base}?step=7`);
      const cases = [];
      for (const [from, to] of someRanges(head, token.charCodeAt(7) + head)) {
        cases.push([from, to, { step: 1 + ((from + to) % 13) }]);
        for (const period of ['hour', 'day', 'week']) cases.push([from, to, { period }]);
      }
      cases.push([first, head, { step: Math.max(1, Math.ceil((head - first + 1) / 9)), distribution: true }]);
      cases.push([0, head, { period: 'hour', distribution: true }]);
      for (const [from, to, opts] of cases) {
        const q = `from_block=${from}&to_block=${to}&` + (opts.step ? `step=${opts.step}` : `period=${opts.period}`) + (opts.distribution ? '&distribution=true' : '');
        const want = seriesTruth(truth.transfers, times, token, from, to, opts);
        const got = await apiOk(port, `${base}?${q}`);
        assertSeriesItems(got.items, want, `${base}?${q}`);
        const nd = await fetch(`http://127.0.0.1:${port}${base}?${q}&format=ndjson`).then((r) => r.text());
        assertSeriesItems(nd.split('\n').filter(Boolean).map((l) => JSON.parse(l)), want, `${q} ndjson`);
        const csv = await fetch(`http://127.0.0.1:${port}${base}?${q}&format=csv`).then((r) => r.text());
        assertSeriesItems(parseCsv(csv), want.map((w) => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, typeof v === 'string' && v.length < 16 ? Number(v) : v]))), `${q} csv`);
      }
      // activity=false leaves out the four figures that read the transfers.
      const lean = await apiOk(port, `${base}?step=5&activity=false`);
      assertSeriesItems(lean.items, seriesTruth(truth.transfers, times, token, first, head, { step: 5 }).map(
        ({ senders, receivers, new_holders, gone_holders, ...rest }) => rest), `${base}?step=5&activity=false`);
    }
    const token = truth.tokens[0];
    const bad = [
      ['step=0', 'bad_step'], ['period=month', 'bad_period'], ['', 'bad_parameter'],
      ['step=3&period=day', 'bad_parameter'], [`step=1&to_block=${head + 1}`, 'block_out_of_range'],
      ['step=1&from_block=9&to_block=8', 'bad_range'],
      ['step=1&limit=5', 'unknown_parameter'], ['step=2&distribution=yes', 'bad_distribution'],
    ];
    for (const [q, code] of bad) {
      const r = await api(port, `/v1/tokens/${token}/series?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.equal(r.json.error.code, code, `${q}: ${r.text}`);
    }
  });
}

/**
 * /v1/series: by steps (1 over the whole default range, 7 and 3 over seeded windows) and by UTC
 * hours, days and weeks (over the default range and a window inside the chain), equals the items
 * recomputed from every token's logs and the blocks' timestamps (`tokens` over the whole history,
 * not only the range asked); NDJSON and CSV carry the same items; the defaults are the first
 * transfer's block and the head; the bounds and bad parameters are 400s.
 */
export async function verifyChainSeries(ctx, truth) {
  const { h, port, url, head, label } = ctx;
  await h.check(`[${label}] chain series (steps, hours, days, weeks) == tokens, active tokens, transfers from the logs`, async () => {
    const info = await blockInfo(url, Array.from({ length: head + 1 }, (_, b) => b));
    const times = new Map([...info].map(([b, x]) => [b, x.timestamp]));
    const first = truth.transfers.length ? truth.transfers[0].block : head;
    const base = '/v1/series';
    const by = (opts) => (opts.step ? `step=${opts.step}` : `period=${opts.period}`);
    // One request: the JSON answer's envelope and items, and the same items as NDJSON and CSV.
    const expect = async (q, from, to, opts) => {
      const want = chainSeriesTruth(truth.transfers, times, from, to, opts);
      const got = await apiOk(port, `${base}?${q}`);
      assert.deepEqual(Object.keys(got), ['block', 'from_block', 'to_block', opts.step ? 'step' : 'period', 'items'], `${q} keys`);
      assert.equal(got.block, head, `${q} block`);
      assert.equal(got.from_block, from, `${q} from_block`);
      assert.equal(got.to_block, to, `${q} to_block`);
      assert.equal(got.step ?? got.period, opts.step ?? opts.period, `${q} step or period`);
      assertSeriesItems(got.items, want, `${base}?${q}`);
      const nd = await fetch(`http://127.0.0.1:${port}${base}?${q}&format=ndjson`).then((r) => r.text());
      assertSeriesItems(nd.split('\n').filter(Boolean).map((l) => JSON.parse(l)), want, `${q} ndjson`);
      const csv = await fetch(`http://127.0.0.1:${port}${base}?${q}&format=csv`).then((r) => r.text());
      const header = ['block', 'timestamp', 'start_block', ...(opts.period ? ['period_start'] : []), 'tokens', 'active_tokens', 'transfers'];
      assert.equal(csv.split('\r\n')[0], header.join(','), `${q} csv header`);
      assertSeriesItems(parseCsv(csv), want, `${q} csv`);
    };
    // Defaults: from the first transfer's block (of any token) to the head.
    await expect('step=7', first, head, { step: 7 });
    if (head - first + 1 <= 1000) await expect('step=1', first, head, { step: 1 });
    for (const period of ['hour', 'day', 'week']) await expect(`period=${period}`, first, head, { period });
    // Seeded windows, and one starting and ending inside the chain (transfers before it count in
    // `tokens`, not in `active_tokens` or `transfers`).
    const cases = [];
    for (const [from, to] of someRanges(head, head + 101)) cases.push([from, to, { step: 7 }], [from, to, { step: 3 }]);
    const lo = Math.min(head, Math.floor(head / 3) + 1);
    const hi = Math.max(lo, Math.floor((2 * head) / 3));
    for (const opts of [{ step: 4 }, { period: 'hour' }, { period: 'day' }, { period: 'week' }]) cases.push([lo, hi, opts]);
    // A window from the first block where fewer tokens move than have moved by its end: counting
    // `tokens` over the window alone would be short there.
    const seen = new Set();
    for (let b = first, i = 0; b <= head; b++) {
      const moving = new Set();
      for (; i < truth.transfers.length && truth.transfers[i].block === b; i++) moving.add(truth.transfers[i].token);
      moving.forEach((t) => seen.add(t));
      if (moving.size < seen.size) { cases.push([b, Math.min(head, b + 5), { step: 1 }], [b, head, { period: 'day' }]); break; }
    }
    for (const [from, to, opts] of cases) {
      const q = `from_block=${from}&to_block=${to}&${by(opts)}`;
      if (opts.step && Math.ceil((to - from + 1) / opts.step) > 1000) {
        const r = await api(port, `${base}?${q}`);
        assert.equal(r.status, 400, `${q}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
        assert.equal(r.json.error.code, 'too_many_items', `${q}: ${r.text.slice(0, 200)}`);
        continue;
      }
      await expect(q, from, to, opts);
    }
    const bad = [
      ['', 'bad_parameter'], [`from_block=${first}`, 'bad_parameter'], ['step=3&period=day', 'bad_parameter'],
      [`step=1&to_block=${head + 1}`, 'block_out_of_range'], ['step=1&limit=5', 'unknown_parameter'],
      ['step=0', null], ['step=x', null], ['period=month', null],
    ];
    if (head >= 1) bad.push([`step=1&from_block=${head}&to_block=${head - 1}`, 'bad_range']);
    if (head >= 1000) bad.push(['step=1&from_block=0', 'too_many_items']);
    else h.log(`[${label}] chain series too_many_items not checked: head ${head} < 1000`);
    for (const [q, code] of bad) {
      const r = await api(port, `${base}?${q}`);
      const what = `${q}: HTTP ${r.status} ${r.text.slice(0, 200)}`;
      assert.equal(r.status, 400, what);
      assert.equal(typeof r.json?.error?.code, 'string', what);
      assert.ok(r.json.error.message.length > 0, what);
      if (code) assert.equal(r.json.error.code, code, what);
    }
  });
}

/**
 * /v1/tokens/{token}?block=N: the figures derived from the logs as of the end of block N equal those
 * recomputed from the logs up to N; before the token's first transfer it is a 404.
 */
export async function verifyTokenAtBlock(ctx, truth) {
  const { h, port, head, label } = ctx;
  const labels = ctx.labels ?? labelsModel();
  await h.check(`[${label}] /v1/tokens/{token}?block=N == counts from the logs up to N`, async () => {
    const blocks = [...new Set([0, 1, Math.floor(head / 4), Math.floor(head / 2), head - 1, head].filter((b) => b >= 0))];
    for (const token of truth.tokens) {
      for (const n of blocks) {
        const upTo = truth.transfers.filter((t) => t.block <= n);
        const s = tokenStats(upTo).get(token);
        const r = await api(port, `/v1/tokens/${token}?block=${n}`);
        if (!s) {
          assert.equal(r.status, 404, `${token}@${n}: ${r.text}`);
          continue;
        }
        assert.equal(r.status, 200, `${token}@${n}: ${r.text}`);
        const bal = balancesFromLogs(upTo).get(token);
        const got = r.json;
        assert.equal(got.block, n);
        assert.equal(got.holders, [...bal.values()].filter((b) => b > 0n).length, `${token}@${n} holders`);
        assert.equal(got.negative_balances, [...bal.values()].filter((b) => b < 0n).length, `${token}@${n} negative_balances`);
        assert.equal(got.transfers, s.transfers, `${token}@${n} transfers`);
        assert.equal(got.minted, s.minted.toString(), `${token}@${n} minted`);
        assert.equal(got.burned, s.burned.toString(), `${token}@${n} burned`);
        assert.equal(got.indexed_supply, (s.minted - s.burned).toString(), `${token}@${n} indexed_supply`);
        assert.equal(got.circulating_supply, labels.circulating(token, s.minted - s.burned, bal).toString(), `${token}@${n} circulating_supply`);
        assert.equal(got.first_block, s.firstBlock, `${token}@${n} first_block`);
        assert.equal(got.last_block, s.lastBlock, `${token}@${n} last_block`);
      }
    }
    const r = await api(port, `/v1/tokens/${truth.tokens[0]}?block=${head + 1}`);
    assert.equal(r.status, 400, r.text);
  });
}

/**
 * Labels (ctx.labels, the model of the daemon's --labels): every holder's label and category,
 * now and at a past block, on the list and the single-balance answer; /distribution with
 * exclude_category (alone and with exclude) equals the distribution without those addresses.
 */
export async function verifyLabels(ctx, truth) {
  const { h, port, head, label } = ctx;
  const labels = ctx.labels ?? labelsModel();
  await h.check(`[${label}] labels on holders (now, at a block, one balance) and distribution exclude_category`, async () => {
    const past = Math.floor(head / 2);
    const pastBalances = balancesFromLogs(truth.transfers.filter((t) => t.block <= past));
    for (const token of truth.tokens) {
      const labelOf = (a) => labels.find(token, a);
      const at = await allPages(port, `/v1/tokens/${token}/holders?block=${past}&limit=1000`);
      deepEqualWithPath(at.items, sortedHolders(pastBalances.get(token), labelOf), `${token} holders at ${past}`);
      for (const r of labels.rows) {
        const one = await apiOk(port, `/v1/tokens/${token}/holders/${r.address}`);
        const want = labelOf(r.address.toLowerCase());
        assert.equal(one.label, want?.label ?? null, `${token}/${r.address} label`);
        assert.equal(one.category, want?.category ?? null, `${token}/${r.address} category`);
      }
      for (const [cats, extra] of [[['treasury', 'team'], []], [['exchange'], [truth.tokens[0]]], [['burn'], []]]) {
        const ex = new Set([...labels.inCategories(token, cats), ...extra]);
        const q = `exclude_category=${cats.join(',')}` + (extra.length ? `&exclude=${extra.join(',')}` : '');
        const d = await apiOk(port, `/v1/tokens/${token}/distribution?${q}`);
        const want = distributionTruth(truth.balances.get(token), ex);
        assert.equal(d.holders, want.holders, `${token} ${q} holders`);
        assert.equal(d.supply, want.supply, `${token} ${q} supply`);
        assert.equal(d.nakamoto, want.nakamoto, `${token} ${q} nakamoto`);
        const dp = await apiOk(port, `/v1/tokens/${token}/distribution?${q}&block=${past}`);
        const wantPast = distributionTruth(pastBalances.get(token), ex);
        assert.equal(dp.holders, wantPast.holders, `${token} ${q}@${past} holders`);
        assert.equal(dp.supply, wantPast.supply, `${token} ${q}@${past} supply`);
      }
    }
    const r = await api(port, `/v1/tokens/${truth.tokens[0]}/distribution?exclude_category=Not%20A%20Category`);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, 'bad_exclude_category');
  });
}
