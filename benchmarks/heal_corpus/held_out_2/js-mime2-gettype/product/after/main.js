var fs = require('fs')
var path = require('path')
var mime = require('mime')

function Resource (options) {
  if (typeof options === 'string') options = {path: options}
  var self = this

  this.path = options.path
  this.index = options.index || 'index.html'

  this.mimetype = options.mimetype || mime.getType(path.extname(this.path).slice(1))

  this.resolve = function (cb) {
    fs.stat(self.path, function (err, stats) {
      if (err) return cb(err)
      if (stats.isDirectory()) {
        self.path = path.join(self.path, self.index)
        self.mimetype = mime.getType(path.extname(self.path).slice(1))
      }
      cb(null, self)
    })
  }
}

module.exports = function (options) {
  return new Resource(options)
}
module.exports.Resource = Resource

if (require.main === module) {
  var dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'resource-'))
  fs.writeFileSync(path.join(dir, 'index.html'), '<p>hello</p>')
  ;[__filename, dir].forEach(function (p) {
    module.exports(p).resolve(function (err, res) {
      if (err) throw err
      console.log(path.basename(res.path), res.mimetype)
    })
  })
}
