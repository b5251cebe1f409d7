import { parseArgs } from './args';

const opts = parseArgs(process.argv.slice(2));
if (opts.verbose) {
  console.log(`checking ${opts.files.length} file(s)`);
}
