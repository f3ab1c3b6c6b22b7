// Tiny test runner for standalone e2e scripts: named checks, a global deadline, and a final
// "N passed, M failed" line. No framework, Node 18 compatible.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';

export { assert };

/**
 * How much slower than a plain build the daemon under test runs: E2E_SLOW (default 1).
 * scripts/tsan.sh sets it for the ThreadSanitizer build (5-15x slower); it stretches
 * global deadlines and workloads that must outlast the daemon's work, never an assertion.
 */
export const kSlow = Math.max(1, Number(process.env.E2E_SLOW ?? 1) || 1);

export function createHarness(name, { timeoutMs = 170000 } = {}) {
  let passed = 0;
  let failed = 0;
  const failures = [];
  const t0 = Date.now();
  const elapsed = () => ((Date.now() - t0) / 1000).toFixed(1) + 's';
  const log = (...a) => console.log(`[${name} ${elapsed()}]`, ...a);

  const deadline = setTimeout(() => {
    console.log(`[${name}] global timeout of ${timeoutMs * kSlow} ms reached`);
    failed++;
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(1); // exit handler kills children and removes temp dirs
  }, timeoutMs * kSlow);
  deadline.unref();

  return {
    log,
    elapsed,
    /** Run a named check; an exception marks it failed and the script goes on. Returns fn's value. */
    async check(title, fn) {
      try {
        const v = await fn();
        passed++;
        console.log(`ok   - ${title}`);
        return v;
      } catch (e) {
        failed++;
        failures.push(title);
        console.log(`FAIL - ${title}\n       ${(e && e.stack ? e.stack : inspect(e)).split('\n').slice(0, 12).join('\n       ')}`);
        return undefined;
      }
    },
    /** A check whose failure makes the rest meaningless: rethrows after counting. */
    async must(title, fn) {
      try {
        const v = await fn();
        passed++;
        console.log(`ok   - ${title}`);
        return v;
      } catch (e) {
        failed++;
        failures.push(title);
        console.log(`FAIL - ${title}\n       ${(e && e.stack ? e.stack : inspect(e)).split('\n').slice(0, 12).join('\n       ')}`);
        throw new FatalError(title);
      }
    },
    fail(title, e) {
      failed++;
      failures.push(title);
      console.log(`FAIL - ${title}${e ? `\n       ${e.stack || e}` : ''}`);
    },
    /** Print the summary line and return the exit code. */
    finish() {
      clearTimeout(deadline);
      if (failures.length) console.log(`[${name}] failed: ${failures.join('; ')}`);
      log('done');
      console.log(`${passed} passed, ${failed} failed`);
      return failed === 0 && passed > 0 ? 0 : 1;
    },
  };
}

export class FatalError extends Error {}

/** Command-line "--key value" / "--flag" parser. */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const k = a.slice(2);
    if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[k] = argv[++i];
    else out[k] = true;
  }
  return out;
}

/** Compare two values, throwing with the first differing path (readable for big JSON). */
export function deepEqualWithPath(actual, expected, p = '$') {
  if (Object.is(actual, expected)) return;
  if (typeof actual !== typeof expected || actual === null || expected === null || typeof actual !== 'object') {
    throw new assert.AssertionError({ message: `${p}: got ${inspect(actual, { depth: 2 })}, expected ${inspect(expected, { depth: 2 })}` });
  }
  if (Array.isArray(actual) !== Array.isArray(expected)) throw new assert.AssertionError({ message: `${p}: array vs object` });
  if (Array.isArray(actual)) {
    const n = Math.min(actual.length, expected.length);
    for (let i = 0; i < n; i++) deepEqualWithPath(actual[i], expected[i], `${p}[${i}]`);
    if (actual.length !== expected.length) throw new assert.AssertionError({ message: `${p}: length ${actual.length}, expected ${expected.length}` });
    return;
  }
  const ka = Object.keys(actual).sort();
  const ke = Object.keys(expected).sort();
  const missing = ke.filter((k) => !ka.includes(k));
  const extra = ka.filter((k) => !ke.includes(k));
  if (missing.length || extra.length) throw new assert.AssertionError({ message: `${p}: missing keys ${missing}, extra keys ${extra}` });
  for (const k of ke) deepEqualWithPath(actual[k], expected[k], `${p}.${k}`);
}
