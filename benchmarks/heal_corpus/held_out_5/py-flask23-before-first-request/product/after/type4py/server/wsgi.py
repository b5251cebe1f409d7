from type4py.server.app import app
from type4py.server.api import bp

app.register_blueprint(bp)

if __name__ == "__main__":
    app.run()
