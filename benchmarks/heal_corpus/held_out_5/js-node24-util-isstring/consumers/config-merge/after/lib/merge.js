"use strict";
// Deep-merge layered configuration objects (defaults < file < environment).

function isPlainObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

function merge(target, source) {
    for (const key of Object.keys(source)) {
        const value = source[key];
        if (isPlainObject(value) && isPlainObject(target[key])) {
            target[key] = merge({ ...target[key] }, value);
        } else {
            target[key] = value;
        }
    }
    return target;
}

function layered(...layers) {
    return layers.filter((layer) => layer !== null && layer !== undefined).reduce((acc, layer) => merge(acc, layer), {});
}

module.exports = { merge, layered };
