import sys
from distutils import util


def confirm(question, stdin=sys.stdin, stdout=sys.stdout):
    """Ask until the answer is a yes or a no (y/n, yes/no, true/false, on/off, 1/0); False at end of input."""
    while True:
        stdout.write(question + " [y/n] ")
        stdout.flush()
        answer = stdin.readline()
        if not answer:
            return False
        try:
            return bool(util.strtobool(answer.strip()))
        except ValueError:
            stdout.write("Please answer yes or no.\n")
