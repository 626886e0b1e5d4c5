'use strict';
// Segment queries, result sets and their operations, saved segments through merges and
// splits, personas.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, Result, ScvError } = require('..');

const NOW = 1750000000;
const DAY = 86400;

function shop() {
  const e = new Engine({ region: 'DE', hashKey: 'node-test' });
  // 1: big spender with e-mail consent, seen in the shop
  e.upsert({ source: 'crm', recordId: 'c1', timestamp: NOW - 10 * DAY, identifiers: { email: 'big@web.de' }, consent: { email: true }, traits: { tier: 'gold' } });
  e.upsert({ source: 'pos', recordId: 'p1', timestamp: NOW - 5 * DAY, identifiers: { email: 'big@web.de' }, measures: { order_total: 600 } });
  // 2: small spender online only
  e.upsert({ source: 'web', recordId: 'w2', timestamp: NOW - 200 * DAY, identifiers: { email: 'small@web.de' }, measures: { order_total: 20 } });
  // 3: anonymous visitor
  e.upsert({ source: 'web', recordId: 'w3', timestamp: NOW - DAY, identifiers: { anonymous_id: 'anon-3' } });
  return e;
}

test('a query evaluates to a Result with size, iteration and has()', () => {
  const e = shop();
  const q = e.query('sum(order_total, 90d) > 500 and consent(email) and seen(pos)');
  const r = q.eval(NOW);
  assert.ok(r instanceof Result);
  assert.equal(r.size, 1);
  assert.deepEqual([...r], [1]);
  assert.ok(r.has(1));
  assert.ok(!r.has(2));
  assert.ok(!r.has(-1));
  assert.deepEqual(q.ids(NOW), [1]);
  assert.deepEqual(e.query('not has(email)').ids(NOW), [3]);
  assert.deepEqual(e.query('trait(tier) = "gold"').ids(NOW), [1]);
  assert.deepEqual(e.query('days_since_last_seen > 100').ids(NOW), [2]);
  assert.deepEqual(e.query('count(order_total) = 0').ids(NOW), [3]);
  assert.deepEqual(e.query('RECORDS >= 2').ids(NOW), [1], 'keywords are case-insensitive');
  r.close();
  q.close();
  e.close();
});

test('now defaults to the current time and may be a Date', () => {
  const e = shop();
  const q = e.query('days_since_first_seen < 1');
  assert.deepEqual(q.ids(new Date(NOW * 1000)), []);
  assert.deepEqual(q.ids(), [], 'all records are older than a day today');
  e.close();
});

test('results combine with and, or and andNot into new Results', () => {
  const e = shop();
  const spent = e.query('sum(order_total) > 0').eval(NOW);
  const web = e.query('seen(web)').eval(NOW);
  const both = spent.and(web);
  const either = spent.or(web);
  const only = spent.andNot(web);
  assert.deepEqual(both.toArray(), [2]);
  assert.deepEqual(either.toArray(), [1, 2, 3]);
  assert.deepEqual(only.toArray(), [1]);
  assert.throws(() => spent.and([1, 2]), TypeError);
  for (const r of [spent, web, both, either, only]) r.close();
  assert.throws(() => spent.size, (err) => err instanceof ScvError && err.code === 'SCV_ESTATE');
  e.close();
});

test('a syntax error reports the byte offset; unknown kinds and sources are compile errors', () => {
  const e = shop();
  assert.throws(() => e.query('records >> 2'), (err) => {
    assert.ok(err instanceof ScvError);
    assert.equal(err.code, 'SCV_ESYNTAX');
    assert.equal(err.status, 11);
    assert.equal(err.offset, 9);
    assert.ok(err.reason.length > 0);
    assert.match(err.message, /SCV_ESYNTAX/);
    return true;
  });
  assert.throws(() => e.query('sum(order_total, 90x) > 1'), (err) => err.code === 'SCV_ESYNTAX' && err.offset !== null);
  assert.throws(() => e.query('records > 1 and has(instagram)'), (err) => err.code === 'SCV_ENOTFOUND' && err.offset === 16);
  assert.throws(() => e.query('seen(callcenter)'), (err) => err.code === 'SCV_ENOTFOUND');
  assert.throws(() => e.query(''), (err) => err.code === 'SCV_ESYNTAX');
  assert.deepEqual(e.query('trait(nosuch) = "x"').ids(NOW), [], 'unknown traits are missing, not errors');
  e.close();
});

test('a saved segment reports who entered and who left through a merge and a split', () => {
  const e = new Engine({ region: 'DE', hashKey: 'node-test' });
  const s = e.segment('big spenders', 'sum(order_total) >= 100');
  assert.equal(s.name, 'big spenders');
  e.upsert({ source: 'pos', recordId: 'a', identifiers: { loyalty_id: 'L1' }, measures: { order_total: 60 } });
  e.upsert({ source: 'crm', recordId: 'b', identifiers: { email: 'b@web.de' }, measures: { order_total: 70 } });
  e.upsert({ source: 'pos', recordId: 'c', identifiers: { loyalty_id: 'L3' }, measures: { order_total: 150 } });
  assert.deepEqual(s.refresh(NOW), { entered: [3], left: [] });
  // 1 and 2 merge (60 + 70): profile 1 enters.
  e.upsert({ source: 'web', recordId: 'd', identifiers: { loyalty_id: 'L1', email: 'b@web.de' } });
  assert.deepEqual(s.refresh(NOW), { entered: [1], left: [] });
  // 3 merges into 1: id 3 leaves (merged away), 1 stays.
  e.upsert({ source: 'web', recordId: 'f', identifiers: { loyalty_id: ['L1', 'L3'] } });
  assert.deepEqual(s.refresh(NOW), { entered: [], left: [3] });
  assert.deepEqual(s.members(), [1]);
  // The bridge goes: the part with 150 splits off under a new id and enters.
  e.upsert({ source: 'web', recordId: 'f', identifiers: { loyalty_id: 'L1' } });
  const split = e.profileOf('pos', 'c');
  assert.deepEqual(s.refresh(NOW), { entered: [split], left: [] });
  assert.deepEqual(s.members(), [1, split]);
  assert.deepEqual(s.refresh(NOW), { entered: [], left: [] });
  s.close();
  e.close();
});

test('personas give each profile the first persona it matches', () => {
  const e = shop();
  const personas = e.personas([
    ['vip', 'sum(order_total) > 500'],
    { name: 'buyer', query: 'count(order_total) > 0' },
    ['visitor', 'records >= 1'],
  ]);
  assert.deepEqual(personas.names, ['vip', 'buyer', 'visitor']);
  assert.equal(personas.personaOf(1), null, 'nothing before assign()');
  personas.assign(NOW);
  assert.equal(personas.personaOf(1), 'vip');
  assert.equal(personas.personaOf(2), 'buyer');
  assert.equal(personas.personaOf(3), 'visitor');
  assert.equal(personas.personaOf(99), null);
  assert.deepEqual(personas.sizes(), { vip: 1, buyer: 1, visitor: 1 });
  assert.throws(() => e.personas([['bad', 'records >']]), (err) => err.code === 'SCV_ESYNTAX' && err.offset !== null);
  assert.throws(() => e.personas(['not a pair']), TypeError);
  personas.close();
  e.close();
});

test('RFM scores use the configured measure', () => {
  const e = shop();
  assert.deepEqual(e.query('rfm_m >= 1').ids(NOW), [1, 2]);
  e.setRfmMeasure('visits');
  assert.deepEqual(e.query('rfm_m >= 1').ids(NOW), []);
  e.close();
});
