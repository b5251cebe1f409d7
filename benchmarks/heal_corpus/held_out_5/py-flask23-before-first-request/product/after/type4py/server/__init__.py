import os

IS_T4PY_LOCAL_MODE = os.environ.get("T4PY_LOCAL_MODE", "0") == "1"
