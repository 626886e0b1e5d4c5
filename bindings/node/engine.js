'use strict';
// Engine: one scv_engine and the record builder it uses for upserts.

const { native, has } = require('./lib');
const { ScvError, STATUS } = require('./errors');
const {
  NativeRef, track, untrack, closedError, toBytes, readString, u32, u64, asU64,
  toSeconds, fromTimestamp, entriesOf, INT64_MIN,
} = require('./internal');
const { Query, Segment, Personas } = require('./query');

const S = STATUS;
// Errors that make one Segment event bad (the program's bad row), not the whole run.
const BAD_EVENT_CODES = new Set(['SCV_EINVAL', 'SCV_EUTF8', 'SCV_ETOOLONG', 'SCV_EREJECTED']);
const NO_OFFSET = 0xffffffffffffffffn;
const MAX_NORMALIZED_LEN = 1024 + 8; // SCV_MAX_NORMALIZED_LEN
const HASH_SIZE = 16; // SCV_HASH_SIZE
// Records per scv_engine_upsert_batch() call in upsertMany(), and builders kept for it.
const POOL_SIZE = 256;
// Records per scv_engine_record_profiles() call in assignments().
const ASSIGNMENTS_CHUNK = 4096;

const RETAIN = { none: 0, normalized: 1, raw: 2 };
const NORMALIZERS = { email: 0, phone: 1, exact: 2, casefold: 3 };
const SURVIVORSHIP = { most_recent: 0, source_priority: 1, most_frequent: 2, first_seen: 3 };
const AGGREGATES = { count: 0, sum: 1, avg: 2, min: 3, max: 4, first_time: 5, last_time: 6 };
const LINK_STATES = ['linked', 'set_aside_limit', 'set_aside_size', 'blocked', 'generic', 'suppressed'];
const APART = ['none', 'unrelated', 'limit', 'size', 'blocked', 'generic', 'suppressed'];
const CHANGES = ['created', 'merged', 'split', 'updated', 'deleted'];
const STATS = [
  'records', 'profiles', 'identifiers', 'merges', 'splits', 'asideLimit', 'asideSize',
  'blockedValues', 'blockedRecords', 'genericValues', 'genericRecords', 'genericDecisions', 'bytes',
];

function pick(table, value, what) {
  if (typeof value === 'number' && Object.values(table).includes(value)) return value;
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(table, value)) return table[value];
  throw new TypeError(`${what} must be one of ${Object.keys(table).map((k) => `'${k}'`).join(', ')}`);
}

// Strings given for a `const char *` (with its length) are passed to koffi as they are when
// they are short and hold no surrogate code unit: koffi then writes their UTF-8 on its own
// call stack, the bytes Buffer.from() would make (a test checks it), without a Buffer to
// allocate and collect. Others go through toBytes(), as every value used to.
const DIRECT_MAX = 1024; // UTF-16 code units, so at most 3 KB of UTF-8
const SURROGATE = /[\uD800-\uDFFF]/;

function direct(s) {
  return s.length <= DIRECT_MAX && !SURROGATE.test(s);
}

// The byte length of a value direct() let through as a string, or of a Buffer.
function byteLength(v) {
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
}

function defaultReason(status) {
  const s = native().scv_status_str(status);
  const i = s.indexOf(': ');
  return i >= 0 ? s.slice(i + 2) : s;
}

function optionsError(status, reason, call) {
  return new ScvError(status, reason || defaultReason(status), null, call);
}

// A new scv_options from the Engine options (the caller frees it). For a load only the hash
// key and the change capacity matter; the rest comes from the snapshot.
function buildOptions(options, forLoad) {
  if (options === null || typeof options !== 'object') throw new TypeError('Engine options must be an object');
  const L = native();
  const optsOut = new BigUint64Array(1);
  let st = L.scv_options_new(null, optsOut);
  if (st !== S.SCV_OK) throw optionsError(st, null, 'scv_options_new');
  const opts = optsOut[0];
  try {
    if (options.hashKey !== undefined && options.hashKey !== null) {
      const key = toBytes(options.hashKey, 'hashKey');
      st = L.scv_options_set_hash_key(opts, key, key.length);
      if (st !== S.SCV_OK) throw optionsError(st, 'the hash key must be at most 4096 bytes', 'scv_options_set_hash_key');
    }
    if (options.changeCapacity !== undefined && options.changeCapacity !== null) {
      const cap = options.changeCapacity;
      if (!Number.isSafeInteger(cap) || cap < 0) throw new TypeError('changeCapacity must be a non-negative integer');
      st = L.scv_options_set_change_capacity(opts, cap);
      if (st !== S.SCV_OK) throw optionsError(st, 'changeCapacity must be at most 2^28', 'scv_options_set_change_capacity');
    }
    if (!forLoad) {
      if (options.region !== undefined && options.region !== null) {
        const code = toBytes(options.region, 'region');
        st = L.scv_options_set_region(opts, code, code.length);
        if (st === S.SCV_ENOTFOUND) {
          throw optionsError(st, `phone region ${JSON.stringify(String(options.region))} is not in the built-in table`, 'scv_options_set_region');
        }
        if (st !== S.SCV_OK) throw optionsError(st, 'region must be a two-letter ISO 3166-1 code', 'scv_options_set_region');
      }
      if (options.retain !== undefined && options.retain !== null) {
        st = L.scv_options_set_retain(opts, pick(RETAIN, options.retain, 'retain'));
        if (st !== S.SCV_OK) throw optionsError(st, null, 'scv_options_set_retain');
      }
      if (options.emailProviderRules !== undefined) {
        st = L.scv_options_set_email_provider_rules(opts, options.emailProviderRules ? 1 : 0);
        if (st !== S.SCV_OK) throw optionsError(st, null, 'scv_options_set_email_provider_rules');
      }
    }
    return opts;
  } catch (err) {
    L.scv_options_free(opts);
    throw err;
  }
}

class Engine {
  /**
   * @param {object} [options]
   * @param {string} [options.region]  default phone region (ISO 3166-1 alpha-2, e.g. 'DE')
   * @param {string|Buffer} [options.hashKey]  secret key identifiers are hashed under
   * @param {'none'|'normalized'|'raw'} [options.retain]  what is kept besides hashes ('none')
   * @param {boolean} [options.emailProviderRules]  Gmail dot and +tag folding (false)
   * @param {number} [options.changeCapacity]  change events kept for changesSince() (65536)
   */
  constructor(options = {}) {
    const L = native();
    const opts = buildOptions(options, false);
    try {
      const out = new BigUint64Array(1);
      const st = L.scv_engine_new(opts, out);
      if (st !== S.SCV_OK) throw optionsError(st, null, 'scv_engine_new');
      this._adopt(out[0]);
    } finally {
      L.scv_options_free(opts);
    }
  }

  /**
   * An engine from a snapshot (a Buffer or Uint8Array from snapshot()). Of `options` only
   * hashKey (which must be the key the snapshot was made under) and changeCapacity are used;
   * everything else comes from the snapshot. Corrupt input throws SCV_ECORRUPT or
   * SCV_EVERSION, a different key SCV_EINVAL.
   */
  static load(snapshot, options = {}) {
    if (!(snapshot instanceof Uint8Array)) throw new TypeError('Engine.load() takes a Buffer or Uint8Array');
    const L = native();
    const buf = toBytes(snapshot, 'snapshot');
    const opts = buildOptions(options, true);
    try {
      const out = new BigUint64Array(1);
      const st = L.scv_engine_load(opts, buf, buf.length, out);
      if (st !== S.SCV_OK) {
        const reasons = {
          [S.SCV_EINVAL]: 'not loadable with these options (a different hash key?)',
          [S.SCV_ECORRUPT]: 'the snapshot is truncated, corrupted or not a snapshot',
          [S.SCV_EVERSION]: 'the snapshot has a format version this library cannot read',
        };
        throw optionsError(st, reasons[st], 'scv_engine_load');
      }
      const engine = Object.create(Engine.prototype);
      engine._adopt(out[0]);
      return engine;
    } finally {
      L.scv_options_free(opts);
    }
  }

  // Take ownership of a new scv_engine (from scv_engine_new or a snapshot load).
  _adopt(ptr) {
    const L = native();
    this._ref = new NativeRef(ptr, 'scv_engine_free', null);
    track(this, this._ref);
    const out = new BigUint64Array(1);
    const st = L.scv_record_new(ptr, out);
    if (st !== S.SCV_OK) {
      const err = this._mutErr(st, 'scv_record_new');
      this.close();
      throw err;
    }
    this._builder = new NativeRef(out[0], 'scv_record_free', this._ref, true);
    this._kinds = new Map();
    this._sources = new Map();
    this._sourceNames = [];
    this._kindNames = [];
    this._normBuf = Buffer.alloc(MAX_NORMALIZED_LEN);
    this._profileOut = new Uint32Array(1); // upsert()'s output, reused
    // _recordInfo()'s outputs, reused: a fresh typed array passed to koffi costs more than
    // the call itself (its storage is moved off the V8 heap first).
    this._infoOut = { source: new Uint32Array(1), idPtr: new BigUint64Array(1), len: new BigUint64Array(1), ts: new BigInt64Array(1) };
    this._builders = undefined; // upsertMany()'s builder pool, made on first use (_pool())
    this._poolBusy = false; // an upsertMany() is filling the pool
    this.lastRejected = [];
  }

  // ---- internals ---------------------------------------------------------------------------

  _ptr() {
    if (!this._ref.live) throw closedError('engine');
    return this._ref.ptr;
  }

  // Error of a call that took the engine non-const: the engine holds the reason and offset.
  _mutErr(status, call) {
    const L = native();
    const ptr = this._ref.ptr;
    const reason = ptr === 0n ? '' : L.scv_engine_errmsg(ptr);
    const off = ptr === 0n ? -1 : Number(L.scv_engine_erroffset(ptr));
    return new ScvError(status, reason || defaultReason(status), off < 0 ? null : off, call);
  }

  // Error of a const call: the engine records nothing, so the binding says why.
  _constErr(status, call, reason) {
    return new ScvError(status, reason || defaultReason(status), null, call);
  }

  // Error of a record builder.
  _recErr(rec, status, call, what) {
    const L = native();
    const reason = L.scv_record_errmsg(rec);
    const off = Number(L.scv_record_erroffset(rec));
    return new ScvError(status, reason || defaultReason(status), off < 0 ? null : off, call, what);
  }

  // Error of a compile (query, segment, persona): the offset comes from the out parameter.
  _compileErr(status, offset, call) {
    const err = this._mutErr(status, call);
    if (offset !== NO_OFFSET) err.offset = Number(offset);
    else if (err.offset === null && status === S.SCV_ESYNTAX) err.offset = 0;
    return new ScvError(status, err.reason, err.offset, call);
  }

  _kind(kind) {
    if (typeof kind === 'number') return u32(kind, 'kind');
    if (typeof kind !== 'string') throw new TypeError('an identifier kind is a name (string) or a number');
    const cached = this._kinds.get(kind);
    if (cached !== undefined) return cached;
    const name = toBytes(kind, 'kind');
    const out = new Uint32Array(1);
    const st = native().scv_engine_kind(this._ptr(), name, name.length, out);
    if (st === S.SCV_ENOTFOUND || st === S.SCV_EINVAL) {
      throw this._constErr(S.SCV_ENOTFOUND, 'scv_engine_kind', `unknown identifier kind ${JSON.stringify(kind)}`);
    }
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_kind');
    this._kinds.set(kind, out[0]);
    return out[0];
  }

  // A source number from a name or a number; unknown names are registered when `register`,
  // else give null.
  _source(source, register) {
    if (typeof source === 'number') return u32(source, 'source');
    if (typeof source !== 'string') throw new TypeError('a source is a name (string) or a number');
    const cached = this._sources.get(source);
    if (cached !== undefined) return cached;
    const L = native();
    const name = toBytes(source, 'source');
    const out = new Uint32Array(1);
    let st = L.scv_engine_source(this._ptr(), name, name.length, out);
    if (st === S.SCV_ENOTFOUND || st === S.SCV_EINVAL) {
      if (!register) return null;
      st = L.scv_engine_register_source(this._ptr(), name, name.length, out);
      if (st !== S.SCV_OK && st !== S.SCV_EEXISTS) throw this._mutErr(st, 'scv_engine_register_source');
    } else if (st !== S.SCV_OK) {
      throw this._constErr(st, 'scv_engine_source');
    }
    this._sources.set(source, out[0]);
    return out[0];
  }

  _knownSource(source) {
    const s = this._source(source, false);
    if (s === null) throw this._constErr(S.SCV_ENOTFOUND, 'scv_engine_source', `unknown source ${JSON.stringify(source)}`);
    return s;
  }

  _sourceName(source) {
    return this._cachedName(this._sourceNames, 'scv_engine_source_name', source);
  }

  _kindName(kind) {
    return this._cachedName(this._kindNames, 'scv_engine_kind_name', kind);
  }

  /** Name number n through the library's `fn`, remembered in `cache`; null when unknown. */
  _cachedName(cache, fn, n) {
    let name = cache[n];
    if (name === undefined) {
      const len = new BigUint64Array(1);
      const p = native()[fn](this._ptr(), n, len);
      if (p === null) return null;
      name = readString(p, Number(len[0]));
      cache[n] = name;
    }
    return name;
  }

  _recordRef(source, recordId) {
    const src = this._source(source, false);
    if (src === null) return 0;
    const id = toBytes(recordId, 'recordId');
    const out = new Uint32Array(1);
    const st = native().scv_engine_record_find(this._ptr(), src, id, id.length, out);
    if (st === S.SCV_ENOTFOUND) return 0;
    if (st === S.SCV_EINVAL && id.length === 0) return 0;
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_record_find');
    return out[0];
  }

  _recordKey(pair, what) {
    if (Array.isArray(pair) && pair.length === 2) return pair;
    if (pair && typeof pair === 'object' && 'source' in pair && 'recordId' in pair) return [pair.source, pair.recordId];
    throw new TypeError(`${what} must be [source, recordId] or { source, recordId }`);
  }

  _recordInfo(ref) {
    const { source, idPtr, len, ts } = this._infoOut;
    const st = native().scv_engine_record_info(this._ptr(), ref, source, idPtr, len, ts);
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_record_info');
    return {
      source: this._sourceName(source[0]),
      recordId: readString(idPtr[0], Number(len[0])),
      timestamp: fromTimestamp(ts[0]),
    };
  }

  _identifier(ref) {
    const kind = new Uint32Array(1);
    const hash = Buffer.alloc(HASH_SIZE);
    const valuePtr = new BigUint64Array(1);
    const len = new BigUint64Array(1);
    const st = native().scv_engine_identifier_info(this._ptr(), ref, kind, hash, valuePtr, len);
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_identifier_info');
    return {
      kind: this._kindName(kind[0]),
      value: valuePtr[0] === 0n ? null : readString(valuePtr[0], Number(len[0])),
      hash,
    };
  }

  // Run a size-query call (cap 0 first, then a buffer of the reported size).
  _refs(fn, call, args, withStates) {
    const L = native();
    const count = new BigUint64Array(1);
    let cap = 16;
    for (;;) {
      const out = new Uint32Array(cap);
      const states = withStates ? new Uint8Array(cap) : null;
      const st = withStates
        ? L[fn](this._ptr(), ...args, out, states, cap, count)
        : L[fn](this._ptr(), ...args, out, cap, count);
      if (st === S.SCV_EBUFFER) {
        cap = Number(count[0]);
        continue;
      }
      if (st === S.SCV_ENOTFOUND) return null;
      if (st !== S.SCV_OK) throw this._constErr(st, call);
      const n = Number(count[0]);
      return { refs: Array.from(out.subarray(0, n)), states: states === null ? null : Array.from(states.subarray(0, n)) };
    }
  }

  _names(fn) {
    const L = native();
    const p = new BigUint64Array(1);
    const len = new BigUint64Array(1);
    const names = [];
    for (let i = 0; ; i++) {
      const st = L[fn](this._ptr(), i, p, len);
      if (st === S.SCV_ENOTFOUND) return names;
      if (st !== S.SCV_OK) throw this._constErr(st, fn);
      names.push(readString(p[0], Number(len[0])));
    }
  }

  // ---- lifetime ----------------------------------------------------------------------------

  /**
   * Free the engine and everything made from it that is still open (queries, segments,
   * personas); their later use throws. Results stay usable. Idempotent.
   */
  close() {
    untrack(this._ref);
    this._ref.release();
  }

  get closed() {
    return !this._ref.live;
  }

  // ---- kinds and sources -------------------------------------------------------------------

  /**
   * Register an identifier kind with its normalizer ('email', 'phone', 'exact', 'casefold').
   * @returns {number} the new kind's number
   */
  registerKind(name, normalizer = 'exact') {
    const norm = pick(NORMALIZERS, normalizer, 'normalizer');
    const nb = toBytes(name, 'kind name');
    const out = new Uint32Array(1);
    const st = native().scv_engine_register_kind(this._ptr(), nb, nb.length, norm, out);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_register_kind');
    return out[0];
  }

  /** Register a record source. @returns {number} the new source's number */
  registerSource(name) {
    const nb = toBytes(name, 'source name');
    const out = new Uint32Array(1);
    const st = native().scv_engine_register_source(this._ptr(), nb, nb.length, out);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_register_source');
    return out[0];
  }

  /** The kind's number for a name (or the number itself); throws SCV_ENOTFOUND if unknown. */
  kind(name) {
    return this._kind(name);
  }

  /** The source's number for a name, or null if unknown. */
  source(name) {
    return this._source(name, false);
  }

  /** Names of all kinds, indexed by kind number. */
  kinds() {
    const n = native().scv_engine_kind_count(this._ptr());
    return Array.from({ length: n }, (_, k) => this._kindName(k));
  }

  /** Names of all sources, indexed by source number. */
  sources() {
    const n = native().scv_engine_source_count(this._ptr());
    return Array.from({ length: n }, (_, s) => this._sourceName(s));
  }

  // ---- rules -------------------------------------------------------------------------------

  /** At most `max` distinct linking values of `kind` per profile (0 removes the limit). */
  setLimit(kind, max) {
    const st = native().scv_engine_set_limit(this._ptr(), this._kind(kind), u32(max, 'limit'));
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_set_limit');
  }

  /** Kind priority, highest first; kinds not listed follow in their current order. */
  setPriority(kinds) {
    const list = Uint32Array.from([...kinds].map((k) => this._kind(k)));
    const st = native().scv_engine_set_priority(this._ptr(), list, list.length);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_set_priority');
  }

  /** Generic-value threshold for `kind` (0 turns the rule off for it). */
  setGenericThreshold(kind, threshold) {
    const st = native().scv_engine_set_generic_threshold(this._ptr(), this._kind(kind), u32(threshold, 'threshold'));
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_set_generic_threshold');
  }

  /** Size guards per profile; 0 = unlimited. */
  setProfileLimits({ maxRecords = 50000, maxIdentifiers = 5000 } = {}) {
    const st = native().scv_engine_set_profile_limits(this._ptr(), u32(maxRecords, 'maxRecords'), u32(maxIdentifiers, 'maxIdentifiers'));
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_set_profile_limits');
  }

  /** Use the built-in placeholder blocklist (true, the default) or not. */
  setDefaultBlocklist(on) {
    const st = native().scv_engine_set_default_blocklist(this._ptr(), on ? 1 : 0);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_set_default_blocklist');
  }

  /** Block a value of a kind (raw, normalized as on ingest). Allowed at any time. */
  block(kind, value) {
    const k = this._kind(kind);
    const v = toBytes(value, 'value');
    const st = native().scv_engine_block(this._ptr(), k, v, v.length);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_block');
  }

  /**
   * Survivorship rule for a trait ('most_recent', 'source_priority', 'most_frequent',
   * 'first_seen'); name null sets the default for every trait without a rule.
   */
  setTraitRule(name, rule) {
    const r = pick(SURVIVORSHIP, rule, 'rule');
    const nb = name === null || name === undefined ? Buffer.alloc(0) : toBytes(name, 'trait name');
    const st = native().scv_engine_set_trait_rule(this._ptr(), nb.length === 0 ? null : nb, nb.length, r);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_set_trait_rule');
  }

  /** Source priority for the 'source_priority' rule, highest first ([] clears it). */
  setSourcePriority(sources) {
    const list = Uint32Array.from([...sources].map((s) => this._knownSource(s)));
    const st = native().scv_engine_set_source_priority(this._ptr(), list.length === 0 ? null : list, list.length);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_set_source_priority');
  }

  /** The measure the RFM query terms use (default 'order_total'). */
  setRfmMeasure(name) {
    const nb = toBytes(name, 'measure name');
    const st = native().scv_engine_set_rfm_measure(this._ptr(), nb, nb.length);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_set_rfm_measure');
  }

  // ---- ingest ------------------------------------------------------------------------------

  /**
   * Insert or replace the record keyed by (source, recordId) and resolve it.
   *
   * Identifier values the normalizer rejects (not an e-mail, not a phone number, empty) do
   * not fail the call: the record is stored without them, and each is reported as
   * `{ source, recordId, kind, value, reason, offset }` in `engine.lastRejected` and, when
   * given, pushed onto the `rejected` array. Every other problem throws ScvError and stores
   * nothing.
   *
   * @returns {number} the record's profile id
   */
  upsert(record, rejected) {
    const sink = [];
    this.lastRejected = sink;
    try {
      return this._upsertOne(record, sink, undefined);
    } finally {
      if (Array.isArray(rejected)) rejected.push(...sink);
    }
  }

  /**
   * upsert() each record in order. Returns their profile ids as they were right after each
   * upsert (later records may merge them: use profileOf() for the final ones). Rejected
   * values carry the record's `index`. On an error the records before it are stored, and the
   * ScvError carries `index`.
   *
   * The results are those of one upsert() per record, but the records reach the library in
   * batches of up to POOL_SIZE (256), one scv_engine_upsert_batch() call each, which is
   * faster. So the iterable is read up to 255 records ahead of what is stored; it should not
   * change the engine itself.
   */
  upsertMany(records, rejected) {
    const sink = [];
    this.lastRejected = sink;
    const ids = [];
    try {
      if (this._poolBusy || !has('scv_engine_upsert_batch')) {
        // Called again from inside the iterable of another upsertMany() (whose records sit
        // in the builder pool), or a library older than the batch call: one by one.
        let index = 0;
        for (const record of records) {
          try {
            ids.push(this._upsertOne(record, sink, index));
          } catch (err) {
            if (err && typeof err === 'object') err.index = index;
            throw err;
          }
          index++;
        }
      } else {
        this._poolBusy = true;
        try {
          this._upsertPooled(records, sink, ids);
        } finally {
          this._poolBusy = false;
        }
      }
    } finally {
      if (Array.isArray(rejected)) rejected.push(...sink);
    }
    return ids;
  }

  // The builders upsertMany() fills before each scv_engine_upsert_batch() call, made as the
  // first batches need them and freed with the engine.
  _pool() {
    let pool = this._builders;
    if (pool === undefined) {
      pool = {
        refs: [], // NativeRef of each builder made so far
        ptrs: new BigUint64Array(POOL_SIZE), // const scv_record *[POOL_SIZE], as the call reads them
        profiles: new Uint32Array(POOL_SIZE), // what the call writes
        done: new BigUint64Array(1),
        ends: new Array(POOL_SIZE).fill(0), // sink length after each slot's record was filled
      };
      this._builders = pool;
    }
    return pool;
  }

  _poolBuilder(pool, slot) {
    if (slot < pool.refs.length) return pool.refs[slot].ptr;
    const out = new BigUint64Array(1);
    const st = native().scv_record_new(this._ptr(), out);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_record_new');
    pool.refs.push(new NativeRef(out[0], 'scv_record_free', this._ref, true));
    pool.ptrs[slot] = out[0];
    return out[0];
  }

  // upsertMany() through the builder pool: fill a builder per record, upsert a full pool
  // with one batch call. Errors are those one upsert() per record would throw, for the same
  // record: a record that fails while filled has the records before it upserted first.
  _upsertPooled(records, sink, ids) {
    const L = native();
    const pool = this._pool();
    let filled = 0; // slots 0..filled-1 hold records not yet upserted
    let batchError = null;
    const commit = () => {
      if (filled === 0) return;
      const n = filled;
      filled = 0;
      let eptr;
      try {
        eptr = this._ptr(); // a closed engine has freed the builders: never pass them
      } catch (err) {
        err.index = ids.length;
        batchError = err;
        throw err;
      }
      const st = L.scv_engine_upsert_batch(eptr, pool.ptrs, n, pool.profiles, pool.done);
      const done = Number(pool.done[0]);
      for (let i = 0; i < done; i++) ids.push(pool.profiles[i]);
      if (st !== S.SCV_OK) {
        // Record `done` failed as scv_engine_upsert() would have failed on it. Its rejected
        // values stay reported (upsert() reports them too); those of the records after it,
        // which one-by-one upserts would not have reached, go.
        sink.length = pool.ends[done];
        batchError = this._mutErr(st, 'scv_engine_upsert');
        batchError.index = ids.length;
        throw batchError;
      }
    };
    let index = 0;
    try {
      for (const record of records) {
        if (filled === POOL_SIZE) commit();
        try {
          // The checks and their order are _upsertOne()'s.
          if (record === null || typeof record !== 'object') throw new TypeError('a record must be an object');
          this._ptr();
          if (record.source === undefined || record.recordId === undefined) {
            throw new TypeError('a record needs source and recordId');
          }
          const given = record.source;
          // A source seen for the first time may be registered, which changes the engine:
          // the records before this one go in first.
          if (typeof given === 'string' && !this._sources.has(given)) commit();
          const src = this._source(given, true);
          this._fill(this._poolBuilder(pool, filled), record, src, sink, index);
        } catch (err) {
          if (err === batchError) throw err;
          commit();
          if (err && typeof err === 'object') err.index = index;
          throw err;
        }
        pool.ends[filled] = sink.length;
        filled++;
        index++;
      }
    } catch (err) {
      // The iterable's own error (a record's has emptied the pool already): the records
      // read before it go in first, as with one upsert() per record.
      if (err !== batchError) commit();
      throw err;
    }
    commit();
  }

  /** upsert() the record segmentEventToRecord() makes of a Segment event (an object or its
   * JSON text). Throws for an event that is not valid (no messageId, unknown type...). */
  upsertSegmentEvent(event, opts = {}, rejected) {
    const { segmentEventToRecord, parseEvent } = require('./segment');
    if (typeof event === 'string' || Buffer.isBuffer(event)) event = parseEvent(event);
    return this.upsert(segmentEventToRecord(event, opts), rejected);
  }

  /** Upsert Segment events: JSON Lines text or an iterable of events (objects or JSON text).
   * Bad events are skipped and counted, as the scv program does. Returns
   * `{ upserted, bad, rejected, errors: [{ number, reason }] }`. */
  upsertSegmentEvents(events, opts = {}) {
    const { iterEvents } = require('./segment');
    const counts = { upserted: 0, bad: 0, rejected: 0, errors: [] };
    for (const [number, event] of iterEvents(events)) {
      try {
        this.upsertSegmentEvent(event, opts);
      } catch (err) {
        if (!(err && (err.name === 'SegmentEventError' || (err instanceof ScvError && BAD_EVENT_CODES.has(err.code))))) throw err;
        counts.bad++;
        counts.errors.push({ number, reason: err.message });
        continue;
      }
      counts.upserted++;
      counts.rejected += this.lastRejected.length;
    }
    return counts;
  }

  /**
   * Make room ahead of a bulk load for `records` more records carrying `identifiers` more
   * distinct identifiers (estimates are fine). Changes nothing observable.
   */
  reserve(records, identifiers = records) {
    if (!Number.isSafeInteger(records) || records < 0 || !Number.isSafeInteger(identifiers) || identifiers < 0) {
      throw new TypeError('reserve() takes non-negative integers');
    }
    const st = native().scv_engine_reserve(this._ptr(), records, identifiers);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_reserve');
  }

  /** Give back spare capacity after a bulk load (scv_engine_shrink); nothing observable changes. */
  shrink() {
    const st = native().scv_engine_shrink(this._ptr());
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_shrink');
  }

  _upsertOne(record, sink, index) {
    if (record === null || typeof record !== 'object') throw new TypeError('a record must be an object');
    const eptr = this._ptr();
    const rec = this._builder.ptr;
    if (record.source === undefined || record.recordId === undefined) {
      throw new TypeError('a record needs source and recordId');
    }
    const src = this._source(record.source, true);
    this._fill(rec, record, src, sink, index);
    const out = this._profileOut;
    const st = native().scv_engine_upsert(eptr, rec, out);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_upsert');
    return out[0];
  }

  // Reset the builder `rec` to the record (source number `src`) and add its fields;
  // rejected identifier values go to `sink`.
  _fill(rec, record, src, sink, index) {
    const L = native();
    const recordId = record.recordId;
    // `rid` is what is passed: the string itself when it can go as it is (see `direct`).
    const rid = typeof recordId === 'string' && direct(recordId) ? recordId : toBytes(recordId, 'recordId');
    let st = L.scv_record_reset(rec, src, rid, byteLength(rid));
    if (st !== S.SCV_OK) throw this._recErr(rec, st, 'scv_record_reset', 'record id');
    if (record.timestamp !== undefined && record.timestamp !== null) {
      st = L.scv_record_set_timestamp(rec, toSeconds(record.timestamp, 'timestamp'));
      if (st !== S.SCV_OK) throw this._recErr(rec, st, 'scv_record_set_timestamp');
    }
    for (const [kindName, values] of entriesOf(record.identifiers, 'identifiers')) {
      const kind = this._kind(kindName);
      if (Array.isArray(values)) {
        for (const value of values) this._addIdentifier(rec, record, rid, kindName, kind, value, sink, index);
      } else {
        this._addIdentifier(rec, record, rid, kindName, kind, values, sink, index);
      }
    }
    for (const [name, value] of entriesOf(record.traits, 'traits')) {
      if (value === undefined || value === null) continue;
      const nb = typeof name === 'string' && direct(name) ? name : toBytes(name, 'trait name');
      let vb;
      if (typeof value === 'boolean') vb = String(value);
      else if (typeof value === 'string' && direct(value)) vb = value;
      else vb = toBytes(value, `trait ${name}`);
      st = L.scv_record_add_trait(rec, nb, byteLength(nb), vb, byteLength(vb));
      if (st !== S.SCV_OK) throw this._recErr(rec, st, 'scv_record_add_trait', `trait ${name}`);
    }
    for (const [name, value] of entriesOf(record.measures, 'measures')) {
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' && typeof value !== 'bigint') {
        throw new TypeError(`measure ${name} must be a number, got ${typeof value}`);
      }
      const nb = typeof name === 'string' && direct(name) ? name : toBytes(name, 'measure name');
      st = L.scv_record_add_measure(rec, nb, byteLength(nb), Number(value));
      if (st !== S.SCV_OK) throw this._recErr(rec, st, 'scv_record_add_measure', `measure ${name}`);
    }
    for (const [channel, decision] of entriesOf(record.consent, 'consent')) {
      if (decision === undefined || decision === null) continue;
      let granted = decision;
      let ts = INT64_MIN;
      if (typeof decision === 'object') {
        granted = decision.granted;
        if (decision.timestamp !== undefined && decision.timestamp !== null) ts = toSeconds(decision.timestamp, 'consent timestamp');
      }
      const cb = toBytes(channel, 'consent channel');
      st = L.scv_record_add_consent(rec, cb, cb.length, granted ? 1 : 0, ts);
      if (st !== S.SCV_OK) throw this._recErr(rec, st, 'scv_record_add_consent', `consent ${channel}`);
    }
  }

  _addIdentifier(rec, record, rid, kindName, kind, value, sink, index) {
    if (value === undefined || value === null) return;
    const L = native();
    const v = typeof value === 'string' && direct(value) ? value : toBytes(value, `identifier ${kindName}`);
    const st = L.scv_record_add_identifier(rec, kind, v, byteLength(v));
    if (st === S.SCV_EREJECTED) {
      const off = Number(L.scv_record_erroffset(rec));
      const entry = {
        source: record.source,
        recordId: typeof record.recordId === 'string' ? record.recordId : rid.toString('utf8'),
        kind: typeof kindName === 'string' ? kindName : this._kindName(kind),
        value,
        reason: L.scv_record_errmsg(rec),
        offset: off < 0 ? null : off,
      };
      if (index !== undefined) entry.index = index;
      sink.push(entry);
    } else if (st !== S.SCV_OK) {
      throw this._recErr(rec, st, 'scv_record_add_identifier', `identifier ${kindName}`);
    }
  }

  // ---- lookups -----------------------------------------------------------------------------

  /** The profile id of a stored record, or null. */
  profileOf(source, recordId) {
    const ref = this._recordRef(source, recordId);
    if (ref === 0) return null;
    const out = new Uint32Array(1);
    const st = native().scv_engine_record_profile(this._ptr(), ref, out);
    if (st === S.SCV_ENOTFOUND) return null;
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_record_profile');
    return out[0];
  }

  /**
   * The profile holding an identifier (raw value, normalized as on ingest), or null when no
   * record carries it. A value the normalizer rejects throws SCV_EREJECTED.
   */
  profileOfIdentifier(kind, value) {
    const k = this._kind(kind);
    const v = toBytes(value, 'value');
    const out = new Uint32Array(1);
    const st = native().scv_engine_identifier_profile(this._ptr(), k, v, v.length, out);
    if (st === S.SCV_ENOTFOUND) return null;
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_identifier_profile');
    return out[0];
  }

  /** The live profile an id stands for now (itself, or the survivor of its merge), or null. */
  canonical(id) {
    const out = new Uint32Array(1);
    const st = native().scv_profile_canonical(this._ptr(), u32(id, 'profile id'), out);
    if (st === S.SCV_ENOTFOUND || st === S.SCV_EINVAL) return null;
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_profile_canonical');
    return out[0];
  }

  /** Live profile ids, ascending (a generator). */
  *profiles() {
    const L = native();
    const out = new Uint32Array(1);
    let after = 0;
    for (;;) {
      const st = L.scv_engine_profile_next(this._ptr(), after, out);
      if (st === S.SCV_ENOTFOUND) return;
      if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_profile_next');
      after = out[0];
      yield after;
    }
  }

  /** Stored records `{ source, recordId, timestamp }` in first-seen order (a generator). */
  *allRecords() {
    const L = native();
    const out = new Uint32Array(1);
    let after = 0;
    for (;;) {
      const st = L.scv_engine_record_next(this._ptr(), after, out);
      if (st === S.SCV_ENOTFOUND) return;
      if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_record_next');
      after = out[0];
      yield this._recordInfo(after);
    }
  }

  /**
   * Every stored record with its profile, `{ source, recordId, profileId }`, in first-seen
   * order (a generator): what allRecords() and profileOf() give, but ASSIGNMENTS_CHUNK (4096)
   * records per scv_engine_record_profiles() call, which is much faster for exporting every
   * record's profile. A chunk is read whole when the iteration reaches it: changes made while
   * iterating show from the next chunk on.
   */
  *assignments() {
    const L = native();
    const refs = new Uint32Array(ASSIGNMENTS_CHUNK);
    const profiles = new Uint32Array(ASSIGNMENTS_CHUNK);
    const count = new BigUint64Array(1);
    let after = 0;
    for (;;) {
      const st = L.scv_engine_record_profiles(this._ptr(), after, refs, profiles, ASSIGNMENTS_CHUNK, count);
      if (st === S.SCV_ENOTFOUND) return;
      if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_record_profiles');
      const n = Number(count[0]);
      after = refs[n - 1];
      const chunk = new Array(n);
      for (let i = 0; i < n; i++) {
        const { source, recordId } = this._recordInfo(refs[i]);
        chunk[i] = { source, recordId, profileId: profiles[i] };
      }
      yield* chunk;
    }
  }

  /**
   * A live profile as the object scv_profile_json() describes (profile_id, first_seen,
   * last_seen, sources, records, identifiers, traits, measures, consent), or null.
   */
  profile(id) {
    const L = native();
    const pid = u32(id, 'profile id');
    const len = new BigUint64Array(1);
    let buf = Buffer.alloc(4096);
    for (;;) {
      const st = L.scv_profile_json(this._ptr(), pid, buf, buf.length, len);
      if (st === S.SCV_EBUFFER) {
        buf = Buffer.alloc(Number(len[0]));
        continue;
      }
      if (st === S.SCV_ENOTFOUND) return null;
      if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_profile_json');
      return JSON.parse(buf.toString('utf8', 0, Number(len[0])));
    }
  }

  /** The records of a live profile as `{ source, recordId, timestamp }`, or null. */
  records(id) {
    const r = this._refs('scv_profile_records', 'scv_profile_records', [u32(id, 'profile id')], false);
    return r === null ? null : r.refs.map((ref) => this._recordInfo(ref));
  }

  /**
   * The distinct identifiers of a live profile as `{ kind, value, hash }` (value null unless
   * retained), or null.
   */
  identifiers(id) {
    const r = this._refs('scv_profile_identifiers', 'scv_profile_identifiers', [u32(id, 'profile id')], false);
    return r === null ? null : r.refs.map((ref) => this._identifier(ref));
  }

  /** Identifiers on a live profile's records that do not link, with their `state`, or null. */
  unlinked(id) {
    const r = this._refs('scv_profile_unlinked', 'scv_profile_unlinked', [u32(id, 'profile id')], true);
    return r === null ? null : r.refs.map((ref, i) => ({ ...this._identifier(ref), state: LINK_STATES[r.states[i]] }));
  }

  /** The identifiers of a stored record with their link `state`, or null. */
  recordIdentifiers(source, recordId) {
    const ref = this._recordRef(source, recordId);
    if (ref === 0) return null;
    const r = this._refs('scv_record_identifiers', 'scv_record_identifiers', [ref], true);
    return r === null ? null : r.refs.map((iref, i) => ({ ...this._identifier(iref), state: LINK_STATES[r.states[i]] }));
  }

  /** A live profile's surviving value of a trait, or null. */
  trait(id, name) {
    const nb = toBytes(name, 'trait name');
    const p = new BigUint64Array(1);
    const len = new BigUint64Array(1);
    const st = native().scv_profile_trait(this._ptr(), u32(id, 'profile id'), nb, nb.length, p, len, null);
    if (st === S.SCV_ENOTFOUND) return null;
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_profile_trait');
    return readString(p[0], Number(len[0]));
  }

  /**
   * A measure aggregated over a live profile's records: agg is 'count', 'sum', 'avg', 'min',
   * 'max', 'first_time' or 'last_time'. With `windowDays` only records dated in
   * (now - windowDays days, now] count. Null when the value is missing.
   */
  measure(id, name, agg = 'sum', { windowDays = 0, now } = {}) {
    const nb = toBytes(name, 'measure name');
    const a = pick(AGGREGATES, agg, 'agg');
    const t = now === undefined || now === null ? Math.floor(Date.now() / 1000) : toSeconds(now, 'now');
    const out = new Float64Array(1);
    const st = native().scv_profile_measure(this._ptr(), u32(id, 'profile id'), nb, nb.length, a, u32(windowDays, 'windowDays'), t, out);
    if (st === S.SCV_ENOTFOUND) return null;
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_profile_measure');
    return out[0];
  }

  /** A live profile's consent for a channel: `{ granted, timestamp }`, or null. */
  consent(id, channel) {
    const cb = toBytes(channel, 'channel');
    const granted = new Int32Array(1);
    const ts = new BigInt64Array(1);
    const st = native().scv_profile_consent(this._ptr(), u32(id, 'profile id'), cb, cb.length, granted, ts);
    if (st === S.SCV_ENOTFOUND) return null;
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_profile_consent');
    return { granted: granted[0] !== 0, timestamp: fromTimestamp(ts[0]) };
  }

  /** First and last record timestamps of a live profile `{ firstSeen, lastSeen }`, or null. */
  seen(id) {
    const first = new BigInt64Array(1);
    const last = new BigInt64Array(1);
    const st = native().scv_profile_seen(this._ptr(), u32(id, 'profile id'), first, last);
    if (st === S.SCV_ENOTFOUND) return null;
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_profile_seen');
    return { firstSeen: fromTimestamp(first[0]), lastSeen: fromTimestamp(last[0]) };
  }

  /** Trait names seen so far, in first-seen order. */
  traitNames() {
    return this._names('scv_engine_trait_name');
  }

  /** Measure names seen so far, in first-seen order. */
  measureNames() {
    return this._names('scv_engine_measure_name');
  }

  /** Consent channels seen so far, in first-seen order. */
  consentChannels() {
    return this._names('scv_engine_consent_channel');
  }

  get recordCount() {
    return Number(native().scv_engine_record_count(this._ptr()));
  }

  get profileCount() {
    return Number(native().scv_engine_profile_count(this._ptr()));
  }

  get identifierCount() {
    return Number(native().scv_engine_identifier_count(this._ptr()));
  }

  /** Engine statistics (scv_stat) as numbers, plus `suppressed`. */
  stats() {
    const L = native();
    const ptr = this._ptr();
    const v = new BigUint64Array(1);
    const out = {};
    STATS.forEach((name, which) => {
      const st = L.scv_engine_stat(ptr, which, v);
      if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_stat');
      out[name] = Number(v[0]);
    });
    out.suppressed = Number(L.scv_engine_suppressed_count(ptr));
    return out;
  }

  // ---- audit statistics --------------------------------------------------------------------

  /** Profile sizes as a log2 histogram of `buckets` counts (see scv.h). */
  profileSizeHistogram(buckets = 16) {
    const counts = new BigUint64Array(u32(buckets, 'buckets'));
    const st = native().scv_engine_profile_size_histogram(this._ptr(), counts, counts.length);
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_profile_size_histogram');
    return Array.from(counts, Number);
  }

  /** The profile size (records) at percentile p (0..100). */
  profileSizePercentile(p) {
    const out = new Uint32Array(1);
    const st = native().scv_engine_profile_size_percentile(this._ptr(), p, out);
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_profile_size_percentile');
    return out[0];
  }

  /** The ids of the `n` largest live profiles, largest first. */
  largestProfiles(n = 10) {
    const out = new Uint32Array(u32(n, 'n'));
    const count = new BigUint64Array(1);
    const st = native().scv_engine_largest_profiles(this._ptr(), out, out.length, count);
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_largest_profiles');
    return Array.from(out.subarray(0, Number(count[0])));
  }

  /**
   * Identifiers whose own state is `state` ('linked', 'blocked', 'generic', 'suppressed') and
   * that some record carries, as `{ kind, value, hash, records }` (a generator).
   */
  *identifiersByState(state) {
    const s = LINK_STATES.indexOf(state);
    if (s < 0) throw new TypeError(`state must be one of ${LINK_STATES.join(', ')}`);
    const L = native();
    const out = new Uint32Array(1);
    const recs = new Uint32Array(1);
    let after = 0;
    for (;;) {
      const st = L.scv_engine_identifier_next(this._ptr(), after, s, out);
      if (st === S.SCV_ENOTFOUND) return;
      if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_identifier_next');
      after = out[0];
      const st2 = L.scv_engine_identifier_state(this._ptr(), after, null, recs);
      if (st2 !== S.SCV_OK) throw this._constErr(st2, 'scv_engine_identifier_state');
      yield { ...this._identifier(after), records: recs[0] };
    }
  }

  /** `{ sources, matrix }`: matrix[i][j] live profiles with records from sources i and j. */
  sourceOverlap() {
    const sources = this.sources().slice(0, 64);
    const n = sources.length;
    const m = new BigUint64Array(n * n);
    const st = native().scv_engine_source_overlap(this._ptr(), m, n);
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_source_overlap');
    const matrix = [];
    for (let i = 0; i < n; i++) matrix.push(Array.from(m.subarray(i * n, (i + 1) * n), Number));
    return { sources, matrix };
  }

  /** `{ kind: live profiles holding a linking identifier of that kind }`. */
  kindCoverage() {
    const kinds = this.kinds();
    const counts = new BigUint64Array(kinds.length);
    const st = native().scv_engine_kind_coverage(this._ptr(), counts, counts.length);
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_kind_coverage');
    return Object.fromEntries(kinds.map((k, i) => [k, Number(counts[i])]));
  }

  // ---- normalization and hashing -----------------------------------------------------------

  /** The value normalized as the engine would for `kind`, or null when it is rejected. */
  normalize(kind, value) {
    const k = this._kind(kind);
    const v = toBytes(value, 'value');
    const len = new BigUint64Array(1);
    const st = native().scv_engine_normalize(this._ptr(), k, v, v.length, this._normBuf, this._normBuf.length, len);
    if (st === S.SCV_EREJECTED) return null;
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_normalize');
    return this._normBuf.toString('utf8', 0, Number(len[0]));
  }

  /** The 16-byte hash of (kind, normalized value) under the engine's key. */
  hash(kind, value) {
    const k = this._kind(kind);
    const v = toBytes(value, 'value');
    const out = Buffer.alloc(HASH_SIZE);
    const st = native().scv_engine_hash(this._ptr(), k, v, v.length, out);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_hash');
    return out;
  }

  // ---- queries, segments, personas ---------------------------------------------------------

  /** Compile a query (DESIGN.md's language); syntax errors throw with `offset`. */
  query(text) {
    return new Query(this, text);
  }

  /** Define a saved segment; its first refresh() reports every match as entered. */
  segment(name, query) {
    return new Segment(this, name, query);
  }

  /** An ordered persona list from [name, query] pairs; call assign(now) to assign them. */
  personas(list) {
    return new Personas(this, list);
  }

  // ---- lifecycle and privacy ---------------------------------------------------------------

  /** Delete a stored record; false when there is no such record. */
  delete(source, recordId) {
    const src = this._source(source, false);
    if (src === null) return false;
    const id = toBytes(recordId, 'recordId');
    const st = native().scv_engine_delete(this._ptr(), src, id, id.length);
    if (st === S.SCV_ENOTFOUND) return false;
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_delete');
    return true;
  }

  /**
   * Erase a person (GDPR art. 17): every record of the profile, with its identifiers put on
   * the suppression list. Returns `{ records, identifiers }` counts; throws SCV_ENOTFOUND
   * when there is no such profile.
   */
  erase(id) {
    const records = new BigUint64Array(1);
    const identifiers = new BigUint64Array(1);
    const st = native().scv_engine_erase(this._ptr(), u32(id, 'profile id'), records, identifiers);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_erase');
    return { records: Number(records[0]), identifiers: Number(identifiers[0]) };
  }

  /** Put an identifier (raw value) on the suppression list. */
  suppress(kind, value) {
    const k = this._kind(kind);
    const v = toBytes(value, 'value');
    const st = native().scv_engine_suppress(this._ptr(), k, v, v.length);
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_suppress');
  }

  _hashArg(hash) {
    const h = toBytes(hash, 'hash');
    if (typeof hash === 'string' || h.length !== HASH_SIZE) {
      throw new ScvError(S.SCV_EINVAL, `a hash is a Buffer of ${HASH_SIZE} bytes (as hash() returns)`, null, null);
    }
    return h;
  }

  /** Suppress by hash (as hash() returns it). */
  suppressHash(kind, hash) {
    const st = native().scv_engine_suppress_hash(this._ptr(), this._kind(kind), this._hashArg(hash));
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_suppress_hash');
  }

  /** Take a hash off the suppression list; false when it was not on it. */
  unsuppressHash(kind, hash) {
    const st = native().scv_engine_unsuppress_hash(this._ptr(), this._kind(kind), this._hashArg(hash));
    if (st === S.SCV_ENOTFOUND) return false;
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_unsuppress_hash');
    return true;
  }

  /**
   * How two stored records relate: `{ apart, records, identifiers }`. apart is 'none' when
   * they share a profile (the chain shows why), else the rule that cut the shortest chain
   * ('limit', 'size', 'blocked', 'generic', 'suppressed') or 'unrelated'. records is the
   * chain a..b as `{ source, recordId, timestamp }`; identifiers[i] joins records i and i+1.
   */
  explain(a, b) {
    const [sa, ia] = this._recordKey(a, 'the first record');
    const [sb, ib] = this._recordKey(b, 'the second record');
    const ra = this._recordRef(sa, ia);
    const rb = this._recordRef(sb, ib);
    for (const [ref, s, i] of [[ra, sa, ia], [rb, sb, ib]]) {
      if (ref === 0) throw this._constErr(S.SCV_ENOTFOUND, 'scv_engine_explain', `no record ${String(s)}/${String(i)}`);
    }
    const L = native();
    const len = new BigUint64Array(1);
    const apart = new Int32Array(1);
    let cap = 8;
    for (;;) {
      const recs = new Uint32Array(cap);
      const ids = new Uint32Array(cap);
      const st = L.scv_engine_explain(this._ptr(), ra, rb, recs, ids, cap, len, apart);
      if (st === S.SCV_EBUFFER) {
        cap = Number(len[0]);
        continue;
      }
      if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_explain');
      const n = Number(len[0]);
      return {
        apart: APART[apart[0]] || String(apart[0]),
        records: Array.from(recs.subarray(0, n), (ref) => this._recordInfo(ref)),
        identifiers: Array.from(ids.subarray(0, Math.max(0, n - 1)), (ref) => this._identifier(ref)),
      };
    }
  }

  /** The sequence number of the newest change (BigInt; 0n before any). */
  get sequence() {
    return asU64(native().scv_engine_sequence(this._ptr()));
  }

  /**
   * Every change after sequence number `after` (BigInt or safe integer), oldest first, as
   * `{ seq, type, profile, other, source, recordId }`: seq a BigInt; type 'created', 'merged',
   * 'split', 'updated' or 'deleted'; source and recordId of the record that caused it (null
   * when no record did). Throws SCV_EEXPIRED when changes after `after` are no longer held.
   */
  changesSince(after = 0n) {
    const from = u64(after, 'after');
    const raw = [];
    let failure = null;
    const callback = (ctx, seq, change, profile, other, source, idPtr, len) => {
      try {
        const n = Number(len);
        raw.push([asU64(seq), change, profile, other, source, n === 0 ? null : readString(idPtr, n)]);
        return 0;
      } catch (err) {
        failure = err;
        return 1;
      }
    };
    const st = native().scv_engine_changes_since(this._ptr(), from, callback, null);
    if (failure !== null) throw failure;
    if (st === S.SCV_EEXPIRED) {
      throw this._constErr(st, 'scv_engine_changes_since', `changes after ${from} are no longer held; resynchronise from sequence ${this.sequence}`);
    }
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_changes_since');
    return raw.map(([seq, change, profile, other, source, recordId]) => ({
      seq,
      type: CHANGES[change] || String(change),
      profile,
      other,
      source: recordId === null ? null : this._sourceName(source),
      recordId,
    }));
  }

  // ---- snapshots and absorb ---------------------------------------------------------------

  /** The whole engine serialised (versioned, checksummed) as a Buffer; see Engine.load(). */
  snapshot() {
    const L = native();
    const size = new BigUint64Array(1);
    let st = L.scv_engine_snapshot_size(this._ptr(), size);
    if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_snapshot_size');
    for (;;) {
      const buf = Buffer.alloc(Number(size[0]));
      st = L.scv_engine_snapshot_write(this._ptr(), buf, buf.length, size);
      if (st === S.SCV_EBUFFER) continue;
      if (st !== S.SCV_OK) throw this._constErr(st, 'scv_engine_snapshot_write');
      return buf.subarray(0, Number(size[0]));
    }
  }

  /**
   * Add every live record of `other` (another Engine, same hash key) as if upserted here.
   * Not atomic: on failure the records absorbed so far stay; calling again is safe.
   */
  absorb(other) {
    if (!(other instanceof Engine)) throw new TypeError('absorb() takes another Engine');
    const st = native().scv_engine_absorb(this._ptr(), other._ptr());
    if (st !== S.SCV_OK) throw this._mutErr(st, 'scv_engine_absorb');
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Engine.prototype[Symbol.dispose] = function dispose() {
    this.close();
  };
}

module.exports = {
  Engine, RETAIN, NORMALIZERS, SURVIVORSHIP, AGGREGATES, LINK_STATES, APART, CHANGES, has,
};
