'use strict';
// Audit statistics and bulk-load reservation.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, has } = require('..');

const audit = ['scv_engine_profile_size_histogram', 'scv_engine_profile_size_percentile', 'scv_engine_largest_profiles',
  'scv_engine_identifier_next', 'scv_engine_source_overlap', 'scv_engine_kind_coverage'].every(has);

function sample() {
  const e = new Engine({ region: 'DE', hashKey: 'node-test', retain: 'normalized' });
  // profile 1: four records over crm, web, pos; profile 2: one web record; profile 3: one crm
  e.upsert({ source: 'crm', recordId: 'c1', identifiers: { email: 'a@web.de', customer_id: '1' } });
  e.upsert({ source: 'web', recordId: 'w1', identifiers: { email: 'a@web.de', anonymous_id: 'an-1' } });
  e.upsert({ source: 'web', recordId: 'w2', identifiers: { anonymous_id: 'an-1' } });
  e.upsert({ source: 'pos', recordId: 'p1', identifiers: { customer_id: '1' } });
  e.upsert({ source: 'web', recordId: 'w3', identifiers: { anonymous_id: 'an-3' } });
  e.upsert({ source: 'crm', recordId: 'c2', identifiers: { email: 'test@test.com' } });
  return e;
}

test('profile sizes: histogram, percentile and the largest profiles', { skip: !audit && 'audit functions not in the loaded libscv' }, () => {
  const e = sample();
  assert.deepEqual(e.profileSizeHistogram(4), [2, 0, 1, 0]); // sizes 1, 1 and 4
  assert.equal(e.profileSizePercentile(100), 4);
  assert.equal(e.profileSizePercentile(50), 1);
  assert.deepEqual(e.largestProfiles(2), [1, 2]);
  assert.deepEqual(e.largestProfiles(10), [1, 2, 3]);
  e.close();
});

test('identifiers by state, source overlap and kind coverage', { skip: !audit && 'audit functions not in the loaded libscv' }, () => {
  const e = sample();
  const blocked = [...e.identifiersByState('blocked')];
  assert.deepEqual(blocked.map((i) => [i.kind, i.value, i.records]), [['email', 'test@test.com', 1]]);
  assert.equal([...e.identifiersByState('linked')].length, 4);
  assert.throws(() => [...e.identifiersByState('odd')], TypeError);
  const { sources, matrix } = e.sourceOverlap();
  assert.deepEqual(sources, ['crm', 'web', 'email', 'pos']);
  assert.equal(matrix[0][0], 2, 'profiles seen in the CRM');
  assert.equal(matrix[0][1], 1, 'profiles seen in both CRM and web');
  assert.equal(matrix[1][3], 1);
  assert.equal(matrix[2][2], 0);
  const coverage = e.kindCoverage();
  assert.equal(coverage.email, 1);
  assert.equal(coverage.anonymous_id, 2);
  assert.equal(coverage.loyalty_id, 0);
  e.close();
});

test('reserve makes room for a bulk load and changes nothing observable', { skip: !has('scv_engine_reserve') && 'scv_engine_reserve not in the loaded libscv' }, () => {
  const e = new Engine();
  e.reserve(1000, 2000);
  assert.equal(e.recordCount, 0);
  e.upsertMany(Array.from({ length: 100 }, (_, i) => ({ source: 'web', recordId: `r${i}`, identifiers: { anonymous_id: `a${i % 10}` } })));
  assert.equal(e.profileCount, 10);
  assert.throws(() => e.reserve(-1), TypeError);
  e.close();
});

test('shrink after a bulk load changes nothing observable', { skip: !has('scv_engine_shrink') && 'scv_engine_shrink not in the loaded libscv' }, () => {
  const e = new Engine();
  e.reserve(10000);
  const rows = Array.from({ length: 300 }, (_, i) => ({ source: 'web', recordId: `r${i}`, identifiers: { anonymous_id: `a${i % 30}` } }));
  e.upsertMany(rows);
  const before = [e.recordCount, e.profileCount, e.profileOf('web', 'r7')];
  e.shrink();
  assert.deepEqual([e.recordCount, e.profileCount, e.profileOf('web', 'r7')], before);
  e.upsertMany([{ source: 'web', recordId: 'x', identifiers: { anonymous_id: 'a7' } }]);
  assert.equal(e.profileOf('web', 'x'), e.profileOf('web', 'r7'));
  e.close();
});
