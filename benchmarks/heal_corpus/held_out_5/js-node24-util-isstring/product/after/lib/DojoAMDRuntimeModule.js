const pluginName = "DojoAMDPlugin";

class DojoAMDRuntimeModule {
	constructor(options, pluginProps, compilation) {
		this.options = options;
		this.pluginProps = pluginProps;
		this.compilation = compilation;
		this.errors = [];
	}

	addError(error) {
		this.errors.push(error);
	}

	generate() {
		const buf = [];
		const pluginProps = this.pluginProps;
		buf.push(`globalObj.dojoConfig = globalObj.dojoConfig || {}`);
		var loaderScope;
		if (!pluginProps.embeddedLoaderHasConfigApi) {
			if (typeof this.options.loaderConfig !== 'string') {
				let loaderConfig = this.options.loaderConfig;
				if (typeof loaderConfig === 'function') {
					loaderConfig = loaderConfig(this.options.environment || {});
				}
				loaderScope = {require: {baseUrl: loaderConfig.baseUrl || "."}};
			} else {
				const error = new Error(`The embedded Dojo loader needs the config API in order to support loading the Dojo loader config as a module, \
but the loader specified at ${pluginProps.embeddedLoaderFilename} was built without the config API.  Please rebuild the embedded loader with 'dojo-config-api' feature enabled`);
				this.addError(error);
				throw error;
			}
		}
		buf.push(this.renderDojoConfigVars(loaderScope));
		if (loaderScope) {
			// loaderProps.baseUrl is set by the loader config renderer if the loader has no config api.
			buf.push("loaderScope.require.baseUrl = " + JSON.stringify(loaderScope.require.baseUrl) + ";");
		}
		return [`(function() { /* Start ${pluginName} extensions */`, ...buf.map(line => "\t" + line), `})(); /* End ${pluginName} extensions */`].join("\n");
	}

	renderDojoConfigVars(loaderScope) {
		// Defines and assigns the userConfig var on the client.
		const buf = [];
		// loader config props duplicated in default config when not using config api
		if (typeof this.options.loaderConfig === 'string') {
			const dojoLoaderConfig = this.compilation.modules.find((module) => { return module.rawRequest === this.options.loaderConfig;});
			buf.push(`var userConfig = __webpack_require__(${JSON.stringify(dojoLoaderConfig.id)});`);
			buf.push(`if (typeof userConfig === 'function') {`);
			buf.push(`\tuserConfig = userConfig.call(globalObj, ${JSON.stringify(this.options.environment || {})});`);
			buf.push("}");
		} else {
			var loaderConfig = this.options.loaderConfig;
			if (typeof loaderConfig === 'function') {
				loaderConfig = loaderConfig(this.options.environment || {});
			}
			if (loaderScope) {
				loaderConfig = Object.assign({}, loaderConfig, {baseUrl: loaderScope.require.baseUrl});
			}
			buf.push(`var userConfig = ${JSON.stringify(loaderConfig)};`);
		}
		return buf.join("\n");
	}
}

module.exports = DojoAMDRuntimeModule;
