from flask import Flask


def create_app(config=None):
    app = Flask(__name__)
    app.config["UNITS"] = {}
    if config:
        app.config.update(config)

    from metrics.views import bp

    app.register_blueprint(bp)
    return app
