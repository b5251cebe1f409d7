""" Mailu marshmallow schemas for import and export of the configuration """

import hashlib
import secrets

from marshmallow import Schema, ValidationError, fields, post_load


HASH_PREFIX = '{PBKDF2}'


def hash_password(password, salt=None):
    """ hash a password the way the admin stores it """
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac('sha256', password.encode(), salt.encode(), 1000).hex()
    return f'{HASH_PREFIX}{salt}${digest}'


class PasswordField(fields.String):
    """ Serialize a password (only hashes leave the admin) """

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if not value.startswith(HASH_PREFIX):
            raise ValidationError('refusing to dump a password in clear text')
        return value


class BaseSchema(Schema):
    """ Common behaviour of the import/export schemas """

    @post_load
    def _hash_password(self, data, **kwargs):
        """ hash the password if asked to, else it must already be hashed """
        if 'password' in data:
            if data.pop('hash_password'):
                data['password'] = hash_password(data['password'])
            elif not data['password'].startswith(HASH_PREFIX):
                raise ValidationError('password must be hashed (or set hash_password)', 'password')
        return data


class TokenSchema(BaseSchema):
    """ Marshmallow schema for Token model """
    class Meta:
        """ Schema config """
        ordered = True

    comment = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)

    password = PasswordField(required=True, metadata={'model': 'User'})
    hash_password = fields.Boolean(load_only=True, load_default=False)


class FetchSchema(BaseSchema):
    """ Marshmallow schema for Fetch model """
    class Meta:
        """ Schema config """
        ordered = True

    protocol = fields.String(required=True)
    host = fields.String(required=True)
    port = fields.Integer(required=True)
    username = fields.String(required=True)
    keep = fields.Boolean()


class UserSchema(BaseSchema):
    """ Marshmallow schema for User model """
    class Meta:
        """ Schema config """
        ordered = True

    email = fields.String(required=True)
    tokens = fields.Nested(TokenSchema, many=True)
    fetches = fields.Nested(FetchSchema, many=True)

    password = PasswordField(required=True, metadata={'model': 'User'})
    hash_password = fields.Boolean(load_only=True, load_default=False)
