import { test } from "node:test";
import assert from "node:assert/strict";

import { escapeHtml } from "../src/index.js";
import { attrs } from "../src/html.js";

test("escapeHtml escapes the five special characters", () => {
  assert.equal(escapeHtml(`<a href="x">Tom & Jerry's</a>`),
    "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
});

test("escapeHtml stringifies non-strings", () => {
  assert.equal(escapeHtml(42), "42");
});

test("attrs renders booleans and skips empty values", () => {
  assert.equal(attrs({ id: "a", hidden: true, disabled: false, title: undefined }), ' id="a" hidden');
});
