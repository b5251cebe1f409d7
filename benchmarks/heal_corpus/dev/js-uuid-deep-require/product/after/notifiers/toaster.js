'use strict';

var path = require('path');
var queue = [];
var limit = 20;
const { v4: uuid } = require('uuid');

function enqueue(title, icon) {
  var item = { id: uuid(), title: String(title), icon: icon ? path.basename(icon) : null };
  queue.push(item);
  if (queue.length > limit) queue.shift();
  return item.id;
}

module.exports = { enqueue: enqueue, pending: function () { return queue.length; } };

if (require.main === module) {
  enqueue('build finished', '/tmp/ok.png');
  console.log(module.exports.pending());
}
