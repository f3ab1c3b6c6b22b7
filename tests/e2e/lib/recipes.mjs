// The recipes of docs/analytics.md, as the e2e test runs them: code blocks whose first line is
// `-- recipe: NAME` (SQL, run with DuckDB from @duckdb/node-api), `# recipe: NAME` in a ```python
// block (pandas, with Debian's /usr/bin/python3) or in a ```sh block (bash).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_DIR, E2E_DIR } from './chain.mjs';

export const ANALYTICS_MD = path.join(REPO_DIR, 'docs', 'analytics.md');
// Debian's python3 with python3-pandas (scripts/install-deps.sh tools); a python3 earlier on
// PATH (pyenv, a venv) may have no pandas.
export const PYTHON = process.env.ERC20_PYTHON || (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** name -> {lang, code} of every recipe block of `file`. */
export function loadRecipes(file = ANALYTICS_MD) {
  const md = fs.readFileSync(file, 'utf8');
  const out = new Map();
  const fence = /^```(\w+)\n([\s\S]*?)^```$/gm;
  for (const m of md.matchAll(fence)) {
    const [, lang, code] = m;
    const head = code.match(/^(?:--|#) recipe: ([\w-]+)\n/);
    if (!head) continue;
    if (out.has(head[1])) throw new Error(`recipe ${head[1]} appears twice in ${file}`);
    out.set(head[1], { lang, code: code.slice(head[0].length) });
  }
  return out;
}

/** Runs a sh recipe with bash -eu in `cwd` with `env` added. */
export function runShell(code, { cwd, env }) {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', code], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sh recipe failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A DuckDB connection in `cwd` (relative file names in the SQL are read from there). */
export async function duckdb(cwd) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`SET file_search_path = '${cwd.replaceAll("'", "''")}'`);
  return {
    /** The SQL's last statement's result: {columns: [{name, type}], rows: [[JSON value]]}. */
    async query(sql) {
      const r = await conn.runAndReadAll(sql);
      const names = r.columnNames();
      const types = r.columnTypes().map(String);
      return { columns: names.map((name, i) => ({ name, type: types[i] })), rows: r.getRowsJson() };
    },
    close() { conn.closeSync?.(); },
  };
}

/** Runs pandas recipes in order in one Python namespace; returns the captured variables
 * (see tools/pandas_recipes.py for their encoding). */
export function runPandas(recipes, { cwd, env }) {
  const input = JSON.stringify({ recipes });
  const r = spawnSync(PYTHON, [path.join(E2E_DIR, 'tools', 'pandas_recipes.py')], {
    cwd, env: { ...process.env, ...env }, input, encoding: 'utf8', maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`pandas recipes failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A pandas cell as compared with the API: strings as they are, integers as decimal strings,
 * floats tagged so that they never equal an amount. */
export function pandasCell(c) {
  if (c === null || typeof c === 'string' || typeof c === 'boolean') return c;
  if ('i' in c) return c.i;
  if ('f' in c) return `float:${c.f}`;
  if ('t' in c) return c.t;
  return `other:${c.repr}`;
}

/** A DataFrame capture as row objects of compared cells. */
export function pandasRows(frame) {
  return frame.rows.map((row) => Object.fromEntries(frame.columns.map((c, i) => [c, pandasCell(row[i])])));
}
