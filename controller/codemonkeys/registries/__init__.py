"""Package registries (file, PyPI, npm, crates.io, OCI): one client per API, one entry point.

The release facet's observer reads versions through ``observe_registry``; the publish actuators use
the same clients to verify what they published, and the ``file`` layout to write into a file registry.

``observe_registry`` picks the observer by ``registry.type`` (``file``, ``pypi``, ``npm``, ``crates``,
``oci``), resolves the credentials the fleet names (``usernameEnv`` / ``passwordEnv`` / ``tokenEnv``
are names of environment variables, read from ``env``; ``username`` / ``password`` / ``token`` are
``{secretRef: NAME}``, resolved through ``secrets``), and turns every failure into an ``Unknown``
fact naming the registry. It never raises for a registry problem; the Observer calls it once per
(product, registry) with the run's shared ``RegistryHttp``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from codemonkeys.context import Secrets
from codemonkeys.kinds.models import Credentials, Language, Registry, RegistryType, SecretRef
from codemonkeys.registries.crates import observe_crates
from codemonkeys.registries.file import observe_file_registry
from codemonkeys.registries.http import Auth, RegistryError, RegistryHttp, redact
from codemonkeys.registries.npm import observe_npm
from codemonkeys.registries.oci import observe_oci
from codemonkeys.registries.pypi import observe_pypi
from codemonkeys.secrets import SecretError
from codemonkeys.vocab.facts import RegistryFacts, Unknown

HttpObserver = Callable[[RegistryHttp, str, str, Auth | None], RegistryFacts]

HTTP_OBSERVERS: dict[RegistryType, HttpObserver] = {
    RegistryType.PYPI: observe_pypi,
    RegistryType.NPM: observe_npm,
    RegistryType.CRATES: observe_crates,
    RegistryType.OCI: observe_oci,
}


def resolve_auth(
    credentials: Credentials | None, env: Mapping[str, str], secrets: Secrets | None = None
) -> Auth | None:
    """The credentials' values: environment variables by name, ``{secretRef: NAME}`` through ``secrets``
    (the fleet's provider), plain user names as written; ``RegistryError`` naming the variable or the
    secret that cannot be had."""
    if credentials is None:
        return None
    values: dict[str, str | None] = {}
    for part, (var, value) in credentials.parts().items():
        if var is not None:
            if not env.get(var):
                raise RegistryError(f"credentials: environment variable {var} ({part}) is not set")
            values[part] = env[var]
        elif isinstance(value, SecretRef):
            if secrets is None:
                raise RegistryError(f"credentials ({part}): secret {value.secret_ref}: no secret provider")
            try:
                values[part] = secrets.refs.require(value.secret_ref)
            except SecretError as exc:
                raise RegistryError(f"credentials ({part}): {exc}") from None
        else:
            values[part] = value
    auth = Auth(**values)
    return auth if auth.authorization() else None


def observe_registry(
    registry: Registry,
    name: str,
    language: Language,
    package: str,
    env: Mapping[str, str],
    client: RegistryHttp | None,
    file_root: Path | None = None,
    secrets: Secrets | None = None,
) -> RegistryFacts | Unknown:
    """The versions of ``package`` on the registry named ``name``, or ``Unknown`` with the reason.

    ``file_root`` is the resolved directory of a ``file`` registry (``DesiredState.registry_path``);
    ``client`` is needed for every other type; ``secrets`` resolves ``{secretRef: NAME}`` credentials.
    """
    where = f"registry {name!r}"
    if registry.type is RegistryType.FILE:
        if file_root is None:
            return Unknown(error=f"{where}: a file registry needs its resolved path")
        try:
            return observe_file_registry(file_root, language, package)
        except OSError as exc:
            return Unknown(error=f"{where}: {exc}")
    observer = HTTP_OBSERVERS.get(registry.type)
    if observer is None:
        return Unknown(error=f"{where}: no observer for type {registry.type.value!r}")
    if client is None or not registry.url:
        return Unknown(error=f"{where}: a {registry.type.value} registry needs a url and an HTTP client")
    auth: Auth | None = None
    try:
        auth = resolve_auth(registry.credentials, env, secrets)
        return observer(client, registry.url, package, auth)
    except RegistryError as exc:
        return Unknown(error=redact(f"{where}: {exc}", auth.secrets() if auth else ()))
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # a safety net: observers never raise
        message = f"{where}: unexpected {type(exc).__name__}: {exc}"
        return Unknown(error=redact(message, auth.secrets() if auth else ()))
