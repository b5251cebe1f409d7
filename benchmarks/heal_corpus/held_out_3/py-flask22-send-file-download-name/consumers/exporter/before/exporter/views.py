import json
import tempfile

import flask

bp = flask.Blueprint("export", __name__)


@bp.route("/export/<int:user_id>")
def export_user(user_id):
    tmp = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({"id": user_id, "items": []}, tmp)
    tmp.close()
    return flask.send_file(tmp.name, mimetype="application/json", as_attachment=True,
                           attachment_filename="user-%d.json" % user_id)


def create_app():
    app = flask.Flask(__name__)
    app.register_blueprint(bp)
    return app
