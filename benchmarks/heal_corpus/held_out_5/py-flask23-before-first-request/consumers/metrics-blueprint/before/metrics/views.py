from flask import Blueprint, current_app, jsonify

bp = Blueprint("metrics", __name__, url_prefix="/metrics")

_cache = {"warm": False, "units": {}}


@bp.before_app_first_request
def warm_cache():
    current_app.logger.info("warming the metrics cache")
    _cache["units"] = dict(current_app.config["UNITS"])
    _cache["warm"] = True


@bp.get("/units")
def units():
    return jsonify(_cache)
