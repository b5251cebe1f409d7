export interface Options {
  verbose: boolean;
  files: string[];
}

export function parseArgs(argv: string[]): Options {
  const opts: Options = { verbose: false, files: [] };
  for (const a of argv) {
    if (a === '-v' || a === '--verbose') opts.verbose = true;
    else opts.files.push(a);
  }
  return opts;
}
