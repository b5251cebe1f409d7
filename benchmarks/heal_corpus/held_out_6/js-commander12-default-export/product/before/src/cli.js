#!/usr/bin/env node

const assert = require('assert');
const crypto = require('crypto');
const program = require('commander');

process.on('uncaughtException', function (err) {
  console.error(err.message);
  process.exit(1);
});

program
  .version(require('../package.json').version)
  .requiredOption('--password <password>', 'password')
  .option('--input-format <format>', 'csv or tsv', 'csv')
  .parse(process.argv);

const opts = program.opts();
const separator = { csv: ',', tsv: '\t' }[opts.inputFormat];
assert(separator, 'Invalid input format: ' + opts.inputFormat);

function parse(text) {
  return text.split(/\r?\n/).filter((line) => line.length > 0).map((line) => line.split(separator));
}

function protect(rows, password) {
  const salt = crypto.createHash('sha256').update('secure-sheet').digest().subarray(0, 16);
  const key = crypto.scryptSync(password, salt, 32);
  const digest = crypto.createHmac('sha256', key).update(JSON.stringify(rows)).digest('hex');
  return { sheet: 'Sheet1', rows: rows.length, columns: rows[0] ? rows[0].length : 0, protection: digest.slice(0, 16) };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const rows = parse(input);
  assert(rows.length > 0, 'No input rows');
  process.stdout.write(JSON.stringify(protect(rows, opts.password)) + '\n');
});
