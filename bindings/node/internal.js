'use strict';
// Helpers shared by the modules of the package: handle ownership, conversions between JS
// values and the C side's (pointer, length) UTF-8 strings, integers and timestamps.

const { koffi, native } = require('./lib');
const { ScvError, STATUS } = require('./errors');

// ---- handle ownership ----------------------------------------------------------------------
//
// Every native handle is owned by exactly one NativeRef, which frees it at most once. A
// handle that must be freed before another one (a query before its engine) is registered as
// a child of that NativeRef: releasing the parent releases its children first.
//
// The JS wrappers (Engine, Query, ...) are registered with a FinalizationRegistry as a safety
// net. When the garbage collector finalizes a wrapper whose NativeRef still has live
// children, the free is deferred until the last child is released, so the library's ordering
// rule holds whatever order the finalizers run in. Explicit close() is the supported way to
// free memory promptly; the registry only catches what a program forgot.

class NativeRef {
  // internal: the handle has no JS wrapper of its own (an engine's record builder); it lives
  // exactly as long as its parent.
  constructor(ptr, freeName, parent, internal = false) {
    this.ptr = ptr;
    this.freeName = freeName;
    this.parent = parent || null;
    this.internal = internal;
    this.children = new Set();
    this.orphaned = false;
    if (this.parent !== null) this.parent.children.add(this);
  }

  // Whether a child with a wrapper of its own is still open.
  _waitsForChildren() {
    for (const child of this.children) if (!child.internal) return true;
    return false;
  }

  get live() {
    return this.ptr !== 0n;
  }

  release() {
    if (this.ptr === 0n) return;
    const ptr = this.ptr;
    this.ptr = 0n; // first, so that nothing below can free it a second time
    for (const child of [...this.children]) child.release();
    native()[this.freeName](ptr);
    const parent = this.parent;
    if (parent !== null) {
      parent.children.delete(this);
      if (parent.orphaned && !parent._waitsForChildren()) parent.release();
    }
  }

  // Called by the FinalizationRegistry once the owning wrapper is unreachable.
  finalize() {
    if (this.ptr === 0n) return;
    if (this._waitsForChildren()) {
      this.orphaned = true;
      return;
    }
    this.release();
  }
}

const registry = new FinalizationRegistry((ref) => ref.finalize());

function track(wrapper, ref) {
  registry.register(wrapper, ref, ref);
}

function untrack(ref) {
  registry.unregister(ref);
}

function closedError(what) {
  return new ScvError(STATUS.SCV_ESTATE, `the ${what} is closed`, null, null);
}

// ---- strings and bytes ---------------------------------------------------------------------

const EMPTY = Buffer.alloc(0);

/** A JS value as the bytes the C side gets: strings as UTF-8, Buffers and Uint8Arrays as-is. */
function toBytes(value, what) {
  if (typeof value === 'string') return value.length === 0 ? EMPTY : Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'number' || typeof value === 'bigint') return Buffer.from(String(value), 'utf8');
  throw new TypeError(`${what} must be a string or a Buffer, got ${describe(value)}`);
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

let viewWorks = true;

/** Copy `len` bytes at the native address `ptr` into a new Buffer. */
function readBytes(ptr, len) {
  if (len === 0 || ptr === null || ptr === 0n) return Buffer.alloc(0);
  if (viewWorks) {
    try {
      const out = Buffer.allocUnsafe(len);
      out.set(new Uint8Array(koffi.view(ptr, len)));
      return out;
    } catch {
      viewWorks = false; // a runtime that forbids external buffers
    }
  }
  return Buffer.from(koffi.decode(ptr, 'uint8_t', len));
}

function readString(ptr, len) {
  return readBytes(ptr, len).toString('utf8');
}

// ---- numbers -------------------------------------------------------------------------------

const INT64_MIN = -(2n ** 63n);

/** A 32-bit unsigned id (profile, kind, source) given by the caller. */
function u32(value, what) {
  if (typeof value === 'bigint' && value >= 0n && value <= 0xffffffffn) return Number(value);
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new TypeError(`${what} must be an integer in 0..2^32-1, got ${String(value)}`);
  }
  return value;
}

function u64(value, what) {
  let v;
  if (typeof value === 'bigint') v = value;
  else if (Number.isSafeInteger(value)) v = BigInt(value);
  else throw new TypeError(`${what} must be a BigInt or a safe integer, got ${String(value)}`);
  if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`${what} must be in 0..2^64-1`);
  return v;
}

/** A uint64 that arrived through koffi (a number or a BigInt, possibly sign-wrapped). */
function asU64(value) {
  return BigInt.asUintN(64, BigInt(value));
}

/** Unix seconds from a number, a BigInt, a Date or an ISO 8601 string. */
function toSeconds(value, what) {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${what} must be finite`);
    return Math.floor(value);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new TypeError(`${what} is an invalid Date`);
    return Math.floor(ms / 1000);
  }
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new TypeError(`${what} is not a date: ${JSON.stringify(value)}`);
    return Math.floor(ms / 1000);
  }
  throw new TypeError(`${what} must be unix seconds, a Date or an ISO 8601 string`);
}

/** `now` for evaluations: the current time when omitted. */
function nowSeconds(now) {
  return now === undefined || now === null ? Math.floor(Date.now() / 1000) : toSeconds(now, 'now');
}

/** An int64 timestamp read from the library; SCV_NO_TIMESTAMP becomes null. */
function fromTimestamp(value) {
  const v = BigInt(value);
  if (v === INT64_MIN) return null;
  return Number(v);
}

/** [key, value] pairs of a plain object, a Map or an array of pairs. */
function entriesOf(value, what) {
  if (value === undefined || value === null) return [];
  if (value instanceof Map) return [...value.entries()];
  if (Array.isArray(value)) {
    for (const pair of value) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`${what} given as an array must hold [key, value] pairs`);
      }
    }
    return value;
  }
  if (typeof value === 'object') return Object.entries(value);
  throw new TypeError(`${what} must be an object, a Map or an array of [key, value] pairs`);
}

module.exports = {
  NativeRef,
  track,
  untrack,
  closedError,
  toBytes,
  readBytes,
  readString,
  u32,
  u64,
  asU64,
  toSeconds,
  nowSeconds,
  fromTimestamp,
  entriesOf,
  INT64_MIN,
};
