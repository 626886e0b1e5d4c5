'use strict';
// Single customer views: the profile object, traits and survivorship, measures with windows,
// consent, first/last seen, what retention keeps.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, ScvError } = require('..');

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

// ---- assignments(): every record's profile, 4096 records per library call -------------------

const CHUNK = 4096; // engine.js's ASSIGNMENTS_CHUNK
const SOURCES = ['crm', 'web', 'email', 'pos'];

// n records in four sources whose e-mails and phones link them into profiles of a few records
// each, then holes in the refs: every 7th record deleted, the first two and a run of 100 too.
// Returns how many records are left.
function crowd(e, n) {
  const records = [];
  for (let i = 0; i < n; i++) {
    const identifiers = { email: `p${i % Math.floor(n / 5)}@shop.de` };
    if (i % 10 === 0) identifiers.phone = `0151 ${String(i % Math.floor(n / 3)).padStart(8, '0')}`;
    records.push({ source: SOURCES[i % 4], recordId: `R-${i}`, identifiers });
  }
  e.upsertMany(records);
  const gone = new Set([1]);
  for (let i = 0; i < n; i += 7) gone.add(i);
  for (let i = n >> 1; i < (n >> 1) + 100; i++) gone.add(i);
  for (const i of gone) assert.equal(e.delete(SOURCES[i % 4], `R-${i}`), true);
  return n - gone.size;
}

function oneRecordAtATime(e) {
  return Array.from(e.allRecords(), ({ source, recordId }) => ({ source, recordId, profileId: e.profileOf(source, recordId) }));
}

test('assignments() gives what allRecords() and profileOf() give, over several chunks with holes', () => {
  const e = engine();
  const left = crowd(e, 2 * CHUNK + 1000);
  const got = [...e.assignments()];
  assert.deepEqual(got, oneRecordAtATime(e));
  assert.equal(got.length, left);
  assert.equal(left, e.recordCount);
  assert.equal(new Set(got.map((a) => a.profileId)).size, e.profileCount);
  e.close();
});

test('assignments() of an empty engine yields nothing', () => {
  const e = engine();
  assert.deepEqual([...e.assignments()], []);
  e.upsert({ source: 'crm', recordId: '1', identifiers: { email: 'a@shop.de' } });
  e.delete('crm', '1');
  assert.deepEqual([...e.assignments()], []);
  e.close();
});

test('assignments() reads a chunk whole: changes made while iterating show from the next chunk on', () => {
  const e = engine();
  const n = CHUNK + 10;
  e.upsertMany(Array.from({ length: n }, (_, i) => ({ source: 'crm', recordId: `${i}`, identifiers: { email: `p${i}@shop.de` } })));
  const seen = [];
  for (const { recordId, profileId } of e.assignments()) {
    seen.push(recordId);
    if (recordId === '0') {
      e.delete('crm', '1'); // in the chunk being yielded: still yielded
      e.delete('crm', `${CHUNK + 1}`); // in the next chunk: skipped
      e.upsert({ source: 'crm', recordId: `${CHUNK + 2}`, identifiers: { email: 'p0@shop.de' } }); // merged into profile 1
    }
    if (recordId === `${CHUNK + 2}`) assert.equal(profileId, e.profileOf('crm', '0'));
  }
  assert.equal(seen.length, n - 1);
  assert.equal(seen[1], '1');
  assert.ok(!seen.includes(`${CHUNK + 1}`));
  e.close();
});

test('assignments() of a closed engine throws SCV_ESTATE', () => {
  const closed = (err) => err instanceof ScvError && err.code === 'SCV_ESTATE' && /closed/.test(err.reason);
  const e = engine();
  const n = CHUNK + 2;
  e.upsertMany(Array.from({ length: n }, (_, i) => ({ source: 'crm', recordId: `${i}`, identifiers: { email: `p${i}@shop.de` } })));
  const running = e.assignments();
  assert.deepEqual(running.next().value, { source: 'crm', recordId: '0', profileId: 1 });
  e.close();
  for (let i = 1; i < CHUNK; i++) assert.equal(running.next().value.recordId, `${i}`, 'the rest of the chunk read before closing');
  assert.throws(() => running.next(), closed);
  assert.throws(() => [...e.assignments()], closed);
});
