'use strict';
// The README's example runs and prints what its comments say.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

test('the README example runs', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const block = readme.match(/```js\n([\s\S]*?)```/);
  assert.ok(block, 'README.md has a js example');
  const code = block[1].replace("require('scv')", `require(${JSON.stringify(path.join(__dirname, '..'))})`);
  const out = spawnSync(process.execPath, ['-e', code], { env: process.env, encoding: 'utf8', timeout: 30000 });
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(out.stdout.trim().split('\n'), ['true e-mail has an empty domain', 'Berlin', '[ 1 ]']);
});
