"use strict";
const assert = require("assert");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { loadConfig } = require("../lib/config");

(async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "groovylint-"));
    const project = path.join(root, "project", "src");
    fs.mkdirSync(project, { recursive: true });

    // no config anywhere: defaults
    const none = await loadConfig(project);
    assert.deepStrictEqual(none, { extends: "recommended", rules: {} });

    // JSON config
    fs.writeFileSync(path.join(root, "project", ".groovylintrc.json"), JSON.stringify({ rules: { "basic.EmptyIfStatement": "off" } }));
    const fromJson = await loadConfig(project);
    assert.strictEqual(fromJson.rules["basic.EmptyIfStatement"], "off");
    fs.unlinkSync(path.join(root, "project", ".groovylintrc.json"));

    // YAML config, found from a subfolder
    fs.writeFileSync(
        path.join(root, "project", ".groovylintrc.yml"),
        "extends: all\nrules:\n  formatting.Indentation:\n    spacesPerIndentLevel: 2\n  convention.CompileStatic: off\n"
    );
    const fromYaml = await loadConfig(project);
    assert.strictEqual(fromYaml.extends, "all");
    assert.deepStrictEqual(fromYaml.rules["formatting.Indentation"], { spacesPerIndentLevel: 2 });
    assert.strictEqual(fromYaml.rules["convention.CompileStatic"], "off");

    // an empty YAML file is an empty config
    fs.writeFileSync(path.join(root, "project", ".groovylintrc.yml"), "");
    assert.deepStrictEqual(await loadConfig(project), { extends: "recommended", rules: {} });

    console.log("config smoke test: ok");
})().catch((e) => {
    console.error(e);
    process.exit(1);
});
