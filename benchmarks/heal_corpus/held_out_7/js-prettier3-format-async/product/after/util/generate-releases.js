// > npm run generate-releases -- <package id> <version> <archive>
// Adds a release (with the archive's integrity) to a package and bumps list.json.

import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { format } from 'prettier';

const packagesJsonPath = 'v3/packages.json';
const listJsonPath = 'v3/list.json';

function integrity(data) {
  return 'sha384-' + createHash('sha384').update(data).digest('base64');
}

async function generateReleases(args) {
  const [id, version, archivePath] = args;
  const packagesObj = JSON.parse(await readFile(packagesJsonPath, 'utf-8'));
  const packageItem = packagesObj.packages.find((p) => p.id === id);
  if (!packageItem) {
    console.error(`No package ${id}.`);
    process.exitCode = 1;
    return;
  }

  let releasesAvailable = false;
  if (!packageItem.releases.some((r) => r.version === version)) {
    const archive = await readFile(archivePath);
    packageItem.releases.push({
      version,
      archive: basename(archivePath),
      integrity: integrity(archive),
    });
    packageItem.latestVersion = version;
    releasesAvailable = true;
  }

  if (releasesAvailable) {
    await writeFile(
      packagesJsonPath,
      await format(JSON.stringify(packagesObj), { parser: 'json' }),
      'utf-8',
    );

    const listObj = JSON.parse(await readFile(listJsonPath, 'utf-8'));
    listObj.packages[0].modified = new Date().toISOString();
    await writeFile(
      listJsonPath,
      await format(JSON.stringify(listObj), { parser: 'json', printWidth: 60 }),
      'utf-8',
    );

    console.log(`Added ${id} ${version}.`);
  } else {
    console.log('No new release.');
  }
}

const args = process.argv.slice(2);

if (args.length < 3) {
  console.error('A package ID, a version and an archive are required.');
  process.exitCode = 1;
} else {
  generateReleases(args);
}
