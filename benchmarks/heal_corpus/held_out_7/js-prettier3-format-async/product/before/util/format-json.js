// > npm run format -- v3/packages.json
// Sorts and formats a v3 JSON file listed in the list.json next to it.

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { format as prettierFormat } from 'prettier';
import { sortCore, sortPackages } from './sort.js';

function findListJson(path) {
  const dirpath = dirname(path);
  const listJsonPath = join(dirpath, 'list.json');
  if (existsSync(listJsonPath)) {
    return listJsonPath;
  } else if (dirpath === dirname(dirpath)) {
    return null;
  } else {
    return findListJson(dirpath);
  }
}

const readJson = async (path) => JSON.parse(await readFile(path, 'utf-8'));

async function format(args) {
  const targetPath = args[0];
  const listJsonPath = findListJson(targetPath);
  if (!existsSync(targetPath) || !listJsonPath) {
    console.error('Some files are not found.');
    process.exitCode = 1;
    return;
  }
  const [object, listJsonObject] = await Promise.all([
    readJson(targetPath),
    readJson(listJsonPath),
  ]);
  const relPath = relative(dirname(listJsonPath), targetPath);

  const options = {
    parser: 'json',
    singleQuote: false,
  };
  if (listJsonObject.core.path === relPath) {
    await writeFile(
      targetPath,
      prettierFormat(JSON.stringify(sortCore(object)), options),
    );
  } else if (listJsonObject.packages.some((value) => value.path === relPath)) {
    const packagesObject = sortPackages(object);
    packagesObject.packages.sort((a, b) =>
      a.id.toUpperCase().localeCompare(b.id.toUpperCase()),
    );
    await writeFile(
      targetPath,
      prettierFormat(JSON.stringify(packagesObject), options),
    );
  } else {
    console.log('Nothing done.');
  }
}

const args = process.argv.slice(2);

format(args);
