import { test } from "node:test";
import assert from "node:assert/strict";

import { button } from "../src/index.js";

test("default button", () => {
  assert.equal(button({ label: "OK" }), '<button type="button" class="gx-button">OK</button>');
});

test("variant and disabled", () => {
  assert.equal(
    button({ label: "Delete", variant: "danger", disabled: true }),
    '<button type="button" class="gx-button gx-button--danger" disabled>Delete</button>',
  );
});

test("label is escaped", () => {
  assert.match(button({ label: "<b>" }), /&lt;b&gt;/);
});

test("unknown variant throws", () => {
  assert.throws(() => button({ label: "x", variant: "huge" }), RangeError);
});
