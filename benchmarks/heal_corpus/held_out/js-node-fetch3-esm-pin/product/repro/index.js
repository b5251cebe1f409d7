const fetch = require('node-fetch');

fetch('http://127.0.0.1:9/').catch(() => {});
