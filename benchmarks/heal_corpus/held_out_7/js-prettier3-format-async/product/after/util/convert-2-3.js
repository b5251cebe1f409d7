// > npm run convert-2-3:core
// > npm run convert-2-3:packages
// > npm run convert-2-3:mod
// Converts the v2 data (one file) into the v3 files.

import { readFile, writeFile } from 'node:fs/promises';
import { format } from 'prettier';
import { sortCore, sortPackages } from './sort.js';

const v2DataPath = 'v2/data.json';
const prettierOptions = {
  parser: 'json',
  singleQuote: false,
};

function successLog(v2Path, v3Path) {
  console.log(`Converted ${v2Path} to ${v3Path}.`);
}

function failLog(v2Path, v3Path, e) {
  console.error(`Failed to convert ${v2Path} to ${v3Path}.`);
  console.error(e);
  process.exitCode = 1;
}

async function readV2() {
  return JSON.parse(await readFile(v2DataPath, 'utf-8'));
}

async function convertCore(v2ListPath, v3ListPath) {
  try {
    const v2Data = await readV2();
    const newV3Data = sortCore({
      version: 3,
      core: Object.entries(v2Data.core).map(([id, program]) => ({
        id,
        latestVersion: program.latest,
        releases: Object.entries(program.releases).map(([version, date]) => ({
          version,
          date,
          files: program.files.map((filename) => ({ filename })),
        })),
      })),
    });

    await writeFile(
      v3ListPath,
      await format(JSON.stringify(newV3Data), prettierOptions),
    );

    successLog(v2ListPath, v3ListPath);
  } catch (e) {
    failLog(v2ListPath, v3ListPath, e);
  }
}

async function convertPackages(v2ListPath, v3ListPath) {
  try {
    const v2Data = await readV2();
    const newV3Data = sortPackages({
      version: 3,
      packages: v2Data.packages.map((p) => ({
        id: p.id,
        name: p.name,
        author: p.author,
        latestVersion: p.latest,
        files: p.files.map((filename) => ({ filename })),
        releases: [],
      })),
    });

    await writeFile(
      v3ListPath,
      await format(JSON.stringify(newV3Data), prettierOptions),
    );

    successLog(v2ListPath, v3ListPath);
  } catch (e) {
    failLog(v2ListPath, v3ListPath, e);
  }
}

function updateModifiedDate(targetData, newDate) {
  if (new Date(newDate) > new Date(targetData.modified)) {
    targetData.modified = newDate;
  }
}

async function convertMod(v2ListPath, v3ListPath) {
  try {
    const v2Data = await readV2();
    const v3Data = JSON.parse(await readFile(v3ListPath, 'utf-8'));
    updateModifiedDate(v3Data.core, v2Data.mod.core);
    updateModifiedDate(v3Data.packages[0], v2Data.mod.packages);

    const options = { ...prettierOptions, printWidth: 60 };
    await writeFile(v3ListPath, await format(JSON.stringify(v3Data), options));

    successLog(v2ListPath, v3ListPath);
  } catch (e) {
    failLog(v2ListPath, v3ListPath, e);
  }
}

const args = process.argv.slice(2);

if (args.includes('--core')) await convertCore(v2DataPath, 'v3/core.json');
if (args.includes('--packages')) await convertPackages(v2DataPath, 'v3/packages.json');
if (args.includes('--mod')) await convertMod(v2DataPath, 'v3/list.json');
