'use strict';
// Compiled queries, result sets, saved segments and personas.

const { native } = require('./lib');
const { ScvError, STATUS } = require('./errors');
const {
  NativeRef, track, untrack, closedError, toBytes, readString, u32, nowSeconds,
} = require('./internal');

const SETOP = { and: 0, or: 1, andNot: 2 };

function takeResult(ptr) {
  return ptr === 0n ? null : new Result(ptr);
}

/** A set of profile ids: what an evaluation returns. Owns native memory: close() it. */
class Result {
  constructor(ptr) {
    this._ref = new NativeRef(ptr, 'scv_result_free', null);
    track(this, this._ref);
  }

  _ptr() {
    if (!this._ref.live) throw closedError('result');
    return this._ref.ptr;
  }

  /** Number of profiles in the set. */
  get size() {
    return Number(native().scv_result_count(this._ptr()));
  }

  /** Whether the set holds profile `id`. */
  has(id) {
    const ptr = this._ptr();
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return false;
    return native().scv_result_contains(ptr, id) !== 0;
  }

  /** Profile ids in ascending order. */
  *[Symbol.iterator]() {
    const L = native();
    const next = new Uint32Array(1);
    let after = 0;
    for (;;) {
      const st = L.scv_result_next(this._ptr(), after, next);
      if (st === STATUS.SCV_ENOTFOUND) return;
      if (st !== STATUS.SCV_OK) throw new ScvError(st, 'cannot iterate the result', null, 'scv_result_next');
      after = next[0];
      yield after;
    }
  }

  /** The ids as an array, ascending. */
  toArray() {
    return [...this];
  }

  _combine(other, op, name) {
    if (!(other instanceof Result)) throw new TypeError(`${name}() takes another Result`);
    const out = new BigUint64Array(1);
    const st = native().scv_result_combine(this._ptr(), other._ptr(), op, out);
    if (st !== STATUS.SCV_OK) throw new ScvError(st, 'cannot combine results', null, 'scv_result_combine');
    return new Result(out[0]);
  }

  /** A new Result with the ids in both sets. */
  and(other) {
    return this._combine(other, SETOP.and, 'and');
  }

  /** A new Result with the ids in either set. */
  or(other) {
    return this._combine(other, SETOP.or, 'or');
  }

  /** A new Result with the ids in this set and not in `other`. */
  andNot(other) {
    return this._combine(other, SETOP.andNot, 'andNot');
  }

  /** Free the native set now. Idempotent. */
  close() {
    untrack(this._ref);
    this._ref.release();
  }

  get closed() {
    return !this._ref.live;
  }
}

/** A compiled query bound to its engine. Close it (or the engine) to free it. */
class Query {
  constructor(engine, text) {
    const L = native();
    const eptr = engine._ptr();
    const bytes = toBytes(text, 'query');
    const out = new BigUint64Array(1);
    const off = new BigUint64Array([0xffffffffffffffffn]);
    const st = L.scv_query_compile(eptr, bytes, bytes.length, out, off);
    if (st !== STATUS.SCV_OK) throw engine._compileErr(st, off[0], 'scv_query_compile');
    this._engine = engine;
    this.text = typeof text === 'string' ? text : bytes.toString('utf8');
    this._ref = new NativeRef(out[0], 'scv_query_free', engine._ref);
    track(this, this._ref);
  }

  _ptr() {
    if (!this._ref.live) throw closedError(this._engine._ref.live ? 'query' : 'engine of this query');
    return this._ref.ptr;
  }

  /**
   * Evaluate over every live profile at `now` (unix seconds, Date or ISO string; the current
   * time when omitted). Returns a Result that the caller closes.
   */
  eval(now) {
    const t = nowSeconds(now);
    const out = new BigUint64Array(1);
    const st = native().scv_query_eval(this._ptr(), t, out);
    if (st !== STATUS.SCV_OK) throw this._engine._mutErr(st, 'scv_query_eval');
    return new Result(out[0]);
  }

  /** Evaluate and return the matching ids as an array (the Result is closed for you). */
  ids(now) {
    const r = this.eval(now);
    try {
      return r.toArray();
    } finally {
      r.close();
    }
  }

  close() {
    untrack(this._ref);
    this._ref.release();
  }

  get closed() {
    return !this._ref.live;
  }
}

function drain(ptr) {
  const r = takeResult(ptr);
  if (r === null) return [];
  try {
    return r.toArray();
  } finally {
    r.close();
  }
}

/** A saved segment: a named query that reports who entered and left since its last refresh. */
class Segment {
  constructor(engine, name, query) {
    const L = native();
    const eptr = engine._ptr();
    const nb = toBytes(name, 'segment name');
    const qb = toBytes(query, 'query');
    const out = new BigUint64Array(1);
    const off = new BigUint64Array([0xffffffffffffffffn]);
    const st = L.scv_segment_new(eptr, nb, nb.length, qb, qb.length, out, off);
    if (st !== STATUS.SCV_OK) throw engine._compileErr(st, off[0], 'scv_segment_new');
    this._engine = engine;
    this.query = typeof query === 'string' ? query : qb.toString('utf8');
    this._ref = new NativeRef(out[0], 'scv_segment_free', engine._ref);
    track(this, this._ref);
  }

  _ptr() {
    if (!this._ref.live) throw closedError(this._engine._ref.live ? 'segment' : 'engine of this segment');
    return this._ref.ptr;
  }

  /** The segment's name, as the library holds it. */
  get name() {
    const len = new BigUint64Array(1);
    const p = native().scv_segment_name(this._ptr(), len);
    return readString(p, Number(len[0]));
  }

  /**
   * Re-evaluate at `now` and return `{ entered, left }`: the profile ids that match now and did
   * not at the last refresh, and those that matched then and do not now (including ids merged
   * away since). The first refresh reports every match as entered.
   */
  refresh(now) {
    const t = nowSeconds(now);
    const entered = new BigUint64Array(1);
    const left = new BigUint64Array(1);
    const st = native().scv_segment_refresh(this._ptr(), t, entered, left);
    if (st !== STATUS.SCV_OK) throw this._engine._mutErr(st, 'scv_segment_refresh');
    const a = takeResult(entered[0]);
    const b = takeResult(left[0]);
    try {
      return { entered: a === null ? [] : a.toArray(), left: b === null ? [] : b.toArray() };
    } finally {
      if (a !== null) a.close();
      if (b !== null) b.close();
    }
  }

  /** The membership as of the last refresh, ascending. */
  members() {
    const out = new BigUint64Array(1);
    const st = native().scv_segment_members(this._ptr(), out);
    if (st !== STATUS.SCV_OK) throw new ScvError(st, 'cannot copy the membership', null, 'scv_segment_members');
    return drain(out[0]);
  }

  close() {
    untrack(this._ref);
    this._ref.release();
  }

  get closed() {
    return !this._ref.live;
  }
}

/** An ordered list of named queries; each profile gets the first persona it matches. */
class Personas {
  constructor(engine, list) {
    const L = native();
    const eptr = engine._ptr();
    const pairs = [];
    for (const item of list) {
      if (Array.isArray(item) && item.length === 2) pairs.push(item);
      else if (item && typeof item === 'object' && 'name' in item && 'query' in item) pairs.push([item.name, item.query]);
      else throw new TypeError('personas() takes [name, query] pairs or { name, query } objects');
    }
    const encoded = pairs.map(([n, q]) => [toBytes(n, 'persona name'), toBytes(q, 'query')]);
    const out = new BigUint64Array(1);
    let st = L.scv_personas_new(eptr, out);
    if (st !== STATUS.SCV_OK) throw engine._mutErr(st, 'scv_personas_new');
    this._engine = engine;
    this._ref = new NativeRef(out[0], 'scv_personas_free', engine._ref);
    track(this, this._ref);
    const off = new BigUint64Array(1);
    for (const [nb, qb] of encoded) {
      off[0] = 0xffffffffffffffffn;
      st = L.scv_personas_add(this._ref.ptr, nb, nb.length, qb, qb.length, off);
      if (st !== STATUS.SCV_OK) {
        const err = engine._compileErr(st, off[0], 'scv_personas_add');
        this.close();
        throw err;
      }
    }
    this._names = null;
  }

  /** The persona names in order, as the library holds them. */
  get names() {
    if (this._names === null) {
      const L = native();
      const ptr = this._ptr();
      const count = L.scv_personas_count(ptr);
      const len = new BigUint64Array(1);
      const names = [];
      for (let i = 0; i < count; i++) {
        const p = L.scv_personas_name(ptr, i, len);
        names.push(readString(p, Number(len[0])));
      }
      this._names = Object.freeze(names);
    }
    return this._names;
  }

  _ptr() {
    if (!this._ref.live) throw closedError(this._engine._ref.live ? 'personas' : 'engine of these personas');
    return this._ref.ptr;
  }

  /** Assign every live profile the first persona whose query it matches at `now`. */
  assign(now) {
    const t = nowSeconds(now);
    const st = native().scv_personas_assign(this._ptr(), t);
    if (st !== STATUS.SCV_OK) throw this._engine._mutErr(st, 'scv_personas_assign');
    return this;
  }

  /** The persona name the last assign() gave profile `id`, or null. */
  personaOf(id) {
    const ptr = this._ptr();
    const out = new Uint32Array(1);
    const st = native().scv_personas_of(ptr, u32(id, 'profile id'), out);
    if (st === STATUS.SCV_ENOTFOUND) return null;
    if (st !== STATUS.SCV_OK) throw new ScvError(st, 'cannot look the persona up', null, 'scv_personas_of');
    return this.names[out[0]];
  }

  /** `{ name: number of profiles }` from the last assign(), in persona order. */
  sizes() {
    const ptr = this._ptr();
    const out = {};
    this.names.forEach((name, i) => {
      out[name] = Number(native().scv_personas_size(ptr, i));
    });
    return out;
  }

  close() {
    untrack(this._ref);
    this._ref.release();
  }

  get closed() {
    return !this._ref.live;
  }
}

if (typeof Symbol.dispose === 'symbol') {
  for (const cls of [Result, Query, Segment, Personas]) {
    cls.prototype[Symbol.dispose] = function dispose() {
      this.close();
    };
  }
}

module.exports = { Result, Query, Segment, Personas };
