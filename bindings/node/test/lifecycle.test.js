'use strict';
// Delete, erase and suppression, explain, and the change feed with BigInt sequence numbers.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, ScvError } = require('..');

function engine(extra = {}) {
  return new Engine({ region: 'DE', hashKey: 'node-test', retain: 'normalized', ...extra });
}

test('delete re-resolves the profile; deleting an unknown record returns false', () => {
  const e = engine();
  e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: 'a@b.de' } });
  e.upsert({ source: 'pos', recordId: 'b', identifiers: { loyalty_id: 'L1' } });
  e.upsert({ source: 'web', recordId: 'c', identifiers: { email: 'a@b.de', loyalty_id: 'L1' } });
  assert.equal(e.profileCount, 1);
  const seq = e.sequence;
  assert.equal(e.delete('crm', 'nope'), false);
  assert.equal(e.delete('nosuchsource', 'a'), false);
  assert.equal(e.sequence, seq, 'nothing changed');
  assert.equal(e.delete('web', 'c'), true);
  assert.equal(e.delete('web', 'c'), false);
  assert.equal(e.profileCount, 2);
  assert.equal(e.profileOf('crm', 'a'), 1, 'the part with the oldest record keeps the id');
  assert.notEqual(e.profileOf('pos', 'b'), 1);
  e.close();
});

test('erase removes the person and a replay cannot bring them back', () => {
  const e = engine();
  e.upsert({ source: 'crm', recordId: 'C-1', identifiers: { email: 'erase@web.de', customer_id: '77' }, traits: { name: 'Eve' } });
  const p = e.upsert({ source: 'pos', recordId: 'P-1', identifiers: { email: 'erase@web.de' } });
  e.upsert({ source: 'web', recordId: 'W-9', identifiers: { email: 'other@web.de' } });
  assert.deepEqual(e.erase(p), { records: 2, identifiers: 2 });
  assert.equal(e.profile(p), null);
  assert.equal(e.profileOf('crm', 'C-1'), null);
  assert.equal(e.stats().suppressed, 2);
  // The old export is replayed: the suppressed identifiers are dropped and link nothing.
  const again = e.upsert({ source: 'crm', recordId: 'C-1', identifiers: { email: 'erase@web.de', customer_id: '77' } });
  assert.deepEqual(e.identifiers(again), []);
  assert.equal(e.profileOfIdentifier('email', 'erase@web.de'), null);
  assert.throws(() => e.erase(p), (err) => err instanceof ScvError && err.code === 'SCV_ENOTFOUND');
  e.close();
});

test('suppress by value or by hash, and unsuppress', () => {
  const e = engine();
  e.upsert({ source: 'web', recordId: 'x1', identifiers: { anonymous_id: 'zz-cookie' } });
  e.upsert({ source: 'web', recordId: 'x2', identifiers: { anonymous_id: 'zz-cookie' } });
  assert.equal(e.profileCount, 1);
  e.suppress('anonymous_id', 'zz-cookie');
  assert.equal(e.profileCount, 2, 'records carrying it keep it as a non-linking value');
  assert.equal(e.recordIdentifiers('web', 'x1')[0].state, 'suppressed');
  const h = e.hash('phone', '030 9998887');
  e.suppressHash('phone', h);
  assert.equal(e.stats().suppressed, 2);
  assert.equal(e.unsuppressHash('phone', h), true);
  assert.equal(e.unsuppressHash('phone', h), false);
  assert.throws(() => e.suppressHash('phone', h.subarray(0, 8)), (err) => err.code === 'SCV_EINVAL');
  e.close();
});

test('explain shows the chain that joins two records, or the rule that keeps them apart', () => {
  const e = engine();
  e.setLimit('customer_id', 1);
  e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: 'a@web.de' } });
  e.upsert({ source: 'web', recordId: 'b', identifiers: { email: 'a@web.de', anonymous_id: 'anon-b' } });
  e.upsert({ source: 'pos', recordId: 'c', identifiers: { anonymous_id: 'anon-b' } });
  const why = e.explain(['crm', 'a'], ['pos', 'c']);
  assert.equal(why.apart, 'none');
  assert.deepEqual(why.records.map((r) => `${r.source}:${r.recordId}`), ['crm:a', 'web:b', 'pos:c']);
  assert.deepEqual(why.identifiers.map((i) => `${i.kind}=${i.value}`), ['email=a@web.de', 'anonymous_id=anon-b']);

  e.upsert({ source: 'crm', recordId: 'c1', identifiers: { customer_id: '1', phone: '030 4455667' } });
  e.upsert({ source: 'crm', recordId: 'c2', identifiers: { customer_id: '2', phone: '030 4455667' } });
  const apart = e.explain({ source: 'crm', recordId: 'c1' }, { source: 'crm', recordId: 'c2' });
  assert.equal(apart.apart, 'limit');
  assert.equal(apart.records.length, 2);

  const unrelated = e.explain(['crm', 'a'], ['crm', 'c1']);
  assert.deepEqual(unrelated, { apart: 'unrelated', records: [], identifiers: [] });
  assert.throws(() => e.explain(['crm', 'a'], ['crm', 'nope']), (err) => err.code === 'SCV_ENOTFOUND');
  assert.throws(() => e.explain('crm:a', ['crm', 'c1']), TypeError);
  e.close();
});

test('the change feed reports created, merged, updated, split and deleted with BigInt sequences', () => {
  const e = engine();
  assert.equal(e.sequence, 0n);
  e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: 'a@b.de' } });
  e.upsert({ source: 'crm', recordId: 'b', identifiers: { phone: '030 5554443' } });
  const first = e.changesSince(0n);
  assert.deepEqual(first, [
    { seq: 1n, type: 'created', profile: 1, other: 0, source: 'crm', recordId: 'a' },
    { seq: 2n, type: 'created', profile: 2, other: 0, source: 'crm', recordId: 'b' },
  ]);
  let mark = e.sequence;
  assert.equal(typeof mark, 'bigint');
  e.upsert({ source: 'crm', recordId: 'c', identifiers: { email: 'a@b.de', phone: '030 5554443' } });
  assert.deepEqual(e.changesSince(mark).map((c) => [c.type, c.profile, c.other, c.recordId]), [
    ['merged', 1, 2, 'c'],
    ['updated', 1, 0, 'c'],
  ]);
  mark = e.sequence;
  e.delete('crm', 'c');
  assert.deepEqual(e.changesSince(mark).map((c) => [c.type, c.profile, c.other]), [['updated', 1, 0], ['split', 1, 3]]);
  mark = e.sequence;
  e.delete('crm', 'b');
  assert.deepEqual(e.changesSince(mark).map((c) => [c.type, c.profile]), [['deleted', 3]]);
  assert.equal(e.sequence, mark + 1n);
  assert.deepEqual(e.changesSince(e.sequence), []);
  assert.deepEqual(e.changesSince(2), e.changesSince(2n), 'a safe integer is accepted too');
  // Sequence numbers past 2^63 are valid uint64 arguments: nothing is newer than them.
  assert.deepEqual(e.changesSince(2n ** 64n - 1n), []);
  assert.deepEqual(e.changesSince(2n ** 63n + 5n), []);
  assert.throws(() => e.changesSince(-1n), RangeError);
  assert.throws(() => e.changesSince(2n ** 64n), RangeError);
  e.close();
});

test('a change without a record has source and recordId null', () => {
  const e = engine();
  e.upsert({ source: 'pos', recordId: 'p1', identifiers: { loyalty_id: 'CARD-9' } });
  e.upsert({ source: 'pos', recordId: 'p2', identifiers: { loyalty_id: 'CARD-9' } });
  const mark = e.sequence;
  e.block('loyalty_id', 'CARD-9');
  const changes = e.changesSince(mark);
  assert.ok(changes.length > 0);
  for (const c of changes) {
    assert.equal(c.recordId, null);
    assert.equal(c.source, null);
    assert.equal(typeof c.seq, 'bigint');
  }
  e.close();
});

test('the feed is bounded: asking for dropped history throws SCV_EEXPIRED', () => {
  const e = engine({ changeCapacity: 8 });
  for (let i = 0; i < 20; i++) e.upsert({ source: 'crm', recordId: `r${i}` });
  assert.equal(e.sequence, 20n);
  assert.throws(() => e.changesSince(0n), (err) => err instanceof ScvError && err.code === 'SCV_EEXPIRED' && err.status === 12);
  assert.throws(() => e.changesSince(11n), (err) => err.code === 'SCV_EEXPIRED');
  const kept = e.changesSince(12n);
  assert.deepEqual(kept.map((c) => c.seq), [13n, 14n, 15n, 16n, 17n, 18n, 19n, 20n]);
  assert.deepEqual(kept.map((c) => c.recordId), ['r12', 'r13', 'r14', 'r15', 'r16', 'r17', 'r18', 'r19']);
  e.close();
  assert.throws(() => new Engine({ changeCapacity: 2 ** 29 }), (err) => err.code === 'SCV_EINVAL');
});
