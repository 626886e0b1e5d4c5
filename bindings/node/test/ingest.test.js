'use strict';
// Ingest and linking: upsert, replacement, rejected values, sources and kinds, lookups.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, ScvError } = require('..');

function engine(extra = {}) {
  return new Engine({ region: 'DE', hashKey: 'node-test', retain: 'normalized', ...extra });
}

test('records sharing an identifier written two ways join one profile', () => {
  const e = engine();
  const a = e.upsert({
    source: 'crm', recordId: 'C-1001', timestamp: 1712000000,
    identifiers: { customer_id: '1001', phone: '030 1234567' }, traits: { city: 'Berlin' },
  });
  const b = e.upsert({ source: 'pos', recordId: 'B01-0042', identifiers: { phone: '+49 (0)30 123 45 67' } });
  assert.equal(a, 1);
  assert.equal(b, a);
  assert.equal(e.profileCount, 1);
  assert.equal(e.recordCount, 2);
  assert.equal(e.profileOf('pos', 'B01-0042'), a);
  assert.equal(e.profileOfIdentifier('phone', '0049 30 1234567'), a);
  assert.equal(e.trait(a, 'city'), 'Berlin');
  e.close();
});

test('records without a shared identifier stay apart; a bridge merges them and the oldest id survives', () => {
  const e = engine();
  const p1 = e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: 'a@web.de' } });
  const p2 = e.upsert({ source: 'pos', recordId: 'b', identifiers: { loyalty_id: 'L1' } });
  assert.notEqual(p1, p2);
  const bridge = e.upsert({ source: 'web', recordId: 'c', identifiers: { email: 'A@Web.de', loyalty_id: ['l1'] } });
  assert.equal(bridge, p1);
  assert.equal(e.profileCount, 1);
  assert.equal(e.canonical(p2), p1, 'a merged-away id resolves to its survivor');
  assert.deepEqual([...e.profiles()], [p1]);
  e.close();
});

test('an upsert with the same key replaces the record and may split its profile', () => {
  const e = engine();
  const p = e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: 'a@web.de' } });
  e.upsert({ source: 'pos', recordId: 'b', identifiers: { loyalty_id: 'L1' } });
  e.upsert({ source: 'web', recordId: 'c', identifiers: { email: 'a@web.de', loyalty_id: 'L1' } });
  assert.equal(e.profileCount, 1);
  e.upsert({ source: 'web', recordId: 'c', identifiers: { email: 'a@web.de' } });
  assert.equal(e.recordCount, 3);
  assert.equal(e.profileCount, 2);
  assert.equal(e.profileOf('crm', 'a'), p);
  assert.notEqual(e.profileOf('pos', 'b'), p);
  e.close();
});

test('rejected identifier values are reported and the record is stored without them', () => {
  const e = engine();
  const rejected = [];
  const p = e.upsert({
    source: 'pos', recordId: 'r1',
    identifiers: { email: ['jane@', 'jane@web.de'], phone: '12' },
  }, rejected);
  assert.ok(p > 0);
  assert.equal(rejected.length, 2);
  assert.deepEqual(rejected.map((r) => [r.kind, r.value]), [['email', 'jane@'], ['phone', '12']]);
  for (const r of rejected) {
    assert.equal(r.source, 'pos');
    assert.equal(r.recordId, 'r1');
    assert.equal(typeof r.reason, 'string');
    assert.ok(r.reason.length > 0);
  }
  assert.equal(rejected[0].offset, 4, 'the byte where the e-mail went wrong');
  assert.deepEqual(e.lastRejected, rejected);
  assert.deepEqual(e.identifiers(p).map((i) => i.value), ['jane@web.de']);
  e.upsert({ source: 'pos', recordId: 'r2', identifiers: { email: 'ok@web.de' } });
  assert.deepEqual(e.lastRejected, [], 'lastRejected describes the latest upsert only');
  e.close();
});

test('upsertMany returns profile ids in order and tags rejected values with the record index', () => {
  const e = engine();
  const rejected = [];
  const ids = e.upsertMany([
    { source: 'crm', recordId: '1', identifiers: { email: 'x@web.de' } },
    { source: 'web', recordId: '2', identifiers: { email: 'nope', anonymous_id: 'anon-1' } },
    { source: 'email', recordId: '3', identifiers: { email: 'X@web.de' } },
  ], rejected);
  assert.deepEqual(ids, [1, 2, 1]);
  assert.equal(rejected.length, 1);
  assert.equal(rejected[0].index, 1);
  assert.equal(rejected[0].recordId, '2');
  assert.throws(
    () => e.upsertMany([{ source: 'crm', recordId: '4' }, { source: 'crm', recordId: '' }]),
    (err) => err instanceof ScvError && err.index === 1 && err.code === 'SCV_EINVAL',
  );
  assert.notEqual(e.profileOf('crm', '4'), null, 'records before the failing one are stored');
  e.close();
});

test('unknown sources are registered on first use; unknown kinds are an error', () => {
  const e = engine();
  assert.equal(e.source('app'), null);
  e.upsert({ source: 'app', recordId: 'u1', identifiers: { device_id: 'DEV-1' } });
  assert.equal(e.source('app'), 4);
  assert.deepEqual(e.sources(), ['crm', 'web', 'email', 'pos', 'app']);
  assert.throws(
    () => e.upsert({ source: 'app', recordId: 'u2', identifiers: { instagram: 'jane' } }),
    (err) => err instanceof ScvError && err.code === 'SCV_ENOTFOUND' && /instagram/.test(err.reason),
  );
  const k = e.registerKind('instagram', 'casefold');
  assert.equal(k, 6);
  assert.equal(e.kind('instagram'), 6);
  e.upsert({ source: 'app', recordId: 'u2', identifiers: { instagram: 'Jane' } });
  assert.equal(e.profileOfIdentifier('instagram', 'JANE'), e.profileOf('app', 'u2'));
  assert.throws(() => e.registerKind('instagram'), (err) => err.code === 'SCV_EEXISTS');
  assert.throws(() => e.registerSource('app'), (err) => err.code === 'SCV_EEXISTS');
  assert.equal(e.registerSource('callcenter'), 5);
  assert.equal(e.kinds()[6], 'instagram');
  e.close();
});

test('identifiers may be given as a Map or [kind, value] pairs, values as Buffers or numbers', () => {
  const e = engine();
  const p = e.upsert({
    source: 'crm', recordId: Buffer.from('C-7'),
    identifiers: new Map([['customer_id', 7], ['email', Buffer.from('seven@web.de')]]),
    traits: [['name', 'Seven']],
    measures: { order_total: 12.5 },
    timestamp: new Date('2024-04-01T00:00:00Z'),
  });
  assert.equal(e.profileOf('crm', 'C-7'), p);
  assert.equal(e.profileOfIdentifier('customer_id', '7'), p);
  assert.equal(e.profileOfIdentifier('email', 'seven@web.de'), p);
  assert.deepEqual(e.records(p), [{ source: 'crm', recordId: 'C-7', timestamp: 1711929600 }]);
  e.close();
});

test('normalize gives the normalized value or null, hash gives 16 bytes that depend on the key', () => {
  const e = engine({ emailProviderRules: true });
  assert.equal(e.normalize('email', '  Jane.Doe+news@GoogleMail.com '), 'janedoe@gmail.com');
  assert.equal(e.normalize('phone', '030 1234567'), '+49301234567');
  assert.equal(e.normalize('phone', 'call me'), null);
  assert.equal(e.normalize('email', 'jane@'), null);
  assert.equal(e.normalize('customer_id', '  42 '), '42');
  const h = e.hash('email', 'Jane@Web.de');
  assert.ok(Buffer.isBuffer(h));
  assert.equal(h.length, 16);
  assert.deepEqual(e.hash('email', 'jane@web.de'), h, 'hashed after normalization');
  const other = new Engine({ hashKey: 'another key' });
  assert.notDeepEqual(other.hash('email', 'jane@web.de'), h);
  assert.throws(() => e.hash('email', 'jane@'), (err) => err.code === 'SCV_EREJECTED' && err.offset === 4);
  other.close();
  e.close();
});

test('lookups of unknown things give null', () => {
  const e = engine();
  e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: 'a@web.de' } });
  assert.equal(e.profileOf('crm', 'nope'), null);
  assert.equal(e.profileOf('nosuchsource', 'a'), null);
  assert.equal(e.profileOfIdentifier('email', 'b@web.de'), null);
  assert.equal(e.profile(99), null);
  assert.equal(e.records(99), null);
  assert.equal(e.identifiers(99), null);
  assert.equal(e.canonical(99), null);
  assert.equal(e.trait(1, 'nope'), null);
  assert.equal(e.recordIdentifiers('crm', 'nope'), null);
  e.close();
});

test('allRecords lists stored records in first-seen order', () => {
  const e = engine();
  e.upsert({ source: 'web', recordId: 'w1', timestamp: 5 });
  e.upsert({ source: 'crm', recordId: 'c1' });
  e.upsert({ source: 'web', recordId: 'w1', timestamp: 6 });
  assert.deepEqual([...e.allRecords()], [
    { source: 'web', recordId: 'w1', timestamp: 6 },
    { source: 'crm', recordId: 'c1', timestamp: null },
  ]);
  e.close();
});
