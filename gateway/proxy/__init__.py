"""The data plane: one proxied call, step by step (see docs/proxy.md).

The public face, for the HTTP layer, the runtime and protocol handlers:

* ``pipeline.Proxy``: ``call_operation`` (by operation id, JSON arguments), ``run_path``
  (a ``Call`` built from an ``/apim`` request), ``forget`` (drop a connection's cached
  state), ``aclose``.
* ``call.Call``: the state of one call as the steps see it.
* ``protocols.ProtocolHandler`` and ``protocols.Transport``: the seam for connectors that
  are not plain HTTP+JSON (SOAP).
* ``upstream.UpstreamResponse``: the answer (``content`` or ``stream``; ``read``,
  ``body``, ``aclose``) and ``upstream.UpstreamClient``, the outbound client's interface.
* ``errors``: the proxy's branch of the error tree.

The modules are imported by name rather than re-exported here, so that the connections
area's ``gateway.proxy.credentials`` can be imported without the whole pipeline.
"""
