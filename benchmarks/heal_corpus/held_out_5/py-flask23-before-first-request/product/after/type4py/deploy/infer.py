"""Load a pre-trained model and annotate the functions of a source file."""
import json
import os
import re

DEF_RE = re.compile(r"^\s*def\s+(\w+)\s*\(([^)]*)\)", re.MULTILINE)


class PretrainedType4Py:
    loads = 0

    def __init__(self, pre_trained_model_path, device="cpu", pre_read_type_cluster=False, use_pca=False):
        self.pre_trained_model_path = pre_trained_model_path
        self.device = device
        self.pre_read_type_cluster = pre_read_type_cluster
        self.use_pca = use_pca
        self.model = None

    def load_pretrained_model(self):
        with open(os.path.join(self.pre_trained_model_path, "type4py_model.json")) as f:
            self.model = json.load(f)
        PretrainedType4Py.loads += 1


def type_annotate_file(pre_trained_m, source_code, source_file_path=None, filter_pred_types=True):
    if pre_trained_m is None or pre_trained_m.model is None:
        raise RuntimeError("the Type4Py model is not loaded")
    if isinstance(source_code, bytes):
        source_code = source_code.decode()
    funcs = []
    for name, params in DEF_RE.findall(source_code):
        known = pre_trained_m.model.get(name, {})
        params = [p.split(":")[0].split("=")[0].strip() for p in params.split(",") if p.strip()]
        funcs.append({
            "name": name,
            "params_p": {p: known.get("params", {}).get(p) for p in params},
            "ret_type_p": known.get("ret"),
        })
    if filter_pred_types:
        funcs = [f for f in funcs if f["ret_type_p"] is not None]
    return {"funcs": funcs}
