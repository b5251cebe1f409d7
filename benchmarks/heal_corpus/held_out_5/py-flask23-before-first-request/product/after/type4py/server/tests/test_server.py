import unittest

from type4py.deploy.infer import PretrainedType4Py
from type4py.server.wsgi import app

SOURCE = b"def add(a, b):\n    return a + b\n\n\ndef greet(name):\n    return 'hi ' + name\n\n\ndef unknown(x):\n    return x\n"


class TestServer(unittest.TestCase):
    def setUp(self):
        self.client = app.test_client()

    def test_hello(self):
        r = self.client.get("/api/")
        self.assertEqual(200, r.status_code)

    def test_predict(self):
        r = self.client.post("/api/predict?tc=0", data=SOURCE)
        self.assertEqual(200, r.status_code)
        funcs = r.get_json()["response"]["funcs"]
        self.assertEqual(["add", "greet"], [f["name"] for f in funcs])
        self.assertEqual({"a": "int", "b": "int"}, funcs[0]["params_p"])
        self.assertEqual("str", funcs[1]["ret_type_p"])

    def test_predict_unfiltered(self):
        r = self.client.post("/api/predict?tc=0&fp=0", data=SOURCE)
        self.assertEqual(3, len(r.get_json()["response"]["funcs"]))

    def test_type_checking_unavailable(self):
        r = self.client.post("/api/predict?tc=1", data=SOURCE)
        self.assertEqual("Type-checking is not available yet!", r.get_json()["error"])

    def test_model_loaded_once(self):
        self.client.get("/api/")
        self.client.post("/api/predict?tc=0", data=SOURCE)
        self.assertEqual(1, PretrainedType4Py.loads)


if __name__ == "__main__":
    unittest.main()
