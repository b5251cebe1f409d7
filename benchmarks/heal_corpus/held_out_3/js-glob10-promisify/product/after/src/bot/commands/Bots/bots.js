const Command = require("../../Structures/Command.js");

module.exports = class extends Command {
  constructor(...args) {
    super(...args, { aliases: ["list"], description: "Lists the bots waiting for review." });
  }

  async run() {
    return [];
  }
};
