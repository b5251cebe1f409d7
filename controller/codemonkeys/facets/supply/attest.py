"""Attestations of one released version: checksums, provenance, an SSH signature, and their verification.

The bundle is four files written beside the version's artifacts (``<stem>`` is ``<name>-<version>``, an
npm scope without its ``@`` and with ``-`` for ``/``: ``@acme/web`` 1.0.0 -> ``acme-web-1.0.0``):

* ``<stem>.cdx.json``: the CycloneDX SBOM (``sbom.make_sbom``);
* ``<stem>.intoto.json``: an in-toto Statement v1 with a SLSA provenance v1 predicate (unsigned JSON);
* ``<stem>.SHA256SUMS``: ``sha256sum`` lines of the artifacts **and of the two documents above**, so
  the one signature covers the SBOM and the provenance too;
* ``<stem>.SHA256SUMS.sig``: an SSH signature (``ssh-keygen -Y sign``, namespace
  ``codemonkeys-release``) of the SHA256SUMS file.

Names carry the version so that the releases of several versions can share one directory.
``write_bundle`` computes and signs everything in memory first (a bad key writes nothing), removes an
old signature, then writes each file atomically (temporary file, fsync, rename) in the order above, the
signature last of all: a crash leaves either no signature or a complete bundle.

A consumer verifies with ``verify_release(dir, name, version, public_key)``: a :class:`VerifyReport`
with one :class:`Check` per question (the bundle is there; the signature verifies with the key; the SBOM
and the provenance files are the ones signed; every artifact of the version in the directory is listed
with its digest and every listed one is present, one check per file, named after it; the provenance's
subjects and the SBOM's artifacts are the listed artifacts). Signatures are checked with
``ssh-keygen -Y verify`` against an allowed-signers file holding only the given key: ``check-novalidate``
would accept a signature by any key, since an SSH signature carries its own public key.

Keys never appear on a command line, in an exception or in a log: the private key is written to a
mode-600 file in a private temporary directory that is removed afterwards.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from codemonkeys.facets.supply.sbom import (
    SupplyError,
    artifact_digests,
    check_file_name,
    sbom_artifacts,
    sbom_product,
    scrub,
    sha256_file,
)

__all__ = [
    "ARTIFACT_EXTENSIONS",
    "BUILD_TYPE",
    "NAMESPACE",
    "PRINCIPAL",
    "Bundle",
    "BundleFiles",
    "Check",
    "SupplyError",
    "VerifyReport",
    "allowed_signers",
    "bundle_files",
    "canonical_json",
    "checksums",
    "format_checksums",
    "is_version_artifact",
    "parse_checksums",
    "private_key_problem",
    "provenance",
    "provenance_subjects",
    "public_url",
    "read_bundle",
    "sign",
    "verify_release",
    "verify_signature",
    "version_artifacts",
    "write_bundle",
]

NAMESPACE = "codemonkeys-release"  # the SSH signature namespace of a release's SHA256SUMS
PRINCIPAL = "release"  # the principal of the allowed-signers file a verification writes
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://codemonkeys.dev/supply/release/v1"
ARTIFACT_EXTENSIONS = (".whl", ".tar.gz", ".tgz", ".crate", ".zip")
SSH_TIMEOUT_S = 30.0

_SUM_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_SAFE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_NAMESPACE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
_KEY_TYPE = re.compile(r"(?:ssh|ecdsa|sk)-[A-Za-z0-9@._-]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----(.*?)-----END \1-----", re.DOTALL)
_PEM_ENCRYPTED = re.compile(r"^Proc-Type:\s*4,\s*ENCRYPTED", re.MULTILINE)
_SIG_BEGIN = "-----BEGIN SSH SIGNATURE-----"


# -- checksums ---------------------------------------------------------------------------------------------


def format_checksums(digests: Mapping[str, str]) -> str:
    """``sha256sum`` lines (``<hex>  <name>``) of file name -> SHA-256, sorted by name."""
    for name, digest in digests.items():
        check_file_name(name)
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise SupplyError(f"{name!r} has no SHA-256 digest")
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))


def checksums(artifacts: list[Path]) -> str:
    """The content of a ``SHA256SUMS`` file of ``artifacts``: ``<hex>  <filename>`` lines, sorted by name."""
    return format_checksums(artifact_digests(artifacts))


def parse_checksums(text: str) -> dict[str, str]:
    """File name -> SHA-256 (lowercase) of a ``sha256sum`` file (text ``"  "`` or binary ``" *"`` lines);
    a malformed line or a name listed twice is a :class:`SupplyError` naming the line."""
    digests: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUM_LINE.fullmatch(line)
        if match is None:
            raise SupplyError(f"checksums line {number} is not `<sha256>  <file name>`")
        name = check_file_name(match.group(2))
        if name in digests:
            raise SupplyError(f"checksums line {number} lists {name!r} a second time")
        digests[name] = match.group(1).lower()
    return digests


# -- provenance --------------------------------------------------------------------------------------------


def public_url(url: str) -> str:
    """``url`` without user info (a token in ``https://x:token@host/repo`` must not be attested)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub(url)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return scrub(url)


def provenance(
    name: str,
    version: str,
    commit: str,
    repo_url: str,
    build_command: str | Sequence[str],
    builder_id: str,
    artifacts: list[Path],
) -> dict[str, Any]:
    """An in-toto Statement v1 with a SLSA provenance v1 predicate for ``artifacts``.

    The subjects are the artifacts (file name and sha256, sorted); the build definition names the
    command (``externalParameters.command``) and the source, ``git+<repo_url>`` at ``commit``
    (``resolvedDependencies``, digest ``gitCommit``); ``runDetails.builder.id`` is ``builder_id``.
    There are no timestamps: the same inputs give the same statement. User info of URLs (``repo_url``,
    ``builder_id``, URLs in the command) is dropped; the command must carry no other secret.
    """
    commit = commit.strip().lower()
    if not _COMMIT.fullmatch(commit):
        raise SupplyError("provenance needs the full commit id (40 or 64 hex digits)")
    if not builder_id:
        raise SupplyError("provenance needs a builder id")
    digests = artifact_digests(artifacts)
    if not digests:
        raise SupplyError("provenance needs at least one artifact")
    repo = public_url(repo_url)
    uri = repo if repo.startswith("git+") else f"git+{repo}"
    command: str | list[str] = (
        scrub(build_command) if isinstance(build_command, str) else [scrub(str(a)) for a in build_command]
    )
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": file_name, "digest": {"sha256": digest}} for file_name, digest in digests.items()
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "product": name,
                    "version": version,
                    "repository": repo,
                    "revision": commit,
                    "command": command,
                },
                "resolvedDependencies": [{"uri": uri, "digest": {"gitCommit": commit}}],
            },
            "runDetails": {"builder": {"id": public_url(builder_id)}},
        },
    }


def provenance_subjects(statement: dict[str, Any]) -> dict[str, str]:
    """File name -> sha256 of an in-toto statement's subjects (those without a sha256 are left out)."""
    found: dict[str, str] = {}
    for subject in statement.get("subject") or []:
        if isinstance(subject, dict):
            digest = (subject.get("digest") or {}).get("sha256")
            if isinstance(digest, str):
                found[str(subject.get("name"))] = digest.lower()
    return dict(sorted(found.items()))


def canonical_json(doc: dict[str, Any]) -> bytes:
    """The bytes a bundle stores of a JSON document: 2-space indent, UTF-8, one final newline; the key
    order is the document's own (deterministic when the document is)."""
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# -- SSH signatures ----------------------------------------------------------------------------------------


def _ssh_keygen() -> str:
    """The path of ``ssh-keygen``, or a :class:`SupplyError` saying how to get it."""
    path = shutil.which("ssh-keygen")
    if path is None:
        raise SupplyError("ssh-keygen is not on PATH (Debian: apt-get install openssh-client)")
    return path


def _ssh_env() -> dict[str, str]:
    """A minimal environment for ssh-keygen: no agent, no askpass, no display, C messages."""
    return {"PATH": os.defpath, "LC_ALL": "C", "SSH_ASKPASS_REQUIRE": "never"}  # run by its full path


def _run_ssh_keygen(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``ssh-keygen ARGS`` with ``stdin`` (else /dev/null), a minimal environment, a timeout and no
    controlling terminal, so that it can never stop to ask for a passphrase."""
    feed: dict[str, Any] = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
    try:
        return subprocess.run(
            [_ssh_keygen(), *args],
            capture_output=True,
            env=_ssh_env(),
            timeout=SSH_TIMEOUT_S,
            start_new_session=True,
            **feed,
        )
    except subprocess.TimeoutExpired:
        raise SupplyError(
            f"ssh-keygen {' '.join(args[:2])} did not finish in {SSH_TIMEOUT_S:.0f} s"
        ) from None


def _check_namespace(namespace: str) -> str:
    """``namespace`` if it is a plain signature namespace (letters, digits, ``._@-``)."""
    if not _NAMESPACE_RE.fullmatch(namespace):
        raise SupplyError(f"signature namespace {namespace!r} is not [A-Za-z0-9._@-]+")
    return namespace


def _openssh_cipher(body: str) -> str | None:
    """The cipher name of an ``OPENSSH PRIVATE KEY`` block's body (``none`` when unencrypted)."""
    try:
        blob = base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    magic = b"openssh-key-v1\x00"
    if not blob.startswith(magic) or len(blob) < len(magic) + 4:
        return None
    size = int.from_bytes(blob[len(magic) : len(magic) + 4], "big")
    return blob[len(magic) + 4 : len(magic) + 4 + size].decode("ascii", "replace")


def private_key_problem(private_key: str) -> str | None:
    """Why ``private_key`` cannot sign unattended (not a private key, protected by a passphrase), or None.

    Decided without ssh-keygen, so that a passphrase is never asked for; the answer never quotes the key.
    """
    match = _PEM_BLOCK.search(private_key)
    if match is None:
        return "the signing key is not a private key (no `-----BEGIN ... PRIVATE KEY-----` block)"
    kind, body = match.group(1), match.group(2)
    if kind == "ENCRYPTED PRIVATE KEY" or _PEM_ENCRYPTED.search(body):
        return "the signing key is protected by a passphrase; sign with a key without one"
    if kind == "OPENSSH PRIVATE KEY":
        cipher = _openssh_cipher(body)
        if cipher is None:
            return "the signing key is not a readable OpenSSH private key"
        if cipher != "none":
            return "the signing key is protected by a passphrase; sign with a key without one"
    return None


def _clean_stderr(stderr: str, private_dir: str, secret: str = "") -> str:
    """ssh-keygen's complaint, short, without the temporary paths or any line of ``secret``."""
    lines = []
    secret_lines = {line.strip() for line in secret.splitlines() if len(line.strip()) > 8}
    for line in stderr.replace(private_dir, "<tmp>").splitlines():
        if line.strip() and not any(part in line for part in secret_lines):
            lines.append(line.strip())
    return "; ".join(lines)[:300] or "no message"


def _private_dir() -> str:
    """A new private (mode 700) temporary directory."""
    return tempfile.mkdtemp(prefix="cm-ssh-")


def _write_private(path: str, data: bytes) -> None:
    """Write ``data`` to a new file readable by its owner only (mode 600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def sign(payload: bytes, private_key: str, namespace: str = NAMESPACE) -> str:
    """An armored SSH signature (``-----BEGIN SSH SIGNATURE-----``) of ``payload`` by ``private_key``
    (the text of an OpenSSH private key without a passphrase), made by ``ssh-keygen -Y sign -n
    NAMESPACE -f KEYFILE``. A key with a passphrase, or text that is not a key, is a :class:`SupplyError`
    whose message never contains the key."""
    namespace = _check_namespace(namespace)
    if not isinstance(private_key, str):
        raise SupplyError("the signing key must be the text of an OpenSSH private key")
    if (problem := private_key_problem(private_key)) is not None:
        raise SupplyError(problem)
    private_dir = _private_dir()
    try:
        key_file = os.path.join(private_dir, "key")
        data_file = os.path.join(private_dir, "payload")
        text = private_key if private_key.endswith("\n") else private_key + "\n"
        _write_private(key_file, text.encode("utf-8"))
        _write_private(data_file, payload)
        result = _run_ssh_keygen(["-q", "-Y", "sign", "-n", namespace, "-f", key_file, data_file])
        signature_file = Path(data_file + ".sig")
        if result.returncode != 0 or not signature_file.is_file():
            detail = _clean_stderr(result.stderr.decode("utf-8", "replace"), private_dir, private_key)
            raise SupplyError(f"ssh-keygen could not sign with the given key: {detail}")
        signature = signature_file.read_text(encoding="ascii")
    finally:
        shutil.rmtree(private_dir, ignore_errors=True)
    if not signature.startswith(_SIG_BEGIN):
        raise SupplyError("ssh-keygen wrote no armored SSH signature")
    return signature


def allowed_signers(public_key: str, namespace: str = NAMESPACE, principal: str = PRINCIPAL) -> str:
    """An allowed-signers file that trusts only the keys of ``public_key`` (``.pub`` lines: type, base64,
    optional comment) for ``principal`` in ``namespace``; a :class:`SupplyError` when there is no key."""
    namespace = _check_namespace(namespace)
    lines = []
    for raw in public_key.splitlines():
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        if len(words) < 2 or not _KEY_TYPE.fullmatch(words[0]) or not _BASE64.fullmatch(words[1]):
            raise SupplyError(
                "the public key is not an OpenSSH public key line (`<type> <base64> [comment]`)"
            )
        lines.append(f'{principal} namespaces="{namespace}" {words[0]} {words[1]}\n')
    if not lines:
        raise SupplyError("no public key given to verify the signature with")
    return "".join(lines)


def verify_signature(payload: bytes, signature: str, public_key: str, namespace: str = NAMESPACE) -> bool:
    """Whether ``signature`` is a good SSH signature of ``payload`` in ``namespace`` by (one of the keys
    of) ``public_key``: ``ssh-keygen -Y verify`` against an allowed-signers file of that key alone.
    A malformed public key is a :class:`SupplyError`; a malformed signature is simply not good."""
    signers = allowed_signers(public_key, namespace)
    if not isinstance(signature, str) or _SIG_BEGIN not in signature:
        return False
    private_dir = _private_dir()
    try:
        signers_file = os.path.join(private_dir, "allowed_signers")
        signature_file = os.path.join(private_dir, "payload.sig")
        _write_private(signers_file, signers.encode("ascii"))
        _write_private(signature_file, signature.encode("ascii", "replace"))
        args = ["-Y", "verify", "-f", signers_file, "-I", PRINCIPAL, "-n", namespace, "-s", signature_file]
        result = _run_ssh_keygen(args, payload)
    finally:
        shutil.rmtree(private_dir, ignore_errors=True)
    return result.returncode == 0


# -- the bundle --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleFiles:
    """The file names of a version's bundle (see the module doc)."""

    sbom: str
    provenance: str
    sums: str
    signature: str

    @property
    def documents(self) -> tuple[str, str]:
        """The documents SHA256SUMS lists besides the artifacts."""
        return (self.sbom, self.provenance)

    @property
    def all(self) -> tuple[str, str, str, str]:
        """Every bundle file, in the order they are written."""
        return (self.sbom, self.provenance, self.sums, self.signature)


def bundle_files(name: str, version: str) -> BundleFiles:
    """The bundle's file names for ``name`` at ``version``: ``<stem>.cdx.json``, ``<stem>.intoto.json``,
    ``<stem>.SHA256SUMS``, ``<stem>.SHA256SUMS.sig`` with ``<stem>`` ``<name>-<version>`` (an npm scope
    as ``acme-web``)."""
    stem = f"{name.removeprefix('@').replace('/', '-')}-{version}"
    if not _SAFE_STEM.fullmatch(stem) or ".." in stem:
        raise SupplyError(f"{name!r} {version!r} cannot name bundle files")
    return BundleFiles(
        f"{stem}.cdx.json", f"{stem}.intoto.json", f"{stem}.SHA256SUMS", f"{stem}.SHA256SUMS.sig"
    )


@dataclass(frozen=True)
class Bundle:
    """A version's supply-chain evidence as written beside its artifacts."""

    dir: Path
    name: str
    version: str
    sbom: dict[str, Any]
    provenance: dict[str, Any]
    sums: str  # the SHA256SUMS text (artifacts and the two documents)
    signature: str  # armored SSH signature of ``sums``

    @property
    def files(self) -> BundleFiles:
        """The bundle's file names."""
        return bundle_files(self.name, self.version)

    @property
    def artifacts(self) -> dict[str, str]:
        """File name -> sha256 of the artifacts SHA256SUMS lists (without the bundle's documents)."""
        documents = self.files.documents
        return {n: d for n, d in parse_checksums(self.sums).items() if n not in documents}


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so that it is either its old self or entirely ``data``: temp file, fsync, rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(path: Path) -> None:
    """Make the renames in directory ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _differences(label: str, have: Mapping[str, str], want: Mapping[str, str]) -> list[str]:
    """How ``have`` (what ``label`` says) differs from ``want`` (the checksums), file by file."""
    out = []
    for name in sorted(set(have) | set(want)):
        if name not in have:
            out.append(f"{name} missing from the {label}")
        elif name not in want:
            out.append(f"{name} in the {label} but not in the checksums")
        elif have[name] != want[name]:
            out.append(
                f"{name}: the {label} says sha256 {have[name][:12]}..., the checksums {want[name][:12]}..."
            )
    return out


def write_bundle(
    dest_dir: Path,
    name: str,
    version: str,
    artifacts: list[Path],
    sbom: dict[str, Any],
    provenance: dict[str, Any],
    private_key: str,
    namespace: str = NAMESPACE,
) -> Bundle:
    """Write the bundle of ``name`` at ``version`` into ``dest_dir``, where the ``artifacts`` are.

    Refused before anything is written when an artifact is elsewhere or missing, when the SBOM's
    artifacts or the provenance's subjects are not exactly the artifacts, or when the key cannot sign.
    Then an old signature is removed and the SBOM, the provenance, SHA256SUMS (artifacts and those two
    documents) and its signature are written atomically, in that order.
    """
    dest_dir = Path(dest_dir)
    files = bundle_files(name, version)
    if not dest_dir.is_dir():
        raise SupplyError(f"no directory {dest_dir} to write the bundle into")
    for path in artifacts:
        if Path(path).resolve().parent != dest_dir.resolve():
            raise SupplyError(f"artifact {Path(path).name!r} is not in {dest_dir}: a bundle lies beside them")
        if Path(path).name in files.all:
            raise SupplyError(f"artifact {Path(path).name!r} has the name of a bundle file")
    digests = artifact_digests(artifacts)
    if not digests:
        raise SupplyError("a bundle needs at least one artifact")
    mismatch = _differences("SBOM", sbom_artifacts(sbom), digests)
    mismatch += _differences("provenance", provenance_subjects(provenance), digests)
    if mismatch:
        raise SupplyError("the SBOM or the provenance is not of these artifacts: " + "; ".join(mismatch))
    sbom_bytes, provenance_bytes = canonical_json(sbom), canonical_json(provenance)
    listed = dict(digests)
    for file_name, data in ((files.sbom, sbom_bytes), (files.provenance, provenance_bytes)):
        listed[file_name] = _sha256(data)
    sums = format_checksums(listed)
    signature = sign(sums.encode("utf-8"), private_key, namespace)
    (dest_dir / files.signature).unlink(missing_ok=True)
    _fsync_dir(dest_dir)
    for file_name, data in (
        (files.sbom, sbom_bytes),
        (files.provenance, provenance_bytes),
        (files.sums, sums.encode("utf-8")),
    ):
        _write_atomic(dest_dir / file_name, data)
    _fsync_dir(dest_dir)
    _write_atomic(dest_dir / files.signature, signature.encode("ascii"))
    _fsync_dir(dest_dir)
    return Bundle(dest_dir, name, version, sbom, provenance, sums, signature)


def _sha256(data: bytes) -> str:
    """The SHA-256 of ``data`` as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def _parse_json(data: bytes, file_name: str) -> dict[str, Any]:
    """A bundle's JSON document; a :class:`SupplyError` naming the file when it is not a JSON object."""
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SupplyError(f"{file_name} is not JSON") from None
    if not isinstance(doc, dict):
        raise SupplyError(f"{file_name} is not a JSON object")
    return doc


def read_bundle(dir: Path, name: str, version: str) -> Bundle:
    """The bundle of ``name`` at ``version`` in ``dir``; a :class:`SupplyError` naming the missing or
    unreadable files. Nothing is verified here (see :func:`verify_release`)."""
    dir = Path(dir)
    files = bundle_files(name, version)
    missing = [f for f in files.all if not (dir / f).is_file()]
    if missing:
        raise SupplyError(f"the bundle of {name} {version} in {dir} lacks {', '.join(missing)}")
    sums = (dir / files.sums).read_text(encoding="utf-8", errors="replace")
    parse_checksums(sums)
    return Bundle(
        dir,
        name,
        version,
        _parse_json((dir / files.sbom).read_bytes(), files.sbom),
        _parse_json((dir / files.provenance).read_bytes(), files.provenance),
        sums,
        (dir / files.signature).read_text(encoding="ascii", errors="replace"),
    )


# -- which files are a version's artifacts ---------------------------------------------------------------


def is_version_artifact(file_name: str, version: str) -> bool:
    """Whether ``file_name`` looks like an artifact of ``version``: a known artifact extension (.whl,
    .tar.gz, .tgz, .crate, .zip) and ``-<version>`` or ``_<version>`` followed by the extension or by
    a wheel's ``-`` tags, so ``1.2.3`` matches ``acme-1.2.3.tar.gz`` and ``acme_cli-1.2.3-py3-none-any.whl``
    but not ``acme-1.2.30.tar.gz``, ``acme-1.2.3.1.tar.gz`` or a prerelease ``acme-1.2.3-rc.1.tgz``."""
    extension = next((e for e in ARTIFACT_EXTENSIONS if file_name.endswith(e)), None)
    if extension is None or not version:
        return False
    stem = file_name[: -len(extension)]
    tags = r"(?:-.*)?" if extension == ".whl" else ""  # only a wheel's tags follow its version
    return re.fullmatch(rf".*[-_]{re.escape(version)}{tags}", stem, re.DOTALL) is not None


def version_artifacts(dir: Path, version: str, listed: Iterable[str] = ()) -> list[Path]:
    """The artifacts of ``version`` present in ``dir``: the files named in ``listed`` (the checksums'
    artifact names) plus every other regular file :func:`is_version_artifact` accepts; sorted by name."""
    dir = Path(dir)
    names = {n for n in listed if (dir / n).is_file()}
    for entry in os.scandir(dir):
        if entry.is_file() and is_version_artifact(entry.name, version):
            names.add(entry.name)
    return [dir / n for n in sorted(names)]


# -- verification ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One question a verification answers: its name, whether it holds, and why."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify_release`` found: ``ok`` only when every check holds."""

    name: str
    version: str
    ok: bool
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        """The checks that do not hold."""
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``--json``)."""
        return {
            "name": self.name,
            "version": self.version,
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
        }


def _artifact_checks(dir: Path, listed: Mapping[str, str], present: Iterable[Path]) -> list[Check]:
    """One check per artifact file, present or listed: listed, present, and its sha256 the listed one."""
    checks = []
    present_names = {Path(p).name: Path(p) for p in present}
    for file_name in sorted(set(listed) | set(present_names)):
        check = f"artifact {file_name}"
        path = present_names.get(file_name, dir / file_name)
        if file_name not in listed:
            checks.append(
                Check(check, False, f"{file_name} is in the directory but not listed in the checksums")
            )
        elif not path.is_file():
            checks.append(Check(check, False, f"{file_name} is listed in the checksums but missing"))
        elif (actual := sha256_file(path)) != listed[file_name]:
            checks.append(
                Check(
                    check, False, f"{file_name} has sha256 {actual}, the checksums list {listed[file_name]}"
                )
            )
        else:
            checks.append(Check(check, True, f"sha256 {actual} as listed"))
    return checks


def verify_release(
    dir: Path,
    name: str,
    version: str,
    public_key: str,
    *,
    artifacts: list[Path] | None = None,
    namespace: str = NAMESPACE,
) -> VerifyReport:
    """Verify the release of ``name`` at ``version`` in ``dir`` with ``public_key`` (a ``.pub`` line).

    Checks, each named in the report: ``bundle`` (the four files are present and readable),
    ``signature`` (the SHA256SUMS signature verifies with the key), ``documents`` (the SBOM and the
    provenance are the files SHA256SUMS lists, so the signature covers them), ``artifacts`` (some are
    listed), ``artifact <file>`` per file (every artifact of the version in the directory is listed with
    its sha256, every listed one is present), ``provenance`` and ``sbom`` (their subjects and artifact
    hashes are the listed ones, for this product and version). ``artifacts`` are the version's files
    when the caller knows them; otherwise :func:`version_artifacts` finds them.
    """
    dir = Path(dir)
    files = bundle_files(name, version)
    checks: list[Check] = []

    def done() -> VerifyReport:
        return VerifyReport(name, version, all(c.ok for c in checks) and bool(checks), checks)

    missing = [f for f in files.all if not (dir / f).is_file()]
    raw: dict[str, bytes] = {f: (dir / f).read_bytes() for f in files.all if f not in missing}
    problems = [f"missing {f}" for f in missing]
    listed: dict[str, str] | None = None
    docs: dict[str, dict[str, Any]] = {}
    if files.sums in raw:
        try:
            listed = parse_checksums(raw[files.sums].decode("utf-8", "replace"))
        except SupplyError as exc:
            problems.append(f"{files.sums}: {exc}")
    for doc in files.documents:
        if doc in raw:
            try:
                docs[doc] = _parse_json(raw[doc], doc)
            except SupplyError as exc:
                problems.append(str(exc))
    checks.append(Check("bundle", not problems, "; ".join(problems) or f"{', '.join(files.all)} present"))

    if files.sums in raw and files.signature in raw:
        try:
            good = verify_signature(
                raw[files.sums], raw[files.signature].decode("ascii", "replace"), public_key, namespace
            )
            detail = (
                f"{files.signature} is a good signature of {files.sums} by the given key"
                if good
                else f"{files.signature} does not verify {files.sums} with the given key"
            )
        except SupplyError as exc:
            good, detail = False, str(exc)
        checks.append(Check("signature", good, detail))
    else:
        checks.append(Check("signature", False, f"not checked: {files.sums} or {files.signature} is missing"))
    if listed is None:
        checks.append(Check("artifacts", False, f"not checked: no readable {files.sums}"))
        return done()

    unsigned = [doc for doc in files.documents if doc not in raw or listed.get(doc) != _sha256(raw[doc])]
    checks.append(
        Check(
            "documents",
            not unsigned,
            f"not the files {files.sums} lists: {', '.join(unsigned)}"
            if unsigned
            else f"{files.sbom} and {files.provenance} are the files {files.sums} lists",
        )
    )
    wanted = {n: d for n, d in listed.items() if n not in files.all}
    checks.append(
        Check(
            "artifacts",
            bool(wanted),
            f"{len(wanted)} listed" if wanted else f"{files.sums} lists no artifact",
        )
    )
    present = artifacts if artifacts is not None else version_artifacts(dir, version, wanted)
    present = [p for p in present if Path(p).name not in files.all]
    checks.extend(_artifact_checks(dir, wanted, present))

    statement = docs.get(files.provenance)
    if statement is None:
        checks.append(Check("provenance", False, f"not checked: no readable {files.provenance}"))
    else:
        diff = _differences("provenance", provenance_subjects(statement), wanted)
        if statement.get("_type") != STATEMENT_TYPE or statement.get("predicateType") != PREDICATE_TYPE:
            diff.insert(0, f"not an in-toto v1 statement of {PREDICATE_TYPE}")
        checks.append(Check("provenance", not diff, "; ".join(diff) or "subjects are the listed artifacts"))

    bom = docs.get(files.sbom)
    if bom is None:
        checks.append(Check("sbom", False, f"not checked: no readable {files.sbom}"))
    else:
        diff = _differences("SBOM", sbom_artifacts(bom), wanted)
        if sbom_product(bom) != (name, version):
            diff.insert(0, f"the SBOM describes {' '.join(sbom_product(bom))!r}, not {name} {version}")
        checks.append(Check("sbom", not diff, "; ".join(diff) or "artifact hashes are the listed ones"))
    return done()
