"""A stand-in for the plantuml command: echoes its input inside a fake image of the requested format."""
import sys

args = sys.argv[1:]
fmt = next((a[2:] for a in args if a.startswith("-t")), "png")
source = sys.stdin.buffer.read()
if b"@error" in source:
    sys.stderr.write("Syntax Error?\n")
    sys.exit(1)
if fmt == "svg":
    lines = source.count(b"\n") + 1
    sys.stdout.buffer.write(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
                            b'style="width:100px;height:%dpx;" version="1.1"><!--' % (20 * lines) + source + b"--></svg>")
else:
    sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + source)
