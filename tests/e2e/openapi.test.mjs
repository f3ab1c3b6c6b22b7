// The OpenAPI document and the router agree on the set of routes:
//   node tests/e2e/openapi.test.mjs [--spec docs/openapi.yaml] [--routes api/routes.cpp]
//
// Reads the path keys of docs/openapi.yaml's `paths:` section with a small line-based reader (no
// YAML library), and the route templates from the route table in api/routes.cpp, which
// `Router::routes()` returns (the string literals of its `{"/...", Needs::...}` rows, by regex), and fails if either has a route the other lacks; so a route added
// to, renamed in or removed from either side without the other breaks this test. Also checks that
// every spec path has exactly one operation, `get` (the router answers 405 to anything else), and
// that each `{name}` of a path is declared as a path parameter of that operation.
// No anvil and no daemon needed. Prints "N passed, M failed"; exit code 0 on success.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_DIR } from './lib/chain.mjs';
import { createHarness, assert, parseArgs, FatalError } from './lib/harness.mjs';

const args = parseArgs();
const specFile = path.resolve(REPO_DIR, args.spec ?? 'docs/openapi.yaml');
const routesFile = path.resolve(REPO_DIR, args.routes ?? 'api/routes.cpp');
const h = createHarness('openapi', { timeoutMs: 30000 });

const unquote = (s) => {
  const t = s.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
};
const indentOf = (line) => line.length - line.trimStart().length;
const isContent = (line) => line.trim() !== '' && !line.trimStart().startsWith('#');

/**
 * The `paths:` section of an OpenAPI YAML document, line by line: {path: {methods: [...],
 * parameters: {operation: [{name, in}]}, line}}. Understands block-style YAML as written in
 * docs/openapi.yaml: path keys one indentation step below `paths:`, operations one step below
 * them; inline `- $ref` parameters are resolved against components.parameters.
 */
export function readSpecPaths(text) {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^paths:\s*(#.*)?$/.test(l));
  if (start < 0) throw new Error('no top-level "paths:" key');
  const out = new Map();
  let pathIndent = null;
  let opIndent = null;
  let current = null;
  let currentOp = null;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (!isContent(line)) continue;
    const ind = indentOf(line);
    if (ind === 0) break; // next top-level key
    const key = /^\s*("[^"]*"|'[^']*'|[^\s:#][^:#]*?)\s*:(\s|$)/.exec(line);
    if (pathIndent === null) pathIndent = ind;
    if (ind === pathIndent) {
      if (!key) throw new Error(`line ${i + 1}: expected a path key, got ${JSON.stringify(line)}`);
      const p = unquote(key[1]);
      if (!p.startsWith('/')) throw new Error(`line ${i + 1}: path key ${JSON.stringify(p)} does not start with /`);
      if (out.has(p)) throw new Error(`line ${i + 1}: path ${p} twice`);
      current = { methods: [], parameters: {}, line: i + 1 };
      out.set(p, current);
      opIndent = null;
      currentOp = null;
      continue;
    }
    if (ind < pathIndent) throw new Error(`line ${i + 1}: bad indentation`);
    if (opIndent === null && ind > pathIndent) opIndent = ind;
    if (ind === opIndent && key) {
      const k = unquote(key[1]);
      if (['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(k)) {
        current.methods.push(k);
        currentOp = k;
        current.parameters[k] = [];
      } else currentOp = null; // path-level "parameters", "summary", ...
      continue;
    }
    if (currentOp) {
      const ref = /^\s*-\s*\$ref:\s*["']?#\/components\/parameters\/([A-Za-z0-9_.-]+)["']?\s*$/.exec(line);
      if (ref) current.parameters[currentOp].push({ ref: ref[1] });
      const name = /^\s*-\s*name:\s*(\S+)\s*$/.exec(line);
      if (name) current.parameters[currentOp].push({ name: unquote(name[1]), inline: true, line: i });
      const where = /^\s+in:\s*(\S+)\s*$/.exec(line);
      const last = current.parameters[currentOp].at(-1);
      if (where && last?.inline && last.in === undefined) last.in = unquote(where[1]);
    }
  }
  return out;
}

/** components.parameters.<Name>: {name, in}, line-based as above. */
export function readSpecParameters(text) {
  const lines = text.split(/\r?\n/);
  const comp = lines.findIndex((l) => /^components:\s*$/.test(l));
  const out = new Map();
  if (comp < 0) return out;
  let paramsIndent = null;
  let nameIndent = null;
  let current = null;
  for (let i = comp + 1; i < lines.length; i++) {
    const line = lines[i];
    if (!isContent(line)) continue;
    const ind = indentOf(line);
    if (ind === 0) break;
    if (paramsIndent === null) {
      if (/^\s+parameters:\s*$/.test(line)) paramsIndent = ind;
      continue;
    }
    if (ind <= paramsIndent) break;
    if (nameIndent === null) nameIndent = ind;
    const m = /^\s*([A-Za-z0-9_.-]+):\s*$/.exec(line);
    if (ind === nameIndent && m) { current = { key: m[1] }; out.set(m[1], current); continue; }
    const n = /^\s+name:\s*(\S+)\s*$/.exec(line);
    if (n && current && current.name === undefined) current.name = unquote(n[1]);
    const w = /^\s+in:\s*(\S+)\s*$/.exec(line);
    if (w && current && current.in === undefined) current.in = unquote(w[1]);
  }
  return out;
}

/** The route templates the router serves: the paths of the route table in
 * api/routes.cpp (`{"/v1/...", Needs::...}`), which `Router::routes()` returns. */
export function readRouterRoutes(source) {
  if (!/std::vector<std::string>\s+Router::routes\s*\(\s*\)/.test(source)) {
    throw new Error('Router::routes() not found in the source');
  }
  const body = source.replace(/\/\/[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const routes = [...body.matchAll(/\{\s*"((?:[^"\\]|\\.)*)"\s*,\s*Needs::/g)].map((x) => x[1]);
  if (routes.length === 0) throw new Error('the route table has no route');
  return routes;
}

let code = 1;
try {
  const specText = fs.readFileSync(specFile, 'utf8');
  const source = fs.readFileSync(routesFile, 'utf8');
  const spec = await h.must(`read the paths of ${path.relative(REPO_DIR, specFile)}`, () => {
    assert.match(specText, /^openapi:\s*["']?3\.1\.\d+["']?\s*$/m, 'openapi: 3.1.x');
    const p = readSpecPaths(specText);
    assert.ok(p.size > 0, 'no paths');
    return p;
  });
  const routes = await h.must(`read Router::routes() from ${path.relative(REPO_DIR, routesFile)}`, () => {
    const r = readRouterRoutes(source);
    assert.equal(new Set(r).size, r.length, 'a route listed twice');
    return r;
  });
  h.log(`spec: ${spec.size} paths; router: ${routes.length} routes`);

  await h.check('every route of Router::routes() is a path of the spec', () => {
    const missing = routes.filter((r) => !spec.has(r));
    assert.deepEqual(missing, [], `routes missing from the spec: ${missing.join(', ')}`);
  });
  await h.check('every path of the spec is a route of Router::routes()', () => {
    const extra = [...spec.keys()].filter((p) => !routes.includes(p));
    assert.deepEqual(extra, [], `spec paths the router does not serve: ${extra.join(', ')}`);
  });
  await h.check('every spec path has exactly one operation: get', () => {
    for (const [p, e] of spec) assert.deepEqual(e.methods, ['get'], `${p} (line ${e.line}): operations ${e.methods.join(', ') || 'none'}`);
  });
  await h.check('every {name} of a path is declared as an "in: path" parameter of its operation, and no other', () => {
    const comps = readSpecParameters(specText);
    for (const [p, e] of spec) {
      const want = [...p.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]).sort();
      for (const [op, params] of Object.entries(e.parameters)) {
        const resolved = params.map((x) => {
          if (!x.ref) return x;
          const c = comps.get(x.ref);
          if (!c) throw new Error(`${p} ${op}: $ref to unknown components.parameters.${x.ref}`);
          return c;
        });
        const got = resolved.filter((x) => x.in === 'path').map((x) => x.name).sort();
        assert.deepEqual(got, want, `${p} ${op}: path parameters`);
      }
    }
  });
  await h.check('docs/api.md has a section for every route', () => {
    const doc = fs.readFileSync(path.join(REPO_DIR, 'docs', 'api.md'), 'utf8');
    const heads = new Set([...doc.matchAll(/^#{2,3} `?GET ([^`\s]+)`?/gm)].map((x) => x[1]));
    const missing = routes.filter((r) => !heads.has(r));
    assert.deepEqual(missing, [], `docs/api.md lacks a "## GET <route>" section for ${missing.join(', ')}`);
  });
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
} finally {
  code = h.finish();
}
process.exit(code);
