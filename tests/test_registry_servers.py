"""Smoke tests: the local registries the integration tests use are real, and a round trip works.

pypiserver (twine upload, pip download), verdaccio (npm publish, npm view) and Distribution
(skopeo copy of an OCI image layout, tags/list); wrong credentials are refused by each.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from servers.fixtures import npm_server, oci_server, pypi_server  # noqa: F401
from servers.registries import Server, npmrc_text

BIN = Path(sys.executable).parent


def run(argv: list[str], *, cwd: Path | None = None, env: dict | None = None, timeout: float = 300):
    return subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def output(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# --- PyPI ---------------------------------------------------------------------------------------------


def build_wheel(tmp_path: Path, name: str, version: str) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    module = name.replace("-", "_")
    (src / "pyproject.toml").write_text(
        "[build-system]\n"
        'requires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        "[project]\n"
        f'name = "{name}"\n'
        f'version = "{version}"\n\n'
        "[tool.setuptools]\n"
        f'py-modules = ["{module}"]\n'
    )
    (src / f"{module}.py").write_text('GREETING = "hello"\n')
    dist = tmp_path / "dist"
    proc = run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(dist), str(src)])
    assert proc.returncode == 0, output(proc)
    (wheel,) = dist.glob("*.whl")
    return wheel


def twine_upload(server: Server, wheel: Path, password: str) -> subprocess.CompletedProcess:
    return run(
        [
            *(str(BIN / "twine"), "upload", "--non-interactive", "--disable-progress-bar"),
            *("--repository-url", server.url + "/", "-u", server.username, "-p", password, str(wheel)),
        ],
        env={"TWINE_NON_INTERACTIVE": "1"},
    )


def test_pypiserver_upload_and_download(pypi_server: Server, tmp_path: Path):  # noqa: F811
    wheel = build_wheel(tmp_path, "cm-smoke", "0.1.0")

    refused = twine_upload(pypi_server, wheel, "wrong-password")
    assert refused.returncode != 0, output(refused)
    assert "401" in output(refused) or "403" in output(refused), output(refused)

    uploaded = twine_upload(pypi_server, wheel, pypi_server.password)
    assert uploaded.returncode == 0, output(uploaded)

    # Reading needs the credentials too (-a update,download,list).
    assert http_get(pypi_server.url + "/simple/cm-smoke/")[0] == 401
    status, body = http_get(pypi_server.url + "/simple/cm-smoke/", pypi_server.basic_auth_header())
    assert status == 200 and b"cm_smoke-0.1.0-py3-none-any.whl" in body

    dest = tmp_path / "downloaded"
    proc = run(
        [
            *(sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir"),
            *("--disable-pip-version-check", "--index-url", pypi_server.authed_url("/simple/")),
            *("-d", str(dest), "cm-smoke==0.1.0"),
        ],
        env={"PIP_CONFIG_FILE": os.devnull},
    )
    assert proc.returncode == 0, output(proc)
    assert [p.name for p in dest.iterdir()] == [wheel.name]
    assert (dest / wheel.name).read_bytes() == wheel.read_bytes()


# --- npm ----------------------------------------------------------------------------------------------


def npm(args: list[str], tmp_path: Path, *, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {"npm_config_cache": str(tmp_path / "npm-cache"), "npm_config_update_notifier": "false"}
    return run(["npm", *args], cwd=cwd, env=env)


def test_verdaccio_publish_and_view(npm_server: Server, tmp_path: Path):  # noqa: F811
    assert npm_server.token and npm_server.npmrc and npm_server.npmrc.exists()
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    manifest = {"name": "cm-smoke-npm", "version": "1.0.0", "main": "index.js", "license": "MIT"}
    (pkg / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (pkg / "index.js").write_text("module.exports = 'hello';\n")

    bad_npmrc = tmp_path / "bad-npmrc"
    bad_npmrc.write_text(npmrc_text(npm_server.url, "bm90LWEtdG9rZW4="))
    refused = npm(
        ["publish", "--registry", npm_server.url + "/", "--userconfig", str(bad_npmrc)], tmp_path, cwd=pkg
    )
    assert refused.returncode != 0, output(refused)
    assert any(code in output(refused) for code in ("E401", "E403", "401", "403")), output(refused)

    published = npm(
        ["publish", "--registry", npm_server.url + "/", "--userconfig", str(npm_server.npmrc)],
        tmp_path,
        cwd=pkg,
    )
    assert published.returncode == 0, output(published)

    view = npm(
        [
            *("view", "cm-smoke-npm", "versions", "--json"),
            *("--registry", npm_server.url + "/", "--userconfig", str(npm_server.npmrc)),
        ],
        tmp_path,
    )
    assert view.returncode == 0, output(view)
    versions = json.loads(view.stdout)
    assert (versions if isinstance(versions, list) else [versions]) == ["1.0.0"]


# --- OCI ----------------------------------------------------------------------------------------------


def _blob(layout: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return f"sha256:{digest}"


def build_oci_layout(layout: Path, tag: str) -> str:
    """A one-layer OCI image layout written by hand; returns the manifest digest."""
    (layout / "blobs" / "sha256").mkdir(parents=True)
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))

    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        content = b"hello from code monkeys\n"
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mode, info.mtime = len(content), 0o644, 0
        tar.addfile(info, io.BytesIO(content))
    layer_tar = tar_buf.getvalue()
    layer_gz = gzip.compress(layer_tar, mtime=0)
    layer_digest = _blob(layout, layer_gz)

    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]},
    }
    config_bytes = json.dumps(config).encode()
    config_digest = _blob(layout, config_bytes)

    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": len(config_bytes),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer_digest,
                "size": len(layer_gz),
            }
        ],
    }
    manifest_bytes = json.dumps(manifest).encode()
    manifest_digest = _blob(layout, manifest_bytes)

    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": len(manifest_bytes),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (layout / "index.json").write_text(json.dumps(index))
    return manifest_digest


def skopeo_copy(server: Server, layout: Path, ref: str, creds: str) -> subprocess.CompletedProcess:
    tag = ref.rsplit(":", 1)[1]
    return run(
        [
            *("skopeo", "copy", "--dest-creds", creds, "--dest-tls-verify=false"),
            *(f"oci:{layout}:{tag}", f"docker://{server.url.split('://', 1)[1]}/{ref}"),
        ]
    )


def test_oci_registry_push_and_list(oci_server: Server, tmp_path: Path):  # noqa: F811
    layout = tmp_path / "image"
    manifest_digest = build_oci_layout(layout, "1.0.0")

    refused = skopeo_copy(oci_server, layout, "cm/smoke:1.0.0", f"{oci_server.username}:wrong-password")
    assert refused.returncode != 0, output(refused)
    assert "unauthorized" in output(refused).lower() or "401" in output(refused), output(refused)

    pushed = skopeo_copy(oci_server, layout, "cm/smoke:1.0.0", f"{oci_server.username}:{oci_server.password}")
    assert pushed.returncode == 0, output(pushed)

    tags_url = oci_server.url + "/v2/cm/smoke/tags/list"
    assert http_get(tags_url)[0] == 401
    status, body = http_get(tags_url, oci_server.basic_auth_header())
    assert status == 200, body
    assert json.loads(body) == {"name": "cm/smoke", "tags": ["1.0.0"]}

    # The registry stored our manifest as is (same digest).
    status, _ = http_get(
        f"{oci_server.url}/v2/cm/smoke/manifests/{manifest_digest}",
        {**oci_server.basic_auth_header(), "Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert status == 200


@pytest.mark.parametrize("fixture", ["pypi_server", "npm_server", "oci_server"])
def test_servers_listen_on_loopback_only(fixture: str, request: pytest.FixtureRequest):
    server: Server = request.getfixturevalue(fixture)
    assert server.url.startswith("http://127.0.0.1:")
    assert server.process.poll() is None, server.log_tail()
