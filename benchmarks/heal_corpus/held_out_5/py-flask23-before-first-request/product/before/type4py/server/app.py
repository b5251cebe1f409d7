import os

from flask import Flask

app = Flask(__name__)
app.config.from_mapping(
    SECRET_KEY=os.environ.get("T4PY_SECRET_KEY", "dev"),
    MODEL_PATH=os.environ.get(
        "T4PY_MODEL_PATH", os.path.join(os.path.dirname(__file__), os.pardir, "deploy", "pretrained")
    ),
    DEVICE="cpu",
    PRE_READ_TYPE_CLUSTER=False,
    MAX_LOC=2000,
)
