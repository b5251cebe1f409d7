var path = require('path');
var Mime = require('mime');

exports.describe = function (name, bytes) {
  var type = Mime.getType(path.extname(name));
  return { name: path.basename(name), type: type, kind: type.split('/')[0], bytes: bytes };
};
