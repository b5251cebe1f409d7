import { test } from "node:test";
import assert from "node:assert/strict";

import { progressBar } from "../src/index.js";

test("renders percentage and aria attributes", () => {
  assert.equal(
    progressBar({ value: 3, max: 4, label: "Upload" }),
    '<div class="gx-progress" role="progressbar" aria-valuemin="0" aria-valuemax="4" ' +
      'aria-valuenow="3" aria-label="Upload"><div class="gx-progress__bar" style="width: 75%"></div></div>',
  );
});

test("clamps the value", () => {
  assert.match(progressBar({ value: 250 }), /aria-valuenow="100".*width: 100%/);
  assert.match(progressBar({ value: -5 }), /aria-valuenow="0".*width: 0%/);
});

test("rejects a non-positive max", () => {
  assert.throws(() => progressBar({ value: 1, max: 0 }), RangeError);
});
