#!/usr/bin/env node
'use strict';
const { byExtension, largest } = require('../lib/sizes');

async function main(dir) {
  const totals = await byExtension(dir);
  for (const ext of Object.keys(totals).sort()) {
    console.log(`${ext}\t${totals[ext]}`);
  }
  for (const { file, size } of largest(dir)) {
    console.log(`top\t${file}\t${size}`);
  }
}

main(process.argv[2] || 'public').catch((err) => {
  console.error(err);
  process.exit(1);
});
