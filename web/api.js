// The daemon's API as the dashboard reads it: same-origin GETs of /v1/... (with the read token
// the user gave, when the daemon wants one), errors as thrown
// ApiError with the answer's code and message, and exact amounts (decimal strings) formatted
// with BigInt, never through a float.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// A daemon with --read-token-file wants a bearer token on /v1: the one the user gave, kept for
// this tab only (sessionStorage: no cookie, nothing sent to another origin).
const TOKEN_KEY = 'erc20-read-token';
export const readToken = () => sessionStorage.getItem(TOKEN_KEY);
export function setReadToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}
/** The request headers of a GET: JSON, and the read token when there is one. */
export function headers(accept = 'application/json') {
  const t = readToken();
  return t ? { accept, authorization: `Bearer ${t}` } : { accept };
}

/**
 * GET a /v1 path with query parameters (undefined and null ones left out); the parsed JSON. A 401
 * also raises the window event `erc20-unauthorized` (the page then asks for a token).
 */
export async function get(path, params = {}) {
  const res = await fetch(url(path, params), { headers: headers() });
  if (res.status === 401) window.dispatchEvent(new CustomEvent('erc20-unauthorized'));
  let body = null;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(res.status, 'not_json', `${path}: the answer is not JSON (${res.status})`);
  }
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? 'error', body?.error?.message ?? `${path}: ${res.status}`);
  return body;
}

/** path?params, leaving out undefined, null and empty values. */
export function url(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export const isAddress = (s) => /^0x[0-9a-fA-F]{40}$/.test(s ?? '');

/** Groups of three digits: "1234567" -> "1,234,567". */
export function groupDigits(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A raw amount (decimal string of an integer, maybe negative) in whole tokens, exactly:
 * ("1234500", 3) -> "1,234.5". With `maxFraction`, the fraction is cut (not rounded) to that
 * many digits and "…" marks the cut. Decimals unknown (null): the raw units.
 */
export function formatAmount(raw, decimals, { maxFraction = null } = {}) {
  if (raw === null || raw === undefined) return '—';
  const neg = raw.startsWith('-');
  let digits = neg ? raw.slice(1) : raw;
  if (decimals === null || decimals === undefined) return (neg ? '-' : '') + groupDigits(digits);
  digits = digits.padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  let frac = digits.slice(digits.length - decimals).replace(/0+$/, '');
  let cut = false;
  if (maxFraction !== null && frac.length > maxFraction) {
    frac = frac.slice(0, maxFraction).replace(/0+$/, '');
    cut = true;
  }
  const out = groupDigits(whole) + (frac ? `.${frac}` : '') + (cut ? '…' : '');
  return (neg && /[1-9]/.test(digits) ? '-' : '') + out;
}

/** A raw amount as a float for a chart (charts show a shape; tables keep the exact figure). */
export function toFloat(raw, decimals) {
  if (raw === null || raw === undefined) return null;
  return Number(BigInt(raw)) / 10 ** (decimals ?? 0);
}

/** A share (0..1) as a percentage with 2 decimals. */
export const percent = (x) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);

/** Seconds as "1h 02m 03s" (no hours or minutes when zero). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  let s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h) return `${h}h ${String(m).padStart(2, '0')}m ${String(s).padStart(2, '0')}s`;
  if (m) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Bytes as "1.5 GiB". */
export function bytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

/** Unix seconds as "2023-11-14 22:13:20 UTC". */
export function utc(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.000Z$/, ' UTC');
}
