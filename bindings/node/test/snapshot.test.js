'use strict';
// Snapshots (write, load, corrupt input) and absorbing one engine into another.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, ScvError, has } = require('..');

const available = has('scv_engine_snapshot_write') && has('scv_engine_load') && has('scv_engine_absorb');
const skip = available ? false : 'the loaded libscv has no snapshot functions';
const KEY = 'node-snapshot-key';

function fill(e, prefix, n) {
  for (let i = 0; i < n; i++) {
    e.upsert({
      source: i % 2 ? 'crm' : 'app',
      recordId: `${prefix}${i}`,
      timestamp: 1700000000 + i,
      identifiers: { email: `p${i % 7}@web.de`, loyalty_id: `L${i % 5}` },
      traits: { city: i % 3 ? 'Berlin' : 'Köln' },
      measures: { order_total: i },
    });
  }
}

function partition(e) {
  const out = {};
  for (const r of e.allRecords()) out[`${r.source}/${r.recordId}`] = e.profileOf(r.source, r.recordId);
  return out;
}

test('a snapshot loads into an engine that answers the same', { skip }, () => {
  const e = new Engine({ region: 'DE', hashKey: KEY, retain: 'normalized' });
  e.setLimit('customer_id', 1);
  fill(e, 'r', 30);
  const snap = e.snapshot();
  assert.ok(Buffer.isBuffer(snap));
  assert.ok(snap.length > 0);
  const copy = Engine.load(snap, { hashKey: KEY });
  assert.deepEqual(partition(copy), partition(e));
  assert.deepEqual([...copy.profiles()], [...e.profiles()]);
  for (const p of e.profiles()) assert.deepEqual(copy.profile(p), e.profile(p));
  assert.equal(copy.sequence, e.sequence);
  assert.deepEqual(copy.sources(), e.sources());
  // Both resolve a later record the same way.
  const next = { source: 'web', recordId: 'late', identifiers: { email: 'p3@web.de' } };
  assert.equal(copy.upsert(next), e.upsert(next));
  assert.throws(() => copy.setLimit('email', 2), (err) => err.code === 'SCV_ESTATE', 'rules came along');
  assert.deepEqual(Engine.load(copy.snapshot(), { hashKey: KEY }).snapshot(), copy.snapshot());
  copy.close();
  e.close();
});

test('a snapshot of an empty engine round-trips', { skip }, () => {
  const e = new Engine();
  const copy = Engine.load(e.snapshot());
  assert.equal(copy.profileCount, 0);
  copy.close();
  e.close();
});

test('corrupt, truncated or foreign input is an error, never a crash', { skip }, () => {
  const e = new Engine({ hashKey: KEY });
  fill(e, 'r', 10);
  const snap = e.snapshot();
  const isLoadError = (err) => err instanceof ScvError && ['SCV_ECORRUPT', 'SCV_EVERSION', 'SCV_EINVAL'].includes(err.code);
  assert.throws(() => Engine.load(Buffer.alloc(0), { hashKey: KEY }), isLoadError);
  assert.throws(() => Engine.load(Buffer.from('not a snapshot at all'), { hashKey: KEY }), (err) => err.code === 'SCV_ECORRUPT');
  assert.throws(() => Engine.load(snap.subarray(0, snap.length - 1), { hashKey: KEY }), (err) => err.code === 'SCV_ECORRUPT');
  for (let i = 0; i < snap.length; i += Math.max(1, Math.floor(snap.length / 64))) {
    const bad = Buffer.from(snap);
    bad[i] ^= 0x5a;
    assert.throws(() => Engine.load(bad, { hashKey: KEY }), isLoadError, `flipped byte ${i}`);
  }
  assert.throws(() => Engine.load(snap, { hashKey: 'another key' }), (err) => err.code === 'SCV_EINVAL');
  assert.throws(() => Engine.load('a string'), TypeError);
  e.close();
});

test('absorbing partitions gives the partition one engine fed everything would', { skip }, () => {
  const whole = new Engine({ region: 'DE', hashKey: KEY });
  fill(whole, 'a', 12);
  fill(whole, 'b', 12);
  const left = new Engine({ region: 'DE', hashKey: KEY });
  const right = new Engine({ region: 'DE', hashKey: KEY });
  fill(left, 'a', 12);
  fill(right, 'b', 12);
  left.absorb(right);
  const groups = (e) => {
    const by = new Map();
    for (const [key, p] of Object.entries(partition(e))) by.set(p, [...(by.get(p) || []), key]);
    return [...by.values()].map((keys) => keys.sort().join(' ')).sort();
  };
  assert.deepEqual(groups(left), groups(whole));
  assert.equal(left.recordCount, 24);
  const foreign = new Engine({ hashKey: 'another key' });
  assert.throws(() => left.absorb(foreign), (err) => err.code === 'SCV_EINVAL' && err.reason.length > 0);
  assert.throws(() => left.absorb(left), (err) => err.code === 'SCV_EINVAL');
  assert.throws(() => left.absorb({}), TypeError);
  for (const e of [whole, left, right, foreign]) e.close();
});
