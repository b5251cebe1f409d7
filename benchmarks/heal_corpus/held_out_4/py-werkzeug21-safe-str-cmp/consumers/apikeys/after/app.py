"""A tiny API that wants an X-Api-Key header."""

import hmac

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
app.config["API_KEY"] = "s3cr3t-key"


def require_api_key():
    supplied = request.headers.get("X-Api-Key", "")
    if not hmac.compare_digest(supplied, app.config["API_KEY"]):
        abort(403)


@app.route("/status")
def status():
    require_api_key()
    return jsonify(ok=True)
