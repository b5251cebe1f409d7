import os
import shutil
import tempfile

from kvstore import KVStore


def setup_module():
    global WORKDIR
    WORKDIR = tempfile.mkdtemp()


def teardown_module():
    shutil.rmtree(WORKDIR)


def test_set_and_reload():
    path = os.path.join(WORKDIR, "a.db")
    KVStore(path).set("colour", "blue")
    assert KVStore(path).get("colour") == "blue"


def test_delete_survives_reload():
    path = os.path.join(WORKDIR, "b.db")
    store = KVStore(path)
    store.set("x", 1)
    store.delete("x")
    assert KVStore(path).get("x", "gone") == "gone"


class TestOverwrite:
    def setup_method(self):
        self.store = KVStore(os.path.join(WORKDIR, "c.db"))
        self.store.set("n", 1)

    def test_last_write_wins(self):
        self.store.set("n", 2)
        assert KVStore(self.store.path).get("n") == 2
