"""Who may do what.

Control plane: roles ``owner`` > ``contributor`` > ``reader``, held globally (``*``) or on
one resource (``connections/demo``). Readers read, contributors also write, owners also
manage principals and access.

Data plane: a principal may call through a connection when it is an owner or contributor
of it (globally or on that connection) or is named in the connection's access policies.
A reader may see a connection but not use it. A workflow identity additionally needs its
definition to reference the connection (the linked access check).
"""

from __future__ import annotations

from collections.abc import Collection

from gateway.errors import Forbidden
from gateway.store.principals import Principal

_RANK = {"reader": 1, "contributor": 2, "owner": 3}


def require_role(principal: Principal, needed: str, scope: str = "*", *,
                 action: str = "") -> None:
    """Raise ``Forbidden`` unless ``principal`` holds ``needed`` or more on ``scope``.

    Args:
        action: How the audit log names what was denied ("connection.read"); the error
            handler writes the denial under it (see ``gateway.api.errors``).
    """
    held = principal.role_on(scope)
    if held is None or _RANK[held] < _RANK[needed]:
        where = "globally" if scope == "*" else f"on {scope}"
        denial = Forbidden(
            f"{principal.name!r} needs the {needed} role {where} for this",
            details=[{"check": "role", "needed": needed, "scope": scope, "held": held}],
        )
        if action:
            denial.audit_action = action
            denial.audit_resource = scope if scope != "*" else action.split(".", 1)[0]
        raise denial


def check_connection_use(principal: Principal, connection: str,
                         access_policies: Collection[str],
                         referenced_by_workflow: bool | None = None) -> None:
    """Raise ``Forbidden`` unless ``principal`` may call through ``connection``.

    Args:
        referenced_by_workflow: For a workflow identity, whether its definition references
            the connection; None for other principals.
    """
    if principal.kind == "workflow":
        if not referenced_by_workflow:
            raise Forbidden(
                f"workflow {principal.name!r} does not reference connection {connection!r}",
                details=[{"check": "linked-access", "reason": "not-referenced"}],
            )
        if principal.name not in access_policies:
            raise Forbidden(
                f"workflow {principal.name!r} is not in the access policies of "
                f"connection {connection!r}",
                details=[{"check": "linked-access", "reason": "no-access-policy"}],
            )
        return
    if principal.name in access_policies:
        return
    held = principal.role_on(f"connections/{connection}")
    if held in ("owner", "contributor"):
        return
    raise Forbidden(
        f"{principal.name!r} may not use connection {connection!r}: it needs the owner or "
        "contributor role on it, or an access policy naming it",
        details=[{"check": "connection-access", "held": held}],
    )

