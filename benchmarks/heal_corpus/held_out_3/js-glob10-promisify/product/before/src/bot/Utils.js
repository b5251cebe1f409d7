const path = require("path");
const { promisify } = require("util");
const glob = promisify(require("glob"));
const Command = require("./Structures/Command.js");
const Event = require("./Structures/Event.js");

module.exports = class Util {
  constructor(client) {
    this.client = client;
  }

  isClass(input) {
    return typeof input === "function" && typeof input.prototype === "object" && input.toString().substring(0, 5) === "class";
  }

  get directory() {
    return `${path.dirname(require.main.filename)}${path.sep}`.replace(/bot[\\/]$/, "");
  }

  async loadCommands() {
    return glob(`${this.directory}bot/commands/**/*.js`).then((commands) => {
      for (const commandFile of commands) {
        delete require.cache[require.resolve(commandFile)];
        const { name } = path.parse(commandFile);
        const File = require(commandFile);
        if (!this.isClass(File)) {
          throw new TypeError(`Command ${name} doesn't export a class.`);
        }
        const command = new File(this.client, name.toLowerCase());
        if (!(command instanceof Command)) {
          throw new TypeError(`Command ${name} doesnt belong in Commands.`);
        }
        this.client.commands.set(command.name, command);
        for (const alias of command.aliases) {
          if (!this.client.aliases.has(alias)) {
            this.client.aliases.set(alias, command.name);
          }
        }
      }
    });
  }

  async loadEvents() {
    return glob(`${this.directory}bot/events/**/*.js`).then((events) => {
      for (const eventFile of events) {
        delete require.cache[require.resolve(eventFile)];
        const { name } = path.parse(eventFile);
        const File = require(eventFile);
        if (!this.isClass(File)) {
          throw new TypeError(`Event ${name} doesn't export a class!`);
        }
        const event = new File(this.client, name);
        if (!(event instanceof Event)) {
          throw new TypeError(`Event ${name} does not belong in Events`);
        }
        this.client.events.set(event.name, event);
      }
    });
  }
};

if (require.main === module) {
  const client = { user: "bot#0001", commands: new Map(), aliases: new Map(), events: new Map() };
  const util = new module.exports(client);
  Promise.all([util.loadCommands(), util.loadEvents()]).then(() => {
    console.log("commands:", [...client.commands.keys()].sort().join(", "));
    console.log("aliases:", [...client.aliases.keys()].sort().join(", "));
    console.log("events:", [...client.events.keys()].join(", "));
  });
}
