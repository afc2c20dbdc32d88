"""What every command needs: the settings and, for some, the services."""

from __future__ import annotations

import argparse

from gateway.services import Services, build_services
from gateway.settings import Settings, load_settings


def settings_of(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))


def services_of(args: argparse.Namespace) -> Services:
    return build_services(settings_of(args))
