// Seeded workload generator: deploys the test contracts and fills blocks with a realistic mix of
// ERC20 activity (plus non-ERC20 Transfer-topic noise) among anvil's unlocked accounts.
//
// Mining must be manual (anvil --no-mining): every step() queues a block's transactions with
// explicit nonces and gas, then calls evm_mine. A local model of balances and allowances keeps
// almost every transaction valid whatever order the node puts a block's transactions in: within a
// block an account may only spend what it had at the start of the block (credits received in the
// same block are not spendable until the next one), and an allowance is never both changed and
// spent in the same block.
import { rpc, rpcBatch, deploy, calldata, compile, hex, blockNumber, mine, MAX_UINT256 } from './chain.mjs';

/** mulberry32: small, fast, seeded 32-bit PRNG. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  constructor(seed) { this.next = mulberry32(seed); }
  float() { return this.next(); }
  int(lo, hi) { return lo + Math.floor(this.next() * (hi - lo + 1)); } // inclusive
  chance(p) { return this.next() < p; }
  pick(arr) { return arr[Math.floor(this.next() * arr.length)]; }
  bits(k) { // random BigInt in [0, 2^k)
    let v = 0n;
    for (let i = 0; i < k; i += 32) v = (v << 32n) | BigInt(Math.floor(this.next() * 4294967296));
    return v & ((1n << BigInt(k)) - 1n);
  }
  below(n) { // random BigInt in [0, n) for n > 0
    const n2 = BigInt(n);
    if (n2 <= 0n) return 0n;
    const k = n2.toString(2).length + 16;
    return this.bits(k) % n2;
  }
  weighted(table) { // [[weight, value], ...]
    const total = table.reduce((s, [w]) => s + w, 0);
    let r = this.next() * total;
    for (const [w, v] of table) { if ((r -= w) < 0) return v; }
    return table[table.length - 1][1];
  }
}

export const DEFAULT_TOKENS = [
  { name: 'Test Token Eighteen', symbol: 'TT18', decimals: 18 },
  { name: 'Test Token Six', symbol: 'TT6', decimals: 6 },
  { name: 'Test Token Zero', symbol: 'TT0', decimals: 0 },
];

const GAS = { simple: 200_000, batch: 700_000, nft: 250_000, weird: 120_000 };

export class Workload {
  /**
   * @param {string} url  anvil JSON-RPC URL (manual mining)
   * @param {object} opts {seed, tokenSpecs, extras (deploy NFT/Batcher/WeirdToken), txPerBlock: [min,max],
   *                       emptyBlockRate, externals (receive-only addresses), log}
   */
  constructor(url, opts = {}) {
    this.url = url;
    this.rng = new Rng(opts.seed ?? 1);
    this.tokenSpecs = opts.tokenSpecs ?? DEFAULT_TOKENS;
    this.extras = opts.extras ?? true;
    this.txPerBlock = opts.txPerBlock ?? [6, 18];
    this.emptyBlockRate = opts.emptyBlockRate ?? 0.05;
    this.numExternals = opts.externals ?? 20;
    this.emptyGap = opts.emptyGap ?? null;
    this.log = opts.log ?? (() => {});
    this.tokens = [];         // lowercase addresses, same order as tokenSpecs
    this.bal = new Map();     // token -> Map(addr -> BigInt), confirmed (mined) balances
    this.allow = new Map();   // `${token}|${owner}|${spender}` -> BigInt, confirmed allowances
    this.nftOwner = new Map();// tokenId (number) -> owner
    this.nextNftId = 1;
    this.nonces = new Map();
    this.stats = { blocks: 0, txs: 0, failedExpected: 0, failedUnexpected: 0, resyncs: 0, ops: {} };
    // Block times (option clock, default on): its own generator, so the workload's ops stay
    // those of the seed; see advanceClock.
    this.clock = opts.clock ?? true;
    this.clockRng = new Rng((opts.seed ?? 1) + 7919);
  }

  // ---- setup -------------------------------------------------------------------------------
  async setup() {
    compile();
    this.accounts = (await rpc(this.url, 'eth_accounts')).map((a) => a.toLowerCase());
    if (this.accounts.length < 10) throw new Error(`need unlocked accounts, got ${this.accounts.length}`);
    this.deployer = this.accounts[0];
    this.externals = [];
    for (let i = 0; i < this.numExternals; i++) {
      this.externals.push('0x' + this.rng.bits(160).toString(16).padStart(40, '0'));
    }
    for (const s of this.tokenSpecs) {
      const addr = await deploy(this.url, this.deployer, 'TestToken', [s.name, s.symbol, s.decimals]);
      this.tokens.push(addr);
      this.bal.set(addr, new Map());
    }
    this.decimals = new Map(this.tokens.map((t, i) => [t, this.tokenSpecs[i].decimals]));
    if (this.extras) {
      this.nft = await deploy(this.url, this.deployer, 'TestNFT', []);
      this.batcher = await deploy(this.url, this.deployer, 'Batcher', []);
      this.weird = await deploy(this.url, this.deployer, 'WeirdToken', []);
    }
    // Explicit nonces from here on (the node may receive a block's transactions in any order).
    const counts = await rpcBatch(this.url, this.accounts.map((a) => ['eth_getTransactionCount', [a, 'pending']]));
    this.accounts.forEach((a, i) => this.nonces.set(a, Number(BigInt(counts[i]))));

    if (this.extras) {
      // One block in which 40 accounts give the Batcher an unlimited allowance on every token.
      this.batchApprovers = this.accounts.slice(1, 41);
      const txs = [];
      for (const owner of this.batchApprovers) {
        for (const token of this.tokens) {
          txs.push({
            kind: 'approveBatcher',
            tx: { from: owner, to: token, data: calldata('TestToken', 'approve', [this.batcher, MAX_UINT256]), gas: GAS.simple },
            apply: () => this.allow.set(`${token}|${owner}|${this.batcher}`, MAX_UINT256),
          });
        }
      }
      await this.sendAndMine(txs);
    }
    this.head = await blockNumber(this.url);
    return this;
  }

  // ---- model helpers -----------------------------------------------------------------------
  balOf(token, a) { return this.bal.get(token).get(a) ?? 0n; }
  credit(token, a, v) { const m = this.bal.get(token); m.set(a, (m.get(a) ?? 0n) + v); }
  debit(token, a, v) {
    const m = this.bal.get(token);
    const nv = (m.get(a) ?? 0n) - v;
    if (nv < 0n) throw new Error(`model underflow ${token} ${a}`);
    m.set(a, nv);
  }

  amount(token, forMint = false) {
    const d = BigInt(this.decimals.get(token));
    const r = this.rng;
    const kind = r.weighted([[85, 'normal'], [10, 'small'], [5, 'huge']]);
    if (d >= 18n && (kind === 'huge' || (forMint && !this.hugeDone))) { // beyond 2^64 and double precision
      const big = forMint && !this.hugeDone;
      if (big) this.hugeDone = true;
      return (1n << BigInt(big ? r.int(190, 200) : r.int(64, 200))) + r.bits(64);
    }
    if (kind === 'small') return BigInt(r.int(1, 999));
    const v = (BigInt(r.int(1, 1_000_000)) * 10n ** d) / 100n;
    return v > 0n ? v : 1n;
  }

  /** A random part of `avail`: sometimes all of it, sometimes a tiny slice. */
  part(avail) {
    const r = this.rng;
    if (avail <= 0n) return 0n;
    const k = r.weighted([[15, 'all'], [70, 'some'], [15, 'tiny']]);
    if (k === 'all') return avail;
    if (k === 'tiny') return 1n + r.below(avail < 1000n ? avail : 1000n);
    return 1n + r.below(avail);
  }

  recipient(from) {
    const r = this.rng;
    const k = r.weighted([[8, 'self'], [15, 'external'], [4, 'contract'], [73, 'account']]);
    if (k === 'self' && from) return from;
    if (k === 'external') return r.pick(this.externals);
    if (k === 'contract') return r.pick(this.extras ? [...this.tokens, this.batcher, this.nft] : this.tokens);
    return r.pick(this.accounts);
  }

  // ---- one block ---------------------------------------------------------------------------
  /**
   * Queue `txs` transactions (random in txPerBlock when omitted) and mine ONE block.
   * Returns the mined block number.
   */
  async step({ txs } = {}) {
    const r = this.rng;
    const n = txs ?? (r.chance(this.emptyBlockRate) ? 0 : r.int(this.txPerBlock[0], this.txPerBlock[1]));
    const plan = {
      spent: new Map(),          // `${token}|${addr}` -> BigInt spent in this block
      allowTouched: new Set(),   // allowance keys changed or spent in this block
      nftMoved: new Set(),
    };
    const ops = [];
    for (let i = 0; i < n; i++) {
      const op = this.planOp(plan);
      if (op) ops.push(op);
    }
    await this.sendAndMine(ops);
    return this.head;
  }

  avail(plan, token, a) { return this.balOf(token, a) - (plan.spent.get(`${token}|${a}`) ?? 0n); }
  spend(plan, token, a, v) { const k = `${token}|${a}`; plan.spent.set(k, (plan.spent.get(k) ?? 0n) + v); }

  holderWithAvail(plan, token, pool) {
    const cands = pool.filter((a) => this.avail(plan, token, a) > 0n);
    return cands.length ? this.rng.pick(cands) : null;
  }

  planOp(plan) {
    const r = this.rng;
    const table = [
      [3, 'mint'], [7, 'transfer'], [1, 'zeroTransfer'], [2, 'burn'], [1.5, 'approve'],
      [2, 'transferFrom'], [0.2, 'revert'],
    ];
    if (this.extras) table.push([1.5, 'batch'], [0.7, 'nftMint'], [0.7, 'nftTransfer'], [1, 'weird']);
    let kind = r.weighted(table);
    const token = r.pick(this.tokens);
    const tt = (fn, args) => calldata('TestToken', fn, args);
    let op = null;
    for (let attempt = 0; attempt < 3 && !op; attempt++) {
      op = this.makeOp(plan, kind, token, tt);
      if (!op) kind = 'mint';
    }
    if (op) this.stats.ops[op.kind] = (this.stats.ops[op.kind] ?? 0) + 1;
    return op;
  }

  makeOp(plan, kind, token, tt) {
    const r = this.rng;
    switch (kind) {
      case 'mint': {
        const to = this.recipient(null);
        const v = this.amount(token, true); // the first mint of an 18-decimals token is > 2^190
        return {
          kind, tx: { from: r.pick(this.accounts), to: token, data: tt('mint', [to, v]), gas: GAS.simple },
          apply: () => this.credit(token, to, v),
        };
      }
      case 'transfer': {
        const from = this.holderWithAvail(plan, token, this.accounts);
        if (!from) return null;
        const v = r.chance(0.08) ? 0n : this.part(this.avail(plan, token, from));
        const to = this.recipient(from);
        this.spend(plan, token, from, v);
        return {
          kind, tx: { from, to: token, data: tt('transfer', [to, v]), gas: GAS.simple },
          apply: () => { this.debit(token, from, v); this.credit(token, to, v); },
        };
      }
      case 'zeroTransfer': { // zero-value transfer, possibly from an account that holds nothing
        const from = r.pick(this.accounts);
        const to = this.recipient(from);
        return { kind, tx: { from, to: token, data: tt('transfer', [to, 0n]), gas: GAS.simple }, apply: () => {} };
      }
      case 'burn': {
        const from = this.holderWithAvail(plan, token, [...this.accounts, ...this.externals]);
        if (!from) return null;
        const v = this.part(this.avail(plan, token, from));
        this.spend(plan, token, from, v);
        return {
          kind, tx: { from: r.pick(this.accounts), to: token, data: tt('burn', [from, v]), gas: GAS.simple },
          apply: () => this.debit(token, from, v),
        };
      }
      case 'approve': {
        const owner = r.pick(this.accounts);
        let spender = r.pick(this.accounts);
        if (spender === owner) spender = this.accounts[(this.accounts.indexOf(owner) + 1) % this.accounts.length];
        const key = `${token}|${owner}|${spender}`;
        if (plan.allowTouched.has(key)) return null;
        plan.allowTouched.add(key);
        const k = r.weighted([[50, 'some'], [25, 'max'], [25, 'balance']]);
        const v = k === 'max' ? MAX_UINT256 : k === 'balance' ? this.balOf(token, owner) : this.amount(token);
        return {
          kind, tx: { from: owner, to: token, data: tt('approve', [spender, v]), gas: GAS.simple },
          apply: () => this.allow.set(key, v),
        };
      }
      case 'transferFrom': {
        const cands = [];
        for (const [key, a] of this.allow) {
          const [tk, owner, spender] = key.split('|');
          if (a > 0n && !plan.allowTouched.has(key) && spender !== this.batcher && this.avail(plan, tk, owner) > 0n) cands.push(key);
        }
        if (!cands.length) return null;
        const key = r.pick(cands);
        const [tk, owner, spender] = key.split('|');
        plan.allowTouched.add(key);
        const a = this.allow.get(key);
        const av = this.avail(plan, tk, owner);
        const v = this.part(av < a ? av : a);
        const to = this.recipient(owner);
        this.spend(plan, tk, owner, v);
        return {
          kind, tx: { from: spender, to: tk, data: tt('transferFrom', [owner, to, v]), gas: GAS.simple },
          apply: () => {
            this.debit(tk, owner, v); this.credit(tk, to, v);
            if (a !== MAX_UINT256) this.allow.set(key, a - v);
          },
        };
      }
      case 'batch': { // several transferFroms, possibly on several tokens, in ONE transaction
        const legs = [];
        const nLegs = r.int(2, 5);
        for (let i = 0; i < nLegs; i++) {
          const tk = r.chance(0.5) ? token : r.pick(this.tokens);
          const from = this.holderWithAvail(plan, tk, this.batchApprovers);
          if (!from) continue;
          const v = r.chance(0.1) ? 0n : this.part(this.avail(plan, tk, from));
          const to = this.recipient(from);
          this.spend(plan, tk, from, v);
          legs.push({ tk, from, to, v });
        }
        if (legs.length < 2) { // give the spent amounts back: the batch is not sent
          for (const l of legs) this.spend(plan, l.tk, l.from, -l.v);
          return null;
        }
        const data = calldata('Batcher', 'batch', [legs.map((l) => l.tk), legs.map((l) => l.from), legs.map((l) => l.to), legs.map((l) => l.v)]);
        return {
          kind, tx: { from: r.pick(this.accounts), to: this.batcher, data, gas: GAS.batch },
          apply: () => { for (const l of legs) { this.debit(l.tk, l.from, l.v); this.credit(l.tk, l.to, l.v); } },
        };
      }
      case 'nftMint': {
        const id = this.nextNftId++;
        const to = r.pick(this.accounts);
        return {
          kind, tx: { from: r.pick(this.accounts), to: this.nft, data: calldata('TestNFT', 'mint', [to, id]), gas: GAS.nft },
          apply: () => this.nftOwner.set(id, to),
        };
      }
      case 'nftTransfer': {
        const ids = [...this.nftOwner.keys()].filter((id) => !plan.nftMoved.has(id));
        if (!ids.length) return null;
        const id = r.pick(ids);
        plan.nftMoved.add(id);
        const owner = this.nftOwner.get(id);
        const to = r.pick(this.accounts);
        return {
          kind, tx: { from: owner, to: this.nft, data: calldata('TestNFT', 'transferFrom', [owner, to, id]), gas: GAS.nft },
          apply: () => this.nftOwner.set(id, to),
        };
      }
      case 'weird': {
        const from = r.pick(this.accounts);
        const to = r.pick(this.accounts);
        const v = this.amount(token);
        const data = r.chance(0.5)
          ? calldata('WeirdToken', 'weirdExtraData', [from, to, v, r.bits(64)])
          : calldata('WeirdToken', 'weirdTwoTopics', [from, to, v]);
        return { kind, tx: { from: r.pick(this.accounts), to: this.weird, data, gas: GAS.weird }, apply: () => {} };
      }
      case 'revert': { // a transfer of more than the balance: mined with status 0, no logs
        const from = r.pick(this.accounts);
        const v = (1n << 255n) + r.bits(64); // more than any balance can be (supply stays < 2^220)
        return {
          kind, expectRevert: true,
          tx: { from, to: token, data: tt('transfer', [this.recipient(from), v]), gas: GAS.simple },
          apply: () => {},
        };
      }
      default:
        throw new Error(`unknown op ${kind}`);
    }
  }

  // ---- sending -----------------------------------------------------------------------------
  /**
   * Sets the next block's timestamp: 1-30 s after the last, sometimes 5-60 minutes later (hours
   * without blocks), at the 25th block 40 s before the next UTC midnight and at the 45th 40 s
   * before the next Monday 00:00 UTC, so that a short chain crosses hour, day and ISO week
   * boundaries for the series tests.
   */
  async advanceClock() {
    if (!this.clock) return;
    const latest = await rpc(this.url, 'eth_getBlockByNumber', ['latest', false]);
    const last = Number(BigInt(latest.timestamp));
    const c = this.clockRng;
    const day = 86400;
    let next = last + c.int(1, 30);
    if (this.stats.blocks === 25) {
      next = Math.max(next, (Math.floor(last / day) + 1) * day - 40);
    } else if (this.stats.blocks === 45) {
      const days = Math.floor(last / day);
      const monday = (days - ((days + 3) % 7) + 7) * day; // 1970-01-05 was a Monday
      next = Math.max(next, monday - 40);
    } else if (c.chance(0.08)) {
      next += c.int(300, 3600);
    }
    await rpc(this.url, 'evm_setNextBlockTimestamp', [next]);
  }

  async sendAndMine(ops) {
    const calls = ops.map((op) => {
      const nonce = this.nonces.get(op.tx.from);
      this.nonces.set(op.tx.from, nonce + 1);
      return ['eth_sendTransaction', [{ ...op.tx, gas: hex(op.tx.gas), nonce: hex(nonce) }]];
    });
    const hashes = calls.length ? await rpcBatch(this.url, calls) : [];
    await this.advanceClock();
    await rpc(this.url, 'evm_mine', []);
    this.head = await blockNumber(this.url);
    this.stats.blocks++;
    if (!ops.length) return;
    const receipts = await rpcBatch(this.url, hashes.map((h) => ['eth_getTransactionReceipt', [h]]));
    let unexpected = 0;
    for (let i = 0; i < ops.length; i++) {
      const rc = receipts[i];
      if (!rc) throw new Error(`transaction ${hashes[i]} (${ops[i].kind}) was not mined in block ${this.head}; is the block gas limit too low?`);
      if (Number(BigInt(rc.blockNumber)) !== this.head) throw new Error(`transaction ${hashes[i]} mined in ${rc.blockNumber}, expected ${this.head}`);
      const ok = rc.status === '0x1';
      if (ops[i].expectRevert) {
        if (ok) unexpected++; else this.stats.failedExpected++;
      } else if (ok) {
        ops[i].apply();
      } else {
        unexpected++;
        this.log(`warning: ${ops[i].kind} tx ${hashes[i]} reverted in block ${this.head}`);
      }
    }
    this.stats.txs += ops.length;
    this.stats.failedUnexpected += unexpected;
    if (unexpected) await this.resync();
  }

  /**
   * Reload the model from the chain (after an unexpected revert, a reorg or a rollback). Throws,
   * naming the node as the cause, when a token has no code any more: a node that lost its state
   * (anvil rewinding to a state it no longer keeps in memory, see tests/soak/soak.mjs) answers
   * every eth_call with `0x`. Neither retried nor skipped: the chain itself is broken, and a
   * model rebuilt from it would hide that from every check that follows.
   */
  async resync() {
    this.stats.resyncs++;
    const head = await blockNumber(this.url);
    const codes = await rpcBatch(this.url, this.tokens.map((t) => ['eth_getCode', [t, 'latest']]));
    const lost = this.tokens.filter((t, i) => !codes[i] || codes[i] === '0x');
    if (lost.length) throw new Error(`the node lost its state: no code at token ${lost.join(', ')} at head ${head}`);
    const holders = [...this.accounts, ...this.externals];
    const calls = [];
    for (const t of this.tokens) for (const a of holders) calls.push(['eth_call', [{ to: t, data: calldata('TestToken', 'balanceOf', [a]) }, 'latest']]);
    const res = await rpcBatch(this.url, calls);
    const word = (v, what) => {
      if (typeof v !== 'string' || !/^0x[0-9a-f]{64}$/i.test(v)) throw new Error(`${what} at head ${head}: the node answered ${JSON.stringify(v)}, not a 32-byte word`);
      return BigInt(v);
    };
    let i = 0;
    for (const t of this.tokens) for (const a of holders) this.bal.get(t).set(a, word(res[i++], `balanceOf(${a}) on ${t}`));
    const keys = [...this.allow.keys()];
    const ares = await rpcBatch(this.url, keys.map((k) => {
      const [t, o, s] = k.split('|');
      return ['eth_call', [{ to: t, data: calldata('TestToken', 'allowance', [o, s]) }, 'latest']];
    }));
    keys.forEach((k, j) => this.allow.set(k, word(ares[j], `allowance ${k}`)));
    if (this.extras) {
      const ids = [...this.nftOwner.keys()];
      const ores = await rpcBatch(this.url, ids.map((id) => ['eth_call', [{ to: this.nft, data: calldata('TestNFT', 'ownerOf', [id]) }, 'latest']]), { raw: true });
      ids.forEach((id, j) => {
        if (ores[j].result) this.nftOwner.set(id, '0x' + ores[j].result.slice(26));
        else this.nftOwner.delete(id);
      });
    }
  }

  /**
   * Run `blocks` more blocks (each step mines exactly one; some extra empty blocks via anvil_mine).
   * With `emptyGap: [min, max]` (constructor option) it instead runs `blocks` workload blocks, each
   * followed by min..max empty blocks: a long chain that is cheap to build (for slow backfills).
   */
  async run(blocks) {
    if (this.emptyGap) {
      for (let i = 0; i < blocks; i++) {
        await this.step();
        const before = this.head;
        this.head = await mine(this.url, this.rng.int(this.emptyGap[0], this.emptyGap[1]));
        this.stats.blocks += this.head - before;
      }
      return this.head;
    }
    const target = this.head + blocks;
    while (this.head < target) {
      await this.step();
      if (this.head < target - 3 && this.rng.chance(0.03)) {
        const before = this.head;
        this.head = await mine(this.url, this.rng.int(2, 3)); // a few empty blocks at once
        this.stats.blocks += this.head - before;
      }
    }
    return this.head;
  }

  summary() {
    return {
      tokens: this.tokens, tokenSpecs: this.tokenSpecs.map((s, i) => ({ ...s, address: this.tokens[i] })),
      nft: this.nft, weird: this.weird, batcher: this.batcher, head: this.head,
      accounts: this.accounts, externals: this.externals,
    };
  }
}

/**
 * Deploy 3 TestTokens (18, 6, 0 decimals by default), a TestNFT, a Batcher and a WeirdToken, then
 * run a seeded workload of `blocks` blocks. anvil must run with manual mining (--no-mining).
 * Returns {tokens, tokenSpecs, nft, weird, batcher, head, accounts, externals, workload}.
 */
export async function buildChain(url, { seed = 1, blocks = 60, ...opts } = {}) {
  const w = new Workload(url, { seed, ...opts });
  await w.setup();
  await w.run(blocks);
  return { ...w.summary(), workload: w };
}
