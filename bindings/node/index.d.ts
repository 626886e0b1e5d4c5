// TypeScript declarations for the `scv` Node.js package (CommonJS).
// The C library's manual is include/scv.h; README.md describes the JS API.

/// <reference types="node" />

/** A string (sent as UTF-8) or raw bytes. Numbers and BigInts are sent as their decimal text. */
export type Bytes = string | Buffer | Uint8Array;
export type Value = Bytes | number | bigint;

/** Unix seconds, a Date, or an ISO 8601 string. */
export type Time = number | bigint | Date | string;

/** A kind by name ('email', 'phone', 'customer_id', ...) or number. */
export type KindLike = string | number;
/** A source by name ('crm', 'web', 'email', 'pos', ...) or number. */
export type SourceLike = string | number;

/** A plain object, a Map, or an array of [key, value] pairs. */
export type Entries<V> = Record<string, V> | Map<string | Buffer, V> | Array<[string | Buffer, V]>;

export type Retain = 'none' | 'normalized' | 'raw';
export type Normalizer = 'email' | 'phone' | 'exact' | 'casefold';
export type Survivorship = 'most_recent' | 'source_priority' | 'most_frequent' | 'first_seen';
export type Aggregate = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'first_time' | 'last_time';
export type LinkState = 'linked' | 'set_aside_limit' | 'set_aside_size' | 'blocked' | 'generic' | 'suppressed';
export type Apart = 'none' | 'unrelated' | 'limit' | 'size' | 'blocked' | 'generic' | 'suppressed';
export type ChangeType = 'created' | 'merged' | 'split' | 'updated' | 'deleted';

export type StatusCode =
  | 'SCV_OK' | 'SCV_EINVAL' | 'SCV_ENOMEM' | 'SCV_EUTF8' | 'SCV_ETOOLONG' | 'SCV_EREJECTED'
  | 'SCV_ENOTFOUND' | 'SCV_EEXISTS' | 'SCV_ELIMIT' | 'SCV_EBUFFER' | 'SCV_ESTATE' | 'SCV_ESYNTAX'
  | 'SCV_EEXPIRED' | 'SCV_ECORRUPT' | 'SCV_EVERSION';

/** Status numbers, pinned by scv.h. */
export declare const STATUS: Readonly<Record<StatusCode, number>>;

/** A failed libscv call. Wrong JS argument types throw TypeError/RangeError instead. */
export declare class ScvError extends Error {
  readonly name: 'ScvError';
  /** The status name, e.g. 'SCV_EREJECTED'. */
  code: StatusCode | string;
  /** The C status number, e.g. 5. */
  status: number;
  /** The library's reason (a short English sentence). */
  reason: string;
  /** Byte offset into the offending input (a value, a query), or null. */
  offset: number | null;
  /** The C function that failed, when known. */
  call: string | null;
  /** For upsertMany(): the index of the record that failed. */
  index?: number;
}

export interface EngineOptions {
  /** Default phone region, ISO 3166-1 alpha-2 ('DE'). Default: none (numbers need +CC). */
  region?: string;
  /** Secret key identifiers are hashed under (at most 4096 bytes). Default: XXH3's default secret. */
  hashKey?: Bytes;
  /** What is kept besides hashes. Default 'none'. */
  retain?: Retain;
  /** Gmail dot and +tag folding. Default false. */
  emailProviderRules?: boolean;
  /** Change events kept for changesSince(). Default 65536; at most 2^28. */
  changeCapacity?: number;
}

/** Options for Engine.load(): only these two are used, the rest comes from the snapshot. */
export interface LoadOptions {
  hashKey?: Bytes;
  changeCapacity?: number;
}

export interface ConsentDecision {
  granted: boolean;
  /** When it was decided; default the record's timestamp. */
  timestamp?: Time | null;
}

export interface RecordInput {
  source: SourceLike;
  recordId: Value;
  timestamp?: Time | null;
  /** kind -> one value or several; null/undefined values are skipped. */
  identifiers?: Entries<Value | null | undefined | Array<Value | null | undefined>>;
  /** trait name -> value ('' means no value); null/undefined are skipped. */
  traits?: Entries<Value | boolean | null | undefined>;
  /** measure name -> finite number. */
  measures?: Entries<number | bigint | null | undefined>;
  /** channel -> granted, or { granted, timestamp }. */
  consent?: Entries<boolean | ConsentDecision | null | undefined>;
}

/** An identifier value the normalizer rejected; the record was stored without it. */
export interface Rejected {
  source: SourceLike;
  recordId: string;
  kind: string;
  value: Value;
  reason: string;
  offset: number | null;
  /** For upsertMany(): the record's index. */
  index?: number;
}

export interface StoredRecord {
  source: string;
  recordId: string;
  /** Unix seconds, or null when the record has no timestamp. */
  timestamp: number | null;
}

/** What Engine.assignments() yields per record. */
export interface Assignment {
  source: string;
  recordId: string;
  profileId: number;
}

export interface Identifier {
  kind: string;
  /** The normalized (or raw, with retain 'raw') value; null when values are not retained. */
  value: string | null;
  /** The 16-byte XXH3-128 hash. */
  hash: Buffer;
}

export interface IdentifierWithState extends Identifier {
  state: LinkState;
}

/** The object scv_profile_json() describes. */
export interface ProfileView {
  profile_id: number;
  first_seen: number | null;
  last_seen: number | null;
  sources: string[];
  records: Array<{ source: string; record_id: string; timestamp: number | null }>;
  identifiers: Array<{ kind: string; state: string; value?: string; hash?: string }>;
  traits: Record<string, { value: string; source: string; record_id: string }>;
  measures: Record<string, { count: number; sum: number; avg: number; min: number; max: number; first: number | null; last: number | null }>;
  consent: Record<string, { granted: boolean; timestamp: number | null }>;
  [key: string]: unknown;
}

export interface Stats {
  records: number;
  profiles: number;
  identifiers: number;
  merges: number;
  splits: number;
  asideLimit: number;
  asideSize: number;
  blockedValues: number;
  blockedRecords: number;
  genericValues: number;
  genericRecords: number;
  genericDecisions: number;
  bytes: number;
  suppressed: number;
}

export interface Explanation {
  apart: Apart;
  /** The chain from the first record to the second (empty when unrelated). */
  records: StoredRecord[];
  /** identifiers[i] joins records[i] and records[i + 1]. */
  identifiers: Identifier[];
}

export interface Change {
  /** Sequence number (uint64). */
  seq: bigint;
  type: ChangeType;
  profile: number;
  /** The merged-away or split-off profile, else 0. */
  other: number;
  /** The record that caused it; null when no record did (block, suppress, erase...). */
  source: string | null;
  recordId: string | null;
}

export type RecordKey = [SourceLike, Value] | { source: SourceLike; recordId: Value };

/** Options of the Segment-event calls. */
export interface SegmentOptions {
  /** The records' source (default 'web'). */
  source?: SourceLike;
  /** Extra numeric properties read as measures, besides revenue, total and value. */
  measures?: Iterable<string>;
}

/** What upsertSegmentEvents() did: bad events are skipped and listed. */
export interface SegmentCounts {
  upserted: number;
  bad: number;
  rejected: number;
  errors: Array<{ number: number; reason: string }>;
}

/** The record a Segment event becomes (examples/cli/SEGMENT.md); throws for a bad event. */
export declare function segmentEventToRecord(event: Record<string, unknown>, options?: SegmentOptions): RecordInput;

export declare class Engine {
  constructor(options?: EngineOptions);
  /** An engine from a snapshot() buffer, made under the same hash key. */
  static load(snapshot: Uint8Array, options?: LoadOptions): Engine;

  /** Free the engine and its open queries, segments and personas (Results survive). Idempotent. */
  close(): void;
  readonly closed: boolean;
  [Symbol.dispose](): void;

  /** Rejected identifier values of the latest upsert()/upsertMany(). */
  lastRejected: Rejected[];

  // kinds and sources
  registerKind(name: Bytes, normalizer?: Normalizer | number): number;
  registerSource(name: Bytes): number;
  /** A kind's number; throws SCV_ENOTFOUND for an unknown name. */
  kind(name: KindLike): number;
  /** A source's number, or null for an unknown name. */
  source(name: SourceLike): number | null;
  kinds(): string[];
  sources(): string[];

  // rules (all but block(), setTraitRule(), setSourcePriority() and setRfmMeasure() only
  // before the first record: SCV_ESTATE afterwards)
  setLimit(kind: KindLike, max: number): void;
  setPriority(kinds: Iterable<KindLike>): void;
  setGenericThreshold(kind: KindLike, threshold: number): void;
  setProfileLimits(limits?: { maxRecords?: number; maxIdentifiers?: number }): void;
  setDefaultBlocklist(on: boolean): void;
  block(kind: KindLike, value: Value): void;
  setTraitRule(name: Bytes | null, rule: Survivorship | number): void;
  setSourcePriority(sources: Iterable<SourceLike>): void;
  setRfmMeasure(name: Bytes): void;

  // ingest
  /** Insert or replace a record; returns its profile id. Rejected values go to `rejected`. */
  upsert(record: RecordInput, rejected?: Rejected[]): number;
  /**
   * upsert() each record; returns the profile ids right after each upsert. Same results as
   * one upsert() per record, in batches of up to 256 records per library call (so the
   * iterable is read up to 255 records ahead). On an error the records before it are stored
   * and the ScvError carries their count as `index`.
   */
  upsertMany(records: Iterable<RecordInput>, rejected?: Rejected[]): number[];
  /** upsert() a Segment event (an object or its JSON text); throws for a bad event. */
  upsertSegmentEvent(event: Record<string, unknown> | string | Buffer, options?: SegmentOptions, rejected?: Rejected[]): number;
  /** Upsert Segment events from JSON Lines text or an iterable; bad events are counted. */
  upsertSegmentEvents(events: string | Buffer | Iterable<Record<string, unknown> | string>, options?: SegmentOptions): SegmentCounts;
  /** Make room for a bulk load (estimates are fine). */
  reserve(records: number, identifiers?: number): void;
  /** Give back spare capacity after a bulk load; nothing observable changes. */
  shrink(): void;

  // lookups (null when there is no such thing)
  profileOf(source: SourceLike, recordId: Value): number | null;
  profileOfIdentifier(kind: KindLike, value: Value): number | null;
  canonical(id: number): number | null;
  profiles(): IterableIterator<number>;
  allRecords(): IterableIterator<StoredRecord>;
  /**
   * Every stored record with its profile id, first-seen order: allRecords() and profileOf()
   * in one pass, 4096 records per library call. Changes made while iterating show from the
   * next chunk of 4096 on.
   */
  assignments(): IterableIterator<Assignment>;
  profile(id: number): ProfileView | null;
  records(id: number): StoredRecord[] | null;
  identifiers(id: number): Identifier[] | null;
  unlinked(id: number): IdentifierWithState[] | null;
  recordIdentifiers(source: SourceLike, recordId: Value): IdentifierWithState[] | null;
  trait(id: number, name: Bytes): string | null;
  measure(id: number, name: Bytes, agg?: Aggregate | number, options?: { windowDays?: number; now?: Time }): number | null;
  consent(id: number, channel: Bytes): { granted: boolean; timestamp: number | null } | null;
  seen(id: number): { firstSeen: number | null; lastSeen: number | null } | null;
  traitNames(): string[];
  measureNames(): string[];
  consentChannels(): string[];
  readonly recordCount: number;
  readonly profileCount: number;
  readonly identifierCount: number;
  stats(): Stats;

  // audit statistics
  profileSizeHistogram(buckets?: number): number[];
  profileSizePercentile(p: number): number;
  largestProfiles(n?: number): number[];
  identifiersByState(state: LinkState): IterableIterator<Identifier & { records: number }>;
  sourceOverlap(): { sources: string[]; matrix: number[][] };
  kindCoverage(): Record<string, number>;

  // normalization and hashing
  /** The normalized value, or null when the normalizer rejects it. */
  normalize(kind: KindLike, value: Value): string | null;
  /** The 16-byte hash of (kind, normalized value); throws SCV_EREJECTED for a rejected value. */
  hash(kind: KindLike, value: Value): Buffer;

  // queries
  query(text: Bytes): Query;
  segment(name: Bytes, query: Bytes): Segment;
  personas(list: Iterable<[Bytes, Bytes] | { name: Bytes; query: Bytes }>): Personas;

  // lifecycle and privacy
  /** Delete a stored record; false when there is none. */
  delete(source: SourceLike, recordId: Value): boolean;
  /** Erase a person; throws SCV_ENOTFOUND for an unknown profile. */
  erase(id: number): { records: number; identifiers: number };
  suppress(kind: KindLike, value: Value): void;
  suppressHash(kind: KindLike, hash: Uint8Array): void;
  /** false when the hash was not suppressed. */
  unsuppressHash(kind: KindLike, hash: Uint8Array): boolean;
  explain(a: RecordKey, b: RecordKey): Explanation;
  /** The newest change's sequence number (0n before any). */
  readonly sequence: bigint;
  /** Changes after `after`; throws SCV_EEXPIRED when they are no longer held. */
  changesSince(after?: bigint | number): Change[];

  // snapshots
  snapshot(): Buffer;
  absorb(other: Engine): void;
}

/** A set of profile ids. Owns native memory: close() it (a finalizer is only a safety net). */
export declare class Result implements Iterable<number> {
  private constructor();
  readonly size: number;
  readonly closed: boolean;
  has(id: number): boolean;
  [Symbol.iterator](): IterableIterator<number>;
  toArray(): number[];
  and(other: Result): Result;
  or(other: Result): Result;
  andNot(other: Result): Result;
  close(): void;
  [Symbol.dispose](): void;
}

/** A compiled query. Closed with its engine. */
export declare class Query {
  private constructor();
  readonly text: string;
  readonly closed: boolean;
  /** Evaluate at `now` (default: the current time). */
  eval(now?: Time): Result;
  /** eval() and return the ids (the Result is closed for you). */
  ids(now?: Time): number[];
  close(): void;
  [Symbol.dispose](): void;
}

/** A saved segment. Closed with its engine. */
export declare class Segment {
  private constructor();
  readonly name: string;
  readonly query: string;
  readonly closed: boolean;
  refresh(now?: Time): { entered: number[]; left: number[] };
  members(): number[];
  close(): void;
  [Symbol.dispose](): void;
}

/** An ordered persona list. Closed with its engine. */
export declare class Personas {
  private constructor();
  readonly names: readonly string[];
  readonly closed: boolean;
  assign(now?: Time): this;
  personaOf(id: number): string | null;
  sizes(): Record<string, number>;
  close(): void;
  [Symbol.dispose](): void;
}

/** The linked library's version. */
export declare function version(): { number: number; string: string };
/** Where the library was loaded from (SCV_LIBRARY, or 'libscv.so'). */
export declare function libraryPath(): string;
/** Whether the loaded library has a C function (older libraries may lack new ones). */
export declare function has(name: string): boolean;
