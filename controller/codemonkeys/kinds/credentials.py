"""Whose credentials a product uses: its company's own (``spec.companies[].credentials``) where the
company gives them, else the fleet's. ``credentials_for`` is the one place this is decided; every call
site that resolves registry, Jenkins or Ollama credentials for a product goes through it (pure: it
returns references, never values)."""

from __future__ import annotations

from typing import Literal

from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import Company, Credentials, Registry

Service = Literal["registry", "jenkins", "ollama", "git"]


def company_of(desired: DesiredState, product: str | None) -> Company | None:
    """The declared company of ``product`` (None for no product, or a product of no company)."""
    if product is None or product not in desired.products:
        return None
    name = desired.products[product].metadata.company
    return next((c for c in desired.fleet.spec.companies if c.name == name), None)


def credentials_for(
    desired: DesiredState, product: str | None, service: Service, name: str | None = None
) -> Credentials | None:
    """The credentials ``product`` uses for ``service`` (the registry ``name``, Jenkins, Ollama or Git
    hosting): its company's when the company gives some for it, else the fleet's, in the ``Credentials``
    shape (Jenkins: ``username`` / ``token``; Ollama: ``token``; Git: ``username`` / ``token`` or
    ``password``). None when neither gives any."""
    company = company_of(desired, product)
    own = company.credentials if company is not None else None
    spec = desired.fleet.spec
    if service == "registry":
        if name is None:
            raise ValueError("credentials_for(..., 'registry', name): the registry's name is needed")
        if own is not None and name in own.registries:
            return own.registries[name]
        registry = spec.registries.get(name)
        return registry.credentials if registry is not None else None
    if service == "jenkins":
        if own is not None and own.jenkins is not None:
            return own.jenkins
        j = spec.ci.jenkins
        if j is None:
            return None
        return Credentials(username_env=j.user_env, token_env=j.token_env, username=j.user, token=j.token)
    if service == "git":
        if own is not None and own.git is not None:
            return own.git
        return spec.git.credentials
    if own is not None and own.ollama is not None:
        return own.ollama
    o = spec.llm.ollama
    return Credentials(token=o.token) if o is not None and o.token is not None else None


def registry_for(desired: DesiredState, product: str | None, name: str) -> Registry:
    """The fleet's registry ``name`` as ``product`` sees it: its credentials from ``credentials_for``."""
    registry = desired.fleet.spec.registries[name]
    creds = credentials_for(desired, product, "registry", name)
    return registry if creds is registry.credentials else registry.model_copy(update={"credentials": creds})
