import configparser


class JobConfig(configparser.ConfigParser):
    """A job file: a [job] section whose values may refer to each other (%(name)s)."""

    def __init__(self, text):
        configparser.ConfigParser.__init__(self)
        self.read_string(text)

    @property
    def command(self):
        return self.get("job", "command")

    @property
    def retries(self):
        return self.getint("job", "retries", fallback=0)
