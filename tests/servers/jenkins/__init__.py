"""A Jenkins-REST-compatible server for the tests that really runs jobs (see server.py).

Start it from a test with `launch.start_jenkins(home)`, or standalone with
`python tests/servers/jenkins --port 0 --home DIR --user USER --token TOKEN`.
"""
