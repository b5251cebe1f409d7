'use strict';

const Assert = require('assert');
const Joi = require('joi');
const SchemaResolver = require('./lib/resolver');

const schemaSchema = Joi.alternatives(Joi.object().unknown(true), Joi.string()).required();

const optionsSchema = Joi.object({
    subSchemas: Joi.object().unknown(true).allow(null),
    types: Joi.object().unknown(true).allow(null),
    refineType: Joi.func().allow(null),
    strictMode: Joi.boolean().default(false)
});

const validate = function (schema, options = {}) {
    const validateOptions = optionsSchema.validate(options);

    Assert.ok(!validateOptions.error, validateOptions.error);

    const validateSchema = schemaSchema.validate(schema);

    Assert.ok(!validateSchema.error, validateSchema.error);

    const resolver = new SchemaResolver(validateSchema.value, validateOptions.value);

    return resolver.resolve();
};

module.exports = {
    schema: validate
};
