"""
flask_httpauth
==============

This module provides Basic and Digest HTTP authentication for Flask routes
(a small version of it, written for this corpus).
"""
import hmac
from base64 import b64decode
from functools import wraps
from hashlib import md5
from random import SystemRandom
from flask import request, make_response, session


__version__ = '0.1.0'


def _generate_random():
    return md5(str(SystemRandom().random()).encode('utf-8')).hexdigest()


class HTTPAuth(object):
    def __init__(self, scheme, realm=None):
        self.scheme = scheme
        self.realm = realm or "Authentication Required"
        self.get_password_callback = None

    def get_password(self, f):
        self.get_password_callback = f
        return f

    def authenticate_header(self):
        return '{0} realm="{1}"'.format(self.scheme, self.realm)

    def auth_error(self):
        res = make_response("Unauthorized Access", 401)
        res.headers['WWW-Authenticate'] = self.authenticate_header()
        return res

    def login_required(self, f):
        @wraps(f)
        def decorated(*args, **kwargs):
            auth = request.authorization
            if auth is None or not self.authenticate(auth):
                return self.auth_error()
            return f(*args, **kwargs)
        return decorated


class HTTPBasicAuth(HTTPAuth):
    def __init__(self, realm=None):
        super(HTTPBasicAuth, self).__init__('Basic', realm)

    def authenticate(self, auth):
        client_password = auth.password if auth else None
        stored_password = self.get_password_callback(auth.username) \
            if auth else None
        return auth.username if client_password is not None and \
            stored_password is not None and \
            hmac.compare_digest(client_password, stored_password) else None


class HTTPDigestAuth(HTTPAuth):
    def __init__(self, realm=None):
        super(HTTPDigestAuth, self).__init__('Digest', realm)

        def default_generate_nonce():
            session["auth_nonce"] = _generate_random()
            return session["auth_nonce"]

        def default_verify_nonce(nonce):
            session_nonce = session.get("auth_nonce")
            if nonce is None or session_nonce is None:
                return False
            return hmac.compare_digest(nonce, session_nonce)

        def default_generate_opaque():
            session["auth_opaque"] = _generate_random()
            return session["auth_opaque"]

        def default_verify_opaque(opaque):
            session_opaque = session.get("auth_opaque")
            if opaque is None or session_opaque is None:  # pragma: no cover
                return False
            return hmac.compare_digest(opaque, session_opaque)

        self.generate_nonce = default_generate_nonce
        self.verify_nonce = default_verify_nonce
        self.generate_opaque = default_generate_opaque
        self.verify_opaque = default_verify_opaque

    def authenticate_header(self):
        return '{0} realm="{1}",nonce="{2}",opaque="{3}"'.format(
            self.scheme, self.realm, self.generate_nonce(),
            self.generate_opaque())

    def authenticate(self, auth):
        if not auth or not auth.username or not auth.realm or not auth.uri \
                or not auth.nonce or not auth.response:
            return False
        if not self.verify_nonce(auth.nonce) or \
                not self.verify_opaque(auth.opaque):
            return False
        password = self.get_password_callback(auth.username)
        if password is None:
            return False
        a1 = auth.username + ":" + auth.realm + ":" + password
        ha1 = md5(a1.encode('utf-8')).hexdigest()
        a2 = request.method + ":" + auth.uri
        ha2 = md5(a2.encode('utf-8')).hexdigest()
        a3 = ha1 + ":" + auth.nonce + ":" + ha2
        response = md5(a3.encode('utf-8')).hexdigest()
        return hmac.compare_digest(response, auth.response)
