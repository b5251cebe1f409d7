// Checks the v3 files written by the util scripts (run after them, see the "test" script).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const read = (path) => {
  const text = readFileSync(path, 'utf-8');
  assert.ok(text.endsWith('}\n'), `${path} is not formatted`);
  assert.ok(text.includes('\n  "'), `${path} is not formatted`);
  return JSON.parse(text);
};

const core = read('v3/core.json');
assert.deepEqual(core.core.map((c) => c.id), ['aviutl', 'exedit']);
assert.equal(core.core[0].releases.length, 2);

const packages = read('v3/packages.json');
assert.deepEqual(packages.packages.map((p) => p.id), ['auls/memref', 'wooser/lsmash']);
const memref = packages.packages[0];
assert.deepEqual(Object.keys(memref), ['id', 'name', 'author', 'latestVersion', 'files', 'releases']);
assert.equal(memref.latestVersion, '1.1.0');
assert.match(memref.releases[0].integrity, /^sha384-[A-Za-z0-9+/]{64}$/);

const list = read('v3/list.json');
assert.ok(new Date(list.core.modified) > new Date('2023-08-01T10:00:00+09:00'));
assert.ok(new Date(list.packages[0].modified) > new Date('2023-08-02T11:30:00+09:00'));
assert.ok(readFileSync('v3/list.json', 'utf-8').split('\n').every((l) => l.length <= 60));

console.log('v3 data OK');
