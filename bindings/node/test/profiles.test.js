'use strict';
// Single customer views: the profile object, traits and survivorship, measures with windows,
// consent, first/last seen, what retention keeps.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine } = require('..');

function engine(extra = {}) {
  return new Engine({ region: 'DE', hashKey: 'node-test', retain: 'normalized', ...extra });
}

function jane(e) {
  e.upsert({
    source: 'crm', recordId: 'C-1', timestamp: 1712000000,
    identifiers: { email: 'Jane@Web.de' }, traits: { city: 'Berlin' }, measures: { order_total: 10 },
  });
  return e.upsert({
    source: 'pos', recordId: 'P-1', timestamp: 1740000000,
    identifiers: { email: 'jane@web.de' }, measures: { order_total: 30.5 },
  });
}

test('profile() is the documented single customer view object', () => {
  const e = engine();
  const p = jane(e);
  assert.deepEqual(e.profile(p), {
    profile_id: 1,
    first_seen: 1712000000,
    last_seen: 1740000000,
    sources: ['crm', 'pos'],
    records: [
      { source: 'crm', record_id: 'C-1', timestamp: 1712000000 },
      { source: 'pos', record_id: 'P-1', timestamp: 1740000000 },
    ],
    identifiers: [{ kind: 'email', value: 'jane@web.de', state: 'linked' }],
    traits: { city: { value: 'Berlin', source: 'crm', record_id: 'C-1' } },
    measures: { order_total: { count: 2, sum: 40.5, avg: 20.25, min: 10, max: 30.5, first: 1712000000, last: 1740000000 } },
    consent: {},
  });
  e.close();
});

test('a large profile is read whole (the JSON buffer grows)', () => {
  const e = engine();
  const big = 'x'.repeat(60000);
  let p;
  for (let i = 0; i < 5; i++) {
    p = e.upsert({ source: 'web', recordId: `w${i}`, identifiers: { anonymous_id: 'cookie-1' }, traits: { [`note${i}`]: big } });
  }
  const view = e.profile(p);
  assert.equal(view.records.length, 5);
  assert.equal(view.traits.note4.value.length, 60000);
  e.close();
});

test('records, identifiers, seen and the name lists', () => {
  const e = engine();
  const p = jane(e);
  assert.deepEqual(e.records(p), [
    { source: 'crm', recordId: 'C-1', timestamp: 1712000000 },
    { source: 'pos', recordId: 'P-1', timestamp: 1740000000 },
  ]);
  const ids = e.identifiers(p);
  assert.equal(ids.length, 1);
  assert.equal(ids[0].kind, 'email');
  assert.equal(ids[0].value, 'jane@web.de');
  assert.deepEqual(ids[0].hash, e.hash('email', 'jane@web.de'));
  assert.deepEqual(e.seen(p), { firstSeen: 1712000000, lastSeen: 1740000000 });
  assert.deepEqual(e.traitNames(), ['city']);
  assert.deepEqual(e.measureNames(), ['order_total']);
  assert.deepEqual(e.consentChannels(), []);
  e.close();
});

test('without retention only hashes are kept', () => {
  const e = new Engine({ region: 'DE', hashKey: 'k' });
  const p = e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: 'jane@web.de' } });
  const [id] = e.identifiers(p);
  assert.equal(id.value, null);
  assert.equal(e.profile(p).identifiers[0].hash, id.hash.toString('hex'));
  e.close();
  const raw = new Engine({ region: 'DE', hashKey: 'k', retain: 'raw' });
  const q = raw.upsert({ source: 'crm', recordId: 'a', identifiers: { email: ' Jane@Web.de ' } });
  assert.equal(raw.identifiers(q)[0].value, 'jane@web.de');
  raw.close();
});

test('measures aggregate over a profile, with windows relative to now', () => {
  const e = engine();
  const p = jane(e);
  const now = 1740000000;
  assert.equal(e.measure(p, 'order_total'), 40.5);
  assert.equal(e.measure(p, 'order_total', 'count'), 2);
  assert.equal(e.measure(p, 'order_total', 'max'), 30.5);
  assert.equal(e.measure(p, 'order_total', 'sum', { windowDays: 90, now }), 30.5);
  assert.equal(e.measure(p, 'order_total', 'first_time'), 1712000000);
  assert.equal(e.measure(p, 'nothing', 'sum'), 0);
  assert.equal(e.measure(p, 'nothing', 'avg'), null, 'a missing value is null');
  assert.throws(() => e.measure(p, 'order_total', 'median'), TypeError);
  e.close();
});

test('traits survive by the most recent value unless a rule says otherwise', () => {
  const e = engine();
  e.setTraitRule('city', 'source_priority');
  e.setSourcePriority(['crm']);
  e.upsert({ source: 'crm', recordId: 'c', timestamp: 100, identifiers: { email: 'm@web.de' }, traits: { city: 'Berlin', name: 'Mia' } });
  const p = e.upsert({ source: 'web', recordId: 'w', timestamp: 200, identifiers: { email: 'm@web.de' }, traits: { city: 'Hamburg', name: 'Mia S.' } });
  assert.equal(e.trait(p, 'city'), 'Berlin', 'the CRM wins for city');
  assert.equal(e.trait(p, 'name'), 'Mia S.', 'the latest wins by default');
  e.setTraitRule(null, 'first_seen');
  assert.equal(e.trait(p, 'name'), 'Mia');
  assert.throws(() => e.setTraitRule('city', 'loudest'), TypeError);
  e.close();
});

test('consent: the latest decision per channel, a denial wins a tie', () => {
  const e = engine();
  e.upsert({ source: 'web', recordId: 'w', timestamp: 100, identifiers: { email: 'c@web.de' }, consent: { email: true, sms: true } });
  const p = e.upsert({ source: 'crm', recordId: 'c', identifiers: { email: 'c@web.de' }, consent: { sms: { granted: false, timestamp: 100 } } });
  assert.deepEqual(e.consent(p, 'email'), { granted: true, timestamp: 100 });
  assert.deepEqual(e.consent(p, 'sms'), { granted: false, timestamp: 100 });
  assert.equal(e.consent(p, 'ads'), null);
  assert.deepEqual(e.consentChannels(), ['email', 'sms']);
  e.close();
});

test('stats count records, profiles, identifiers, merges and memory', () => {
  const e = engine();
  jane(e);
  e.upsert({ source: 'web', recordId: 'x', identifiers: { anonymous_id: 'a-1' } });
  const s = e.stats();
  assert.equal(s.records, 3);
  assert.equal(s.profiles, 2);
  assert.equal(s.identifiers, 2);
  assert.equal(s.merges, 0);
  assert.ok(s.bytes > 0);
  assert.equal(s.suppressed, 0);
  assert.equal(e.identifierCount, 2);
  e.close();
});
