'use strict';
// index.d.ts declares the whole public API: every export and every public member of every
// class (names not starting with '_').

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const scv = require('..');

const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');

function classBody(name) {
  const start = dts.search(new RegExp(`export declare class ${name}\\b[^{]*\\{`));
  assert.ok(start >= 0, `index.d.ts declares class ${name}`);
  let depth = 0;
  for (let i = dts.indexOf('{', start); i < dts.length; i++) {
    if (dts[i] === '{') depth++;
    if (dts[i] === '}' && --depth === 0) return dts.slice(start, i);
  }
  throw new Error(`unterminated class ${name}`);
}

test('every export of the package is declared', () => {
  for (const name of Object.keys(scv)) {
    assert.match(dts, new RegExp(`export declare (class|function|const) ${name}\\b`), `${name} is not declared in index.d.ts`);
  }
});

test('every public member of every class is declared', () => {
  for (const cls of [scv.Engine, scv.Result, scv.Query, scv.Segment, scv.Personas]) {
    const body = classBody(cls.name);
    const members = [...Object.getOwnPropertyNames(cls.prototype), ...Object.getOwnPropertyNames(cls)]
      .filter((n) => !n.startsWith('_') && !['constructor', 'length', 'name', 'prototype'].includes(n));
    for (const m of members) {
      assert.match(body, new RegExp(`(^|\\s)(static |readonly )*${m}\\??[(:<]`, 'm'), `${cls.name}.${m} is not declared in index.d.ts`);
    }
  }
});
