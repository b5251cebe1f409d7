import unittest

from mailu.schemas import HASH_PREFIX, TokenSchema, UserSchema, hash_password


class TestSchemas(unittest.TestCase):
    def test_user_with_hashed_password(self):
        hashed = hash_password('letmein', salt='00ff')
        user = UserSchema().load({'email': 'admin@example.org', 'password': hashed})
        self.assertEqual(hashed, user['password'])
        self.assertNotIn('hash_password', user)

    def test_user_hash_password(self):
        user = UserSchema().load({'email': 'admin@example.org', 'password': 'letmein', 'hash_password': True})
        self.assertTrue(user['password'].startswith(HASH_PREFIX))

    def test_user_clear_password_refused(self):
        with self.assertRaises(Exception):
            UserSchema().load({'email': 'admin@example.org', 'password': 'letmein'})

    def test_token(self):
        token = TokenSchema().load({'comment': 'imap', 'password': 'secret', 'hash_password': True})
        self.assertTrue(token['password'].startswith(HASH_PREFIX))
        dumped = TokenSchema().dump(token)
        self.assertNotIn('hash_password', dumped)
        self.assertEqual('imap', dumped['comment'])

    def test_nested_tokens(self):
        hashed = hash_password('x', salt='01')
        user = UserSchema().load({'email': 'a@example.org', 'password': hashed, 'tokens': [{'password': hashed}]})
        self.assertEqual(hashed, user['tokens'][0]['password'])


if __name__ == '__main__':
    unittest.main()
