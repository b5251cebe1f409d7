"""Share a secret once: keep it under a random token, hand out a link, drop it on the first read."""

import os
import secrets

from flask import Flask, abort, jsonify, request
from urllib.parse import quote_plus
from urllib.parse import unquote_plus

app = Flask(__name__)
PREFIX = (os.environ.get("URL_PREFIX", "").strip("/") + "/").lstrip("/")
_secrets = {}


def keep(secret):
    token = "s:" + secrets.token_urlsafe(12)
    _secrets[token] = secret
    return token


@app.route("/", methods=["POST"])
def handle_secret():
    secret = request.form.get("secret", "")
    if not secret:
        abort(400)
    token = keep(secret)
    link = request.url_root + PREFIX + quote_plus(token)
    return jsonify(link=link)


@app.route("/<token>", methods=["GET"])
def preview_secret(token):
    token = unquote_plus(token)
    if token not in _secrets:
        abort(404)
    return jsonify(available=True)


@app.route("/<token>", methods=["POST"])
def show_secret(token):
    token = unquote_plus(token)
    secret = _secrets.pop(token, None)
    if secret is None:
        abort(404)
    return jsonify(secret=secret)


if __name__ == "__main__":
    client = app.test_client()
    link = client.post("/", data={"secret": "hunter2"}).get_json()["link"]
    path = "/" + link.split("/", 3)[3]
    print(client.get(path).status_code, client.post(path).get_json(), client.post(path).status_code)
