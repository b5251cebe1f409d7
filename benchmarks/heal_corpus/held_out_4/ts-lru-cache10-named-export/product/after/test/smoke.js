'use strict';

const assert = require('assert');
const memoizer = require('..');

let loads = 0;
const double = memoizer.sync({ load: (x) => { loads++; return { value: x * 2 }; }, max: 10, clone: true });
assert.deepStrictEqual(double(2), { value: 4 });
assert.deepStrictEqual(double(2), { value: 4 });
assert.strictEqual(loads, 1);
assert.deepStrictEqual(double.keys(), ['[2]']);
double.del(2);
assert.deepStrictEqual(double.keys(), []);
double(3);
double.reset();
assert.deepStrictEqual(double.keys(), []);

const short = memoizer.sync({ load: (x) => x + 1, itemMaxAge: (x, r) => (r > 10 ? 1 : 60000) });
short(1);
short(20);
assert.deepStrictEqual(short.keys().sort(), ['[1]', '[20]']);

let asyncLoads = 0;
const lookup = memoizer({
  load: (name, cb) => { asyncLoads++; setTimeout(() => cb(null, name.toUpperCase(), name.length), 5); },
  hash: (name) => name,
  max: 5,
});
lookup('alice', (err, upper, len) => {
  assert.ifError(err);
  lookup('alice', (err2, upper2, len2) => {
    assert.deepStrictEqual([upper, len, upper2, len2, asyncLoads], ['ALICE', 5, 'ALICE', 5, 1]);
    lookup.del('alice');
    assert.deepStrictEqual(lookup.keys(), []);
    console.log('lru-memoizer smoke tests passed');
  });
});
