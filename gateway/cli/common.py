"""What every command needs: the settings and, for some, the services.

Services opened by a command are closed by ``close_opened`` when the command ends
(``gateway.cli.main`` calls it), so no command has to remember to.
"""

from __future__ import annotations

import argparse

from gateway.services import Services, build_services
from gateway.settings import Settings, load_settings

_opened: list[Services] = []


def settings_of(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))


def services_of(args: argparse.Namespace) -> Services:
    services = build_services(settings_of(args))
    _opened.append(services)
    return services


def close_opened() -> None:
    while _opened:
        _opened.pop().db.dispose()
