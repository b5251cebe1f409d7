"""Supply-chain evidence of a release: the SBOM, checksums, provenance, SSH signatures and their verification.

Real files, the real cyclonedx-python-lib and real ``ssh-keygen`` (keys made here with ``-N ''``), no
mocks. ssh-keygen and sha256sum are hard requirements: a machine without them fails these tests.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from codemonkeys.facets.supply.attest import (
    NAMESPACE,
    SupplyError,
    bundle_files,
    checksums,
    is_version_artifact,
    parse_checksums,
    provenance,
    read_bundle,
    sign,
    verify_release,
    verify_signature,
    version_artifacts,
    write_bundle,
)
from codemonkeys.facets.supply.sbom import (
    DECLARED,
    make_sbom,
    sbom_artifacts,
    sha256_file,
)

COMMIT = "0123456789abcdef0123456789abcdef01234567"
EPOCH = 1_760_000_000


def need(program: str, hint: str) -> str:
    """The path of ``program``; its absence fails the test (these tests never skip)."""
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is not on PATH ({hint}); the supply-chain tests need it", pytrace=False)
    return path


def make_key(where: Path, name: str, passphrase: str = "") -> tuple[str, str]:
    """A fresh ed25519 key pair made by ssh-keygen: (private key text, public key line)."""
    keygen = need("ssh-keygen", "apt-get install openssh-client")
    path = where / name
    subprocess.run(
        [keygen, "-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.read_text(), (where / f"{name}.pub").read_text()


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def by_purl(doc: dict) -> dict[str, dict]:
    return {c["purl"]: c for c in doc.get("components", [])}


def depends_on(doc: dict, ref: str) -> set[str]:
    return {p for d in doc["dependencies"] if d["ref"] == ref for p in d.get("dependsOn", [])}


def declared(component: dict) -> list[str]:
    return [p["value"] for p in component.get("properties", []) if p["name"] == DECLARED]


PYPROJECT = """\
[project]
name = "acme-cli"
version = "1.2.3"
dependencies = [
  "requests>=2.31",
  "click==8.1.7",
  "private-thing @ git+https://deploy:s3cr3t-t0ken@git.example.com/acme/private.git",
]
"""


def acme_statement(artifacts: list[Path]) -> dict:
    """The provenance of acme-cli 1.2.3's ``artifacts`` as the fixtures release it."""
    return provenance(
        "acme-cli",
        "1.2.3",
        COMMIT,
        "https://git.example.com/acme/cli.git",
        "python -m build",
        "cmctl",
        artifacts,
    )


def python_project(root: Path) -> tuple[Path, list[Path]]:
    """A Python checkout and three artifacts of acme-cli 1.2.3 in ``root/dist``."""
    project = root / "acme-cli"
    write(project / "pyproject.toml", PYPROJECT)
    write(
        project / "requirements.txt",
        "rich==13.7.0 --hash=sha256:00ff\n# a comment\n-r dev.txt\nRequests>=2\n",
    )
    dist = root / "dist"
    artifacts = [
        write(dist / "acme_cli-1.2.3-py3-none-any.whl", b"PK\x03\x04 a wheel's bytes"),
        write(dist / "acme_cli-1.2.3.tar.gz", b"\x1f\x8b an sdist's bytes"),
        write(dist / "acme_cli-1.2.3-docs.zip", b"PK\x03\x04 the docs"),
    ]
    return project, artifacts


@pytest.fixture
def keys(tmp_path: Path) -> SimpleNamespace:
    where = tmp_path / "keys"
    where.mkdir()
    private, public = make_key(where, "release")
    other_private, other_public = make_key(where, "other")
    return SimpleNamespace(
        private=private, public=public, other_private=other_private, other_public=other_public
    )


@pytest.fixture
def release(tmp_path: Path, keys: SimpleNamespace) -> SimpleNamespace:
    """acme-cli 1.2.3 released into dist/ with its bundle, signed with ``keys.private``."""
    project, artifacts = python_project(tmp_path)
    dist = artifacts[0].parent
    sbom = make_sbom(project, "python", "acme-cli", "1.2.3", artifacts, source_date_epoch=EPOCH)
    statement = acme_statement(artifacts)
    bundle = write_bundle(dist, "acme-cli", "1.2.3", artifacts, sbom, statement, keys.private)
    return SimpleNamespace(
        dir=dist, project=project, artifacts=artifacts, bundle=bundle, files=bundle_files("acme-cli", "1.2.3")
    )


# -- the SBOM --------------------------------------------------------------------------------------------


def test_python_sbom_is_deterministic_with_purls_hashes_and_declared_ranges(tmp_path: Path):
    project, artifacts = python_project(tmp_path)
    first = make_sbom(project, "python", "acme-cli", "1.2.3", artifacts, source_date_epoch=EPOCH)
    again = make_sbom(project, "python", "acme-cli", "1.2.3", artifacts, source_date_epoch=EPOCH)
    assert json.dumps(first) == json.dumps(again)  # byte-identical, key order included
    assert first["specVersion"] == "1.6" and first["bomFormat"] == "CycloneDX"
    assert first["metadata"]["timestamp"].startswith("2025-10-09T")
    root = first["metadata"]["component"]
    assert (root["name"], root["version"], root["purl"]) == ("acme-cli", "1.2.3", "pkg:pypi/acme-cli@1.2.3")
    assert sbom_artifacts(first) == {p.name: sha256_file(p) for p in artifacts}
    assert sha256_file(artifacts[0]) == hashlib.sha256(artifacts[0].read_bytes()).hexdigest()

    components = by_purl(first)
    assert set(components) == {
        "pkg:pypi/requests",  # ranges only: no version
        "pkg:pypi/click@8.1.7",  # a single pin gives the version
        "pkg:pypi/rich@13.7.0",
        "pkg:pypi/private-thing",
    }
    assert declared(components["pkg:pypi/requests"]) == [
        "pyproject.toml: requests>=2.31",
        "requirements.txt: Requests>=2",
    ]
    assert "s3cr3t-t0ken" not in json.dumps(first) and "deploy:" not in json.dumps(first)
    assert depends_on(first, root["bom-ref"]) == set(components)

    # the serial number and timestamp follow the inputs
    later = make_sbom(project, "python", "acme-cli", "1.2.3", artifacts, source_date_epoch=EPOCH + 1)
    assert later["serialNumber"] != first["serialNumber"]
    write(artifacts[1], b"other bytes")
    changed = make_sbom(project, "python", "acme-cli", "1.2.3", artifacts, source_date_epoch=EPOCH)
    assert changed["serialNumber"] != first["serialNumber"]
    undated = make_sbom(project, "python", "acme-cli", "1.2.3", artifacts)
    assert "timestamp" not in undated["metadata"]


def test_python_sbom_takes_exact_versions_and_edges_from_uv_lock(tmp_path: Path):
    project = tmp_path / "p"
    write(project / "pyproject.toml", '[project]\nname = "acme-cli"\ndependencies = ["requests>=2.31"]\n')
    write(
        project / "uv.lock",
        """version = 1
requires-python = ">=3.11"

[[package]]
name = "acme-cli"
version = "1.2.3"
source = { editable = "." }
dependencies = [{ name = "requests" }]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "idna" }]

[[package]]
name = "idna"
version = "3.7"
source = { registry = "https://pypi.org/simple" }
""",
    )
    wheel = write(tmp_path / "dist" / "acme_cli-1.2.3-py3-none-any.whl", b"wheel")
    doc = make_sbom(project, "python", "acme-cli", "1.2.3", [wheel])
    components = by_purl(doc)
    assert set(components) == {"pkg:pypi/requests@2.32.3", "pkg:pypi/idna@3.7"}  # not the product itself
    assert declared(components["pkg:pypi/requests@2.32.3"]) == ["pyproject.toml: requests>=2.31"]
    assert depends_on(doc, "pkg:pypi/acme-cli@1.2.3") == {"pkg:pypi/requests@2.32.3"}
    assert depends_on(doc, "pkg:pypi/requests@2.32.3") == {"pkg:pypi/idna@3.7"}


def test_python_sbom_reads_poetry_declarations_and_lock(tmp_path: Path):
    project = tmp_path / "p"
    write(
        project / "pyproject.toml",
        '[tool.poetry]\nname = "acme-report"\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\nRequests = "^2.31"\n',
    )
    write(
        project / "poetry.lock",
        '[[package]]\nname = "requests"\nversion = "2.32.3"\n[package.dependencies]\nidna = ">=2.5,<4"\n\n'
        '[[package]]\nname = "idna"\nversion = "3.7"\n',
    )
    wheel = write(tmp_path / "dist" / "acme_report-0.1.0-py3-none-any.whl", b"wheel")
    doc = make_sbom(project, "python", "acme-report", "0.1.0", [wheel])
    assert set(by_purl(doc)) == {"pkg:pypi/requests@2.32.3", "pkg:pypi/idna@3.7"}
    assert depends_on(doc, "pkg:pypi/acme-report@0.1.0") == {"pkg:pypi/requests@2.32.3"}
    assert depends_on(doc, "pkg:pypi/requests@2.32.3") == {"pkg:pypi/idna@3.7"}


NPM_LOCK = {
    "name": "@acme/web",
    "version": "2.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {
            "name": "@acme/web",
            "version": "2.0.0",
            "workspaces": ["packages/inner"],
            "dependencies": {"lodash": "^4.17.0", "@acme/util": "1.0.0", "a": "^1.0.0"},
            "devDependencies": {"typescript": "^5.4.0"},
        },
        "node_modules/lodash": {"version": "4.17.21", "integrity": "sha512-x"},
        "node_modules/@acme/util": {"version": "1.0.0"},
        "node_modules/a": {"version": "1.1.0", "dependencies": {"lodash": "^3.0.0"}},
        "node_modules/a/node_modules/lodash": {"version": "3.10.1"},
        "node_modules/typescript": {"version": "5.4.5", "dev": True},
        "node_modules/inner": {"resolved": "packages/inner", "link": True},
        "packages/inner": {"name": "inner", "version": "0.0.1"},
    },
}


def test_npm_sbom_from_package_lock_v3(tmp_path: Path):
    project = tmp_path / "web"
    write(project / "package.json", json.dumps({"name": "@acme/web", "version": "2.0.0"}))
    write(project / "package-lock.json", json.dumps(NPM_LOCK))
    tarball = write(tmp_path / "dist" / "acme-web-2.0.0.tgz", b"\x1f\x8b npm pack")
    doc = make_sbom(project, "typescript", "@acme/web", "2.0.0", [tarball], source_date_epoch=EPOCH)
    assert json.dumps(doc) == json.dumps(
        make_sbom(project, "javascript", "@acme/web", "2.0.0", [tarball], source_date_epoch=EPOCH)
    )
    root = doc["metadata"]["component"]
    assert root["purl"] == "pkg:npm/%40acme/web@2.0.0" and root["group"] == "@acme" and root["name"] == "web"
    components = by_purl(doc)
    assert set(components) == {
        "pkg:npm/lodash@4.17.21",
        "pkg:npm/lodash@3.10.1",
        "pkg:npm/%40acme/util@1.0.0",
        "pkg:npm/a@1.1.0",
        "pkg:npm/typescript@5.4.5",
    }
    assert components["pkg:npm/typescript@5.4.5"]["scope"] == "excluded"
    assert components["pkg:npm/lodash@4.17.21"]["scope"] == "required"
    assert declared(components["pkg:npm/lodash@4.17.21"]) == ["package.json: lodash@^4.17.0"]
    assert depends_on(doc, "pkg:npm/a@1.1.0") == {"pkg:npm/lodash@3.10.1"}  # the nested copy, as Node loads
    assert depends_on(doc, root["bom-ref"]) == {
        "pkg:npm/lodash@4.17.21",
        "pkg:npm/%40acme/util@1.0.0",
        "pkg:npm/a@1.1.0",
        "pkg:npm/typescript@5.4.5",
    }
    assert sbom_artifacts(doc) == {"acme-web-2.0.0.tgz": sha256_file(tarball)}


def test_npm_sbom_falls_back_to_package_json(tmp_path: Path):
    project = tmp_path / "web"
    write(
        project / "package.json",
        json.dumps(
            {
                "name": "acme-web",
                "dependencies": {"express": "^4.19.0", "left-pad": "1.3.0"},
                "devDependencies": {"vitest": "~1.6.0"},
            }
        ),
    )
    tarball = write(tmp_path / "acme-web-0.4.0.tgz", b"tgz")
    doc = make_sbom(project, "javascript", "acme-web", "0.4.0", [tarball])
    components = by_purl(doc)
    assert set(components) == {"pkg:npm/express", "pkg:npm/left-pad@1.3.0", "pkg:npm/vitest"}
    assert components["pkg:npm/vitest"]["scope"] == "excluded"
    assert declared(components["pkg:npm/express"]) == ["package.json: express@^4.19.0"]


CARGO_LOCK = """\
version = 3

[[package]]
name = "globex-hash"
version = "0.3.0"
dependencies = [
 "serde",
 "sha2",
]

[[package]]
name = "serde"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "sha2"
version = "0.10.8"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "digest 0.10.7",
]

[[package]]
name = "digest"
version = "0.10.7"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "digest"
version = "0.9.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"""


def test_rust_sbom_from_cargo_lock_without_the_product(tmp_path: Path):
    project = tmp_path / "hash"
    write(project / "Cargo.toml", '[package]\nname = "globex-hash"\nversion = "0.3.0"\n')
    write(project / "Cargo.lock", CARGO_LOCK)
    crate = write(tmp_path / "globex-hash-0.3.0.crate", b"crate bytes")
    doc = make_sbom(project, "rust", "globex-hash", "0.3.0", [crate], source_date_epoch=EPOCH)
    assert doc["metadata"]["component"]["purl"] == "pkg:cargo/globex-hash@0.3.0"
    assert set(by_purl(doc)) == {
        "pkg:cargo/serde@1.0.200",
        "pkg:cargo/sha2@0.10.8",
        "pkg:cargo/digest@0.10.7",
        "pkg:cargo/digest@0.9.0",
    }
    assert depends_on(doc, "pkg:cargo/globex-hash@0.3.0") == {
        "pkg:cargo/serde@1.0.200",
        "pkg:cargo/sha2@0.10.8",
    }
    assert depends_on(doc, "pkg:cargo/sha2@0.10.8") == {"pkg:cargo/digest@0.10.7"}
    assert sbom_artifacts(doc) == {"globex-hash-0.3.0.crate": sha256_file(crate)}


def test_sbom_refuses_an_unknown_language_and_a_duplicate_artifact_name(tmp_path: Path):
    project, artifacts = python_project(tmp_path)
    with pytest.raises(SupplyError, match="no SBOM for language 'cobol'"):
        make_sbom(project, "cobol", "acme-cli", "1.2.3", artifacts)
    twin = write(tmp_path / "elsewhere" / artifacts[0].name, b"another file, same name")
    with pytest.raises(SupplyError, match="two artifacts are named"):
        make_sbom(project, "python", "acme-cli", "1.2.3", [*artifacts, twin])


# -- checksums and provenance ------------------------------------------------------------------------------


def test_checksums_are_sha256sum_lines_sorted_by_name(tmp_path: Path):
    sha256sum = need("sha256sum", "coreutils")
    files = [write(tmp_path / n, n.encode() * 3) for n in ("b-1.0.tar.gz", "a-1.0.whl", "C-1.0.zip")]
    text = checksums(files)
    names = sorted(p.name for p in files)
    assert text == "".join(f"{sha256_file(tmp_path / n)}  {n}\n" for n in names)
    assert [line.split("  ")[1] for line in text.splitlines()] == ["C-1.0.zip", "a-1.0.whl", "b-1.0.tar.gz"]
    assert parse_checksums(text) == {n: sha256_file(tmp_path / n) for n in names}
    # the same lines as coreutils writes them, and coreutils accepts ours
    ours = subprocess.run(
        [sha256sum, *names], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert ours == text
    write(tmp_path / "SHA256SUMS", text)
    assert subprocess.run([sha256sum, "--quiet", "-c", "SHA256SUMS"], cwd=tmp_path).returncode == 0
    with pytest.raises(SupplyError, match="line 1"):
        parse_checksums("not a checksum line\n")


def test_provenance_is_an_in_toto_slsa_statement_without_credentials(tmp_path: Path):
    files = [write(tmp_path / "x-1.0.crate", b"crate"), write(tmp_path / "x-1.0.tar.gz", b"src")]
    statement = provenance(
        "x", "1.0", COMMIT, "https://ci:t0ken@git.example.com/x.git", ["cargo", "package"], "cmctl/ci", files
    )
    assert statement == provenance(
        "x", "1.0", COMMIT, "https://ci:t0ken@git.example.com/x.git", ["cargo", "package"], "cmctl/ci", files
    )
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    assert statement["subject"] == [
        {"name": "x-1.0.crate", "digest": {"sha256": sha256_file(files[0])}},
        {"name": "x-1.0.tar.gz", "digest": {"sha256": sha256_file(files[1])}},
    ]
    build = statement["predicate"]["buildDefinition"]
    assert build["externalParameters"]["command"] == ["cargo", "package"]
    assert build["resolvedDependencies"] == [
        {"uri": "git+https://git.example.com/x.git", "digest": {"gitCommit": COMMIT}}
    ]
    assert statement["predicate"]["runDetails"]["builder"]["id"] == "cmctl/ci"
    assert "t0ken" not in json.dumps(statement)
    with pytest.raises(SupplyError, match="full commit id"):
        provenance("x", "1.0", "main", "https://git.example.com/x.git", "make", "cmctl", files)


# -- signatures --------------------------------------------------------------------------------------------


def test_sign_and_verify_with_ssh_keygen(tmp_path: Path, keys: SimpleNamespace):
    payload = b"0" * 64 + b"  a-1.0.whl\n"
    signature = sign(payload, keys.private)
    assert signature.startswith("-----BEGIN SSH SIGNATURE-----")
    assert signature.rstrip().endswith("-----END SSH SIGNATURE-----")
    assert verify_signature(payload, signature, keys.public)
    assert not verify_signature(payload + b"x", signature, keys.public)  # another payload
    assert not verify_signature(payload, signature, keys.other_public)  # another key
    assert not verify_signature(payload, signature, keys.public, namespace="file")  # another namespace
    assert not verify_signature(payload, "not a signature", keys.public)
    assert not verify_signature(payload, sign(payload, keys.other_private), keys.public)
    with pytest.raises(SupplyError, match="not an OpenSSH public key"):
        verify_signature(payload, signature, "hello world\n")

    # a consumer with nothing but ssh-keygen verifies it the same way
    keygen = need("ssh-keygen", "apt-get install openssh-client")
    write(tmp_path / "allowed", f'release namespaces="{NAMESPACE}" {keys.public}')
    write(tmp_path / "payload.sig", signature)
    plain = subprocess.run(
        [keygen, "-Y", "verify", "-f", "allowed", "-I", "release", "-n", NAMESPACE, "-s", "payload.sig"],
        cwd=tmp_path,
        input=payload,
        capture_output=True,
    )
    assert plain.returncode == 0, plain.stderr


def test_a_key_with_a_passphrase_or_not_a_key_is_a_clear_error_without_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    private_dirs = tmp_path / "tmp"
    private_dirs.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_dirs))
    locked, _ = make_key(tmp_path, "locked", passphrase="correct horse battery staple")
    secret_lines = [line for line in locked.splitlines() if "-----" not in line]
    with pytest.raises(SupplyError, match="passphrase") as caught:
        sign(b"payload", locked)
    message = str(caught.value) + repr(caught.value.args)
    assert not any(line in message for line in secret_lines)

    not_a_key = "my-very-secret-password-1234"
    with pytest.raises(SupplyError, match="not a private key") as caught:
        sign(b"payload", not_a_key)
    assert not_a_key not in str(caught.value)

    # a damaged key that only ssh-keygen can refuse: its complaint, without the key
    good, _ = make_key(tmp_path, "good")
    head, body, tail = good.split("\n", 1)[0], good.split("\n")[1:-2], good.split("\n")[-2]
    broken = "\n".join([head, body[0], body[1][:10] + "AAAA" + body[1][14:], *body[2:], tail, ""])
    with pytest.raises(SupplyError, match="could not sign") as caught:
        sign(b"payload", broken)
    assert not any(line in str(caught.value) for line in body)
    assert list(private_dirs.iterdir()) == []  # the key files are gone


# -- bundles and verification ------------------------------------------------------------------------------


def test_a_release_verifies_and_its_bundle_is_reproducible(
    tmp_path: Path, keys: SimpleNamespace, release: SimpleNamespace
):
    report = verify_release(release.dir, "acme-cli", "1.2.3", keys.public)
    assert report.ok, report.to_dict()
    names = [c.name for c in report.checks]
    assert names[:4] == ["bundle", "signature", "documents", "artifacts"]
    assert {f"artifact {p.name}" for p in release.artifacts} <= set(names)
    assert {"provenance", "sbom"} <= set(names)
    assert json.loads(json.dumps(report.to_dict()))["ok"] is True
    assert sorted(p.name for p in release.dir.iterdir()) == sorted(
        [*(p.name for p in release.artifacts), *release.files.all]
    )

    listed = parse_checksums((release.dir / release.files.sums).read_text())
    assert set(listed) == {p.name for p in release.artifacts} | {release.files.sbom, release.files.provenance}
    bundle = read_bundle(release.dir, "acme-cli", "1.2.3")
    assert bundle.artifacts == {p.name: sha256_file(p) for p in release.artifacts}
    assert bundle.signature == release.bundle.signature

    # the same release written again elsewhere: the same bytes, signature included (ed25519)
    other = tmp_path / "again"
    shutil.copytree(release.dir, other)
    for name in release.files.all:
        (other / name).unlink()
    copies = [other / p.name for p in release.artifacts]
    sbom = make_sbom(release.project, "python", "acme-cli", "1.2.3", copies, source_date_epoch=EPOCH)
    statement = acme_statement(copies)
    write_bundle(other, "acme-cli", "1.2.3", copies, sbom, statement, keys.private)
    for name in release.files.all:
        assert (other / name).read_bytes() == (release.dir / name).read_bytes(), name


def test_a_tampered_artifact_is_refused_by_name(keys: SimpleNamespace, release: SimpleNamespace):
    tampered = release.artifacts[1]
    write(tampered, b"\x1f\x8b a backdoored sdist")
    report = verify_release(release.dir, "acme-cli", "1.2.3", keys.public)
    assert not report.ok
    assert [c.name for c in report.failed] == [f"artifact {tampered.name}"]
    assert tampered.name in report.failed[0].detail and sha256_file(tampered) in report.failed[0].detail
    assert report.to_dict()["ok"] is False


def test_a_wrong_public_key_is_refused(keys: SimpleNamespace, release: SimpleNamespace):
    report = verify_release(release.dir, "acme-cli", "1.2.3", keys.other_public)
    assert not report.ok
    assert [c.name for c in report.failed] == ["signature"]
    assert "does not verify" in report.failed[0].detail


def test_a_missing_signature_is_refused(keys: SimpleNamespace, release: SimpleNamespace):
    (release.dir / release.files.signature).unlink()
    report = verify_release(release.dir, "acme-cli", "1.2.3", keys.public)
    assert not report.ok
    failed = {c.name: c.detail for c in report.failed}
    assert set(failed) == {"bundle", "signature"}
    assert release.files.signature in failed["bundle"]
    with pytest.raises(SupplyError, match=r"lacks acme-cli-1\.2\.3\.SHA256SUMS\.sig"):
        read_bundle(release.dir, "acme-cli", "1.2.3")


def test_an_extra_unlisted_artifact_is_refused(keys: SimpleNamespace, release: SimpleNamespace):
    extra = write(release.dir / "acme_cli-1.2.3-cp311-cp311-manylinux_2_17_x86_64.whl", b"smuggled")
    write(release.dir / "acme_cli-1.2.30.tar.gz", b"another version: not this release's business")
    write(release.dir / "notes-1.2.3.txt", b"not an artifact extension")
    report = verify_release(release.dir, "acme-cli", "1.2.3", keys.public)
    assert not report.ok
    assert [c.name for c in report.failed] == [f"artifact {extra.name}"]
    assert "not listed" in report.failed[0].detail


def test_a_listed_artifact_that_is_missing_is_refused(keys: SimpleNamespace, release: SimpleNamespace):
    release.artifacts[2].unlink()
    report = verify_release(release.dir, "acme-cli", "1.2.3", keys.public)
    assert [c.name for c in report.failed] == [f"artifact {release.artifacts[2].name}"]
    assert "missing" in report.failed[0].detail


def test_an_edited_sbom_is_refused_because_the_signature_covers_it(
    keys: SimpleNamespace, release: SimpleNamespace
):
    path = release.dir / release.files.sbom
    doc = json.loads(path.read_text())
    doc["components"] = [c for c in doc["components"] if c["name"] != "requests"]  # hide a dependency
    path.write_text(json.dumps(doc, indent=2) + "\n")
    report = verify_release(release.dir, "acme-cli", "1.2.3", keys.public)
    assert [c.name for c in report.failed] == ["documents"]
    assert release.files.sbom in report.failed[0].detail


def test_write_bundle_refuses_evidence_of_other_files_and_writes_nothing(
    tmp_path: Path, keys: SimpleNamespace
):
    project, artifacts = python_project(tmp_path)
    sbom = make_sbom(project, "python", "acme-cli", "1.2.3", artifacts)
    statement = provenance("acme-cli", "1.2.3", COMMIT, "https://h/r.git", "make", "cmctl", artifacts)
    write(artifacts[0], b"rebuilt after the SBOM was made")
    before = sorted(p.name for p in artifacts[0].parent.iterdir())
    with pytest.raises(SupplyError, match=artifacts[0].name):
        write_bundle(artifacts[0].parent, "acme-cli", "1.2.3", artifacts, sbom, statement, keys.private)
    fresh = make_sbom(project, "python", "acme-cli", "1.2.3", artifacts)
    fresh_statement = provenance("acme-cli", "1.2.3", COMMIT, "https://h/r.git", "make", "cmctl", artifacts)
    locked, _ = make_key(tmp_path, "locked", passphrase="pw")
    with pytest.raises(SupplyError, match="passphrase"):
        write_bundle(artifacts[0].parent, "acme-cli", "1.2.3", artifacts, fresh, fresh_statement, locked)
    assert sorted(p.name for p in artifacts[0].parent.iterdir()) == before


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("acme_cli-1.2.3-py3-none-any.whl", True),
        ("acme_cli-1.2.3.tar.gz", True),
        ("acme-web-1.2.3.tgz", True),
        ("globex-hash-1.2.3.crate", True),
        ("acme_cli-1.2.3-docs.zip", False),  # only a wheel's tags follow the version
        ("acme-web-1.2.3-rc.1.tgz", False),  # a prerelease is not the release
        ("globex-hash-1.2.3-beta.2.crate", False),
        ("acme_cli-1.2.30.tar.gz", False),
        ("acme_cli-1.2.3.1.tar.gz", False),
        ("acme_cli-11.2.3.tar.gz", False),
        ("acme_cli-1.2.3.tar.gz.sig", False),
        ("acme-cli-1.2.3.cdx.json", False),
        ("acme-cli-1.2.3.SHA256SUMS", False),
        ("acme1.2.3.tar.gz", False),
        ("1.2.3-acme.tar.gz", False),
    ],
)
def test_which_files_are_the_versions_artifacts(file_name: str, expected: bool):
    assert is_version_artifact(file_name, "1.2.3") is expected


def test_version_artifacts_lists_the_listed_and_the_look_alikes(tmp_path: Path):
    write(tmp_path / "acme-1.0.0.tgz", b"1")
    write(tmp_path / "odd-name.bin", b"2")
    write(tmp_path / "acme-1.0.1.tgz", b"3")
    found = version_artifacts(tmp_path, "1.0.0", listed=["odd-name.bin", "gone.bin"])
    assert [p.name for p in found] == ["acme-1.0.0.tgz", "odd-name.bin"]
