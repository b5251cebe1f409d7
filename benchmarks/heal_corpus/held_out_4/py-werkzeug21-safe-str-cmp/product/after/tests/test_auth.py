import base64
import re
import unittest
from hashlib import md5

from flask import Flask

from flask_httpauth import HTTPBasicAuth, HTTPDigestAuth

USERS = {"john": "hello", "susan": "bye"}


def make_app():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test secret"
    basic = HTTPBasicAuth()
    digest = HTTPDigestAuth()
    basic.get_password(USERS.get)
    digest.get_password(USERS.get)

    @app.route("/basic")
    @basic.login_required
    def basic_route():
        return "basic ok"

    @app.route("/digest")
    @digest.login_required
    def digest_route():
        return "digest ok"

    return app


class BasicTestCase(unittest.TestCase):
    def setUp(self):
        self.client = make_app().test_client()

    def _get(self, user, password):
        creds = base64.b64encode((user + ":" + password).encode()).decode()
        return self.client.get("/basic", headers={"Authorization": "Basic " + creds})

    def test_good_password(self):
        self.assertEqual(b"basic ok", self._get("john", "hello").data)

    def test_bad_password(self):
        self.assertEqual(401, self._get("john", "bye").status_code)


class DigestTestCase(unittest.TestCase):
    def setUp(self):
        self.client = make_app().test_client()

    def _challenge(self):
        rv = self.client.get("/digest")
        self.assertEqual(401, rv.status_code)
        header = rv.headers["WWW-Authenticate"]
        return dict(re.findall(r'(\w+)="([^"]*)"', header))

    def _answer(self, user, password, c):
        ha1 = md5(("%s:%s:%s" % (user, c["realm"], password)).encode()).hexdigest()
        ha2 = md5(b"GET:/digest").hexdigest()
        resp = md5(("%s:%s:%s" % (ha1, c["nonce"], ha2)).encode()).hexdigest()
        header = ('Digest username="%s",realm="%s",nonce="%s",uri="/digest",response="%s",opaque="%s"'
                  % (user, c["realm"], c["nonce"], resp, c["opaque"]))
        return self.client.get("/digest", headers={"Authorization": header})

    def test_good_password(self):
        c = self._challenge()
        self.assertEqual(b"digest ok", self._answer("susan", "bye", c).data)

    def test_bad_password(self):
        c = self._challenge()
        self.assertEqual(401, self._answer("susan", "hello", c).status_code)


if __name__ == "__main__":
    unittest.main()
