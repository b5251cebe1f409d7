"""Git hosting credentials for product repositories over HTTPS, as a git credential helper.

A product's repository may need a login (a private HTTPS remote). The fleet names it like every other
credential (``spec.git.credentials``, or the product's company's ``credentials.git``, chosen by
``credentials_for``): a username and a token or password, by ``{secretRef: NAME}`` or ``*Env`` name.

``helper_for(desired, product)`` turns those references into a ``credential.helper`` command that names
the secrets, never their values; ``sync_mirror`` writes it into the product's mirror, so every fetch, push
and ``ls-remote`` through the mirror and its worktrees authenticates, and git asks only when the server
does. Git runs ``python -m codemonkeys.gitcred ... get``, which resolves the names through the fleet's
secret provider (environment, the fleet's age files, the secrets directory) and answers on stdout; a
secret that cannot be had is named on stderr (git shows it in its error), and git fails without prompting.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from codemonkeys.context import Context
from codemonkeys.kinds.credentials import credentials_for
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import Credentials, SecretRef
from codemonkeys.secrets import SecretError, SecretProvider


def _arguments(creds: Credentials) -> list[str]:
    """The helper's arguments naming where each part comes from (names only)."""
    args: list[str] = []
    if creds.username_env:
        args += ["--username-env", creds.username_env]
    elif isinstance(creds.username, SecretRef):
        args += ["--username-secret", creds.username.secret_ref]
    elif creds.username:
        args += ["--username", creds.username]
    # a token is the password of HTTPS git hosting (GitHub, GitLab, Gitea), else the password
    env, ref = (
        (creds.token_env, creds.token)
        if creds.token_env or creds.token
        else (creds.password_env, creds.password)
    )
    if env:
        args += ["--password-env", env]
    elif ref is not None:
        args += ["--password-secret", ref.secret_ref]
    return args


def helper_for(desired: DesiredState, product: str) -> str | None:
    """The ``credential.helper`` for ``product``'s repository (None: it needs no login)."""
    creds = credentials_for(desired, product, "git")
    if creds is None:
        return None
    args = _arguments(creds)
    if not args:
        return None
    command = [sys.executable, "-m", "codemonkeys.gitcred", "--fleet", str(desired.root), *args]
    return "!" + shlex.join(command)


def answer(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    """The helper's answer to ``get``: ``username=...`` and ``password=...`` lines; ``SecretError``
    naming what cannot be had."""
    provider = SecretProvider.for_fleet(env, Path(args.fleet))

    def part(plain: str | None, env_name: str | None, secret: str | None, what: str) -> str | None:
        if env_name:
            if not env.get(env_name):
                raise SecretError(f"git credentials: environment variable {env_name} ({what}) is not set")
            return env[env_name]
        if secret:
            try:
                return provider.require(secret)
            except SecretError as exc:
                raise SecretError(f"git credentials ({what}): {exc}") from None
        return plain

    lines = []
    user = part(args.username, args.username_env, args.username_secret, "username")
    password = part(None, args.password_env, args.password_secret, "password")
    if user is not None:
        lines.append(f"username={user}")
    if password is not None:
        lines.append(f"password={password}")
    return "".join(line + "\n" for line in lines)


def main(argv: list[str] | None = None) -> int:
    """Git's credential helper protocol: answer ``get``; ``store`` and ``erase`` keep nothing."""
    parser = argparse.ArgumentParser(
        prog="python -m codemonkeys.gitcred", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--fleet", required=True)
    for part in ("username", "password"):
        parser.add_argument(f"--{part}-env")
        parser.add_argument(f"--{part}-secret")
    parser.add_argument("--username")
    parser.add_argument("operation", choices=["get", "store", "erase"])
    args = parser.parse_args(argv)
    sys.stdin.read()  # the request (protocol, host, path): the fleet's helper serves one repository
    if args.operation != "get":
        return 0
    try:
        sys.stdout.write(answer(args, Context.from_environ().env))
    except SecretError as exc:
        print(f"codemonkeys: {exc}", file=sys.stderr)  # names the secret, never a value
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
