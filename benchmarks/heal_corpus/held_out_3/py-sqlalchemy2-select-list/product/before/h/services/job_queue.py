from sqlalchemy import func, literal_column, select

from h.models import Annotation, Job


class JobQueueService:
    """A queue of background jobs, kept in the job table."""

    def __init__(self, db):
        self._db = db

    def add_where(self, name, where, tag, priority, force=False, schedule_at="2024-01-01 00:00:00"):
        """Queue one job per annotation that matches every clause of `where`."""
        where_clause = Annotation.deleted.is_(False)
        for clause in where:
            where_clause = where_clause & clause

        query = Job.__table__.insert().from_select(
            [Job.name, Job.scheduled_at, Job.priority, Job.tag, Job.kwargs],
            select(
                [
                    literal_column(f"'{name}'"),
                    literal_column(f"'{schedule_at}'"),
                    literal_column(str(priority)),
                    literal_column(repr(tag)),
                    func.json_object(
                        "annotation_id", Annotation.id, "force", bool(force)
                    ),
                ]
            ).where(where_clause),
        )

        self._db.execute(query)

    def pending(self, name):
        return self._db.execute(select(Job.tag, Job.kwargs).where(Job.name == name).order_by(Job.id)).all()


if __name__ == "__main__":
    import datetime

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from h.models import Base, Group
    from h.services.bulk_api.group import BulkGroupService

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        db.add_all([
            Group(pubid="g1", authority="lms.example", authority_provided_id="course-1"),
            Group(pubid="g2", authority="lms.example", authority_provided_id="course-2"),
            Annotation(groupid="g1", userid="acct:ann"),
            Annotation(groupid="g1", userid="acct:bob", deleted=True),
            Annotation(groupid="g2", userid="acct:bob", created=datetime.datetime(2023, 6, 1)),
        ])
        db.flush()
        span = (datetime.datetime(2023, 12, 1), datetime.datetime(2024, 2, 1))
        print(BulkGroupService(db).group_search(["course-1", "course-2"], span, "lms.example"))

        queue = JobQueueService(db)
        queue.add_where("sync_annotation", [Annotation.groupid == "g1"], tag="storage.reindex", priority=100)
        print(queue.pending("sync_annotation"))
