'use strict';
// Shared helpers of the oracle suites: a seeded PRNG, running `scv normalize`, result tables.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** mulberry32: a small, fast, deterministic 32-bit PRNG. Returns an object of helpers. */
function makeRng(seed) {
  let a = seed >>> 0;
  function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  const rng = {
    next,
    /** integer in [0, n) */
    int: (n) => Math.floor(next() * n),
    /** integer in [lo, hi] */
    range: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    digit: () => String.fromCharCode(48 + Math.floor(next() * 10)),
    digits: (n) => {
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(48 + Math.floor(next() * 10));
      return s;
    },
    /** pick by weight from [[value, weight], ...] */
    weighted: (pairs) => {
      const total = pairs.reduce((s, p) => s + p[1], 0);
      let x = next() * total;
      for (const [v, w] of pairs) {
        x -= w;
        if (x < 0) return v;
      }
      return pairs[pairs.length - 1][0];
    },
  };
  return rng;
}

/** Seed of a suite: ORACLE_SEED when set (to explore), else the fixed default. */
function suiteSeed(fallback) {
  const s = process.env.ORACLE_SEED;
  if (s && /^\d+$/.test(s)) return Number(s) >>> 0;
  return fallback >>> 0;
}

/** The `scv` program: SCV_CLI, or the usual build directories of the repository. */
function findScvCli() {
  if (process.env.SCV_CLI) return process.env.SCV_CLI;
  const root = path.resolve(__dirname, '..', '..');
  for (const dir of ['build', 'build-dbg', 'out']) {
    const p = path.join(root, dir, 'examples', 'cli', 'scv');
    if (fs.existsSync(p)) return p;
  }
  return null;
}

/**
 * Run `scv ARGS...` once with every value on its own line on stdin; returns one output per
 * input ('' where the program rejected the value).
 */
function runScv(cli, args, values) {
  for (const v of values) {
    if (v.includes('\n')) throw new Error(`input must not contain a newline: ${JSON.stringify(v)}`);
  }
  const input = values.length ? values.join('\n') + '\n' : '';
  const r = spawnSync(cli, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cli} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  const lines = r.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== values.length) {
    throw new Error(`${cli} ${args.join(' ')}: ${values.length} inputs but ${lines.length} outputs`);
  }
  return lines;
}

/** A plain-text table; `rows` are arrays of cells, the first row the header. Numbers and
 * percentages are right-aligned, other cells left-aligned. */
function formatTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const numeric = (c) => typeof c === 'number' || /^(\d+(\.\d+)?%|\d+\/\d+|-)$/.test(String(c));
  const right = rows[0].map((_, i) => rows.length > 1 && rows.slice(1).every((r) => numeric(r[i])));
  const cell = (c, i) => (right[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]));
  const line = (r) => r.map(cell).join('  ').trimEnd();
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows.slice(1)) out.push(line(r));
  return out.join('\n');
}

function pct(num, den) {
  return den === 0 ? '-' : `${((100 * num) / den).toFixed(2)}%`;
}

module.exports = { makeRng, suiteSeed, findScvCli, runScv, formatTable, pct };
