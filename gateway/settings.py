"""One settings object, built once: defaults, then a TOML file, then ``PORTWAY_*`` variables.

This is the only module that reads the environment. Every key has a default here and is
documented in ``config/portway.toml``. A key is addressed as ``section.name`` in the file
and as ``PORTWAY_SECTION_NAME`` in the environment (``PORTWAY_DATABASE_URL``,
``PORTWAY_EGRESS_ALLOW``). Unknown keys are errors that name the key. Secrets are
``Secret`` values, masked whenever they are printed.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from gateway.errors import ConfigError

#: Environment variables with the PORTWAY_ prefix that are not settings.
NOT_SETTINGS = frozenset({"PORTWAY_CONFIG", "PORTWAY_CORPUS"})

DEFAULT_CONFIG_FILE = Path("config/portway.toml")


class Secret:
    """A string that never shows itself in ``repr``, ``str`` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    #: "portway" (default: Portway's own HTTP/1.1 server, the fastest and strictest,
    #: measured in docs/proxy.md), "granian" or "hypercorn" (both also speak HTTP/2).
    engine: Literal["portway", "hypercorn", "granian"] = "portway"
    #: Worker processes; more than one needs PostgreSQL.
    workers: int = 1
    #: Callers' connections one worker keeps open at once (Portway's own server); one
    #: more is answered 503 and closed. 0 (the default): the open-file limit, whose soft
    #: value is raised to the hard one at start, less ``proxy.max_connections`` and 64
    #: for the store and logs (at least half the limit), so a flood of callers cannot
    #: starve the upstream calls.
    max_connections: int = 0

    def __post_init__(self) -> None:
        if self.max_connections < 0:
            raise ConfigError("setting server.max_connections must be 0 (automatic) or more")


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/portway.db"
    #: Apply Alembic migrations when the gateway starts.
    migrate_on_start: bool = True


@dataclass(frozen=True)
class SecuritySettings:
    #: "development" creates missing keys and tokens; "production" refuses to start without.
    mode: Literal["development", "production"] = "development"
    #: The keyring file (master keys by id); created in development mode.
    master_key_file: str = "var/master.key"
    #: A master key given directly (base64 of 32 bytes); wins over the file.
    master_key: Secret = field(default_factory=lambda: Secret(""))
    #: Where the first start writes the owner's token (mode 0600).
    owner_token_file: str = "var/owner.token"  # noqa: S105 - a path


@dataclass(frozen=True)
class EgressSettings:
    #: Addresses, networks or host names that may be reached although private.
    allow: tuple[str, ...] = ()
    #: The largest response body accepted from any outbound call (bytes).
    max_response_bytes: int = 200 * 1024 * 1024
    #: Redirects followed by fetches of documents (never by the proxy).
    max_redirects: int = 5


@dataclass(frozen=True)
class LimitsSettings:
    #: The largest spec document accepted by import or upload (bytes).
    max_spec_bytes: int = 20 * 1024 * 1024
    #: The largest request body the control plane reads (bytes).
    max_request_bytes: int = 25 * 1024 * 1024
    #: How deep arrays and objects in a caller's JSON may nest.
    max_json_depth: int = 128
    #: The longest number literal accepted in a caller's JSON (characters).
    max_json_number_length: int = 100


@dataclass(frozen=True)
class LogSettings:
    format: Literal["plain", "json"] = "plain"
    level: Literal["debug", "info", "warning", "error"] = "info"
    #: Log one line per proxied call.
    access_log: bool = False


@dataclass(frozen=True)
class ProxySettings:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0
    #: Calls allowed per connection in each period; 0 (the default): no throttling unless
    #: the connector declares a limit (``rateLimitCalls``), as Kong and APIM do.
    rate_limit_calls: int = 0
    rate_limit_period: float = 60.0
    #: Calls one principal may make through one connection in each period (0: no limit
    #: of its own; overridable per connector).
    rate_limit_per_principal: int = 0
    #: Retries of idempotent calls on connect errors, 429, 502, 503 and 504.
    max_retries: int = 2
    retry_budget_seconds: float = 10.0
    #: Seconds a connection's resolved state is cached by a gateway process.
    cache_seconds: float = 2.0
    #: Outbound connections open at once, to all upstreams and to one origin (scheme,
    #: address, port, host name, TLS profile); a call over a limit waits up to its
    #: connect timeout for a free connection, then is a 504.
    max_connections: int = 1024
    max_connections_per_origin: int = 256
    #: Seconds a kept-alive outbound connection may stay idle before it is closed.
    idle_seconds: float = 15.0
    #: The largest head (status line and headers) of an upstream's answer, in bytes.
    max_response_head_bytes: int = 65536

    def __post_init__(self) -> None:
        for name in ("max_connections", "max_connections_per_origin",
                     "max_response_head_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"setting proxy.{name} must be 1 or more")
        if self.idle_seconds <= 0:
            raise ConfigError("setting proxy.idle_seconds must be above 0")


@dataclass(frozen=True)
class RedisSettings:
    #: redis://host:port/db; when set, throttling counters are shared through it.
    url: str = ""


@dataclass(frozen=True)
class CatalogueSettings:
    #: Folder of the shipped managed connectors, loaded on start.
    directory: str = "config/connectors"


@dataclass(frozen=True)
class PolicySettings:
    #: Connector ids or glob patterns for which no connection may be created.
    forbidden_connectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class OAuthSettings:
    #: The public URL of GET /v1/oauth/callback, as registered with identity providers.
    redirect_url: str = "http://127.0.0.1:8080/v1/oauth/callback"
    #: The gateway's own client credentials (the gateway identity).
    gateway_client_id: str = ""
    gateway_client_secret: Secret = field(default_factory=lambda: Secret(""))
    gateway_token_url: str = ""
    #: Refresh an access token this many seconds before it expires.
    refresh_margin_seconds: float = 60.0


@dataclass(frozen=True)
class PortalSettings:
    #: How long a portal sign-in lasts (seconds).
    session_seconds: float = 8 * 3600.0


@dataclass(frozen=True)
class Settings:
    """Every setting of Portway. Build it with ``load_settings``."""

    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    egress: EgressSettings = field(default_factory=EgressSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    log: LogSettings = field(default_factory=LogSettings)
    proxy: ProxySettings = field(default_factory=ProxySettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    catalogue: CatalogueSettings = field(default_factory=CatalogueSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    oauth: OAuthSettings = field(default_factory=OAuthSettings)
    portal: PortalSettings = field(default_factory=PortalSettings)
    #: The sections extensions bring (``[runtime]``...), by name; read with ``extension``.
    extensions: Mapping[str, Any] = field(default_factory=dict)

    def extension(self, name: str) -> Any:
        """The settings section an extension brings (its defaults when not configured).

        Raises:
            ConfigError: No discovered extension brings a section called ``name``.
        """
        if name in self.extensions:
            return self.extensions[name]
        section_type = _extension_sections().get(name)
        if section_type is None:
            raise ConfigError(f"no extension brings a settings section {name!r}")
        return section_type()

    def describe(self) -> dict[str, dict[str, Any]]:
        """Every key and value, secrets masked: safe to print."""
        out: dict[str, dict[str, Any]] = {}
        sections = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                    if f.name != "extensions"}
        sections.update({name: self.extension(name) for name in _extension_sections()})
        for name, values in sections.items():
            out[name] = {
                f.name: _masked(getattr(values, f.name)) for f in dataclasses.fields(values)
            }
        return out

    def replace(self, **sections: Mapping[str, Any]) -> Settings:
        """A copy with some keys changed, e.g. ``replace(database={"url": "…"})``."""
        changed: dict[str, Any] = {}
        extensions = dict(self.extensions)
        for name, values in sections.items():
            if name in _extension_sections():
                current = self.extension(name)
                extensions[name] = _build_section(name, type(current), dict(values),
                                                  base=current)
                continue
            current = getattr(self, name, None) if name != "extensions" else None
            if current is None:
                raise ConfigError(f"unknown settings section {name!r}")
            changed[name] = _build_section(name, type(current), dict(values), base=current)
        return dataclasses.replace(self, **changed, extensions=extensions)


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings: defaults, then the TOML file, then ``PORTWAY_*`` variables.

    Args:
        config_file: The TOML file; default ``$PORTWAY_CONFIG`` or ``config/portway.toml``
            (relative to the working directory) when it exists.
        environ: The environment to read (default ``os.environ``).

    Raises:
        ConfigError: A file that does not parse, an unknown key, or a bad value.
    """
    env = os.environ if environ is None else environ
    path = settings_file(config_file, env)
    values: dict[str, dict[str, Any]] = {}
    if path is not None:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"settings file {str(path)!r} does not exist") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"settings file {str(path)!r} is not valid TOML: {exc}") from exc
        for section, keys in document.items():
            if not isinstance(keys, dict):
                raise ConfigError(f"unknown setting {section!r} in {str(path)!r}")
            values.setdefault(section, {}).update(keys)
    sections = _section_types()
    _merge_environment(values, env, sections)
    built: dict[str, Any] = {}
    extensions: dict[str, Any] = {}
    for section, keys in values.items():
        if section not in sections:
            raise ConfigError(f"unknown settings section {section!r}")
        target = extensions if section in _extension_sections() else built
        target[section] = _build_section(section, sections[section], keys)
    return Settings(**built, extensions=extensions)


def _extension_sections() -> dict[str, type[Any]]:
    # Imported here: the extension point imports the app's parts, which import this.
    from gateway.extensions import extension_settings_sections

    return extension_settings_sections()


def _section_types() -> dict[str, type[Any]]:
    """Every settings section by name: the gateway's own, then the extensions'."""
    sections: dict[str, type[Any]] = {
        f.name: type(getattr(Settings(), f.name))
        for f in dataclasses.fields(Settings) if f.name != "extensions"}
    for name, section_type in _extension_sections().items():
        if name in sections:
            raise ConfigError(f"an extension's settings section {name!r} clashes with "
                              "the gateway's")
        sections[name] = section_type
    return sections


def settings_file(config_file: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None) -> Path | None:
    """The TOML file ``load_settings`` reads: ``config_file``, else ``$PORTWAY_CONFIG``,
    else ``config/portway.toml`` when it exists here; None when there is none (defaults)."""
    env = os.environ if environ is None else environ
    if config_file:
        return Path(config_file)
    if env.get("PORTWAY_CONFIG"):
        return Path(env["PORTWAY_CONFIG"])
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def _merge_environment(values: dict[str, dict[str, Any]], env: Mapping[str, str],
                       sections: Mapping[str, type[Any]]) -> None:
    known = {
        f"PORTWAY_{name}_{key.name}".upper(): (name, key.name)
        for name, section_type in sections.items()
        for key in dataclasses.fields(section_type)
    }
    for name, raw in env.items():
        if not name.startswith("PORTWAY_") or name in NOT_SETTINGS:
            continue
        if name not in known:
            raise ConfigError(f"unknown setting {name} in the environment")
        section, key = known[name]
        values.setdefault(section, {})[key] = raw


def _build_section(name: str, section_type: type[Any], keys: dict[str, Any],
                   base: Any = None) -> Any:
    hints = get_type_hints(section_type)
    field_names = {f.name for f in dataclasses.fields(section_type)}
    converted: dict[str, Any] = {}
    for key, raw in keys.items():
        if key not in field_names:
            raise ConfigError(f"unknown setting {name}.{key}")
        converted[key] = _convert(f"{name}.{key}", hints[key], raw)
    base = base if base is not None else section_type()
    return dataclasses.replace(base, **converted)


def _convert(key: str, hint: Any, raw: Any) -> Any:
    origin = get_origin(hint)
    try:
        if hint is Secret:
            if isinstance(raw, Secret):
                return raw
            return Secret(str(raw))
        if hint is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if hint is int:
            if isinstance(raw, bool):
                raise ValueError("expected a whole number")
            return int(raw)
        if hint is float:
            if isinstance(raw, bool):
                raise ValueError("expected a number")
            return float(raw)
        if hint is str:
            if not isinstance(raw, str | int | float):
                raise ValueError("expected a string")
            return str(raw)
        if origin is tuple:
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            return tuple(str(item).strip() for item in items if str(item).strip())
        if origin is Literal:
            allowed = get_args(hint)
            if raw not in allowed:
                raise ValueError(f"expected one of {', '.join(map(str, allowed))}")
            return raw
    except (TypeError, ValueError) as exc:
        shown = "**********" if hint is Secret else repr(raw)
        raise ConfigError(f"setting {key} has a bad value {shown}: {exc}") from None
    raise ConfigError(f"setting {key} has an unsupported type")  # pragma: no cover


def _masked(value: Any) -> Any:
    if isinstance(value, Secret):
        return "**********" if value else ""
    if isinstance(value, tuple):
        return list(value)
    return value
