"use strict";
// Expand the os x node matrix of a CI file into one job per combination.
const fs = require("fs");
const yaml = require("js-yaml");

function expand(file) {
    const doc = yaml.safeLoad(fs.readFileSync(file, "utf8"), { filename: file });
    const { os, node } = doc.matrix;
    const jobs = [];
    for (const o of os) {
        for (const n of node) {
            jobs.push({ os: o, node: n });
        }
    }
    return yaml.safeDump({ jobs }, { sortKeys: true, lineWidth: 120 });
}

module.exports = { expand };
