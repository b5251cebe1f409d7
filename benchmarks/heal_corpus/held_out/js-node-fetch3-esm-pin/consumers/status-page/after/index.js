const fetch = require('node-fetch');

fetch('http://127.0.0.1:9/health').then(() => console.log('up'), () => console.log('down'));
