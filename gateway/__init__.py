"""The gateway: connectors, connections and the proxy that calls through them.

The public face for other packages (the runtime, extensions): everything else in this
package is private to it.
"""

from gateway.app import create_app
from gateway.errors import PortwayError
from gateway.extensions import Extension
from gateway.services import Services
from gateway.settings import Settings, load_settings

__all__ = ["Extension", "PortwayError", "Services", "Settings", "create_app", "load_settings"]
