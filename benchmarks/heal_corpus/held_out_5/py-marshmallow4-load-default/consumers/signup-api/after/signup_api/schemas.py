from marshmallow import Schema, fields, validate


class SignupSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=3))
    language = fields.String(load_default="en")
    newsletter = fields.Boolean(load_default=False)
    tags = fields.List(fields.String(), load_default=list)


class PagingSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
