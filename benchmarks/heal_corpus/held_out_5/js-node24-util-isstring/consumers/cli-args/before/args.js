"use strict";
// Apply defaults and types to parsed command-line options.
const util = require("util");

function normalize(spec, argv) {
    const out = {};
    for (const [name, def] of Object.entries(spec)) {
        let value = argv[name];
        if (util.isUndefined(value)) {
            value = util.isFunction(def.default) ? def.default() : def.default;
        }
        if (def.type === "number" && util.isString(value)) {
            value = Number(value);
        }
        if (def.type === "number" && !util.isNumber(value)) {
            throw new TypeError(`--${name} must be a number`);
        }
        out[name] = value;
    }
    return out;
}

module.exports = { normalize };
