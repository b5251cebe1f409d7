const fs = require('fs');
const { program } = require('commander');

const FILE = process.env.CHANGELOG_FILE || 'CHANGES.json';

function load() {
  return fs.existsSync(FILE) ? JSON.parse(fs.readFileSync(FILE, 'utf8')) : [];
}

program.name('changelog');

program
  .command('add <type> <message>')
  .description('record a change')
  .action((type, message) => {
    const entries = load();
    entries.push({ type, message });
    fs.writeFileSync(FILE, JSON.stringify(entries));
  });

program
  .command('show')
  .option('--type <type>', 'only this type')
  .action((options) => {
    for (const e of load()) {
      if (!options.type || options.type === e.type) console.log(`${e.type}: ${e.message}`);
    }
  });

program.parse(process.argv);
