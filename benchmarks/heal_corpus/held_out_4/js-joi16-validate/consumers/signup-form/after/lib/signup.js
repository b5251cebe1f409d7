const Joi = require('joi');

const signupSchema = Joi.object({
  username: Joi.string().alphanum().min(3).max(30).required(),
  email: Joi.string().email({ tlds: { allow: false } }).required(),
  password: Joi.string().min(8).required(),
  newsletter: Joi.boolean().default(false),
});

// Returns { ok, value } or { ok: false, errors: [field, ...] }.
function checkSignup(body) {
  const { error, value } = signupSchema.validate(body, { abortEarly: false, stripUnknown: true });
  if (error) {
    return { ok: false, errors: error.details.map((d) => d.path.join('.')) };
  }
  return { ok: true, value };
}

module.exports = { checkSignup };
