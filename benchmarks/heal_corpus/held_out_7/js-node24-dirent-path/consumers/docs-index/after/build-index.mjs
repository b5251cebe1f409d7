// Writes docs/index.json: every markdown page under the docs folder, with its title.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = process.argv[2] ?? 'docs';

const pages = readdirSync(root, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
  .map((entry) => {
    const file = path.join(entry.parentPath, entry.name);
    const title = readFileSync(file, 'utf8').match(/^# (.*)$/m)?.[1] ?? entry.name;
    return { page: path.relative(root, file).split(path.sep).join('/'), title };
  })
  .sort((a, b) => a.page.localeCompare(b.page));

writeFileSync(path.join(root, 'index.json'), JSON.stringify(pages, null, 2) + '\n');
console.log(`indexed ${pages.length} pages`);
