/*
 * Loads the Dojo loader and its config for the build (a small part, written for this corpus).
 */
const util = require('util');
const path = require('path');
const fs = require('fs');

module.exports = class DojoLoaderPlugin {
	constructor(options) {
		this.options = options;
	}

	// Reads the loader source and works out which has-features to override
	getDojoLoader(callback) {
		const options = this.options;
		fs.readFile(options.loader, "utf8", (err, content) => {
			if (err) {
				return callback(err);
			}
			let loaderConfig;
			try {
				loaderConfig = this.getBuildLoaderConfig();
			} catch (e) {
				return callback(e);
			}
			const featureOverrides = {};
			if (!util.isString(options.loaderConfig)) {
				// If config is not a module, then honor the 'dojo-config-api' has feature if specified
				if (loaderConfig.has && ('dojo-config-api' in loaderConfig.has) && !loaderConfig.has['dojo-config-api']) {
					featureOverrides['dojo-config-api'] = 0;
				}
			}
			return callback(null, {filename: path.basename(options.loader), content, featureOverrides});
		});
	}

	getBuildLoaderConfig() {
		var loaderConfig = this.options.loaderConfig;
		if (util.isString(loaderConfig)) {
			loaderConfig = require(loaderConfig);
		}
		if (typeof loaderConfig === 'function') {
			loaderConfig = loaderConfig(this.options.buildEnvironment || this.options.environment || {});
		}
		return loaderConfig;
	}

	addDependencies(module) {
		const options = this.options;
		module.addDependency({request: options.loader, index: -1});
		if (util.isString(options.loaderConfig)) {
			module.addDependency({request: options.loaderConfig, index: -2});
		}
	}

	// Ensure that the Dojo loader, and optionally the loader config, are included in the chunk
	checkChunk(compilation, chunk) {
		const options = this.options;
		const loaderModule = compilation.modules.find((module) => { return module.rawRequest === options.loader;});
		const configModule = util.isString(options.loaderConfig) &&
								compilation.modules.find((module) => { return module.rawRequest === options.loaderConfig;});

		if (!loaderModule) {
			throw Error("Can't locate " + options.loader + " in compilation");
		}
		if (util.isString(options.loaderConfig) && !configModule) {
			throw Error("Can't locate " + options.loaderConfig + " in compilation");
		}
		return [loaderModule, configModule].filter(Boolean).filter(m => !chunk.modules.includes(m));
	}
};
