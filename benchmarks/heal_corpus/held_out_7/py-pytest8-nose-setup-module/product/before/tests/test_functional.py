import os
import shutil
import sys
import tempfile

import pytest

from sphinxcontrib import plantuml

_fakecmd = [sys.executable, os.path.join(os.path.dirname(__file__), 'fakecmd.py')]


def setup():
    global _tempdir, _srcdir, _outdir
    _tempdir = tempfile.mkdtemp()
    _srcdir = os.path.join(_tempdir, 'src')
    _outdir = os.path.join(_tempdir, 'out')
    os.mkdir(_srcdir)


def teardown():
    shutil.rmtree(_tempdir)


def test_render_png():
    path = plantuml.render('Hello -> World', _outdir, _fakecmd)
    assert os.path.dirname(path) == _outdir
    assert path.endswith('.png')
    with open(path, 'rb') as f:
        assert f.read() == b'\x89PNG\r\n\x1a\nHello -> World'


def test_render_is_cached():
    first = plantuml.render('A -> B', _outdir, _fakecmd)
    os.utime(first, (0, 0))
    second = plantuml.render('A -> B', _outdir, _fakecmd)
    assert first == second
    assert os.stat(second).st_mtime == 0


def test_render_svg_style():
    path = plantuml.render('A -> B\nB -> C', _outdir, _fakecmd, fmt='svg')
    assert plantuml.get_svg_style(path) == 'width:100px;height:40px;'


def test_render_error():
    with pytest.raises(plantuml.PlantUmlError, match='Syntax Error'):
        plantuml.render('@error', _outdir, _fakecmd)
