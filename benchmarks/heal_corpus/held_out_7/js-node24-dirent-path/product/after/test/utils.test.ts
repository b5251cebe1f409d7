import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";

import { buildContributorDocs } from "../src/scripts/builders/contribute.ts";
import {
  fullPathFromDirent,
  getContentFilePaths,
  getFilepathsWithinDir,
  sanitizeName,
} from "../src/scripts/utils.ts";

const fixture = async () => {
  const root = await mkdtemp(path.join(tmpdir(), "p5-utils-"));
  await mkdir(path.join(root, "docs", "sub"), { recursive: true });
  await writeFile(path.join(root, "docs", "a.md"), "# A\n");
  await writeFile(path.join(root, "docs", "img.png"), "");
  await writeFile(path.join(root, "docs", "sub", "b.mdx"), "# B\n");
  await writeFile(path.join(root, "docs", "sub", "c.yaml"), "c: 1\n");
  await writeFile(path.join(root, "readme.md"), "# readme\n");
  return root;
};

const direntOf = async (dir: string, name: string) =>
  (await readdir(dir, { withFileTypes: true })).find((d) => d.name === name)!;

test("sanitizeName escapes angle brackets", () => {
  assert.equal(sanitizeName("<p5.Vector>"), "&lt;p5.Vector&gt;");
});

test("fullPathFromDirent joins the parent path and the name", async () => {
  const root = await fixture();
  assert.equal(fullPathFromDirent(await direntOf(root, "docs")), path.join(root, "docs"));
});

test("getFilepathsWithinDir lists a directory, or returns a file itself", async () => {
  const root = await fixture();
  const docs = await direntOf(root, "docs");
  assert.deepEqual((await getFilepathsWithinDir(docs)).sort(), [
    path.join(root, "docs", "a.md"),
    path.join(root, "docs", "img.png"),
    path.join(root, "docs", "sub"),
  ]);
  const readme = await direntOf(root, "readme.md");
  assert.deepEqual(await getFilepathsWithinDir(readme), [path.join(root, "readme.md")]);
});

test("getContentFilePaths recurses", async () => {
  const root = await fixture();
  assert.deepEqual((await getContentFilePaths(root)).sort(), [
    path.join(root, "docs", "sub", "b.mdx"),
    path.join(root, "docs", "sub", "c.yaml"),
  ]);
});

test("buildContributorDocs copies the markdown docs", async () => {
  const root = await fixture();
  const out = path.join(root, "out");
  assert.deepEqual(await buildContributorDocs(path.join(root, "docs"), out), ["a.md"]);
  assert.deepEqual((await readdir(out)).sort(), ["a.md", "img.png", "sub"]);
});
