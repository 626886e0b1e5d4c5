'use strict';
// Segment events in: segmentEventToRecord(), upsertSegmentEvent(s), with the mapping of
// examples/cli/SEGMENT.md; mirrors bindings/python/tests/test_segment_events.py.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Engine, segmentEventToRecord } = require('..');

const EVENTS = path.join(__dirname, '..', '..', '..', 'examples', 'data', 'segment', 'events.jsonl');
const T = '2025-03-01T10:00:00.250Z';
const ev = (type, messageId, fields = {}) => ({ type, messageId, timestamp: T, ...fields });
const engine = () => new Engine({ region: 'DE', hashKey: 'node-test' });

test('alias joins an anonymous session to a user', () => {
  const e = engine();
  const anon = e.upsertSegmentEvent(ev('page', 'm1', { anonymousId: 'anon-77', name: 'Home' }));
  const user = e.upsertSegmentEvent(ev('track', 'm2', { userId: 'u-1', event: 'Login' }));
  assert.notEqual(anon, user);
  const joined = e.upsertSegmentEvent(ev('alias', 'm3', { userId: 'u-1', previousId: 'anon-77' }));
  assert.equal(e.profileOf('web', 'm1'), joined);
  assert.equal(e.profileOf('web', 'm2'), joined);
  assert.equal(e.profileCount, 1);
  const rec = segmentEventToRecord(ev('alias', 'm3', { userId: 'u-1', previousId: 'anon-77' }));
  assert.deepEqual(rec.identifiers, [['customer_id', 'u-1'], ['anonymous_id', 'anon-77']]);
  assert.deepEqual(rec.traits, { event_type: 'alias' });
  assert.equal(rec.timestamp, 1740823200);
  e.close();
});

test('traits.email links and traits are flattened', () => {
  const e = engine();
  const a = e.upsertSegmentEvent(ev('identify', 'i1', { userId: 12345, traits: { email: ' Jane.Doe@Shop.de', firstName: 'Jane' } }));
  const b = e.upsertSegmentEvent(ev('track', 't1', { anonymousId: 'x-9', event: 'Viewed', context: { traits: { email: 'jane.doe@shop.de' } } }));
  assert.equal(a, b);
  const rec = segmentEventToRecord(ev('identify', 'i1', {
    userId: 12345,
    traits: { firstName: 'Jane', age: 41, vip: true, score: 19.5, tags: ['a'], address: { city: 'Berlin', geo: { lat: 52.5 } } },
    context: { traits: { firstName: 'ctx', loyaltyId: 'L-1' } },
  }));
  assert.deepEqual(rec.traits, {
    firstName: 'Jane', age: '41', vip: 'true', score: '19.5', 'address.city': 'Berlin', 'address.geo.lat': '52.5', event_type: 'identify',
  });
  assert.ok(rec.identifiers.some(([k, v]) => k === 'customer_id' && v === '12345'));
  assert.ok(rec.identifiers.some(([k, v]) => k === 'loyalty_id' && v === 'L-1'));
  assert.equal(e.trait(a, 'last_event'), 'Viewed');
  e.close();
});

test('context.device.id links; the all-zero advertisingId does not', () => {
  const e = engine();
  const a = e.upsertSegmentEvent(ev('screen', 's1', { anonymousId: 'app-1', name: 'Home', context: { device: { id: 'A3F9C2E1' } } }));
  const b = e.upsertSegmentEvent(ev('track', 's2', { userId: 'u-5', context: { device: { id: 'a3f9c2e1' } } }));
  assert.equal(a, b);
  const zero = { device: { advertisingId: '00000000-0000-0000-0000-000000000000' } };
  const c = e.upsertSegmentEvent(ev('track', 's3', { anonymousId: 'p', context: zero }));
  const d = e.upsertSegmentEvent(ev('track', 's4', { anonymousId: 'q', context: zero }));
  assert.notEqual(c, d);
  assert.equal(e.trait(a, 'screen'), 'Home');
  e.close();
});

test('revenue is a measure; measures names extra ones', () => {
  const props = { Revenue: 83.99, total: '99.95', value: null, price: 12.5, quantity: 2, order_id: 'NM-1' };
  assert.deepEqual(segmentEventToRecord(ev('track', 'o1', { userId: 'u', properties: props })).measures, { revenue: 83.99, total: 99.95 });
  assert.deepEqual(segmentEventToRecord(ev('track', 'o1', { userId: 'u', properties: props }), { measures: ['PRICE', 'quantity'] }).measures,
    { revenue: 83.99, total: 99.95, PRICE: 12.5, quantity: 2 });
  const e = engine();
  const pid = e.upsertSegmentEvent(ev('track', 'o1', { userId: 'u', properties: props }));
  e.upsertSegmentEvent(ev('track', 'o2', { userId: 'u', properties: { revenue: 16.01 } }));
  assert.ok(Math.abs(e.measure(pid, 'revenue') - 100) < 1e-9);
  assert.ok(!e.measureNames().includes('price'));
  e.close();
});

test('consent categories', () => {
  const e = engine();
  const prefs = { Email: true, Advertising: false, Analytics: null, Functional: 'yes' };
  const pid = e.upsertSegmentEvent(ev('page', 'c1', { anonymousId: 'a', context: { consent: { categoryPreferences: prefs } } }));
  assert.equal(e.consent(pid, 'email').granted, true);
  assert.equal(e.consent(pid, 'advertising').granted, false);
  assert.equal(e.consent(pid, 'analytics'), null);
  assert.equal(e.consent(pid, 'functional'), null);
  e.close();
});

test('group traits are group.NAME traits and never identifiers', () => {
  const rec = segmentEventToRecord(ev('group', 'g1', { userId: 'u', groupId: 'acme', traits: { name: 'Acme', email: 'info@acme.de' } }));
  assert.deepEqual(rec.traits, { 'group.name': 'Acme', 'group.email': 'info@acme.de', event_type: 'group', group_id: 'acme' });
  assert.deepEqual(rec.identifiers, [['customer_id', 'u']]);
});

test('a bad event throws; a batch skips and counts it', () => {
  const e = engine();
  assert.throws(() => segmentEventToRecord({ type: 'track', userId: 'u' }), /messageId/);
  assert.throws(() => e.upsertSegmentEvent({ type: 'purchase', messageId: 'm' }), /unknown type/);
  assert.throws(() => e.upsertSegmentEvent({ messageId: 'm' }), /no type/);
  assert.throws(() => e.upsertSegmentEvent({ type: 'track', messageId: 'm', timestamp: 'yesterday' }), /timestamp/);
  assert.equal(e.recordCount, 0);
  const counts = e.upsertSegmentEvents('{"type":"track","messageId":"a","userId":"1"}\n\n{"type":"track"}\n{bad json\n'
    + '{"type":"identify","messageId":"b","traits":{"email":"x@"}}\n');
  assert.equal(counts.upserted, 2);
  assert.equal(counts.bad, 2);
  assert.equal(counts.rejected, 1);
  assert.deepEqual(counts.errors.map((x) => x.number), [3, 4]);
  e.close();
});

test('the example file: counts, and the same partition as the scv program', (t) => {
  const e = engine();
  const counts = e.upsertSegmentEvents(fs.readFileSync(EVENTS, 'utf8'));
  assert.deepEqual([counts.upserted, counts.bad, counts.rejected], [59, 2, 1]);
  assert.equal(e.recordCount, 58);
  const cli = process.env.SCV_CLI;
  if (!cli || !fs.existsSync(cli)) {
    e.close();
    t.skip('set SCV_CLI to the scv program to compare with it');
    return;
  }
  const out = spawnSync(cli, ['resolve', '--format', 'segment', '--region', 'DE', EVENTS], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const groups = (pairs) => {
    const m = new Map();
    for (const [key, pid] of pairs) m.set(String(pid), [...(m.get(String(pid)) || []), key]);
    return [...m.values()].map((g) => g.sort().join('|')).sort();
  };
  const expected = groups(out.stdout.trim().split('\n').slice(1).map((line) => {
    const [source, recordId, pid] = line.split(',');
    return [`${source}:${recordId}`, pid];
  }));
  const got = groups([...e.allRecords()].map((r) => {
    const [source, recordId] = Array.isArray(r) ? r : [r.source, r.recordId];
    return [`${source}:${recordId}`, e.profileOf(source, recordId)];
  }));
  assert.deepEqual(got, expected);
  e.close();
});
