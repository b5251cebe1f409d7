import sys

_ANSWERS = {
    "y": True, "yes": True, "t": True, "true": True, "on": True, "1": True,
    "n": False, "no": False, "f": False, "false": False, "off": False, "0": False,
}


def confirm(question, stdin=sys.stdin, stdout=sys.stdout):
    """Ask until the answer is a yes or a no (y/n, yes/no, true/false, on/off, 1/0); False at end of input."""
    while True:
        stdout.write(question + " [y/n] ")
        stdout.flush()
        answer = stdin.readline()
        if not answer:
            return False
        try:
            return _ANSWERS[answer.strip().lower()]
        except KeyError:
            stdout.write("Please answer yes or no.\n")
