module.exports = class Event {
  constructor(client, name, options = {}) {
    this.client = client;
    this.name = name;
    this.once = options.once || false;
  }

  async run() {
    throw new Error(`Event ${this.name} doesn't provide a run method!`);
  }
};
