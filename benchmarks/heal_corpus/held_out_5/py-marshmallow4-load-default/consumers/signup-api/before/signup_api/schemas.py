from marshmallow import Schema, fields, validate


class SignupSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=3))
    language = fields.String(missing="en")
    newsletter = fields.Boolean(missing=False)
    tags = fields.List(fields.String(), missing=list)


class PagingSchema(Schema):
    page = fields.Integer(missing=1, validate=validate.Range(min=1))
    per_page = fields.Integer(missing=20, validate=validate.Range(min=1, max=100))
