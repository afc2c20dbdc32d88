"""What every command needs: the settings, the store it acts on, or a running gateway.

Every command group (the gateway's and the runtime's ``portway workflows``/``runs``) uses
the same three helpers, so that all of them pick the store the same way:

* ``add_store_options(parser, remote=False)`` gives a command ``--config FILE`` (and,
  with ``remote=True``, ``--url URL``, ``--token TOKEN`` and ``--token-file FILE``). The
  same options are accepted before the command (``portway --config FILE import ...``).
* ``services_of(args)`` opens the store the settings name, says which one on stderr, and
  refuses to create a new embedded store by accident: a command run from the wrong folder
  would otherwise act on an empty ``var/`` of its own, with its own master key.
  ``portway serve`` and ``portway db upgrade`` create the store (``create=True``).
* ``remote_of(args)`` is the ``--url`` mode: a ``RemoteGateway`` that calls a running
  gateway's API with the token given, instead of opening any store; None without ``--url``.

Services opened by a command are closed by ``close_opened`` when the command ends
(``gateway.cli.main`` calls it), so no command has to remember to.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from gateway.errors import BadRequest, ConfigError, PortwayError
from gateway.services import Services, build_services
from gateway.settings import Settings, load_settings, settings_file

_opened: list[Services] = []

#: How long a ``--url`` call may take (an import of a large spec is parsed by the server).
REMOTE_TIMEOUT = 120.0


def add_store_options(parser: argparse.ArgumentParser, *, remote: bool = False) -> None:
    """Give a command ``--config`` (and the ``--url`` mode's options when ``remote``).

    The defaults are suppressed, so a value given before the command name is kept.
    """
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help="settings file (default: config/portway.toml in this folder)")
    if remote:
        parser.set_defaults(remote_capable=True)
        parser.add_argument("--url", default=argparse.SUPPRESS,
                            help="talk to the gateway running at URL over its API instead "
                                 "of opening a store")
        parser.add_argument("--token", default=argparse.SUPPRESS,
                            help="the bearer token for --url")
        parser.add_argument("--token-file", metavar="FILE", default=argparse.SUPPRESS,
                            help="a file holding the bearer token for --url "
                                 "(e.g. var/owner.token)")


def settings_of(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))


def describe_store(settings: Settings) -> str:
    """The store the settings name, fit to print: an absolute SQLite path or a URL with
    its password masked."""
    url = settings.database.url
    sqlite = _sqlite_path(url)
    if sqlite is not None:
        return f"sqlite:///{sqlite}" if sqlite.is_absolute() else url
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url.split("://", 1)[0] + "://…"


def store_line(args: argparse.Namespace, settings: Settings) -> str:
    """``store <which> (settings: <file or defaults>)``: what a command says it acts on."""
    source = settings_file(getattr(args, "config", None))
    return f"store {describe_store(settings)} (settings: {source or 'defaults'})"


def services_of(args: argparse.Namespace, *, create: bool = False) -> Services:
    """Open the store the settings name (saying which, on stderr) and build the services.

    Args:
        create: Create a missing embedded store (``serve``, ``db upgrade``); otherwise a
            missing SQLite file is refused with a message that says where it was looked
            for and how to point at the right one.

    Raises:
        ConfigError: No store where the settings say, and ``create`` is false.
    """
    settings = settings_of(args)
    store = describe_store(settings)
    source = settings_file(getattr(args, "config", None))
    sqlite = _sqlite_path(settings.database.url)
    if not create and sqlite is not None and not sqlite.is_file():
        raise ConfigError(
            f"there is no Portway store at {sqlite} (settings: "
            f"{source or 'the defaults, no config/portway.toml in ' + str(Path.cwd())}); run "
            "this in the folder the gateway runs in, or pass --config FILE or "
            "PORTWAY_DATABASE_URL, or --url to talk to a running gateway",
            details=[{"store": store}])
    print(f"portway: {store_line(args, settings)}", file=sys.stderr)
    services = build_services(settings)
    _opened.append(services)
    return services


def close_opened() -> None:
    while _opened:
        _opened.pop().db.dispose()


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    if not path or path == ":memory:":
        return None
    return Path(path).resolve()


@dataclass
class RemoteGateway:
    """A running gateway's API, called with one bearer token (the ``--url`` mode)."""

    url: str
    token: str

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; the answer whatever its status.

        Raises:
            PortwayError: The gateway could not be reached.
        """
        headers = {"authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        try:
            with httpx.Client(base_url=self.url, timeout=REMOTE_TIMEOUT,
                              follow_redirects=False, trust_env=False) as client:
                return client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise PortwayError(f"cannot reach the gateway at {self.url}: "
                               f"{type(exc).__name__}", code="GatewayUnreachable") from None

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and return its JSON body.

        Raises:
            PortwayError: An error answer (its code and message), or no JSON.
        """
        answer = self.call(method, path, **kwargs)
        return answer_json(answer)


def answer_json(answer: httpx.Response) -> Any:
    """The JSON body of a gateway's answer, or its error as a ``PortwayError``."""
    try:
        body = answer.json()
    except ValueError:
        raise PortwayError(f"the gateway answered {answer.status_code} without JSON",
                           code="BadAnswer") from None
    if answer.status_code >= 400:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        raise PortwayError(f"{error.get('code', answer.status_code)}: "
                           f"{error.get('message', 'the gateway refused the call')}",
                           code=str(error.get("code", "RemoteError")),
                           details=list(error.get("details") or []))
    return body


def remote_of(args: argparse.Namespace) -> RemoteGateway | None:
    """The ``--url`` mode's gateway, or None when no ``--url`` was given.

    Raises:
        BadRequest: ``--url`` without a token, or a token without ``--url``.
    """
    url = getattr(args, "url", None)
    token = getattr(args, "token", None)
    token_file = getattr(args, "token_file", None)
    if url is None:
        if token is not None or token_file is not None:
            raise BadRequest("--token and --token-file go with --url")
        return None
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise BadRequest(f"cannot read the token file {token_file}: {exc.strerror}") \
                from None
    if not token:
        raise BadRequest("--url needs --token TOKEN or --token-file FILE")
    if not url.lower().startswith(("http://", "https://")):
        raise BadRequest(f"--url must be an http(s) URL, not {url!r}")
    return RemoteGateway(url.rstrip("/"), token)


def command_services(args: argparse.Namespace) -> Services:
    """The services of a command an extension brings (closed when the command ends)."""
    return services_of(args)
