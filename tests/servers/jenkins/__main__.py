"""`python tests/servers/jenkins --port PORT --home DIR --user USER --token TOKEN`.

(Or `python -m servers.jenkins ...` from tests/.) Prints `listening http://127.0.0.1:PORT` as the
first line on stdout, then logs to stderr.
"""

import sys
from pathlib import Path

if not __package__:  # run as a directory: make `servers.jenkins` importable from tests/
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from servers.jenkins.server import main

sys.exit(main())
