import json
import time
import unittest

import sqlalchemy as sa

from postgresql_audit import record, versioning_manager
from tests.utils import last_activity


class ActivityTests(unittest.TestCase):
    def setUp(self):
        self.engine = sa.create_engine('sqlite://')
        versioning_manager(self.engine)

    def test_insert(self):
        with self.engine.begin() as conn:
            record(conn, 'insert', 'article', new={'id': 1, 'name': 'Some article'})
            activity = last_activity(conn)
        self.assertEqual(activity['verb'], 'insert')
        self.assertEqual(activity['table_name'], 'article')
        self.assertIsNone(activity['old_data'])
        self.assertEqual(json.loads(activity['changed_data']), {'id': 1, 'name': 'Some article'})

    def test_update_records_only_changed_columns(self):
        with self.engine.begin() as conn:
            record(conn, 'insert', 'article', new={'id': 1, 'name': 'Draft'})
            time.sleep(0.01)
            record(conn, 'update', 'article', old={'id': 1, 'name': 'Draft'}, new={'id': 1, 'name': 'Final'})
            activity = last_activity(conn, schema='main')
        self.assertEqual(activity['verb'], 'update')
        self.assertEqual(json.loads(activity['changed_data']), {'name': 'Final'})
        self.assertEqual(json.loads(activity['old_data'])['name'], 'Draft')


if __name__ == '__main__':
    unittest.main()
