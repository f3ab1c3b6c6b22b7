// The OpenAPI document and the router agree on the set of routes:
//   node tests/e2e/openapi.test.mjs [--spec docs/openapi.yaml] [--routes api/routes.cpp]
//
// Reads the path keys of docs/openapi.yaml's `paths:` section with a small line-based reader (no
// YAML library), and the route templates from the route table in api/routes.cpp, which
// `Router::routes()` returns (the string literals of its `{"/...", Needs::...}` rows, by regex), and fails if either has a route the other lacks; so a route added
// to, renamed in or removed from either side without the other breaks this test. Also checks that
// every spec path has exactly one operation, `get` (the router answers 405 to anything else), and
// that each `{name}` of a path is declared as a path parameter of that operation.
// Then lints the document with the pinned tools of node_modules/.bin, failing on any error:
// `redocly lint` (the recommended rules as redocly.yaml at the repository's root adjusts them; no
// telemetry, no update check) and `swagger-cli validate`; compiles every schema of the document
// with Ajv's JSON Schema 2020-12 class in strict mode (a stray key, such as a flow-map description
// with a comma that YAML splits into a second key, is an error), and checks that each list route
// (one that takes `format`) documents its exports: an application/x-ndjson schema that is the JSON
// page's item schema, a text/csv whose `header: ...` is that schema's properties in order, and an
// application/vnd.dataresource+json (format=table) TableExport whose data items are that schema.
// No anvil and no daemon needed. Prints "N passed, M failed"; exit code 0 on success.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_DIR, E2E_DIR } from './lib/chain.mjs';
import { createHarness, assert, parseArgs, FatalError } from './lib/harness.mjs';
import { loadSpec, createContract } from './lib/openapi.mjs';

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

  // ---- the document's tools: redocly, swagger-cli, Ajv -----------------------------------
  const bin = (name) => path.join(E2E_DIR, 'node_modules', '.bin', name);
  const run = (name, argv) => {
    const r = spawnSync(bin(name), argv, {
      cwd: REPO_DIR,
      encoding: 'utf8',
      timeout: 60000,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
  };
  const specArg = path.relative(REPO_DIR, specFile);
  await h.check(`redocly lint ${specArg} (redocly.yaml): no errors`, () => {
    const r = run('redocly', ['lint', '--config', path.join(REPO_DIR, 'redocly.yaml'), '--format', 'json', specArg]);
    let report;
    try { report = JSON.parse(r.stdout); } catch { throw new Error(`redocly lint (exit ${r.status}) printed no JSON report:\n${r.out}`); }
    const line = (p) => `${p.severity} ${p.ruleId}: ${p.message} at ${(p.location ?? []).map((l) => l.pointer).join(', ')}`;
    h.log(`redocly lint: ${report.totals.errors} errors, ${report.totals.warnings} warnings${report.problems.length ? '\n  ' + report.problems.map(line).join('\n  ') : ''}`);
    const errors = report.problems.filter((p) => p.severity === 'error');
    assert.equal(report.totals.errors, 0, errors.map(line).join('\n'));
    assert.equal(r.status, 0, `redocly lint exit ${r.status}:\n${r.out}`);
  });
  await h.check(`swagger-cli validate ${specArg}`, () => {
    const r = run('swagger-cli', ['validate', specArg]);
    assert.equal(r.status, 0, `swagger-cli validate failed:\n${r.out}`);
    assert.match(r.out, /is valid/, r.out);
  });
  const doc = await h.must('the document parses as YAML (no errors, no warnings)', () => loadSpec(specFile));
  await h.check('every schema of the document compiles with Ajv 2020-12, strict', () => {
    const c = createContract(doc);
    const bad = [];
    const tryCompile = (where, schema) => { try { c.compile(schema); } catch (e) { bad.push(`${where}: ${e.message}`); } };
    for (const [n, s] of Object.entries(doc.components?.schemas ?? {})) tryCompile(`components.schemas.${n}`, s);
    for (const [n, p] of Object.entries(doc.components?.parameters ?? {})) tryCompile(`components.parameters.${n}`, p.schema);
    for (const [n, x] of Object.entries(doc.components?.headers ?? {})) tryCompile(`components.headers.${n}`, x.schema);
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(item)) {
        for (const par of op.parameters ?? []) if (par.schema) tryCompile(`${m} ${p} parameter ${par.name}`, par.schema);
        for (const [st, resp] of Object.entries(op.responses ?? {})) {
          for (const [mt, media] of Object.entries(c.resolve(resp).content ?? {})) if (media.schema) tryCompile(`${m} ${p} ${st} ${mt}`, media.schema);
        }
      }
    }
    assert.deepEqual(bad, [], bad.join('\n'));
  });
  await h.check("every list route documents its exports: the NDJSON line is the JSON page's item schema, the CSV header its properties in order", () => {
    const c = createContract(doc);
    const problems = [];
    for (const [p, item] of Object.entries(doc.paths)) {
      const op = item.get;
      const takesFormat = (op.parameters ?? []).some((x) => c.resolve(x).name === 'format');
      const content = c.resolve(op.responses['200']).content ?? {};
      const kinds = Object.keys(content).sort();
      if (!takesFormat) {
        if (kinds.some((k) => k !== 'application/json' && k !== 'text/plain')) problems.push(`${p}: exports without a format parameter`);
        continue;
      }
      if (kinds.join() !== 'application/json,application/vnd.dataresource+json,application/x-ndjson,text/csv') { problems.push(`${p}: 200 media types ${kinds.join(', ')}`); continue; }
      const page = c.resolve(content['application/json'].schema);
      const itemRef = page.properties?.items?.items?.$ref;
      const lineRef = content['application/x-ndjson'].schema.$ref;
      if (!lineRef) { problems.push(`${p}: the NDJSON schema is not a $ref to an item schema`); continue; }
      if (itemRef !== lineRef) problems.push(`${p}: the page's items are ${itemRef}, an NDJSON line ${lineRef}`);
      const table = content['application/vnd.dataresource+json'].schema;
      if (table.allOf?.[0]?.$ref !== '#/components/schemas/TableExport') problems.push(`${p}: the table export is not a TableExport`);
      if (table.properties?.data?.items?.$ref !== lineRef) problems.push(`${p}: the table export's data are ${table.properties?.data?.items?.$ref}, not ${lineRef}`);
      const order = c.propertyOrder({ $ref: lineRef });
      const csvSchema = content['text/csv'].schema;
      if (csvSchema.type !== 'string') problems.push(`${p}: the CSV body is not a string`);
      const pattern = c.headerPattern(csvSchema.description);
      if (!pattern) { problems.push(`${p}: the CSV description spells no "header: ..."`); continue; }
      const spelled = /header: (\S+)\s*$/.exec(csvSchema.description)[1].replace(/[[\]]/g, '').split(',');
      if (spelled.join() !== order.join()) problems.push(`${p}: CSV header ${spelled.join(',')} is not ${lineRef}'s properties in order, ${order.join(',')}`);
      const required = c.branches({ $ref: lineRef })[0].required ?? [];
      for (const cols of [order, order.filter((k) => required.includes(k))]) {
        if (!pattern.test(cols.join(','))) problems.push(`${p}: columns ${cols.join(',')} do not match the CSV header ${pattern}`);
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
} finally {
  code = h.finish();
}
process.exit(code);
