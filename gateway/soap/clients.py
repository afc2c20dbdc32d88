"""zeep clients built once per connector version, from the documents the connector carries.

Building a client parses every WSDL and XSD document (a second or more for the largest
WSDLs), so it happens once per connector version and process, off the event loop, and
never fetches anything: ``Connector.documents`` holds every document the import read.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import zeep
from zeep.transports import Transport

from gateway.soap.errors import SoapRequestInvalid
from importers import Connector, Operation
from importers.wsdl import load_wsdl

#: Clients kept per process; the least recently used is dropped beyond this.
MAX_CLIENTS = 32


@dataclass
class SoapClient:
    """A zeep client for one connector version, and how to find its operations."""

    client: zeep.Client
    key: str

    def operation(self, operation: Operation) -> tuple[Any, Any]:
        """The zeep binding and binding operation that ``operation`` calls."""
        soap = operation.soap
        if soap is None:
            raise SoapRequestInvalid(f"operation {operation.operation_id!r} is not a SOAP "
                                     "operation")
        # Services may sit in any imported definition, not only the root one.
        for definition in self.client.wsdl._definitions.values():
            found = definition.services.get(soap.service)
            if found is not None and soap.port in found.ports:
                binding = found.ports[soap.port].binding
                return binding, binding.get(soap.operation)
        raise SoapRequestInvalid(
            f"the WSDL of this connector has no port {soap.service}/{soap.port}")


class ClientCache:
    """zeep clients by connector version (a digest of its documents)."""

    def __init__(self, max_clients: int = MAX_CLIENTS) -> None:
        self._clients: OrderedDict[str, SoapClient] = OrderedDict()
        self._building: dict[str, asyncio.Future[SoapClient]] = {}
        # Keeps the connector objects alive so that id() stays theirs while cached.
        self._digests: OrderedDict[int, tuple[Connector, str]] = OrderedDict()
        self._max = max_clients
        self.builds = 0  # how many clients were built, for tests and metrics

    def key(self, connector: Connector) -> str:
        """A key that changes whenever the connector's documents change."""
        cached = self._digests.get(id(connector))
        if cached is not None and cached[0] is connector:
            self._digests.move_to_end(id(connector))
            return cached[1]
        digest = hashlib.sha256()
        digest.update(connector.id.encode())
        digest.update(str(connector.metadata.get("wsdlMain", "")).encode())
        for name in sorted(connector.documents):
            digest.update(name.encode() + b"\0")
            digest.update(connector.documents[name].encode() + b"\0")
        key = digest.hexdigest()
        self._digests[id(connector)] = (connector, key)
        while len(self._digests) > self._max * 4:
            self._digests.popitem(last=False)
        return key

    async def get(self, connector: Connector) -> SoapClient:
        """The client for ``connector``, built on first use."""
        key = self.key(connector)
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        pending = self._building.get(key)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._building[key] = pending
            try:
                client = await asyncio.to_thread(build_client, connector, key)
            except BaseException as exc:
                pending.set_exception(exc)
                pending.exception()  # retrieved: waiters re-raise it themselves
                raise
            finally:
                self._building.pop(key, None)
            self.builds += 1
            self._clients[key] = client
            while len(self._clients) > self._max:
                self._clients.popitem(last=False)
            pending.set_result(client)
            return client
        return await pending


class _NoNetwork(Transport):
    """zeep's transport for calls: never used to send (the gateway sends)."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]


def build_client(connector: Connector, key: str) -> SoapClient:
    """Build the zeep client of ``connector`` from its stored documents only."""
    main = str(connector.metadata.get("wsdlMain") or next(iter(connector.documents), ""))
    files = {name: text.encode("utf-8") for name, text in connector.documents.items()}
    loaded = load_wsdl(main, files)
    client = zeep.Client(loaded.document, transport=_NoNetwork(),  # type: ignore[no-untyped-call]
                         settings=loaded.document.settings)
    return SoapClient(client=client, key=key)
