'use strict';

const Assert = require('assert');
const Enjoi = require('..');

const schema = Enjoi.schema({
    type: 'object',
    properties: {
        firstName: { type: 'string', minLength: 1 },
        age: { type: 'integer' },
        contact: {
            oneOf: [
                { type: 'object', properties: { email: { type: 'string' } }, required: ['email'], additionalProperties: false },
                { type: 'object', properties: { phone: { type: 'string' } }, required: ['phone'], additionalProperties: false }
            ]
        },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } }
    },
    required: ['firstName']
});

Assert.ok(!schema.validate({ firstName: 'John', age: 42, contact: { email: 'j@x.org' }, tags: ['a'] }).error);
Assert.ok(schema.validate({ age: 42 }).error, 'firstName is required');
Assert.ok(schema.validate({ firstName: 'John', age: 4.2 }).error, 'age is an integer');
Assert.ok(schema.validate({ firstName: 'John', contact: { fax: '1' } }).error, 'contact matches none');
Assert.ok(schema.validate({ firstName: 'John', tags: ['c'] }).error, 'tags are a or b');
Assert.throws(() => Enjoi.schema({ type: 'string' }, { strictMode: 'yes' }));
console.log('enjoi smoke tests passed');
