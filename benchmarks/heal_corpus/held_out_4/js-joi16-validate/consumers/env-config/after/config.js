'use strict';

const Joi = require('joi');

const envSchema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  PORT: Joi.number().port().default(3000),
  DATABASE_URL: Joi.string().uri().required(),
});

function loadConfig(env, done) {
  const { error, value } = envSchema.validate(env, { allowUnknown: true });
  if (error) {
    return done(new Error(`Config validation error: ${error.message}`));
  }
  return done(null, { env: value.NODE_ENV, port: value.PORT, databaseUrl: value.DATABASE_URL });
}

module.exports = { loadConfig };
