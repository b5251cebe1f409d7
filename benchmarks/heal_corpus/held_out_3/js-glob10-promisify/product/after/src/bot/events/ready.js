const Event = require("../Structures/Event.js");

module.exports = class extends Event {
  constructor(...args) {
    super(...args, { once: true });
  }

  async run() {
    return `Logged in as ${this.client.user}`;
  }
};
