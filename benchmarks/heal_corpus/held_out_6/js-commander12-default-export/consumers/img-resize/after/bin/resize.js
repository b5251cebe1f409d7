#!/usr/bin/env node
const { program, InvalidArgumentError } = require('commander');

function pixels(value) {
  const n = Number.parseInt(value, 10);
  if (Number.isNaN(n) || n <= 0) throw new InvalidArgumentError('not a number');
  return n;
}

program
  .argument('<files...>')
  .requiredOption('-w, --width <px>', 'target width', pixels)
  .option('--dry-run', 'only print the plan')
  .parse(process.argv);

const opts = program.opts();
for (const file of program.args) {
  const out = file.replace(/(\.\w+)$/, `-${opts.width}w$1`);
  console.log(`${opts.dryRun ? 'would resize' : 'resized'} ${file} -> ${out}`);
}
