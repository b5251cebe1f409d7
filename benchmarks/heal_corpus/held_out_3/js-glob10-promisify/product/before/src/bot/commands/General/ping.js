const Command = require("../../Structures/Command.js");

module.exports = class extends Command {
  constructor(...args) {
    super(...args, { aliases: ["pong"], description: "Replies with the latency." });
  }

  async run() {
    return "Pong!";
  }
};
