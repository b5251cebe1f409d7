'use strict';

const Joi = require('joi');

const envSchema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  PORT: Joi.number().port().default(3000),
  DATABASE_URL: Joi.string().uri().required(),
});

function loadConfig(env, done) {
  Joi.validate(env, envSchema, { allowUnknown: true }, (err, value) => {
    if (err) {
      return done(new Error(`Config validation error: ${err.message}`));
    }
    return done(null, { env: value.NODE_ENV, port: value.PORT, databaseUrl: value.DATABASE_URL });
  });
}

module.exports = { loadConfig };
