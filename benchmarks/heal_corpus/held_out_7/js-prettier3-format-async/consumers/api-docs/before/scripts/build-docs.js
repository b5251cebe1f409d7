// Writes one markdown page per endpoint of api.json, and an index, into docs/.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as prettier from 'prettier';

const slug = (ep) => `${ep.method}${ep.path}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '');

function page(ep) {
  const params = ep.params.map((p) => `* \`${p}\``).join('\n');
  return `# ${ep.method} \`${ep.path}\`\n${ep.summary}\n## Parameters\n${params}\n`;
}

async function main() {
  const spec = JSON.parse(await readFile('api.json', 'utf-8'));
  await mkdir('docs', { recursive: true });
  for (const ep of spec.endpoints) {
    await writeFile(
      `docs/${slug(ep)}.md`,
      prettier.format(page(ep), { parser: 'markdown', proseWrap: 'always', printWidth: 60 }),
    );
  }
  const index = spec.endpoints.map((ep) => ({ page: `${slug(ep)}.md`, title: `${ep.method} ${ep.path}` }));
  await writeFile('docs/index.json', prettier.format(JSON.stringify({ title: spec.title, index }), { parser: 'json' }));
  console.log(`wrote ${spec.endpoints.length} pages`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
