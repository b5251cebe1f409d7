const uuidv4 = require('uuid/v4');

function newJob(name) {
  return { id: uuidv4(), name };
}

module.exports = { newJob };
