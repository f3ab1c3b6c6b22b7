// Self-check of the ClickHouse side of the e2e harness (no daemon, no chain needed):
//   node clickhouse_selfcheck.mjs
// Starts two private ClickHouse servers on loopback as the two shards of `erc20_cluster`,
// creates on each a local MergeTree table and a Distributed table over the cluster, inserts
// rows into each shard (as the `writer` user, JSONEachRow over HTTP), checks that the
// Distributed table on either server sees both shards' rows, kills one server with SIGKILL,
// restarts it on the same dir and ports and checks that its data survived, then stops both.
// Needs `scripts/install-deps.sh clickhouse`.
import { startClickHouse, clickhouseAvailable, ClickHouseError, CLUSTER_NAME } from './lib/clickhouse.mjs';
import { freePort } from './lib/proc.mjs';
import { createHarness, assert, FatalError } from './lib/harness.mjs';

const h = createHarness('clickhouse_selfcheck', { timeoutMs: 120000 });
if (!clickhouseAvailable()) {
  h.fail('a ClickHouse server binary is installed (scripts/install-deps.sh clickhouse)');
  process.exit(h.finish());
}

const servers = [];
let code = 1;
// Rows are transfers; columns `from` and `to` are quoted in DDL only (18.16 needs no quotes).
const LOCAL_DDL = `CREATE TABLE IF NOT EXISTS default.transfers_local (
  block UInt64, log_index UInt32, token String, \`from\` String, \`to\` String, amount String
) ENGINE = MergeTree ORDER BY (token, block, log_index)`;
const DIST_DDL = `CREATE TABLE IF NOT EXISTS default.transfers AS default.transfers_local
  ENGINE = Distributed(${CLUSTER_NAME}, default, transfers_local, cityHash64(token))`;

const rowsOf = (shard, n, blockBase) => Array.from({ length: n }, (_, i) => ({
  block: blockBase + i, log_index: i % 3, token: `0xtoken${shard}`,
  from: `0xfrom${shard}_${i}`, to: `0xto${i}`, amount: `${10n ** 30n + BigInt(i)}`,
}));
const jsonl = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

try {
  const ports = [];
  for (let i = 0; i < 2; i++) ports.push({ http: await freePort(), tcp: await freePort() });
  const cluster = ports.map((p) => ({ host: '127.0.0.1', tcpPort: p.tcp }));

  await h.must('two servers start as the shards of erc20_cluster', async () => {
    for (const p of ports) {
      servers.push(await startClickHouse({ httpPort: p.http, tcpPort: p.tcp, cluster }));
    }
  });
  const [a, b] = servers;
  h.log(`shard 0 pid ${a.pid} at ${a.url} (start ${a.startMs} ms); shard 1 pid ${b.pid} at ${b.url} (start ${b.startMs} ms)`);

  await h.check('SELECT version() is 18.16.x or later', async () => {
    const v = (await a.query('SELECT version()')).trim();
    h.log(`version ${v}`);
    assert.match(v, /^\d+\.\d+\.\d+/);
  });

  await h.check('the cluster is known with both shards', async () => {
    const t = await a.query(`SELECT shard_num, host_address, port FROM system.clusters WHERE cluster = '${CLUSTER_NAME}' ORDER BY shard_num`);
    assert.equal(t, cluster.map((c, i) => `${i + 1}\t${c.host}\t${c.tcpPort}\n`).join(''));
  });

  await h.check('a wrong password is refused with 401 and Code: 193', async () => {
    await assert.rejects(a.query('SELECT 1', { user: 'writer', password: 'wrong' }),
      (e) => e instanceof ClickHouseError && e.status === 401 && e.code === 193);
  });

  await h.must('local and Distributed tables are created on both servers', async () => {
    for (const s of servers) {
      await s.query(LOCAL_DDL);
      await s.query(DIST_DDL);
      assert.equal(await s.query('EXISTS TABLE default.transfers'), '1\n');
    }
  });

  const rows0 = rowsOf(0, 50, 1000);
  const rows1 = rowsOf(1, 70, 2000);
  await h.must('the writer user inserts rows into each shard', async () => {
    await a.query('INSERT INTO default.transfers_local FORMAT JSONEachRow', { data: jsonl(rows0), user: 'writer', password: a.users.writer });
    await b.query('INSERT INTO default.transfers_local FORMAT JSONEachRow', { data: jsonl(rows1), user: 'writer', password: b.users.writer });
    assert.equal(await a.query('SELECT count() FROM default.transfers_local'), '50\n');
    assert.equal(await b.query('SELECT count() FROM default.transfers_local'), '70\n');
  });

  const expectAll = async (s, label) => {
    const t = await s.query('SELECT token, count(), min(block), max(block), sum(toUInt64(substring(amount, 30))) FROM default.transfers GROUP BY token ORDER BY token');
    assert.equal(t, `0xtoken0\t50\t1000\t1049\t${(49 * 50) / 2}\n0xtoken1\t70\t2000\t2069\t${(69 * 70) / 2}\n`, `${label}: ${JSON.stringify(t)}`);
    const one = JSON.parse(await s.query("SELECT from, to, amount FROM default.transfers WHERE block = 2005", { format: 'JSONEachRow' }));
    assert.deepEqual(one, { from: '0xfrom1_5', to: '0xto5', amount: rows1[5].amount }, `${label}: ${JSON.stringify(one)}`);
  };
  await h.check('the Distributed table on shard 0 sees both shards', () => expectAll(a, 'shard 0'));
  await h.check('the Distributed table on shard 1 sees both shards', () => expectAll(b, 'shard 1'));

  await h.check('shard 1 killed with SIGKILL: the Distributed query on shard 0 fails, skip_unavailable_shards=1 answers shard 0 only', async () => {
    const r = await b.kill9();
    assert.equal(r.signal, 'SIGKILL');
    await assert.rejects(a.query('SELECT count() FROM default.transfers'), ClickHouseError);
    assert.equal(await a.query('SELECT count() FROM default.transfers', { settings: { skip_unavailable_shards: 1 } }), '50\n');
  });

  await h.must('shard 1 restarts on the same dir and ports', async () => {
    await b.restart();
    h.log(`shard 1 restarted: pid ${b.pid}, start ${b.startMs} ms`);
  });
  await h.check('shard 1 kept its rows across SIGKILL', async () => {
    assert.equal(await b.query('SELECT count() FROM default.transfers_local'), '70\n');
  });
  await h.check('after the restart both Distributed tables see both shards again', async () => {
    await expectAll(a, 'shard 0 after restart');
    await expectAll(b, 'shard 1 after restart');
  });

  await h.check('an insert through the Distributed table (insert_distributed_sync=1) lands on the shard of its key', async () => {
    const extra = [{ ...rowsOf(0, 1, 5000)[0] }, { ...rowsOf(1, 1, 6000)[0] }];
    await a.query('INSERT INTO default.transfers FORMAT JSONEachRow', { data: jsonl(extra), settings: { insert_distributed_sync: 1 } });
    const t0 = await a.query('SELECT token, count() FROM default.transfers_local GROUP BY token ORDER BY token');
    const t1 = await b.query('SELECT token, count() FROM default.transfers_local GROUP BY token ORDER BY token');
    assert.equal(await a.query('SELECT count() FROM default.transfers'), '122\n');
    // Each token went wholly to one shard (cityHash64(token) % 2).
    const both = (t0 + t1).trim().split('\n').map((l) => l.split('\t')[0]).sort();
    assert.deepEqual(both, [...new Set(both)].sort(), `a token on both shards: ${t0} | ${t1}`);
  });

  await h.check('SIGTERM stops both servers gracefully', async () => {
    for (const s of servers) {
      const t = Date.now();
      const r = await s.stop();
      h.log(`pid ${s.pid} stopped in ${Date.now() - t} ms: ${JSON.stringify(r)}`);
      assert.equal(r.escalated, false);
      assert.equal(s.running(), false);
    }
  });
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  for (const s of servers) if (s.running()) console.log(s.logTail());
} finally {
  for (const s of servers) if (s.running()) await s.kill9();
  code = h.finish();
}
process.exit(code);
