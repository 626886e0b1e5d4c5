'use strict';
// Resolution rules: limits with priority and set-aside, generic values, blocked values,
// registered kinds, and rules being fixed once records are in.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, ScvError } = require('..');

function engine() {
  return new Engine({ region: 'DE', hashKey: 'node-test', retain: 'normalized' });
}

test('a kind limit sets aside the lowest-priority identifier of the record that would break it', () => {
  const e = engine();
  e.setLimit('customer_id', 1);
  const a = e.upsert({ source: 'crm', recordId: 'C-1', identifiers: { customer_id: '1', email: 'shared@web.de' } });
  const b = e.upsert({ source: 'crm', recordId: 'C-2', identifiers: { customer_id: '2', email: 'shared@web.de' } });
  assert.notEqual(a, b, 'two customer ids never share a profile');
  const states = Object.fromEntries(e.recordIdentifiers('crm', 'C-2').map((i) => [i.kind, i.state]));
  assert.deepEqual(states, { customer_id: 'linked', email: 'set_aside_limit' });
  assert.deepEqual(e.unlinked(b).map((i) => [i.kind, i.value, i.state]), [['email', 'shared@web.de', 'set_aside_limit']]);
  assert.equal(e.stats().asideLimit, 1);
  e.close();
});

test('priority decides which identifier is given up', () => {
  const e = engine();
  e.setLimit('email', 1);
  e.setPriority(['phone', 'email']); // phone above e-mail: e-mail is given up first
  e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: 'a@web.de', phone: '030 1111111' } });
  e.upsert({ source: 'crm', recordId: 'b', identifiers: { email: 'b@web.de', phone: '030 1111111' } });
  assert.equal(e.profileCount, 1, 'b joins through the phone, its e-mail set aside');
  const states = Object.fromEntries(e.recordIdentifiers('crm', 'b').map((i) => [i.kind, i.state]));
  assert.deepEqual(states, { email: 'set_aside_limit', phone: 'linked' });
  e.close();
});

test('a value shared by more customers than the threshold is generic and stops linking', () => {
  const e = engine();
  e.setGenericThreshold('phone', 2);
  for (let i = 0; i < 3; i++) {
    e.upsert({ source: 'pos', recordId: `s${i}`, identifiers: { loyalty_id: `L${i}`, phone: '040 23125100' } });
  }
  assert.equal(e.profileCount, 3, 'the store phone does not make one blob customer');
  assert.equal(e.recordIdentifiers('pos', 's0').find((i) => i.kind === 'phone').state, 'generic');
  const s = e.stats();
  assert.equal(s.genericValues, 1);
  assert.equal(s.genericDecisions, 1);
  e.close();
});

test('the same data gives the same partition whether the junk comes first or last', () => {
  const rows = [];
  for (let i = 0; i < 4; i++) rows.push({ source: 'pos', recordId: `s${i}`, identifiers: { loyalty_id: `L${i}`, phone: '040 23125100' } });
  rows.push({ source: 'crm', recordId: 'c', identifiers: { loyalty_id: 'L0', email: 'zero@web.de' } });
  const partition = (order) => {
    const e = engine();
    e.setGenericThreshold('phone', 2);
    e.upsertMany(order);
    const groups = new Map();
    for (const r of rows) {
      const p = e.profileOf(r.source, r.recordId);
      groups.set(p, [...(groups.get(p) || []), r.recordId].sort());
    }
    e.close();
    return [...groups.values()].map((g) => g.join(',')).sort();
  };
  assert.deepEqual(partition(rows), partition([...rows].reverse()));
});

test('blocked values never link: the default list and the host\'s own values', () => {
  const e = engine();
  e.upsert({ source: 'web', recordId: 'w1', identifiers: { email: 'test@test.com' } });
  e.upsert({ source: 'web', recordId: 'w2', identifiers: { email: 'test@test.com' } });
  assert.equal(e.profileCount, 2);
  e.upsert({ source: 'pos', recordId: 'p1', identifiers: { loyalty_id: 'HOUSE' } });
  e.upsert({ source: 'pos', recordId: 'p2', identifiers: { loyalty_id: 'house' } });
  assert.equal(e.profileCount, 3);
  e.block('loyalty_id', 'House'); // allowed at any time; the profile is re-resolved
  assert.equal(e.profileCount, 4);
  assert.equal(e.recordIdentifiers('pos', 'p1')[0].state, 'blocked');
  assert.ok(e.stats().blockedValues >= 2);
  e.close();
});

test('the default blocklist can be turned off before the first record', () => {
  const e = engine();
  e.setDefaultBlocklist(false);
  e.upsert({ source: 'web', recordId: 'w1', identifiers: { email: 'test@test.com' } });
  e.upsert({ source: 'web', recordId: 'w2', identifiers: { email: 'test@test.com' } });
  assert.equal(e.profileCount, 1);
  e.close();
});

test('rule setters fail with SCV_ESTATE once records are in (block still works)', () => {
  const e = engine();
  e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: 'a@web.de' } });
  for (const call of [
    () => e.setLimit('email', 1),
    () => e.setPriority(['email']),
    () => e.setGenericThreshold('email', 3),
    () => e.setProfileLimits({ maxRecords: 10, maxIdentifiers: 10 }),
    () => e.setDefaultBlocklist(false),
  ]) {
    assert.throws(call, (err) => err instanceof ScvError && err.code === 'SCV_ESTATE' && err.status === 10 && err.reason.length > 0);
  }
  e.block('email', 'a@web.de');
  e.close();
});

test('size guards refuse merges past the limit', () => {
  const e = engine();
  e.setProfileLimits({ maxRecords: 2, maxIdentifiers: 0 });
  for (let i = 0; i < 3; i++) e.upsert({ source: 'web', recordId: `w${i}`, identifiers: { anonymous_id: 'same-cookie' } });
  assert.ok(e.profileCount >= 2);
  assert.ok(e.stats().asideSize >= 1);
  e.close();
});

test('bad rule arguments are errors, not crashes', () => {
  const e = engine();
  assert.throws(() => e.setLimit('nosuchkind', 1), (err) => err.code === 'SCV_ENOTFOUND');
  assert.throws(() => e.setLimit('email', -1), TypeError);
  assert.throws(() => e.setPriority(['email', 'email']), (err) => err.code === 'SCV_EINVAL');
  assert.throws(() => e.setLimit(99, 1), (err) => err.code === 'SCV_ENOTFOUND');
  assert.throws(() => e.registerKind('Bad Name'), (err) => err.code === 'SCV_EINVAL');
  assert.throws(() => e.registerKind('ok_name', 'soundex'), TypeError);
  assert.throws(() => e.block('email', 'not an e-mail'), (err) => err.code === 'SCV_EREJECTED');
  e.close();
});
