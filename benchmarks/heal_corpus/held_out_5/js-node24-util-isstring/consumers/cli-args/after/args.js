"use strict";
// Apply defaults and types to parsed command-line options.

function normalize(spec, argv) {
    const out = {};
    for (const [name, def] of Object.entries(spec)) {
        let value = argv[name];
        if (value === undefined) {
            value = typeof def.default === "function" ? def.default() : def.default;
        }
        if (def.type === "number" && typeof value === "string") {
            value = Number(value);
        }
        if (def.type === "number" && typeof value !== "number") {
            throw new TypeError(`--${name} must be a number`);
        }
        out[name] = value;
    }
    return out;
}

module.exports = { normalize };
