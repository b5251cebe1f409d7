"""Render PlantUML diagrams by piping their source through the plantuml command.

A small core of a documentation extension: file names derived from the source, a render cache in the output
directory, and the size style of an SVG output (so that HTML can scale it).
"""
import hashlib
import os
import re
import subprocess


class PlantUmlError(Exception):
    pass


def generate_name(content, fmt="png", options=None):
    """File name of a diagram: a digest of its source and options, so equal diagrams share a file."""
    key = repr((content, sorted((options or {}).items()))).encode("utf-8")
    return "plantuml-%s.%s" % (hashlib.sha1(key).hexdigest(), fmt)


def render(content, outdir, command, fmt="png", options=None):
    """Render content into outdir (unless already there) and return the output path."""
    outfname = os.path.join(outdir, generate_name(content, fmt, options))
    if os.path.exists(outfname):
        return outfname
    os.makedirs(outdir, exist_ok=True)
    args = list(command) + ["-pipe", "-t%s" % fmt, "-charset", "utf-8"]
    proc = subprocess.run(args, input=content.encode("utf-8"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise PlantUmlError("error while running plantuml\n\n%s" % proc.stderr.decode("utf-8", "replace"))
    with open(outfname, "wb") as f:
        f.write(proc.stdout)
    return outfname


_SVG_STYLE_RE = re.compile(rb"<svg\b[^<>]+\bstyle=['\"]([^'\"]+)['\"]")


def get_svg_style(fname):
    """The style attribute of the root <svg> element (width / height), or None."""
    with open(fname, "rb") as f:
        head = f.read(2048)
    m = _SVG_STYLE_RE.search(head)
    return m.group(1).decode("utf-8") if m else None
