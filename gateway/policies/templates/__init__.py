"""The template compilers, by template id (lower case)."""

from __future__ import annotations

from collections.abc import Callable

from gateway.policies.templates._common import CompiledPolicy, Parameters
from gateway.policies.templates.body import (
    compile_convertarraytoobject,
    compile_convertobjecttoarray,
    compile_moveproperties,
    compile_setproperty,
    compile_stringreplace,
    compile_stringtoarray,
)
from gateway.policies.templates.headers import compile_setheader, compile_setqueryparameter
from gateway.policies.templates.paging import compile_updatenextlink
from gateway.policies.templates.routing import (
    compile_dynamichosturl,
    compile_routerequesttoendpoint,
)

__all__ = ["COMPILERS", "NOT_GATEWAY_TEMPLATES"]

COMPILERS: dict[str, Callable[[Parameters], CompiledPolicy]] = {
    "setheader": compile_setheader,
    "setqueryparameter": compile_setqueryparameter,
    "dynamichosturl": compile_dynamichosturl,
    "dynamicsubdomain": compile_dynamichosturl,
    "routerequesttoendpoint": compile_routerequesttoendpoint,
    "setproperty": compile_setproperty,
    "convertobjecttoarray": compile_convertobjecttoarray,
    "convertarraytoobject": compile_convertarraytoobject,
    "stringreplace": compile_stringreplace,
    "stringtoarray": compile_stringtoarray,
    "moveproperties": compile_moveproperties,
    "updatenextlink": compile_updatenextlink,
}

#: Templates that are not the data plane's to run: the runtime polls triggers itself.
NOT_GATEWAY_TEMPLATES = frozenset({"pollingtrigger"})
