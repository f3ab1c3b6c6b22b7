// The soak's query load: workers that call every route of the API with random parameters while
// the chain moves, and check that each answer is a 2xx and well-formed (the right JSON shape, NDJSON
// lines that parse, CSV rows with the header's column count). Exactness against the chain is the
// checkpoints' job (soak.mjs); here an answer only has to be sane at whatever block it was given.
import { api } from '../e2e/lib/daemon.mjs';
import { sleep } from '../e2e/lib/proc.mjs';

const ADDR = /^0x[0-9a-f]{40}$/;
const DEC = /^(0|[1-9][0-9]*)$/;
const HASH = /^0x[0-9a-f]{64}$/;
const TRANSFER_KEYS = ['block', 'from', 'log_index', 'timestamp', 'to', 'token', 'tx_hash', 'value'];

const isInt = (v) => Number.isInteger(v) && v >= 0;
const keysAre = (o, keys) => o && typeof o === 'object' && Object.keys(o).sort().join(',') === keys.join(',');

function fail(msg) { throw new Error(msg); }

const itemChecks = {
  token(it) { if (!ADDR.test(it.address ?? '') || !isInt(it.holders) || !isInt(it.transfers)) fail(`bad token item ${JSON.stringify(it)}`); },
  holder(it) {
    if (!keysAre(it, ['address', 'balance', 'category', 'label']) || !ADDR.test(it.address) || !DEC.test(it.balance) || it.balance === '0'
      || (it.label !== null && typeof it.label !== 'string') || (it.category !== null && typeof it.category !== 'string')) fail(`bad holder item ${JSON.stringify(it)}`);
  },
  transfer(it) {
    if (!keysAre(it, TRANSFER_KEYS) || !isInt(it.block) || !isInt(it.log_index) || !isInt(it.timestamp)
      || !HASH.test(it.tx_hash) || !ADDR.test(it.from) || !ADDR.test(it.to) || !ADDR.test(it.token) || !DEC.test(it.value)) {
      fail(`bad transfer item ${JSON.stringify(it)}`);
    }
  },
  balance(it) { if (!keysAre(it, ['balance', 'token']) || !ADDR.test(it.token) || !DEC.test(it.balance) || it.balance === '0') fail(`bad balance item ${JSON.stringify(it)}`); },
};

/** A page: {block, items, next_cursor}; every item passes `kind`'s check. */
function checkPage(j, kind) {
  if (!j || !isInt(j.block)) fail(`no block in ${JSON.stringify(j).slice(0, 200)}`);
  if (!Array.isArray(j.items)) fail('no items array');
  if (!(j.next_cursor === null || typeof j.next_cursor === 'string')) fail(`bad next_cursor ${j.next_cursor}`);
  for (const it of j.items) itemChecks[kind](it);
}

function checkNdjson(text, kind) {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  for (const l of lines) itemChecks[kind](JSON.parse(l));
  return lines.length;
}

function checkCsv(text, header) {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== header) fail(`CSV header ${lines[0]}, expected ${header}`);
  const cols = header.split(',').length;
  for (const l of lines.slice(1)) if (l.split(',').length !== cols) fail(`CSV row ${l}`);
  return lines.length - 1;
}

const TRANSFER_CSV = 'block,timestamp,tx_hash,log_index,token,from,to,value';

/**
 * The query mix: [weight, name, fn(ctx) -> requests made]. `ctx`: {get(path) -> {status, json,
 * text}, rng, token(), account(), oldBlock(), head()}. A route that fails throws.
 */
const ROUTES = [
  [3, 'status', async (c) => {
    const j = (await c.get('/v1/status')).json;
    if (!isInt(j?.block) || !HASH.test(j.block_hash ?? '') || j.chain_id !== 31337 || !isInt(j.transfers)) fail(`bad status ${JSON.stringify(j)}`);
    c.noteHead(j.block);
  }],
  [1, 'healthz', async (c) => { if ((await c.get('/healthz')).json?.status !== 'ok') fail('healthz'); }],
  [1, 'metrics', async (c) => { if (!/erc20_indexed_block \d+/.test((await c.get('/metrics')).text)) fail('no erc20_indexed_block in /metrics'); }],
  [2, 'tokens', async (c) => checkPage((await c.get(`/v1/tokens?limit=${c.rng.int(1, 5)}`)).json, 'token')],
  [3, 'token', async (c) => {
    const t = c.token();
    const j = (await c.get(`/v1/tokens/${t}`)).json;
    if (j?.address !== t || !isInt(j.block) || !DEC.test(j.minted) || !DEC.test(j.indexed_supply) || j.negative_balances !== 0) fail(`bad token detail ${JSON.stringify(j)}`);
  }],
  [4, 'holders walk', async (c) => { // a walk of up to 6 pages, often abandoned before the end
    let p = `/v1/tokens/${c.token()}/holders?limit=${c.rng.pick([1, 7, 50, 1000])}`;
    let block = null;
    for (let i = 0; i < 6; i++) {
      const j = (await c.get(p)).json;
      checkPage(j, 'holder');
      if (block !== null && j.block !== block) fail(`a walk moved from block ${block} to ${j.block}`);
      block = j.block;
      if (!j.next_cursor || c.rng.chance(0.3)) break;
      p = p.replace(/&cursor=.*$/, '') + `&cursor=${encodeURIComponent(j.next_cursor)}`;
    }
  }],
  [2, 'holders at block', async (c) => checkPage((await c.get(`/v1/tokens/${c.token()}/holders?block=${c.oldBlock()}&limit=${c.rng.pick([5, 100])}`)).json, 'holder')],
  [5, 'balance', async (c) => {
    const t = c.token();
    const a = c.account();
    const blk = c.rng.chance(0.4) ? c.oldBlock() : null;
    const j = (await c.get(`/v1/tokens/${t}/holders/${a}${blk === null ? '' : `?block=${blk}`}`)).json;
    if (j?.token !== t || j.account !== a || !DEC.test(j.balance) || !isInt(j.block) || (blk !== null && j.block !== blk)) fail(`bad balance ${JSON.stringify(j)}`);
  }],
  [4, 'transfers', async (c) => {
    const lo = c.oldBlock();
    const hi = lo + c.rng.int(0, 200);
    checkPage((await c.get(`/v1/tokens/${c.token()}/transfers?from_block=${lo}&to_block=${hi}&limit=${c.rng.pick([10, 100, 1000])}`)).json, 'transfer');
  }],
  [2, 'series', async (c) => {
    const lo = c.oldBlock();
    const q = c.rng.chance(0.5) ? `step=${c.rng.int(1, 20)}` : `period=${c.rng.pick(['hour', 'day', 'week'])}`;
    const j = (await c.get(`/v1/tokens/${c.token()}/series?from_block=${lo}&${q}&activity=${c.rng.chance(0.5)}`)).json;
    if (!isInt(j?.block) || !Array.isArray(j.items)) fail(`bad series ${JSON.stringify(j).slice(0, 200)}`);
    let prev = lo - 1;
    for (const it of j.items) {
      if (it.start_block !== prev + 1 || it.block < it.start_block || !isInt(it.holders) || !isInt(it.transfers) || !DEC.test(it.minted) || !isInt(it.timestamp)) {
        fail(`bad series item ${JSON.stringify(it)} after block ${prev}`);
      }
      prev = it.block;
    }
    if (j.items.length && prev !== j.block && prev !== j.to_block) fail(`series ends at ${prev}, not ${j.to_block}`);
  }],
  [2, 'distribution', async (c) => {
    const q = c.rng.chance(0.5) ? `?block=${c.oldBlock()}&exclude=${c.account()}` : '';
    const j = (await c.get(`/v1/tokens/${c.token()}/distribution${q}`)).json;
    if (!isInt(j?.holders) || !DEC.test(j.supply) || !(j.gini === null || (j.gini >= 0 && j.gini <= 1))) fail(`bad distribution ${JSON.stringify(j)}`);
  }],
  [3, 'account balances', async (c) => checkPage((await c.get(`/v1/accounts/${c.account()}/balances`)).json, 'balance')],
  [3, 'account transfers', async (c) => {
    const dir = c.rng.pick(['in', 'out', 'any']);
    const tok = c.rng.chance(0.5) ? `&token=${c.token()}` : '';
    checkPage((await c.get(`/v1/accounts/${c.account()}/transfers?direction=${dir}${tok}&from_block=${c.oldBlock()}&limit=100`)).json, 'transfer');
  }],
  [1, 'export holders', async (c) => {
    const t = c.token();
    if (c.rng.chance(0.5)) checkNdjson((await c.get(`/v1/tokens/${t}/holders?format=ndjson`)).text, 'holder');
    else checkCsv((await c.get(`/v1/tokens/${t}/holders?format=csv`)).text, 'address,balance,label,category');
  }],
  [1, 'export transfers', async (c) => {
    const lo = Math.max(0, c.head() - c.rng.int(10, 300));
    const p = `/v1/tokens/${c.token()}/transfers?from_block=${lo}`;
    if (c.rng.chance(0.5)) checkNdjson((await c.get(`${p}&format=ndjson`)).text, 'transfer');
    else checkCsv((await c.get(`${p}&format=csv`)).text, TRANSFER_CSV);
  }],
  [1, 'export account', async (c) => {
    const a = c.account();
    if (c.rng.chance(0.5)) checkNdjson((await c.get(`/v1/accounts/${a}/transfers?format=ndjson`)).text, 'transfer');
    else checkCsv((await c.get(`/v1/accounts/${a}/balances?format=csv`)).text, 'token,balance');
  }],
  [1, 'export tokens', async (c) => checkNdjson((await c.get('/v1/tokens?format=ndjson')).text, 'token')],
];

/**
 * Start `workers` query loops against the daemon on `port`, pausing `pauseMs` between operations
 * (an operation is one route call, or a walk of a few pages). `tokens()` and `accounts()` give
 * the addresses to pick from. Returns {stop(), stats()}.
 */
export function startQueries({ port, rng, tokens, accounts, workers = 2, pauseMs = 40 }) {
  const total = ROUTES.reduce((s, [w]) => s + w, 0);
  const byName = new Map(ROUTES.map(([, name]) => [name, { n: 0, failed: 0, requests: 0, ms: [] }]));
  const failures = [];
  let head = 0;
  let stopping = false;
  /** One context per worker: `cur` is the route whose requests it is timing. */
  const makeCtx = () => {
    const ctx = {
      rng,
      cur: null,
      token: () => rng.pick(tokens()),
      account: () => rng.pick(accounts()),
      head: () => head,
      noteHead: (b) => { head = b; },
      // Far enough below the head that no reorg of the soak (depth <= 12) takes it away.
      oldBlock: () => rng.int(1, Math.max(1, head - 20)),
      async get(p) {
        const t0 = performance.now();
        const r = await api(port, p, { timeoutMs: 30000 });
        ctx.cur.ms.push(performance.now() - t0);
        ctx.cur.requests++;
        if (r.status < 200 || r.status >= 300) fail(`GET ${p}: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
        return r;
      },
    };
    return ctx;
  };
  const pickRoute = () => {
    let x = rng.float() * total;
    for (const r of ROUTES) if ((x -= r[0]) < 0) return r;
    return ROUTES[ROUTES.length - 1];
  };
  const loop = async () => {
    const ctx = makeCtx();
    while (!stopping) {
      const [, name, fn] = pickRoute();
      ctx.cur = byName.get(name);
      try {
        await fn(ctx);
      } catch (e) {
        ctx.cur.failed++;
        if (failures.length < 20) failures.push(`${new Date().toISOString()} ${name}: ${e.message}`);
      }
      ctx.cur.n++;
      await sleep(pauseMs);
    }
  };
  const done = Promise.all(Array.from({ length: workers }, loop));
  return {
    async stop() { stopping = true; await done; },
    /** {routes: Map(name -> {n (operations), failed, requests, ms (per request)}), failures} */
    stats: () => ({ routes: byName, failures: failures.slice() }),
  };
}

/** p-th percentile (0..100) of an unsorted array of numbers; null when empty. */
export function percentile(values, p) {
  if (!values.length) return null;
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
