// Renders docs/openapi.yaml as one static HTML page, the API reference the daemon serves at
// /docs (embedded like the dashboard: no script, nothing from the network, the dashboard's style).
//   node web/tools/build-docs.mjs docs/openapi.yaml OUT.html
// Every operation with its parameters and responses (status, media types, schema), then every
// component schema with its properties; $refs are links within the page. Descriptions are the
// spec's Markdown subset: paragraphs, `code`, **bold**, [links](url) and "- " lists.
import fs from 'node:fs';
import { parse } from 'yaml';

const [specFile, outFile] = process.argv.slice(2);
if (!specFile || !outFile) {
  console.error('usage: build-docs.mjs SPEC.yaml OUT.html');
  process.exit(2);
}
const spec = parse(fs.readFileSync(specFile, 'utf8'));

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const anchor = (s) => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();

/** One line of Markdown (escaped first): `code`, **bold**, [text](url). */
function inline(s) {
  return esc(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, t, u) => `<a href="${/^(https?:|#|\/)/.test(u) ? u : '#'}">${t}</a>`);
}

/** Paragraphs and "- " lists. */
function markdown(text) {
  if (!text) return '';
  const out = [];
  for (const block of String(text).trim().split(/\n\s*\n/)) {
    const lines = block.split('\n');
    if (lines.every((l) => /^\s*- /.test(l) || /^\s{2,}\S/.test(l))) {
      const items = [];
      for (const l of lines) {
        if (/^\s*- /.test(l)) items.push(l.replace(/^\s*- /, ''));
        else items[items.length - 1] += ` ${l.trim()}`;
      }
      out.push(`<ul>${items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`);
    } else {
      out.push(`<p>${inline(lines.join(' '))}</p>`);
    }
  }
  return out.join('\n');
}

const refName = (ref) => ref.split('/').pop();
const resolve = (x) => {
  let v = x;
  while (v && v.$ref) {
    const [, kind, name] = v.$ref.match(/#\/components\/(\w+)\/(.+)$/) ?? [];
    v = spec.components?.[kind]?.[name];
  }
  return v ?? {};
};

/** A schema's type in a few words, with links for $refs. */
function typeOf(s) {
  if (!s) return 'any';
  if (s.$ref) return `<a href="#schema-${anchor(refName(s.$ref))}">${esc(refName(s.$ref))}</a>`;
  if (s.allOf) return s.allOf.map(typeOf).join(' and ') + (s.properties ? ' with its own fields' : '');
  if (s.oneOf || s.anyOf) return (s.oneOf ?? s.anyOf).map(typeOf).join(' or ');
  if (s.const !== undefined) return `<code>${esc(JSON.stringify(s.const))}</code>`;
  const t = Array.isArray(s.type) ? s.type.join(' or ') : s.type ?? (s.properties ? 'object' : 'any');
  if (t === 'array') return `array of ${typeOf(s.items)}`;
  let out = esc(t);
  if (s.enum) out += ` (${s.enum.map((e) => `<code>${esc(e)}</code>`).join(', ')})`;
  if (s.pattern) out += ` matching <code>${esc(s.pattern)}</code>`;
  if (s.format) out += `, ${esc(s.format)}`;
  return out;
}

function propertiesTable(s) {
  const props = s.properties ?? {};
  const names = Object.keys(props);
  if (!names.length) return '';
  const required = new Set(s.required ?? []);
  const rows = names.map((n) => `<tr><td><code>${esc(n)}</code>${required.has(n) ? '' : ' <span class="note">optional</span>'}</td><td>${typeOf(props[n])}</td><td>${inline(props[n].description ?? '')}</td></tr>`);
  return `<table><thead><tr><th>field</th><th>type</th><th>meaning</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function operation(path, method, op) {
  const params = (op.parameters ?? []).map(resolve);
  const paramRows = params.map((p) => `<tr><td><code>${esc(p.name)}</code> <span class="note">${esc(p.in)}${p.required ? ', required' : ''}</span></td><td>${typeOf(p.schema)}</td><td>${inline(p.description ?? '')}</td></tr>`);
  const responses = Object.entries(op.responses ?? {}).map(([status, r0]) => {
    const r = resolve(r0);
    const media = Object.entries(r.content ?? {}).map(([type, m]) => `<li><code>${esc(type)}</code>: ${typeOf(m.schema)}${m.schema?.description ? ` — ${inline(m.schema.description)}` : ''}</li>`);
    const headers = Object.entries(r.headers ?? {}).map(([name, hd]) => `<li>header <code>${esc(name)}</code>: ${inline(resolve(hd).description ?? '')}</li>`);
    return `<li><strong>${esc(status)}</strong> ${inline(r.description ?? '')}<ul>${media.join('')}${headers.join('')}</ul></li>`;
  });
  return `<section class="op" id="op-${anchor(`${method} ${path}`)}" data-path="${esc(path)}">
<h3><span class="method">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
${op.summary ? `<p><strong>${inline(op.summary)}</strong></p>` : ''}
${markdown(op.description)}
${paramRows.length ? `<h4>Parameters</h4><table><thead><tr><th>name</th><th>type</th><th>meaning</th></tr></thead><tbody>${paramRows.join('')}</tbody></table>` : ''}
<h4>Responses</h4><ul>${responses.join('')}</ul>
</section>`;
}

const ops = [];
for (const [path, item] of Object.entries(spec.paths ?? {})) {
  for (const method of ['get', 'post', 'head', 'put', 'delete']) if (item[method]) ops.push({ path, method, op: item[method] });
}
const byTag = new Map((spec.tags ?? []).map((t) => [t.name, []]));
for (const o of ops) {
  const tag = o.op.tags?.[0] ?? 'other';
  if (!byTag.has(tag)) byTag.set(tag, []);
  byTag.get(tag).push(o);
}
const tagInfo = new Map((spec.tags ?? []).map((t) => [t.name, t]));
const toc = [...byTag].map(([tag, list]) => `<li>${esc(tag)}<ul>${list.map((o) => `<li><a href="#op-${anchor(`${o.method} ${o.path}`)}">${esc(o.method.toUpperCase())} ${esc(o.path)}</a></li>`).join('')}</ul></li>`);
const sections = [...byTag].map(([tag, list]) => `<h2 id="tag-${anchor(tag)}">${esc(tag)}</h2>${markdown(tagInfo.get(tag)?.description)}${list.map((o) => operation(o.path, o.method, o.op)).join('\n')}`);
const schemas = Object.entries(spec.components?.schemas ?? {}).map(([name, s]) => `<section class="schema" id="schema-${anchor(name)}"><h3>${esc(name)}</h3><p>${typeOf({ ...s, properties: undefined, description: undefined })}</p>${markdown(s.description)}${propertiesTable(s)}</section>`);

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(spec.info?.title ?? 'API')}: reference</title>
<link rel="icon" href="{{favicon.svg}}" type="image/svg+xml">
<link rel="stylesheet" href="{{style.css}}">
</head>
<body class="docs">
<header><a class="brand" href="/#/">erc20-indexer</a><nav><a href="/#/">Status</a><a href="/#/tokens">Tokens</a><a href="/docs" class="active">API</a></nav></header>
<main>
<h1>${esc(spec.info?.title ?? 'API')} <span class="note">version ${esc(spec.info?.version ?? '')}, OpenAPI ${esc(spec.openapi ?? '')}</span></h1>
<p>${inline(spec.info?.summary ?? '')} The machine-readable document: <a href="/openapi.yaml">/openapi.yaml</a>.</p>
${markdown(spec.info?.description)}
<nav class="toc"><h2>Routes</h2><ul>${toc.join('')}</ul><p><a href="#schemas">Schemas</a></p></nav>
${sections.join('\n')}
<h2 id="schemas">Schemas</h2>
${schemas.join('\n')}
</main>
</body>
</html>
`;
fs.writeFileSync(outFile, html);
