"""Export a blog feed as JSON-ready dicts."""

from marshmallow import Schema, fields


class EntrySchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(default="(untitled)")
    draft = fields.Boolean(default=False)
    tags = fields.List(fields.String(), default=list)


class FeedSchema(Schema):
    name = fields.String(required=True)
    entries = fields.Nested(EntrySchema, many=True)


def export(feed):
    return FeedSchema().dump(feed)
