from flask import Blueprint, current_app, jsonify

bp = Blueprint("metrics", __name__, url_prefix="/metrics")

_cache = {"warm": False, "units": {}}


def warm_cache():
    current_app.logger.info("warming the metrics cache")
    _cache["units"] = dict(current_app.config["UNITS"])
    _cache["warm"] = True


@bp.record_once
def _warm_on_register(state):
    with state.app.app_context():
        warm_cache()


@bp.get("/units")
def units():
    return jsonify(_cache)
