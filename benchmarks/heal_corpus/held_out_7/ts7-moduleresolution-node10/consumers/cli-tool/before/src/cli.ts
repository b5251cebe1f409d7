#!/usr/bin/env node
import { EOL } from "node:os";
import { parseArgs } from "./args";

function greeting(name: string, shout: boolean): string {
  const text = `Hello, ${name}!`;
  return shout ? text.toUpperCase() : text;
}

try {
  const options = parseArgs(process.argv.slice(2));
  process.stdout.write(Array.from({ length: options.times }, () => greeting(options.name, options.shout)).join(EOL) + EOL);
} catch (err) {
  process.stderr.write(`greet: ${(err as Error).message}${EOL}`);
  process.exitCode = 2;
}
