module.exports = {
	DojoLoaderPlugin: require("./lib/DojoLoaderPlugin"),
	DojoAMDRuntimeModule: require("./lib/DojoAMDRuntimeModule")
};
