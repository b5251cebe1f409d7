const fetch = require('node-fetch');

function probe(url) {
  return fetch(url, { timeout: 2000 }).then(
    (res) => `${url} ${res.status}`,
    () => `${url} down`
  );
}

probe('http://127.0.0.1:9/').then((line) => console.log(line));
