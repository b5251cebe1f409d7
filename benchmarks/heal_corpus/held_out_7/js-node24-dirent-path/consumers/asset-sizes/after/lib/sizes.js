'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Every file under dir, with its size in bytes (depth first). */
async function* walk(dir) {
  for await (const dirent of await fs.promises.opendir(dir)) {
    const { parentPath: parent, name } = dirent;
    const full = path.join(parent, name);
    if (dirent.isDirectory()) {
      yield* walk(full);
    } else if (dirent.isFile()) {
      yield { file: full, size: (await fs.promises.stat(full)).size };
    }
  }
}

/** Total bytes per file extension. */
async function byExtension(dir) {
  const totals = {};
  for await (const { file, size } of walk(dir)) {
    const ext = path.extname(file) || '(none)';
    totals[ext] = (totals[ext] || 0) + size;
  }
  return totals;
}

/** The n largest files directly in dir (not recursive), largest first. */
function largest(dir, n = 3) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => {
      const file = path.join(d.parentPath, d.name);
      return { file: path.relative(dir, file), size: fs.statSync(file).size };
    })
    .sort((a, b) => b.size - a.size || a.file.localeCompare(b.file))
    .slice(0, n);
}

module.exports = { walk, byExtension, largest };
