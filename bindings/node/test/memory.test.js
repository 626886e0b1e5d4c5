'use strict';
// Handle lifetimes: explicit close() in any order, use after close, Symbol.dispose, and the
// FinalizationRegistry safety net freeing forgotten handles exactly once, children first.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Engine, ScvError } = require('..');

const closed = (err) => err instanceof ScvError && err.code === 'SCV_ESTATE' && /closed/.test(err.reason);

test('closing the engine closes its queries, segments and personas; results survive', () => {
  const e = new Engine();
  e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: 'a@web.de' } });
  const q = e.query('records >= 1');
  const s = e.segment('all', 'records >= 1');
  const p = e.personas([['any', 'records >= 1']]);
  const r = q.eval(0);
  e.close();
  assert.ok(e.closed && q.closed && s.closed && p.closed);
  assert.ok(!r.closed);
  assert.deepEqual([...r], [1], 'a result owns its memory');
  assert.throws(() => q.eval(0), closed);
  assert.throws(() => s.refresh(0), closed);
  assert.throws(() => p.assign(0), closed);
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'b' }), closed);
  assert.throws(() => e.stats(), closed);
  assert.throws(() => [...e.profiles()], closed);
  // Closing again, in any order, is harmless.
  e.close();
  q.close();
  s.close();
  p.close();
  r.close();
  r.close();
  assert.throws(() => r.size, closed);
});

test('children can be closed before the engine', () => {
  const e = new Engine();
  const q = e.query('records >= 1');
  const s = e.segment('all', 'records >= 1');
  q.close();
  s.close();
  const r = e.query('records >= 0').eval(0);
  r.close();
  e.close();
});

test('Symbol.dispose closes, where the runtime has it', { skip: typeof Symbol.dispose !== 'symbol' && 'no Symbol.dispose' }, () => {
  const e = new Engine();
  const q = e.query('records > 0');
  q[Symbol.dispose]();
  assert.ok(q.closed);
  e[Symbol.dispose]();
  assert.ok(e.closed);
});

test('many engines and queries opened and closed leave nothing behind', () => {
  for (let i = 0; i < 200; i++) {
    const e = new Engine({ hashKey: `k${i}` });
    e.upsert({ source: 'web', recordId: `r${i}`, identifiers: { anonymous_id: `a${i}` } });
    const r = e.query('records = 1').eval(0);
    assert.equal(r.size, 1);
    r.close();
    e.close();
  }
});

// The child process counts every free and checks that no query, segment, personas or record
// builder is freed after its engine, then prints one JSON line.
const CHILD = `
const lib = require(${JSON.stringify(path.resolve(__dirname, '..', 'lib.js'))});
const { Engine } = require(${JSON.stringify(path.resolve(__dirname, '..'))});
const L = lib.native();
const live = new Map(); // address -> { name, engine }
const counts = {};
const errors = [];
function born(ptr, name, engine) {
  if (ptr !== 0n) live.set(String(ptr), { name, engine: engine === undefined ? null : String(engine) });
}
for (const [name, slots, engineArg] of [
  ['scv_engine_new', [1], null], ['scv_query_compile', [3], 0], ['scv_segment_new', [5], 0],
  ['scv_personas_new', [1], 0], ['scv_record_new', [1], 0], ['scv_query_eval', [2], null],
  ['scv_result_combine', [3], null], ['scv_segment_refresh', [2, 3], null], ['scv_segment_members', [1], null],
]) {
  const orig = L[name];
  L[name] = (...args) => {
    const st = orig(...args);
    if (st === 0) for (const slot of slots) if (args[slot]) born(args[slot][0], name, engineArg === null ? undefined : args[engineArg]);
    return st;
  };
}
for (const name of ['scv_engine_free', 'scv_query_free', 'scv_segment_free', 'scv_personas_free', 'scv_record_free', 'scv_result_free']) {
  const orig = L[name];
  L[name] = (ptr) => {
    const key = String(ptr);
    const entry = live.get(key);
    if (entry === undefined) errors.push(name + ' of a handle that is not live (twice?)');
    else if (entry.engine !== null && !live.has(entry.engine)) errors.push(name + ' after its engine');
    live.delete(key);
    counts[name] = (counts[name] || 0) + 1;
    return orig(ptr);
  };
}
function forget() {
  for (let i = 0; i < 50; i++) {
    const e = new Engine();
    e.upsert({ source: 'crm', recordId: 'a' + i, identifiers: { email: 'p' + i + '@web.de' } });
    const q = e.query('records >= 1');
    q.eval(0);
    e.segment('s', 'records >= 1').refresh(0);
    e.personas([['p', 'records >= 1']]).assign(0);
    if (i % 2) globalThis.keep = q; // the engine stays reachable through its query for a while
  }
}
(async () => {
  forget();
  globalThis.keep = null;
  for (let round = 0; round < 30; round++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  }
  console.log(JSON.stringify({ counts, errors }));
})();
`;

test('the FinalizationRegistry frees forgotten handles once each, children before their engine', () => {
  const out = spawnSync(process.execPath, ['--expose-gc', '-e', CHILD], { env: process.env, encoding: 'utf8', timeout: 60000 });
  assert.equal(out.status, 0, `child failed: ${out.stderr}`);
  const { counts, errors } = JSON.parse(out.stdout.trim().split('\n').pop());
  assert.deepEqual(errors, []);
  // Finalization is not guaranteed to be complete, but with forced collections most go.
  assert.ok((counts.scv_engine_free || 0) >= 25, `engines freed: ${JSON.stringify(counts)}`);
  assert.ok((counts.scv_query_free || 0) >= 25, `queries freed: ${JSON.stringify(counts)}`);
  assert.ok((counts.scv_result_free || 0) >= 25, `results freed: ${JSON.stringify(counts)}`);
  assert.equal(counts.scv_record_free, counts.scv_engine_free, 'each engine frees its record builder');
});
