// docs/analytics.md's recipes, run as written with real DuckDB and pandas:
//   node tests/e2e/recipes.test.mjs [--seed N]
// On an anvil chain with a plain 18-decimals token and a token whose amounts are near 2^255 (one
// mint of 2^255 + 123456789 raw units, then transfers of 2^250 and more), for each token: the
// download recipe fetches the exports; every DuckDB and pandas recipe runs on them and each value
// it gives is compared with the API's (holders, transfers, tokens, holders at a block,
// distribution's top10_share, daily series, flows), the holders also with balanceOf and the
// transfers with eth_getLogs. The HUGEINT recipes are exact on the plain token and stop with
// DuckDB's Conversion Error on the huge one, as the page says; and the page's table of default
// reads is checked too (DuckDB's read_csv_auto makes DOUBLEs, pandas' read_json floats).
import fs from 'node:fs';
import path from 'node:path';
import { startAnvil, deploy, calldata, rpcBatch, blockNumber } from './lib/chain.mjs';
import { makeTempDir } from './lib/proc.mjs';
import { Workload } from './lib/workload.mjs';
import { erc20Transfers, balancesOf } from './lib/truth.mjs';
import { startDaemon, waitForBlock, waitForMetadata, apiOk, allPages } from './lib/daemon.mjs';
import { loadRecipes, runShell, duckdb, runPandas, pandasRows, pandasCell } from './lib/recipes.mjs';
import { createHarness, assert, parseArgs } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 11);
const h = createHarness('recipes', { timeoutMs: 300000 });
const ZERO = '0x0000000000000000000000000000000000000000';
const BLOCK = 60; // the recipes' "holders at a block" and the end of their flows range (30 to 60)
const GAS = 200000;
let code = 1;

/** A Workload chain with a plain token, plus the huge TestToken's moves on every other block. */
async function buildRecipeChain(url) {
  const w = new Workload(url, { seed, extras: false, tokenSpecs: [{ name: 'Plain', symbol: 'PLN', decimals: 18 }, { name: 'Dollar', symbol: 'USDX', decimals: 6 }], txPerBlock: [3, 8] });
  await w.setup();
  const acc = w.accounts;
  const huge = await deploy(url, w.deployer, 'TestToken', ['Huge', 'HUGE', 18]);
  const counts = await rpcBatch(url, acc.map((a) => ['eth_getTransactionCount', [a, 'pending']]));
  acc.forEach((a, i) => w.nonces.set(a, Number(BigInt(counts[i]))));
  const op = (from, fn, fnArgs) => ({ kind: 'huge', tx: { from, to: huge, data: calldata('TestToken', fn, fnArgs), gas: GAS }, apply: () => {} });
  await w.sendAndMine([op(acc[0], 'mint', [acc[1], (1n << 255n) + 123456789n])]);
  for (let i = 0; i < 50; i++) {
    await w.step();
    await w.sendAndMine([
      op(acc[1], 'transfer', [acc[2 + (i % 7)], (1n << 250n) + BigInt(i)]),
      op(acc[2 + ((i + 3) % 7)], 'transfer', [acc[20 + (i % 5)], BigInt(i + 1) * 10n ** 18n]),
      op(acc[0], 'mint', [acc[10 + (i % 3)], BigInt(i + 1)]),
    ]);
  }
  const [plain, dollar] = w.summary().tokens;
  return { plain, dollar, huge };
}

const big = (s) => BigInt(s);
const iso = (t) => new Date(t.replace(' ', 'T').replace(/\+00$/, 'Z').replace(/(\d)$/, '$1Z')).toISOString();
const col = (q, name) => q.columns.findIndex((c) => c.name === name);
const typeOf = (q, name) => q.columns[col(q, name)].type;
const rowsAs = (q, names) => q.rows.map((r) => Object.fromEntries(names.map((n) => [n, r[col(q, n)] === null ? null : String(r[col(q, n)])])));
const pick = (items, names) => items.map((it) => Object.fromEntries(names.map((n) => [n, it[n] === null ? null : String(it[n])])));
const sumBig = (xs) => xs.reduce((a, b) => a + b, 0n);

/** The API's figures for one token, read once. */
async function apiFigures(port, token) {
  const holders = (await allPages(port, `/v1/tokens/${token}/holders?limit=1000&columns=address,balance,amount,token,symbol,decimals`)).items;
  const transfers = (await allPages(port, `/v1/tokens/${token}/transfers?limit=1000&columns=block,time,tx_hash,log_index,from,to,value,amount`)).items;
  const holdersAt = (await allPages(port, `/v1/tokens/${token}/holders?block=${BLOCK}&limit=1000`)).items;
  const flows = (await allPages(port, `/v1/tokens/${token}/flows?from_block=30&to_block=${BLOCK}&limit=1000`)).items;
  const distribution = await apiOk(port, `/v1/tokens/${token}/distribution`);
  const daily = (await apiOk(port, `/v1/tokens/${token}/series?period=day&activity=true`)).items.filter((i) => i.transfers > 0);
  const tokens = (await allPages(port, '/v1/tokens?limit=1000')).items;
  return { holders, transfers, holdersAt, flows, distribution, daily, tokens };
}

/** Whether a HUGEINT recipe reading the transfers of blocks [from, to] is exact (every value
 * below 2^126, so sums fit too), stops with a Conversion Error (one at or past 2^127), or
 * either (between). */
function hugeintFate(transfers, from, to) {
  const max = transfers.filter((t) => t.block >= from && t.block <= to).reduce((m, t) => (big(t.value) > m ? big(t.value) : m), 0n);
  return max < 1n << 126n ? 'exact' : max >= 1n << 127n ? 'error' : 'either';
}

async function checkDuckdb(label, recipes, dir, api) {
  const db = await duckdb(dir);
  const q = (name) => db.query(recipes.get(name).code);
  const holderCols = ['address', 'balance', 'amount', 'token', 'symbol', 'decimals'];
  await h.check(`[${label}] DuckDB: holders.ndjson and holders.csv read exactly (VARCHAR amounts), every row equal to the API's`, async () => {
    for (const name of ['duckdb-holders-ndjson', 'duckdb-holders-csv']) {
      const r = await q(name);
      assert.equal(typeOf(r, 'balance'), 'VARCHAR', name);
      assert.equal(typeOf(r, 'amount'), 'VARCHAR', name);
      assert.deepEqual(rowsAs(r, holderCols), pick(api.holders, holderCols), name);
    }
  });
  await h.check(`[${label}] DuckDB: transfers.csv read exactly, every transfer equal to the API's`, async () => {
    const r = await q('duckdb-transfers-csv');
    const cols = ['block', 'tx_hash', 'log_index', 'from', 'to', 'value', 'amount'];
    assert.deepEqual(rowsAs(r, cols), pick(api.transfers, cols));
    assert.deepEqual(r.rows.map((x) => iso(String(x[col(r, 'time')]))), api.transfers.map((t) => new Date(t.time).toISOString()));
  });
  await h.check(`[${label}] DuckDB: the tokens list with its supplies as exact strings`, async () => {
    const r = await q('duckdb-tokens');
    const cols = ['address', 'symbol', 'decimals', 'total_supply', 'holders', 'transfers'];
    assert.deepEqual(rowsAs(r, cols), pick(api.tokens, cols));
  });
  await h.check(`[${label}] DuckDB: top holders in the API's order, their shares adding up to top10_share`, async () => {
    const r = await q('duckdb-top-holders');
    assert.deepEqual(rowsAs(r, ['address', 'balance']), pick(api.holders.slice(0, 10), ['address', 'balance']));
    const share = r.rows.reduce((a, x) => a + Number(x[col(r, 'share')]), 0);
    assert.ok(Math.abs(share - api.distribution.top10_share) < 1e-9, `${share} vs ${api.distribution.top10_share}`);
  });
  await h.check(`[${label}] DuckDB: holders at block ${BLOCK} from the API's export`, async () => {
    const r = await q('duckdb-holders-at-block');
    assert.equal(String(r.rows[0][col(r, 'holders')]), String(api.holdersAt.length));
    assert.equal(big(r.rows[0][col(r, 'largest')]), big(api.holdersAt[0].balance));
  });
  const hugeint = [
    ['duckdb-balances-from-transfers', 0, ['account', 'balance'], api.holdersAt.map((x) => ({ account: x.address, balance: x.balance }))],
    ['duckdb-flows', 30, ['account', 'change'], api.flows.map((f) => ({ account: f.account, change: f.change }))],
  ];
  for (const [name, from, cols, want] of hugeint) {
    const fate = hugeintFate(api.transfers, from, BLOCK);
    if (fate === 'either') continue;
    await h.check(`[${label}] DuckDB: ${name} ${fate === 'error' ? 'stops with a Conversion Error (amounts past HUGEINT)' : 'equals the API exactly'}`, async () => {
      if (fate === 'error') await assert.rejects(q(name), /Conversion Error/);
      else assert.deepEqual(rowsAs(await q(name), cols), want);
    });
  }
  await h.check(`[${label}] DuckDB: daily transfers and senders equal series?period=day`, async () => {
    const r = await q('duckdb-daily-transfers');
    const got = r.rows.map((x) => ({ day: iso(String(x[col(r, 'day')])), transfers: Number(x[col(r, 'transfers')]), senders: Number(x[col(r, 'senders')]) }));
    assert.deepEqual(got, api.daily.map((i) => ({ day: new Date(i.period_start * 1000).toISOString(), transfers: i.transfers, senders: i.senders })));
  });
  const past63 = api.holders.some((x) => big(x.balance) >= 1n << 63n);
  await h.check(`[${label}] DuckDB: the page's warning holds: read_csv_auto makes a ${past63 ? 'DOUBLE' : 'BIGINT'} of balance`, async () => {
    const r = await db.query("SELECT * FROM read_csv_auto('holders.csv')");
    assert.equal(typeOf(r, 'balance'), past63 ? 'DOUBLE' : 'BIGINT');
  });
  db.close();
}

async function checkPandas(label, recipes, dir, env, api) {
  const names = [...recipes.keys()].filter((n) => n.startsWith('pandas-'));
  const capture = {
    'pandas-holders-table': ['holders'], 'pandas-holders-csv': ['holders_csv'], 'pandas-transfers-ndjson': ['transfers_nd'],
    'pandas-transfers': ['transfers'], 'pandas-top-holders': ['top', 'top10_share'], 'pandas-holders-at-block': ['holders_at'],
    'pandas-daily-transfers': ['daily'], 'pandas-flows': ['flows'],
  };
  const run = names.map((n) => ({ name: n, code: recipes.get(n).code, capture: capture[n] ?? [] }));
  // Not a recipe: the default read the page warns about.
  run.push({
    name: 'default-read-json', capture: ['default_dtype'],
    code: 'import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter("ignore")\n'
      + '    default_dtype = str(pd.read_json(f"{API}/v1/tokens/{TOKEN}/transfers?format=ndjson", lines=True)["value"].dtype)\n',
  });
  let out;
  await h.check(`[${label}] pandas: every recipe of the page runs`, () => { out = runPandas(run, { cwd: dir, env }); });
  if (!out) return;
  const seriesMap = (s) => new Map(s.index.map((k, i) => [pandasCell(k), pandasCell(s.values[i])]));
  await h.check(`[${label}] pandas: format=table, CSV and NDJSON reads keep every amount an exact string`, () => {
    assert.equal(out.holders.dtypes.balance, 'object');
    assert.deepEqual(pandasRows(out.holders).map((r) => [r.address, r.balance]), api.holders.map((x) => [x.address, x.balance]));
    assert.deepEqual(pandasRows(out.holders_csv).map((r) => [r.address, r.balance]), api.holders.map((x) => [x.address, x.balance]));
    assert.deepEqual(pandasRows(out.transfers_nd).map((r) => r.value), api.transfers.map((t) => t.value));
  });
  await h.check(`[${label}] pandas: transfers as Python integers equal the API's, in order`, () => {
    const rows = pandasRows(out.transfers);
    assert.deepEqual(rows.map((r) => [Number(r.block), Number(r.log_index), r.from, r.to, r.value]),
      api.transfers.map((t) => [t.block, t.log_index, t.from, t.to, t.value]));
    assert.deepEqual(rows.map((r) => new Date(r.time).toISOString()), api.transfers.map((t) => new Date(t.time).toISOString()));
  });
  await h.check(`[${label}] pandas: top holders and top10_share equal the API's`, () => {
    assert.deepEqual(pandasRows(out.top).map((r) => [r.address, r.balance]), api.holders.slice(0, 10).map((x) => [x.address, x.balance]));
    assert.ok(Math.abs(out.top10_share.f - api.distribution.top10_share) < 1e-12, `${out.top10_share.f} vs ${api.distribution.top10_share}`);
  });
  await h.check(`[${label}] pandas: holders at block ${BLOCK} from the transfers equal holders?block=${BLOCK}`, () => {
    assert.deepEqual(seriesMap(out.holders_at), new Map(api.holdersAt.map((x) => [x.address, x.balance])));
  });
  await h.check(`[${label}] pandas: daily transfers and exact volume equal the series and the API's transfers`, () => {
    const want = new Map();
    for (const t of api.transfers) {
      const day = `${t.time.slice(0, 10)}T00:00:00+00:00`;
      const d = want.get(day) ?? { transfers: 0, volume: 0n };
      d.transfers++;
      d.volume += big(t.value);
      want.set(day, d);
    }
    const got = new Map(out.daily.index.map((k, i) => [pandasCell(k), { transfers: Number(pandasCell(out.daily.rows[i][0])), volume: big(pandasCell(out.daily.rows[i][1])) }]));
    assert.deepEqual(got, want);
    assert.deepEqual([...got.values()].map((d) => d.transfers), api.daily.map((i) => i.transfers));
  });
  await h.check(`[${label}] pandas: flows over blocks 30 to ${BLOCK} equal the API's`, () => {
    assert.deepEqual(seriesMap(out.flows), new Map(api.flows.map((f) => [f.account, f.change])));
  });
  const past63 = api.transfers.some((t) => big(t.value) >= 1n << 63n);
  await h.check(`[${label}] pandas: the page's warning holds: a default read_json makes ${past63 ? 'float64' : 'int64'} of amounts`, () => {
    assert.equal(pandasCell(out.default_dtype), past63 ? 'float64' : 'int64');
  });
}

try {
  const recipes = loadRecipes();
  await h.check('docs/analytics.md has the recipes this test runs', () => {
    for (const n of ['download', 'duckdb-holders-csv', 'duckdb-flows', 'pandas-setup', 'pandas-holders-table', 'pandas-flows']) assert.ok(recipes.has(n), n);
  });
  const anvil = await h.must('start anvil', () => startAnvil());
  const { plain, dollar, huge } = await h.must('build a chain with a plain token, a 6-decimals one and one with amounts near 2^255', () => buildRecipeChain(anvil.url));
  const head = await blockNumber(anvil.url);
  const tmp = makeTempDir();
  const d = await h.must('start the daemon', () => startDaemon({ rpcUrl: anvil.url, db: path.join(tmp, 'db') }));
  await h.must('the daemon reaches the head', () => waitForBlock(d.port, head));
  await waitForMetadata(d.port, [plain, dollar, huge]);
  const logs = await erc20Transfers(anvil.url, head);
  const fates = new Set();
  for (const [label, token] of [['plain', plain], ['dollar', dollar], ['huge', huge]]) {
    const api = await apiFigures(d.port, token);
    await h.check(`[${label}] the API agrees with the chain: transfers with eth_getLogs, holders with balanceOf`, async () => {
      const cols = ['block', 'tx_hash', 'log_index', 'from', 'to', 'value'];
      assert.deepEqual(pick(api.transfers, cols), pick(logs.filter((l) => l.token === token), cols));
      const onChain = await balancesOf(anvil.url, api.holders.map((x) => [token, x.address]), head);
      assert.deepEqual(onChain.map(String), api.holders.map((x) => x.balance));
      if (label === 'huge') assert.ok(api.holders.some((x) => big(x.balance) > 1n << 250n) && big(api.transfers[0].value) > 1n << 255n);
    });
    const dir = path.join(tmp, label);
    fs.mkdirSync(dir);
    const env = { API: `http://127.0.0.1:${d.port}`, TOKEN: token, BLOCK: String(BLOCK) };
    await h.check(`[${label}] the download recipe fetches every export`, () => {
      runShell(recipes.get('download').code, { cwd: dir, env });
      for (const f of ['holders.csv', 'holders.ndjson', 'holders-at.ndjson', 'transfers.csv', 'transfers.ndjson', 'tokens.ndjson']) {
        assert.ok(fs.statSync(path.join(dir, f)).size > 0, f);
      }
    });
    fates.add(hugeintFate(api.transfers, 0, BLOCK));
    await checkDuckdb(label, recipes, dir, api);
    await checkPandas(label, recipes, dir, env, api);
    if (label === 'plain') {
      await h.check('[plain] the plain token has a holder past 2^64 raw units (so int64 would not do)', () => {
        assert.ok(api.holders.some((x) => big(x.balance) > 1n << 64n));
        assert.ok(sumBig(api.holders.map((x) => big(x.balance))) > 0n);
      });
    }
  }
  await h.check('the HUGEINT recipes were seen both exact (the 6-decimals token) and stopping (the huge one)', () => {
    assert.ok(fates.has('exact') && fates.has('error'), [...fates].join(','));
  });
  await d.stop();
  await anvil.stop();
} catch (e) {
  h.fail('unexpected error', e);
} finally {
  code = h.finish();
}
process.exit(code);
