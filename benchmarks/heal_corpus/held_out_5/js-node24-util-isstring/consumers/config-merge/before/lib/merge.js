"use strict";
// Deep-merge layered configuration objects (defaults < file < environment).
const util = require("util");

function merge(target, source) {
    for (const key of Object.keys(source)) {
        const value = source[key];
        if (util.isObject(value) && !util.isArray(value) && util.isObject(target[key]) && !util.isArray(target[key])) {
            target[key] = merge({ ...target[key] }, value);
        } else {
            target[key] = value;
        }
    }
    return target;
}

function layered(...layers) {
    return layers.filter((layer) => !util.isNullOrUndefined(layer)).reduce((acc, layer) => merge(acc, layer), {});
}

module.exports = { merge, layered };
