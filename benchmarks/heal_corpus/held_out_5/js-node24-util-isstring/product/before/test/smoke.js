"use strict";
const assert = require("assert");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { DojoLoaderPlugin, DojoAMDRuntimeModule } = require("..");

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dojo-plugin-"));
const loader = path.join(tmp, "dojo.js");
fs.writeFileSync(loader, "/* dojo loader */");
const configModule = path.join(tmp, "loaderConfig.js");
fs.writeFileSync(configModule, "module.exports = function(env) { return {baseUrl: env.dojoRoot, has: {'dojo-config-api': 1}}; };");

// loader config given as an object (with a has-feature override)
const objectPlugin = new DojoLoaderPlugin({loader, loaderConfig: {baseUrl: "js", has: {"dojo-config-api": false}}});
objectPlugin.getDojoLoader((err, result) => {
	assert.ifError(err);
	assert.deepStrictEqual(result.featureOverrides, {"dojo-config-api": 0});

	// loader config given as a module name
	const modulePlugin = new DojoLoaderPlugin({loader, loaderConfig: configModule, environment: {dojoRoot: "release"}});
	assert.deepStrictEqual(modulePlugin.getBuildLoaderConfig(), {baseUrl: "release", has: {"dojo-config-api": 1}});
	const deps = [];
	modulePlugin.addDependencies({addDependency: (d) => deps.push(d.request)});
	assert.deepStrictEqual(deps, [loader, configModule]);

	const loaderMod = {rawRequest: loader, id: 1};
	const configMod = {rawRequest: configModule, id: 2};
	assert.deepStrictEqual(modulePlugin.checkChunk({modules: [loaderMod, configMod]}, {modules: [loaderMod]}), [configMod]);
	assert.throws(() => modulePlugin.checkChunk({modules: [loaderMod]}, {modules: []}), /Can't locate .*loaderConfig.js/);

	// runtime code, config as a module and as an object
	const fromModule = new DojoAMDRuntimeModule({loaderConfig: configModule, environment: {dojoRoot: "release"}},
		{embeddedLoaderHasConfigApi: true}, {modules: [loaderMod, configMod]}).generate();
	assert.match(fromModule, /var userConfig = __webpack_require__\(2\);/);
	const fromObject = new DojoAMDRuntimeModule({loaderConfig: () => ({baseUrl: "js"})},
		{embeddedLoaderHasConfigApi: false}, {modules: []}).generate();
	assert.match(fromObject, /var userConfig = \{"baseUrl":"js"\};/);
	assert.match(fromObject, /loaderScope.require.baseUrl = "js";/);
	assert.throws(() => new DojoAMDRuntimeModule({loaderConfig: configModule}, {embeddedLoaderHasConfigApi: false}, {modules: []}).generate(),
		/needs the config API/);
	console.log("dojo-webpack-plugin smoke test: ok");
});
