const { v4: uuidv4 } = require('uuid');

function newJob(name) {
  return { id: uuidv4(), name };
}

module.exports = { newJob };
