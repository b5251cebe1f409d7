import sqlalchemy as sa

from h.models import Annotation, Group


class BulkGroupService:
    """Bulk queries about groups, for the bulk API."""

    def __init__(self, db):
        self._db = db

    def group_search(self, groups, annotations_created, authority):
        """
        The groups (their authority_provided_id) among `groups` where
        annotations were made in the given time range.

        :param groups: authority_provided_id of the groups to look at
        :param annotations_created: (start, end) datetimes, inclusive
        :param authority: the authority of the groups
        """

        query = (
            sa.select([Group.authority_provided_id])
            .join(Annotation, Group.pubid == Annotation.groupid)
            .group_by(Group.authority_provided_id)
            .where(
                Annotation.created >= annotations_created[0],
                Annotation.created <= annotations_created[1],
                Group.authority == authority,
                Group.authority_provided_id.in_(groups),
            )
        )
        return sorted(self._db.scalars(query).all())
