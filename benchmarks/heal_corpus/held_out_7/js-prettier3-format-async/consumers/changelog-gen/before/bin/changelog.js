#!/usr/bin/env node
// changelog-gen <changes.json> [CHANGELOG.md]: renders releases as markdown (stdout or a file).
const fs = require('fs');
const prettier = require('prettier');

const TITLES = { feat: 'Features', fix: 'Fixes' };

function render(releases) {
  const out = ['# Changelog'];
  for (const release of releases) {
    out.push(`## ${release.version} (${release.date})`);
    for (const type of Object.keys(TITLES)) {
      const items = release.changes.filter((c) => c.type === type).map((c) => c.text).sort();
      if (items.length) out.push(`### ${TITLES[type]}`, items.map((t) => `- ${t}`).join('\n'));
    }
  }
  return out.join('\n');
}

function main(argv) {
  const releases = JSON.parse(fs.readFileSync(argv[0], 'utf8'));
  const markdown = prettier.format(render(releases), { parser: 'markdown', proseWrap: 'always', printWidth: 72 });
  if (argv[1]) {
    fs.writeFileSync(argv[1], markdown);
  } else {
    process.stdout.write(markdown);
  }
}

main(process.argv.slice(2));
