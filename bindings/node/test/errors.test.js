'use strict';
// ScvError's fields, and bad input of every kind: it gets an error, never a crash.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Engine, ScvError, STATUS, version } = require('..');

function engine() {
  return new Engine({ region: 'DE', hashKey: 'node-test', retain: 'normalized' });
}

function scvError(code) {
  return (err) => {
    assert.ok(err instanceof ScvError, `expected an ScvError, got ${err}`);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'ScvError');
    assert.equal(err.code, code);
    assert.equal(err.status, STATUS[code]);
    assert.equal(typeof err.reason, 'string');
    assert.ok(err.offset === null || Number.isInteger(err.offset));
    return true;
  };
}

test('the linked library reports its version', () => {
  const v = version();
  assert.equal(typeof v.number, 'number');
  assert.match(v.string, /^\d+\.\d+\.\d+$/);
});

test('ScvError carries code, status, reason and offset', () => {
  const e = engine();
  try {
    e.upsert({ source: 'crm', recordId: Buffer.from([0x43, 0x2d, 0xff, 0x31]) });
    assert.fail('invalid UTF-8 was accepted');
  } catch (err) {
    scvError('SCV_EUTF8')(err);
    assert.equal(err.status, 3);
    assert.equal(err.offset, 2, 'the offending byte');
    assert.ok(err.reason.length > 0);
    assert.match(err.message, /^SCV_EUTF8/);
    assert.equal(err.call, 'scv_record_reset');
  }
  assert.equal(e.recordCount, 0, 'a failed upsert stores nothing');
  e.close();
});

test('invalid UTF-8 and NUL bytes are rejected wherever they appear', () => {
  const e = engine();
  const bad = Buffer.from([0x61, 0xc3, 0x28]);
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: bad } }), scvError('SCV_EUTF8'));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', identifiers: { customer_id: 'ab\0cd' } }), scvError('SCV_EUTF8'));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a\0b' }), scvError('SCV_EUTF8'));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', traits: { city: bad } }), scvError('SCV_EUTF8'));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', traits: [[bad, 'x']] }), scvError('SCV_EUTF8'));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', measures: [[bad, 1]] }), scvError('SCV_EUTF8'));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', consent: [[bad, true]] }), scvError('SCV_EUTF8'));
  assert.throws(() => e.normalize('email', Buffer.from([0xff, 0xfe])), scvError('SCV_EUTF8'));
  assert.throws(() => e.query(Buffer.from('records > 1 and \xff', 'latin1')), scvError('SCV_EUTF8'));
  assert.throws(() => e.query('records > 1\0'), scvError('SCV_EUTF8'));
  assert.equal(e.profileOf('crm', bad), null);
  assert.throws(() => e.block('email', bad), scvError('SCV_EUTF8'));
  assert.equal(e.recordCount, 0);
  // A lone surrogate in a JS string becomes U+FFFD on the way to UTF-8: valid, so accepted.
  e.upsert({ source: 'crm', recordId: 'x\uD800y' });
  assert.equal(e.profileOf('crm', 'x\uFFFDy'), 1);
  e.close();
});

test('over-long values are SCV_ETOOLONG, not crashes', () => {
  const e = engine();
  const huge = 'x'.repeat(10 * 1024 * 1024);
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'r'.repeat(257) }), scvError('SCV_ETOOLONG'));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', identifiers: { customer_id: huge } }), scvError('SCV_ETOOLONG'));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', traits: { note: huge } }), scvError('SCV_ETOOLONG'));
  assert.throws(() => e.normalize('email', huge), scvError('SCV_ETOOLONG'));
  assert.throws(() => e.query(`records > ${'1'.repeat(70000)}`), scvError('SCV_ETOOLONG'));
  assert.throws(() => e.upsert({ source: 's'.repeat(65), recordId: 'a' }), ScvError);
  assert.throws(() => e.registerKind('k'.repeat(65)), ScvError);
  assert.throws(() => e.segment('n'.repeat(65), 'records > 0'), scvError('SCV_EINVAL'));
  e.upsert({ source: 'crm', recordId: 'r'.repeat(256), traits: { note: 'y'.repeat(65536) } });
  assert.equal(e.recordCount, 1, 'exactly the documented maxima are accepted');
  e.close();
});

test('capacity limits are SCV_ELIMIT', () => {
  const e = engine();
  const ids = Array.from({ length: 65 }, (_, i) => `cust-${i}`);
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', identifiers: { customer_id: ids } }), scvError('SCV_ELIMIT'));
  const traits = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`t${i}`, 'v']));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', traits }), scvError('SCV_ELIMIT'));
  e.close();
});

test('wrong JS types are TypeErrors; bad numbers are SCV_EINVAL', () => {
  const e = engine();
  assert.throws(() => e.upsert(null), TypeError);
  assert.throws(() => e.upsert({ source: 'crm' }), TypeError);
  assert.throws(() => e.upsert({ source: {}, recordId: 'a' }), TypeError);
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', identifiers: 5 }), TypeError);
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', identifiers: { email: {} } }), TypeError);
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', measures: { total: '12' } }), TypeError);
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', measures: { total: NaN } }), scvError('SCV_EINVAL'));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', measures: { total: Infinity } }), scvError('SCV_EINVAL'));
  assert.throws(() => e.upsert({ source: 'crm', recordId: 'a', timestamp: 'yesterday' }), TypeError);
  assert.throws(() => e.upsert({ source: 'crm', recordId: '' }), scvError('SCV_EINVAL'));
  assert.throws(() => e.upsert({ source: 99, recordId: 'a' }), scvError('SCV_ENOTFOUND'));
  assert.throws(() => e.profile(-1), TypeError);
  assert.throws(() => e.profile(1.5), TypeError);
  assert.equal(e.recordCount, 0);
  e.close();
});

test('bad engine options are errors', () => {
  assert.throws(() => new Engine({ region: 'XX' }), scvError('SCV_ENOTFOUND'));
  assert.throws(() => new Engine({ region: 'DEU' }), scvError('SCV_EINVAL'));
  assert.throws(() => new Engine({ retain: 'everything' }), TypeError);
  assert.throws(() => new Engine({ hashKey: Buffer.alloc(4097) }), scvError('SCV_EINVAL'));
  assert.throws(() => new Engine({ changeCapacity: -1 }), TypeError);
  assert.throws(() => new Engine(42), TypeError);
  const e = new Engine({ region: 'us', hashKey: Buffer.alloc(4096, 1), emailProviderRules: false, changeCapacity: 0 });
  assert.equal(e.normalize('phone', '(212) 555-0147'), '+12125550147');
  e.close();
});

test('random bytes in every string argument never crash the process', () => {
  const e = engine();
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const junk = () => {
    const b = Buffer.alloc(rand() % 40);
    for (let i = 0; i < b.length; i++) b[i] = rand() & 0xff;
    return b;
  };
  for (let i = 0; i < 300; i++) {
    const attempts = [
      () => e.upsert({ source: 'web', recordId: junk(), identifiers: { email: junk(), phone: junk(), device_id: junk() }, traits: { t: junk() } }),
      () => e.normalize(['email', 'phone', 'customer_id', 'device_id'][i % 4], junk()),
      () => e.query(junk()),
      () => e.profileOfIdentifier('email', junk()),
      () => e.delete('web', junk()),
      () => e.suppress('phone', junk()),
    ];
    for (const attempt of attempts) {
      try {
        attempt();
      } catch (err) {
        assert.ok(err instanceof ScvError, `unexpected ${err && err.stack}`);
      }
    }
  }
  assert.equal(e.upsert({ source: 'web', recordId: 'after', identifiers: { email: 'ok@web.de' } }), e.profileOf('web', 'after'));
  e.close();
});
