'use strict';
// Segment Tracking API events (identify, track, page, screen, alias, group) as records, with
// the mapping of the scv program's --format segment (examples/cli/SEGMENT.md). An event the
// program reports as a bad row throws a TypeError-free plain Error here (ValueError-like);
// values it drops with a warning are left out silently.

const EVENT_TYPES = ['identify', 'track', 'page', 'screen', 'alias', 'group'];
const TIME_FIELDS = ['timestamp', 'sentAt', 'receivedAt', 'originalTimestamp'];
const ID_FIELDS = [['userId', 'customer_id'], ['anonymousId', 'anonymous_id'],
  ['previousId', 'anonymous_id'], ['context.device.id', 'device_id'],
  ['context.device.advertisingId', 'device_id']];
const TRAIT_IDS = { email: 'email', phone: 'phone', loyalty_id: 'loyalty_id', loyaltyId: 'loyalty_id' };
const BUILTIN_MEASURES = ['revenue', 'total', 'value'];
const MAX_NAME_LEN = 64;
const NUMBER = /^[ \t\n\v\f\r]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)? *$/;

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

function member(obj, path) {
  for (const key of path.split('.')) {
    if (!isObject(obj) || !own(obj, key)) return undefined;
    obj = obj[key];
  }
  return obj;
}

// C's printf("%.Pg", d).
function formatG(d, p) {
  const [mant, e] = d.toExponential(p - 1).split('e');
  const x = Number(e);
  const strip = (s) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (x < -4 || x >= p) {
    return `${strip(mant)}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  return strip(d.toFixed(p - 1 - x));
}

function formatReal(d) {
  if (Number.isInteger(d) && Math.abs(d) < 2 ** 63) return BigInt(d).toString();
  const text = formatG(d, 15);
  return Number(text) === d ? text : formatG(d, 17);
}

/** v as text when it is a string, number or boolean; null otherwise. */
function scalar(v) {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isFinite(v)) return formatReal(v);
  return null;
}

const lower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const nameLen = (s) => Buffer.byteLength(s, 'utf8');

function bad(message) {
  const err = new Error(message);
  err.name = 'SegmentEventError';
  return err;
}

function recordId(event) {
  const v = event.messageId;
  if (v === undefined || v === null) throw bad('no messageId');
  if (!(typeof v === 'string' || typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))) {
    throw bad('messageId is not a string');
  }
  const text = scalar(v);
  if (text === '') throw bad('messageId is empty');
  return text;
}

function eventType(event) {
  const v = event.type;
  if (v === undefined) throw bad('no type');
  if (typeof v !== 'string') throw bad('type is not a string');
  if (!EVENT_TYPES.includes(v)) {
    throw bad(`unknown type '${v}' (not identify, track, page, screen, alias or group)`);
  }
  return v;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function parseTime(field, v) {
  if (typeof v === 'number') return Math.floor(v);
  const text = v.trim();
  if (/^[+-]?\d+$/.test(text)) return Number(text);
  const m = ISO.exec(text);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = m;
    let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
    if (zone && zone !== 'Z' && zone !== 'z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      t -= sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2) || 0) * 60);
    }
    if (Number.isFinite(t)) return t;
  }
  throw bad(`bad ${field} '${v}'`);
}

function eventTime(event) {
  for (const field of TIME_FIELDS) {
    const v = event[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' && typeof v !== 'number') throw bad(`${field} is neither a string nor a number`);
    if (v === '') continue;
    return parseTime(field, v);
  }
  return null;
}

function addIdentifier(identifiers, kind, v) {
  if (v === undefined || v === null || typeof v === 'boolean') return;
  const text = scalar(v);
  if (text) identifiers.push([kind, text]);
}

function flatten(obj, prefix, ids, identifiers, traits) {
  for (const [key, v] of Object.entries(obj)) {
    if (ids && own(TRAIT_IDS, key)) {
      addIdentifier(identifiers, TRAIT_IDS[key], v);
      continue;
    }
    const nested = isObject(v);
    const text = nested ? null : scalar(v);
    if (!nested && text === null) continue; // arrays and nulls are skipped
    const name = prefix + key;
    const n = nameLen(name);
    if (n === 0 || n + (nested ? 1 : 0) > MAX_NAME_LEN) continue;
    if (nested) flatten(v, `${name}.`, false, identifiers, traits);
    else traits[name] = text;
  }
}

function numberOf(v) {
  let d = null;
  if (typeof v === 'number') d = v;
  else if (typeof v === 'bigint') d = Number(v);
  else if (typeof v === 'string' && NUMBER.test(v)) d = Number(v.trim());
  return d !== null && Number.isFinite(d) ? d : null;
}

function measureName(key, extra) {
  const low = lower(key);
  for (const name of BUILTIN_MEASURES) if (low === name) return name;
  for (const name of extra) if (low === lower(name)) return name;
  return null;
}

/**
 * The record (for engine.upsert()) that a Segment event becomes. `measures` names extra
 * numeric properties to read besides revenue, total and value. Throws an Error for an event
 * the scv program reports as a bad row (no messageId, no or unknown type, bad timestamp).
 */
function segmentEventToRecord(event, { source = 'web', measures = [] } = {}) {
  if (!isObject(event)) throw bad('not a JSON object');
  const extra = typeof measures === 'string' ? [measures] : [...measures];
  const recordIdText = recordId(event);
  const type = eventType(event);
  const timestamp = eventTime(event);

  const identifiers = [];
  for (const [path, kind] of ID_FIELDS) addIdentifier(identifiers, kind, member(event, path));

  const traits = {};
  const group = type === 'group';
  for (const [where, prefix, ids] of [['context.traits', '', true], ['traits', group ? 'group.' : '', !group]]) {
    const obj = member(event, where);
    if (isObject(obj)) flatten(obj, prefix, ids, identifiers, traits);
  }

  const found = {};
  if (isObject(event.properties)) {
    for (const [key, v] of Object.entries(event.properties)) {
      const name = measureName(key, extra);
      if (name === null || v === null || v === '') continue;
      const d = numberOf(v);
      if (d !== null) found[name] = d;
    }
  }

  const consent = {};
  const prefs = member(event, 'context.consent.categoryPreferences');
  if (isObject(prefs)) {
    for (const [key, v] of Object.entries(prefs)) {
      if (typeof v !== 'boolean' || key === '' || nameLen(key) > MAX_NAME_LEN) continue;
      consent[lower(key)] = v;
    }
  }

  const copy = (name, v) => {
    const text = scalar(v);
    if (text !== null) traits[name] = text;
  };
  copy('event_type', type);
  if (type === 'track') copy('last_event', event.event);
  if (type === 'page') copy('page', typeof event.name === 'string' ? event.name : member(event, 'properties.path'));
  if (type === 'screen') copy('screen', event.name);
  copy('group_id', event.groupId);
  copy('channel', member(event, 'context.channel'));

  return { source, recordId: recordIdText, timestamp, identifiers, traits, measures: found, consent };
}

/** One JSON line as an event object; throws on invalid JSON. */
function parseEvent(text) {
  if (Buffer.isBuffer(text) || text instanceof Uint8Array) text = Buffer.from(text).toString('utf8');
  if (text.includes('\0')) throw bad('invalid JSON: a NUL byte');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw bad(`invalid JSON: ${err.message}`);
  }
}

/** [number, event or text] for each line of JSONL text or each item of an iterable. */
function* iterEvents(events) {
  if (Buffer.isBuffer(events) || events instanceof Uint8Array) events = Buffer.from(events).toString('utf8');
  if (typeof events === 'string') {
    if (events.startsWith('\ufeff')) events = events.slice(1);
    const lines = events.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].replace(/[ \t\r]/g, '') !== '') yield [i + 1, lines[i]];
    }
    return;
  }
  let n = 0;
  for (const item of events) {
    n++;
    if (typeof item === 'string' && item.trim() === '') continue;
    yield [n, item];
  }
}

module.exports = { segmentEventToRecord, parseEvent, iterEvents };
