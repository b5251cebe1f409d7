// Configuration file management
"use strict";

const fs = require("fs");
const path = require("path");

const defaultConfig = {
    extends: "recommended",
    rules: {}
};

const configLintFilenames = [".groovylintrc.json", ".groovylintrc.yml", ".groovylintrc.yaml", "package.json"];

// Load configuration from identified file, or find config file from a start path
async function loadConfig(startPathOrFile) {
    const filePath = fs.statSync(startPathOrFile).isDirectory() ? findConfigFile(startPathOrFile) : startPathOrFile;
    if (filePath == null) {
        return { ...defaultConfig };
    }
    const configUser = await loadConfigFromFile(filePath);
    return {
        ...defaultConfig,
        ...configUser,
        rules: { ...defaultConfig.rules, ...(configUser.rules || {}) }
    };
}

// Find the first config file in a directory or its parents
function findConfigFile(startPath) {
    let dir = path.resolve(startPath);
    for (;;) {
        for (const fileName of configLintFilenames) {
            const candidate = path.join(dir, fileName);
            if (fs.existsSync(candidate)) {
                if (fileName === "package.json" && !("groovylintConfig" in JSON.parse(fs.readFileSync(candidate, "utf8")))) {
                    continue;
                }
                return candidate;
            }
        }
        const parent = path.dirname(dir);
        if (parent === dir) {
            return null;
        }
        dir = parent;
    }
}

async function loadConfigFromFile(filePath) {
    switch (path.extname(filePath)) {
        case ".yml":
        case ".yaml":
            return loadYAMLConfigFile(filePath);
        default:
            if (path.basename(filePath) === "package.json") {
                return loadPackageJSONConfigFile(filePath);
            }
            return loadJSONConfigFile(filePath);
    }
}

// JSON format
async function loadJSONConfigFile(filePath) {
    try {
        const fileContent = await readFile(filePath);
        return JSON.parse(fileContent);
    } catch (e) {
        e.message = `Cannot read config file: ${filePath}\nError: ${e.message}`;
        throw e;
    }
}

// YAML format
async function loadYAMLConfigFile(filePath) {
    // lazy load YAML to improve performance when not used
    const yaml = require("js-yaml");

    try {
        // empty YAML file can be null, so always use
        const fileContent = await readFile(filePath);
        return yaml.load(fileContent) || {};
    } catch (e) {
        e.message = `Cannot read config file: ${filePath}\nError: ${e.message}`;
        throw e;
    }
}

// json in package.json format
async function loadPackageJSONConfigFile(filePath) {
    const packageData = await loadJSONConfigFile(filePath);
    if (!Object.hasOwnProperty.call(packageData, "groovylintConfig")) {
        throw Object.assign(new Error(`${filePath} doesn't have 'groovylintConfig' property`), { code: "GROOVYLINT_CONFIG_FIELD_NOT_FOUND" });
    }
    return packageData.groovylintConfig;
}

// Read file
async function readFile(filePath) {
    const fileContent = await fs.promises.readFile(filePath, "utf8");
    return fileContent.replace(/^\ufeff/u, "");
}

module.exports = { loadConfig, findConfigFile };
