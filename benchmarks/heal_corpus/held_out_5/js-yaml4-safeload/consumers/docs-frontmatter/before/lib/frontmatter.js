"use strict";
// Split the YAML front matter off a Markdown page.
const yaml = require("js-yaml");

const FENCE = /^---\n([\s\S]*?)\n---\n?/;

function parse(markdown) {
    const m = FENCE.exec(markdown);
    if (!m) {
        return { data: {}, body: markdown };
    }
    return { data: yaml.safeLoad(m[1], { json: true }) || {}, body: markdown.slice(m[0].length) };
}

// A YAML stream of several documents (the site's data files)
function parseAll(text) {
    return yaml.safeLoadAll(text);
}

module.exports = { parse, parseAll };
