"""Read and edit a hosts file: one address per line, followed by its names."""

import sys


class Hosts(object):
    def __init__(self, backup=True):
        self.backup = backup
        if sys.platform == "win32":
            self.path = r"c:\windows\system32\drivers\etc\hosts"
        else:
            self.path = "/etc/hosts"

    def _read(self):
        with open(self.path) as f:
            return [line.rstrip("\n") for line in f]

    def _write(self, lines):
        with open(self.path, "w") as f:
            f.write("\n".join(lines) + "\n")

    @staticmethod
    def parse(line):
        """(address, [names]) of an entry line, or None for a blank or comment line."""
        body = line.split("#", 1)[0].split()
        if len(body) < 2:
            return None
        return body[0], body[1:]

    def list(self):
        return [line for line in self._read() if self.parse(line)]

    def exists(self, name):
        return bool(self.check(name))

    def check(self, *names):
        return [line for line in self.list() if set(names) & set(self.parse(line)[1])]

    def add(self, name, ip="127.0.0.1"):
        lines = self._read()
        for i, line in enumerate(lines):
            entry = self.parse(line)
            if entry and entry[0] == ip:
                if name in entry[1]:
                    return False
                lines[i] = "\t".join([ip, " ".join(entry[1] + [name])])
                self._write(lines)
                return True
        self._write(lines + [ip + "\t" + name])
        return True

    def remove(self, name):
        lines, removed = [], False
        for line in self._read():
            entry = self.parse(line)
            if entry and name in entry[1]:
                removed = True
                rest = [n for n in entry[1] if n != name]
                if not rest:
                    continue
                line = entry[0] + "\t" + " ".join(rest)
            lines.append(line)
        self._write(lines)
        return removed
