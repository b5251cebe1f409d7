// > npm run mod-core
// > npm run mod-packages
// Sets the modified date of an entry of list.json to now.

import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { format } from 'prettier';

// options
const listJsonPath = 'v3/list.json';

async function update(args) {
  const newDate = new Date();
  newDate.setSeconds(0, 0);

  const listObj = JSON.parse(await readFile(listJsonPath, 'utf-8'));

  let targetObj;
  if (args[0] === '--core') {
    targetObj = listObj.core;
  } else if (args[0] === '--packages') {
    targetObj = listObj.packages[0];
  }

  const oldDate = new Date(targetObj.modified);
  if (newDate.getTime() > oldDate.getTime()) {
    targetObj.modified = newDate.toISOString();

    await writeFile(
      listJsonPath,
      await format(JSON.stringify(listObj), { parser: 'json', printWidth: 60 }),
      'utf-8',
    );

    console.log('Updated ' + basename(listJsonPath));
  }

  console.log('Update complete.');
}

const args = process.argv.slice(2);

if (args.length >= 1) {
  update(args);
} else {
  console.error('Arguments are missing!');
}
