"""`python tests/servers/ollama [--scripted] [--port PORT] [--model NAME ...]`.

(Or `python -m servers.ollama ...` from tests/.) Prints `listening http://127.0.0.1:PORT` on stdout once
the model is loaded and the port is bound, then logs to stderr.
"""

import sys
from pathlib import Path

if not __package__:  # run as a directory: make `servers.ollama` importable from tests/
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from servers.ollama.server import main

sys.exit(main())
