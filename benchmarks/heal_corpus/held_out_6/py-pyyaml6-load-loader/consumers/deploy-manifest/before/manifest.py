"""Reads a deployment manifest and renders the docker run lines for it."""
import yaml


def read_manifest(path):
    with open(path) as fh:
        manifest = yaml.load(fh)
    services = manifest.get("services", {})
    for name, svc in services.items():
        svc.setdefault("replicas", 1)
        svc.setdefault("env", {})
    return manifest


def render(manifest):
    lines = []
    for name, svc in sorted(manifest["services"].items()):
        env = " ".join("-e {}={}".format(k, v) for k, v in sorted(svc["env"].items()))
        for i in range(svc["replicas"]):
            lines.append(" ".join(p for p in ["docker run -d --name {}-{}".format(name, i), env, svc["image"]] if p))
    return lines
