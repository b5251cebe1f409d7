'use strict';

const Joi = require('joi');

class SchemaResolver {
    constructor(root, { subSchemas, types, refineType, strictMode }) {
        this.root = root;
        this.subSchemas = subSchemas || {};
        this.types = types || {};
        this.refineType = refineType;
        this.strictMode = strictMode;
        // oneOf: exactly one of the items may match the value
        this.joi = Joi.extend({
            type: 'oneOf',
            base: Joi.any(),
            messages: {
                'oneOf.none': '{{#label}} matches none of the schemas',
                'oneOf.many': '{{#label}} matches more than one schema'
            },
            rules: {
                items: {
                    method(items) {
                        return this.$_addRule({ name: 'items', args: { items } });
                    },
                    validate(value, helpers, { items }, options) {
                        let matches = 0;
                        options = Object.assign({}, options, { allowUnknown: true });

                        for (const schema of items) {
                            let error;
                            Joi.validate(value, schema, options, (err) => {
                                error = err;
                            });
                            if (!error) {
                                matches++;
                            }
                        }
                        if (matches === 0) {
                            return helpers.error('oneOf.none');
                        }
                        if (matches > 1) {
                            return helpers.error('oneOf.many');
                        }
                        return value;
                    }
                }
            }
        });
    }

    resolve(schema = this.root) {
        if (typeof schema === 'string') {
            return this.resolve(this.resolveReference(schema));
        }
        if (schema.$ref) {
            return this.resolve(this.resolveReference(schema.$ref));
        }
        if (schema.oneOf) {
            return this.joi.oneOf().items(schema.oneOf.map((s) => this.resolve(s)));
        }
        const type = schema.type || 'object';
        let resolved;
        if (this.types[type]) {
            resolved = this.types[type];
        }
        else if (type === 'object') {
            resolved = this.resolveObject(schema);
        }
        else if (type === 'array') {
            resolved = Joi.array().items(schema.items ? this.resolve(schema.items) : Joi.any());
        }
        else if (type === 'string') {
            resolved = Joi.string();
            if (schema.minLength !== undefined) {
                resolved = resolved.min(schema.minLength);
            }
            if (schema.enum) {
                resolved = resolved.valid(...schema.enum);
            }
        }
        else if (type === 'integer') {
            resolved = Joi.number().integer();
        }
        else if (type === 'number') {
            resolved = Joi.number();
        }
        else if (type === 'boolean') {
            resolved = Joi.boolean();
        }
        else {
            throw new Error(`Unknown type ${type}`);
        }
        if (this.strictMode) {
            resolved = resolved.strict();
        }
        return this.refineType ? this.refineType(resolved, schema) : resolved;
    }

    resolveObject(schema) {
        const keys = {};
        const required = schema.required || [];
        for (const [name, sub] of Object.entries(schema.properties || {})) {
            let key = this.resolve(sub);
            if (required.includes(name)) {
                key = key.required();
            }
            keys[name] = key;
        }
        return Joi.object(keys).unknown(schema.additionalProperties !== false);
    }

    resolveReference(ref) {
        const name = ref.replace(/^#\/definitions\//, '');
        const found = this.subSchemas[name] || (this.root.definitions || {})[name];
        if (!found) {
            throw new Error(`Can not resolve reference ${ref}`);
        }
        return found;
    }
}

module.exports = SchemaResolver;
