const express = require('express');
const http = require('http');

// Serves a lambda written for API Gateway's proxy integration: each route of
// lambdaApi.Routes ({ METHOD: { '/path/{param}': true } }) becomes an express
// route that builds the gateway's event and calls lambdaApi.handler(event, context).
function Server(lambdaApi, logger) {
  this.logger = logger || console.log;
  this.App = express();
  const api = express.Router();
  api.use(express.json({ type: '*/*', limit: '6mb' }));

  const routes = lambdaApi.Routes || {};
  Object.keys(routes).map(method => {
    const sortedPathKeys = Object.keys(routes[method]).sort((a, b) => a.split('/').length - b.split('/').length || a.split('{').length - b.split('{').length);
    sortedPathKeys.map(resource => {
      let isProxy = resource.match(/{proxy\+}/);
      let expressResource = resource.replace(/{proxy\+}/, '*proxy').replace(/{([^{}]+)}/g, ':$1');
      api.all(expressResource, async (req, res) => {
        if (method !== 'ANY' && req.method !== method) {
          return res.status(405).json({ title: 'Method not allowed' });
        }
        const prefix = resource.split('{proxy+}')[0];
        let event = {
          resource: resource,
          path: req.path,
          httpMethod: req.method,
          headers: req.headers || {},
          queryStringParameters: req.query,
          pathParameters: isProxy ? { proxy: req.path.slice(prefix.length) } : { ...req.params },
          body: req.body,
          stageVariables: { lambdaVersion: 'local' }
        };
        try {
          const result = await lambdaApi.handler(event, { functionName: 'lambdaApi', stage: 'local', local: true });
          res.status(result.statusCode || 200).set(result.headers || {}).send(result.body);
        } catch (exception) {
          this.logger(`Exception thrown by the lambda: ${exception}`);
          res.status(500).json({ title: 'Internal Error, check logs' });
        }
      });
    });
  });
  this.App.use(api);
}

Server.prototype.Run = function(port) {
  return new Promise(resolve => {
    this.internalServer = this.App.listen(port, '127.0.0.1', () => resolve(this.internalServer.address().port));
  });
};

Server.prototype.Stop = function() {
  this.internalServer.close();
};

module.exports = Server;

if (require.main === module) {
  const lambdaApi = {
    Routes: { GET: { '/v1/items/{id}': true }, ANY: { '/v1/files/{proxy+}': true } },
    handler: async event => ({ statusCode: 200, body: JSON.stringify({ resource: event.resource, params: event.pathParameters }) })
  };
  const server = new Server(lambdaApi);
  server.Run(0).then(async port => {
    for (const p of ['/v1/items/42', '/v1/files/docs/a.txt']) {
      const body = await new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, path: p }, res => {
        let data = '';
        res.on('data', c => { data += c; });
        res.on('end', () => resolve(`${res.statusCode} ${data}`));
      }).on('error', reject));
      console.log(p, '->', body);
    }
    server.Stop();
  });
}
