"""A tiny API that wants an X-Api-Key header."""

from flask import Flask, abort, jsonify, request
from werkzeug.security import safe_str_cmp

app = Flask(__name__)
app.config["API_KEY"] = "s3cr3t-key"


def require_api_key():
    supplied = request.headers.get("X-Api-Key", "")
    if not safe_str_cmp(supplied, app.config["API_KEY"]):
        abort(403)


@app.route("/status")
def status():
    require_api_key()
    return jsonify(ok=True)
