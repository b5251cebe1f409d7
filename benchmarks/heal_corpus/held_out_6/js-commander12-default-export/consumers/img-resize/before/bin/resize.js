#!/usr/bin/env node
const commander = require('commander');

function pixels(value) {
  const n = Number.parseInt(value, 10);
  if (Number.isNaN(n) || n <= 0) throw new commander.InvalidArgumentError('not a number');
  return n;
}

commander
  .argument('<files...>')
  .requiredOption('-w, --width <px>', 'target width', pixels)
  .option('--dry-run', 'only print the plan')
  .parse(process.argv);

const opts = commander.opts();
for (const file of commander.args) {
  const out = file.replace(/(\.\w+)$/, `-${opts.width}w$1`);
  console.log(`${opts.dryRun ? 'would resize' : 'resized'} ${file} -> ${out}`);
}
