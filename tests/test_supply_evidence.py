"""What the supply facet's observer and actuator judge before they sign (facets/supply/evidence.py), with
real ssh-keygen and real files: a bundle whose signature a crash never wrote is signed again only when its
checksums still match the artifacts; an artifact swapped and the signature removed is refused, not signed
over; a registry's credentials go only to its own origin."""

from __future__ import annotations

import subprocess
from pathlib import Path

from codemonkeys.facets.supply.attest import provenance, write_bundle
from codemonkeys.facets.supply.evidence import evidence_state
from codemonkeys.facets.supply.sbom import make_sbom
from codemonkeys.registries.artifacts import same_origin
from need import need_program

COMMIT = "c" * 40


def signed_release(tmp_path: Path) -> tuple[Path, list[Path], str]:
    need_program("ssh-keygen", "apt install openssh-client")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "acme"\nversion = "1.0.0"\ndependencies = []\n'
    )
    dist = tmp_path / "dist"
    dist.mkdir()
    artifacts = [dist / "acme-1.0.0.tar.gz", dist / "acme-1.0.0-py3-none-any.whl"]
    for a in artifacts:
        a.write_bytes(a.name.encode() * 50)
    sbom = make_sbom(project, "python", "acme", "1.0.0", artifacts)
    statement = provenance(
        "acme", "1.0.0", COMMIT, "https://git.example/acme", "python -m build", "t", artifacts
    )
    write_bundle(dist, "acme", "1.0.0", artifacts, sbom, statement, (tmp_path / "k").read_text())
    return dist, sorted(artifacts), (tmp_path / "k.pub").read_text().strip()


def test_verified_then_missing_after_a_crash_then_refused_when_an_artifact_was_swapped(tmp_path: Path):
    dist, artifacts, public = signed_release(tmp_path)
    assert evidence_state(dist, "acme", "1.0.0", public, artifacts).state == "verified"
    (dist / "acme-1.0.0.SHA256SUMS.sig").unlink()  # what a crash before the last write leaves
    state = evidence_state(dist, "acme", "1.0.0", public, artifacts)
    assert state.state == "missing", state  # the checksums still match: signing again is safe
    wheel, sdist = artifacts
    wheel.write_bytes(b"swapped")  # and now someone swaps the wheel
    state = evidence_state(dist, "acme", "1.0.0", public, artifacts)
    assert state.state == "invalid" and wheel.name in state.detail and sdist.name not in state.detail, state


def test_an_artifact_dropped_beside_a_bundle_without_signature_is_refused(tmp_path: Path):
    dist, artifacts, public = signed_release(tmp_path)
    (dist / "acme-1.0.0.SHA256SUMS.sig").unlink()
    extra = dist / "acme-1.0.0-cp311-cp311-linux_x86_64.whl"
    extra.write_bytes(b"planted")
    state = evidence_state(dist, "acme", "1.0.0", public, [*artifacts, extra])
    assert state.state == "invalid" and extra.name in state.detail, state


def test_credentials_go_only_to_the_registrys_own_origin():
    assert same_origin("https://pypi.example/packages/a.whl", "https://pypi.example/simple")
    assert not same_origin("https://files.pythonhosted.org/a.whl", "https://pypi.org/simple")
    assert not same_origin("http://pypi.example/a.whl", "https://pypi.example/simple")  # no downgrade
    assert not same_origin("https://pypi.example:8443/a.whl", "https://pypi.example/simple")
