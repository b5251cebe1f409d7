export interface Options {
  name: string;
  shout: boolean;
  times: number;
}

export function parseArgs(argv: string[]): Options {
  const options: Options = { name: "world", shout: false, times: 1 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--shout") {
      options.shout = true;
    } else if (arg === "--name") {
      options.name = argv[++i] ?? options.name;
    } else if (arg === "--times") {
      options.times = Number.parseInt(argv[++i] ?? "1", 10);
    } else {
      throw new Error(`unknown argument: ${arg}`);
    }
  }
  return options;
}
