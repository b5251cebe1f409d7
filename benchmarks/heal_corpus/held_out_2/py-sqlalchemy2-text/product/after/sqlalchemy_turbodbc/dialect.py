"""Server version lookup for a dialect, done once per connection."""

import re

from sqlalchemy import create_engine
from sqlalchemy import exc, text


class VersionProbe(object):
    """Asks the server which version it runs; None when it cannot tell."""

    def __init__(self, url="sqlite://"):
        self.engine = create_engine(url)

    def _get_server_version_info(self, connection):
        try:
            # the server answers with text such as '3.45.1'
            query = text("SELECT sqlite_version()")
            answer = connection.scalar(query)
        except exc.DBAPIError:
            # servers too old to have the function
            return None
        return tuple(int(part) for part in re.findall(r"\d+", answer))

    def server_version_info(self):
        with self.engine.connect() as connection:
            return self._get_server_version_info(connection)


if __name__ == "__main__":
    print(VersionProbe().server_version_info())
