import { test } from "node:test";
import assert from "node:assert/strict";

import { badge } from "../src/index.js";

test("neutral badge", () => {
  assert.equal(badge("beta"), '<span class="gx-badge">beta</span>');
});

test("toned badge", () => {
  assert.equal(badge("3 new", { tone: "info" }), '<span class="gx-badge gx-badge--info">3 new</span>');
});
