import os
import shutil
import tempfile

from sphinxcontrib import plantuml


def setup_module():
    global _tempdir
    _tempdir = tempfile.mkdtemp()


def teardown_module():
    shutil.rmtree(_tempdir)


def writefile(fname, data):
    path = os.path.join(_tempdir, fname)
    with open(path, 'w') as f:
        f.write(data)
    return path


def test_get_svg_style_simple():
    path = writefile('simple.svg', '<svg xmlns="http://www.w3.org/2000/svg" style="width:99px;height:33px;"></svg>')
    assert plantuml.get_svg_style(path) == 'width:99px;height:33px;'


def test_get_svg_style_single_quotes():
    path = writefile('quotes.svg', "<?xml version='1.0'?>\n<svg\n  style='width:1px'></svg>")
    assert plantuml.get_svg_style(path) == 'width:1px'


def test_get_svg_style_missing():
    path = writefile('nostyle.svg', '<svg width="10" height="10"></svg>')
    assert plantuml.get_svg_style(path) is None
