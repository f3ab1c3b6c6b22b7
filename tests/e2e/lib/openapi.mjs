// docs/openapi.yaml as a contract the live answers are checked against (schema.test.mjs) and whose
// schemas must compile (openapi.test.mjs): the YAML parsed by `yaml`, every schema compiled by Ajv's
// JSON Schema 2020-12 class (the dialect of OpenAPI 3.1) in strict mode, and checkAnswer(), which
// takes one HTTP answer of a route and says where it breaks the document:
//   - the status must be one the operation lists (or its `default`), the content type one of that
//     response's media types (compared without parameters: `text/csv; charset=utf-8` is text/csv);
//   - application/json and the +json types (format=table's application/vnd.dataresource+json): the
//     body validates against the media type's schema;
//   - application/x-ndjson: each line (LF-terminated) validates against the media type's schema,
//     which the document gives as the schema of one line (the list's item);
//   - text/csv: RFC 4180; the header row is the keys of the NDJSON item schema, in the schema's
//     property order, with every required key, and matches the `header: ...` the media type's
//     description spells (`[...]` marks optional groups); each record, typed by that item schema
//     (an empty field is null where the property may be null, digits are a number where it is
//     numeric), validates against it;
//   - 200 and 304: the documented headers are present (unless `required: false`) and match their
//     schemas; 304: no body;
//   - an error's `code` is one of the codes (in backquotes) its response's description names;
//   - every object key of a JSON answer is a property the schema declares (properties, allOf,
//     oneOf, anyOf): an undocumented field is a violation too, though the document leaves objects
//     open (additionalProperties) so that clients accept fields added later.
// A violation is {where, instancePath, message}.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { REPO_DIR } from './chain.mjs';
import { parseCsv } from './csv.mjs';

const require = createRequire(import.meta.url);
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

export const SPEC_FILE = path.join(REPO_DIR, 'docs', 'openapi.yaml');

/** The OpenAPI document as a JS object (YAML parse errors and warnings throw). */
export function loadSpec(file = SPEC_FILE) {
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  if (doc.warnings.length) throw new Error(`${file}: ${doc.warnings.map((e) => e.message).join('; ')}`);
  return doc.toJS();
}

const SCHEMA_REF = '#/components/schemas/';
const schemaId = (name) => `urn:openapi:schemas:${name}`;

/** A copy of `schema` whose `#/components/schemas/X` refs name the Ajv schema of X. */
function rewriteRefs(x) {
  if (Array.isArray(x)) return x.map(rewriteRefs);
  if (!x || typeof x !== 'object') return x;
  return Object.fromEntries(Object.entries(x).map(([k, v]) => {
    if (k === '$ref' && typeof v === 'string') {
      if (!v.startsWith(SCHEMA_REF)) throw new Error(`$ref ${v}: only ${SCHEMA_REF}* refs are supported in schemas`);
      return [k, schemaId(v.slice(SCHEMA_REF.length))];
    }
    return [k, rewriteRefs(v)];
  }));
}

const unescapePointer = (s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~');
/** The media type of a Content-Type header value: `text/csv; charset=utf-8` -> `text/csv`. */
export const essence = (ct) => String(ct ?? '').split(';')[0].trim().toLowerCase();


/**
 * createContract(spec): {spec, ajv, resolve(obj), compile(schema), validate(schema, value),
 * checkAnswer({route, method, status, headers, text})}.
 */
export function createContract(spec) {
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addKeyword('example'); // OpenAPI's own annotation keyword
  const unlisted = { content: { 'application/json': { schema: { $ref: `${SCHEMA_REF}Error` } } } };
  for (const [name, s] of Object.entries(spec.components?.schemas ?? {})) ajv.addSchema(rewriteRefs(s), schemaId(name));

  /** A `$ref` object of the document (`#/components/...`) resolved, repeatedly. */
  const resolve = (obj) => {
    let o = obj;
    for (let n = 0; o && typeof o === 'object' && typeof o.$ref === 'string'; n++) {
      if (n > 20 || !o.$ref.startsWith('#/')) throw new Error(`cannot resolve ${o.$ref}`);
      let x = spec;
      for (const part of o.$ref.slice(2).split('/')) {
        x = x?.[unescapePointer(part)];
        if (x === undefined) throw new Error(`unresolved $ref ${o.$ref}`);
      }
      // 3.1 allows siblings beside a $ref (a description): they win over the target's.
      const { $ref: _r, ...siblings } = o;
      o = Object.keys(siblings).length ? { ...x, ...siblings } : x;
    }
    return o;
  };

  const compiled = new Map();
  /** The Ajv validator of a schema object of the document (cached by identity). */
  const compile = (schema) => {
    if (!compiled.has(schema)) compiled.set(schema, ajv.compile(rewriteRefs(schema)));
    return compiled.get(schema);
  };
  /** [{instancePath, message}] of `value` against `schema`: empty when it validates. */
  const validate = (schema, value) => {
    const v = compile(schema);
    if (v(value)) return [];
    return v.errors.map((e) => ({ instancePath: e.instancePath || '/', message: `${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''} (schema ${e.schemaPath})` }));
  };

  /** The subschemas a value of `schema` is described by: itself and its allOf/oneOf/anyOf members, refs resolved. */
  const branches = (schema, out = []) => {
    const s = resolve(schema);
    if (!s || typeof s !== 'object' || out.includes(s)) return out;
    out.push(s);
    for (const k of ['allOf', 'oneOf', 'anyOf']) for (const sub of s[k] ?? []) branches(sub, out);
    return out;
  };

  /** Object keys of `value` that `schema` does not declare, as violations. */
  const undocumented = (schema, value, p = '') => {
    const out = [];
    const bs = branches(schema);
    if (Array.isArray(value)) {
      const items = bs.filter((b) => b.items).map((b) => b.items);
      value.forEach((v, i) => { for (const it of items) out.push(...undocumented(it, v, `${p}/${i}`)); });
      for (const b of bs) (b.prefixItems ?? []).forEach((it, i) => { if (i < value.length) out.push(...undocumented(it, value[i], `${p}/${i}`)); });
    } else if (value && typeof value === 'object') {
      if (bs.some((b) => b.additionalProperties || b.patternProperties)) return out;
      for (const [k, v] of Object.entries(value)) {
        const declaring = bs.filter((b) => b.properties && Object.hasOwn(b.properties, k));
        if (!declaring.length) out.push({ instancePath: `${p}/${k}`, message: 'a property the schema does not declare' });
        for (const b of declaring) out.push(...undocumented(b.properties[k], v, `${p}/${k}`));
      }
    }
    // Two branches declaring the same nested object would report a key twice.
    return out.filter((x, i) => out.findIndex((y) => y.instancePath === x.instancePath && y.message === x.message) === i);
  };

  /** The JSON types a property's values may have: a set of 'string', 'integer', 'number', 'null', ... */
  const typesOf = (schema) => {
    const t = new Set();
    for (const b of branches(schema)) {
      if (typeof b.type === 'string') t.add(b.type);
      if (Array.isArray(b.type)) b.type.forEach((x) => t.add(x));
      if ('const' in b) t.add(b.const === null ? 'null' : typeof b.const);
    }
    return t;
  };

  /** The declared property names of an item schema, in document order (all branches). */
  const propertyOrder = (schema) => {
    const names = [];
    for (const b of branches(schema)) for (const k of Object.keys(b.properties ?? {})) if (!names.includes(k)) names.push(k);
    return names;
  };
  const requiredOf = (schema) => [...new Set(branches(schema).flatMap((b) => b.required ?? []))];

  /** A CSV record typed by the item schema: empty -> null where nullable, digits -> numbers where numeric. */
  const typedRecord = (item, header, cells) => {
    const props = Object.fromEntries(branches(item).flatMap((b) => Object.entries(b.properties ?? {})));
    const o = {};
    header.forEach((k, i) => {
      const cell = cells[i];
      const types = props[k] ? typesOf(props[k]) : new Set(['string']);
      if (cell === '' && types.has('null')) o[k] = null;
      else if ((types.has('integer') || types.has('number')) && /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(cell)) o[k] = Number(cell);
      else o[k] = cell;
    });
    return o;
  };

  /** The `header: a,b[,c]` a CSV media type's description spells, as a RegExp of the header line. */
  const headerPattern = (description) => {
    const m = /header: (\S+)\s*$/.exec(description ?? '');
    if (!m) return null;
    const esc = m[1].replace(/[.*+?^${}()|\\]/g, '\\$&');
    return new RegExp(`^${esc.replace(/\[/g, '(?:').replace(/\]/g, ')?')}$`);
  };

  /**
   * Violations of one answer: route is the path template (`/v1/tokens/{token}`), or null for a
   * path the document does not list (then any error status must carry the Error schema).
   */
  const checkAnswer = ({ route, method = 'get', status, headers = {}, text }) => {
    const out = [];
    const v = (where, instancePath, message) => out.push({ where, instancePath, message });
    let response;
    if (route === null || !spec.paths?.[route]?.[method]) {
      if (status < 400) { v('status', '', `${method.toUpperCase()} ${route ?? '(unlisted path)'} answered ${status}, but the document lists no such operation`); return out; }
      response = unlisted;
    } else {
      const op = spec.paths[route][method];
      const r = op.responses?.[String(status)] ?? op.responses?.default;
      if (!r) { v('status', '', `status ${status} is not a documented response (documented: ${Object.keys(op.responses ?? {}).join(', ')})`); return out; }
      response = resolve(r);
    }
    if (status === 200 || status === 304) {
      for (const [name, hdr] of Object.entries(response.headers ?? {})) {
        const value = headers[name.toLowerCase()];
        // A documented header must be present unless it says `required: false` (then it is
        // checked where present).
        if (value === undefined) { if (resolve(hdr).required !== false) v(`header ${name}`, '', 'documented header missing'); continue; }
        const schema = resolve(hdr).schema;
        if (schema) for (const e of validate(schema, value)) v(`header ${name}`, e.instancePath, e.message);
      }
    }
    const content = response.content;
    if (!content) {
      if (text !== '') v('body', '', `the response documents no content, got a body of ${text.length} bytes`);
      return out;
    }
    const ct = essence(headers['content-type']);
    const media = content[ct];
    if (!media) { v('content-type', '', `${headers['content-type'] ?? '(none)'} is not a documented media type (documented: ${Object.keys(content).join(', ')})`); return out; }
    const schema = media.schema;
    if (!schema) return out;
    const checkValue = (where, value, s = schema) => {
      for (const e of validate(s, value)) v(where, e.instancePath, e.message);
      for (const e of undocumented(s, value)) v(where, e.instancePath, e.message);
    };
    if (ct === 'application/json' || ct.endsWith('+json')) {
      let value;
      try { value = JSON.parse(text); } catch (e) { v('body', '', `not JSON: ${e.message}`); return out; }
      checkValue('body', value);
      // An error's code is one its response's description names (`code` in backquotes); an
      // unlisted path's or method's, one the default response names.
      const described = status >= 400 && (response === unlisted ? resolve(spec.components?.responses?.OtherError ?? {}) : response).description;
      const codes = [...String(described ?? '').matchAll(/`([a-z][a-z0-9_]*)`/g)].map((m) => m[1]);
      const code = value?.error?.code;
      if (codes.length && typeof code === 'string' && !codes.includes(code)) {
        v('body', '/error/code', `${code} is not a code the ${status} response documents (${codes.join(', ')})`);
      }
    } else if (ct === 'application/x-ndjson') {
      if (text !== '' && !text.endsWith('\n')) v('body', '', 'NDJSON body does not end with LF');
      const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
      lines.forEach((line, i) => {
        let value;
        try { value = JSON.parse(line); } catch (e) { v(`line ${i + 1}`, '', `not JSON: ${e.message}`); return; }
        checkValue(`line ${i + 1}`, value);
      });
    } else if (ct === 'text/csv') {
      const item = content['application/x-ndjson']?.schema;
      if (!item) { v('body', '', 'text/csv without an application/x-ndjson item schema to type its columns'); return out; }
      let rows;
      try { rows = parseCsv(text); } catch (e) { v('body', '', e.message); return out; }
      if (!rows.length) { v('header', '', 'no header row'); return out; }
      const [header, ...records] = rows;
      const order = propertyOrder(item);
      const unknown = header.filter((k) => !order.includes(k));
      if (unknown.length) v('header', '', `columns the item schema does not declare: ${unknown.join(',')}`);
      const missing = requiredOf(item).filter((k) => !header.includes(k));
      if (missing.length) v('header', '', `required item keys missing: ${missing.join(',')}`);
      const idx = header.map((k) => order.indexOf(k)).filter((i) => i >= 0);
      if (idx.some((x, i) => i > 0 && x <= idx[i - 1])) v('header', '', `columns ${header.join(',')} are not in the item schema's order ${order.join(',')}`);
      const pattern = headerPattern(resolve(schema).description);
      if (!pattern) v('header', '', 'the text/csv schema description spells no "header: ..."');
      else if (!pattern.test(header.join(','))) v('header', '', `${header.join(',')} does not match the documented ${pattern}`);
      records.forEach((cells, i) => {
        if (cells.length !== header.length) { v(`record ${i + 1}`, '', `${cells.length} fields, header has ${header.length}`); return; }
        checkValue(`record ${i + 1}`, typedRecord(item, header, cells), item);
      });
    } else if (typeof text !== 'string') v('body', '', 'no text');
    else checkValue('body', text);
    return out;
  };

  return { spec, ajv, resolve, compile, validate, checkAnswer, headerPattern, propertyOrder, branches };
}
