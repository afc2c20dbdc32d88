"""The authorization code flow with PKCE: the consent link and the callback.

``start_consent`` makes a random ``state`` and a PKCE verifier, stores the state's hash
with the connection and the principal who asked (the verifier is sealed in the vault,
bound to the state, the connection and the principal, so a tampered row cannot be
used), and returns the authorize URL. ``finish_consent`` takes the state exactly once,
checks it has not expired, that the connection still exists and that the principal who
asked may still change it, exchanges the code with authlib, and stores only the tokens.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.errors import NotFound
from gateway.oauth import client
from gateway.oauth.errors import ConsentNotPossible, InvalidState, OAuthError
from gateway.oauth.plan import auth_mode, oauth_plan
from gateway.oauth.refresh import token_keeper
from gateway.oauth.tokens import save_tokens
from gateway.origins import bound_origins
from gateway.security.crypto import SecretDecryptionError
from gateway.services import Services
from gateway.store.connections import ConnectionRecord
from gateway.store.tables import oauth_states
from importers import Connector

#: How long a consent link stays usable (seconds).
STATE_TTL = 600.0
STATE_OWNER = "oauth-state"
CONNECTED = "Connected"


@dataclass(frozen=True)
class ConsentLink:
    url: str
    expires_at: float


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def _verifier_name(record: ConnectionRecord, principal: str) -> str:
    # The name is part of the sealed secret's associated data: it binds the verifier to
    # the connection's identity (its name, when it was created and the OAuth client it
    # names) and the principal of this consent. A connection deleted and made again, or
    # given another client, cannot complete a consent started for the one before.
    client_id = str(record.parameters.get("client_id", ""))
    return f"code_verifier/{record.name}/{record.created_at!r}/{client_id}/{principal}"


def start_consent(services: Services, connection: str, connector: Connector,
                  principal: str) -> ConsentLink:
    """Make a consent link for ``connection`` asked for by ``principal`` (blocking)."""
    record = services.connections.get(connection)
    connection_secrets = services.connections.secrets(connection)
    mode = auth_mode(connector, record.parameters, connection_secrets.keys())
    if mode != "oauth2":
        raise ConsentNotPossible(
            f"connection {connection!r} authenticates with {mode!r}, not with the OAuth "
            "authorization code flow; it needs no consent")
    plan = oauth_plan(connector, mode, record.parameters, connection_secrets,
                      services.settings.oauth)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    url = client.authorization_url(plan, services.egress, services.settings.oauth.redirect_url,
                                   state, verifier)
    now = time.time()
    digest = _hash(state)
    with services.db.engine.begin() as conn:
        _drop_expired(services, conn, now)
        conn.execute(oauth_states.insert().values(
            state_hash=digest, connection=connection, principal=principal,
            expires_at=now + STATE_TTL))
        services.vault.put_many(conn, STATE_OWNER, digest,
                                {_verifier_name(record, principal): verifier})
    return ConsentLink(url=url, expires_at=now + STATE_TTL)


def finish_consent(services: Services, state: str, code: str, error: str = "") -> tuple[str, str]:
    """Complete a consent from the callback's query (blocking); returns (connection,
    principal who asked).

    Raises:
        InvalidState: Unknown, used or expired state, or the asker may no longer do this.
        OAuthError: The user or the server declined.
    """
    if not state:
        raise InvalidState("the callback has no state")
    digest = _hash(state)
    with services.db.engine.begin() as conn:
        row = conn.execute(sa.select(oauth_states)
                           .where(oauth_states.c.state_hash == digest)).first()
        taken = conn.execute(oauth_states.delete()
                             .where(oauth_states.c.state_hash == digest)).rowcount
    if row is None or taken != 1:
        raise InvalidState("the consent state is unknown or was already used")
    name, principal = row.connection, row.principal
    try:
        record: ConnectionRecord | None = services.connections.get(name)
    except NotFound:
        record = None
    verifier = None
    if record is not None:
        try:
            verifier = services.vault.get(STATE_OWNER, digest, _verifier_name(record, principal))
        except (SecretDecryptionError, NotFound):
            verifier = None
    with services.db.engine.begin() as conn:
        services.vault.delete_owner(conn, STATE_OWNER, digest)
    if record is None:
        raise InvalidState(f"connection {name!r} no longer exists")
    if verifier is None:
        raise InvalidState("the consent state does not match its connection (made again, "
                           "or given another client since) and principal")
    if row.expires_at < time.time():
        raise InvalidState("the consent link expired; ask for a new one")
    if error:
        raise OAuthError(f"consent was declined: {error[:100]}", details=[{"error": error[:100]}])
    if not code:
        raise InvalidState("the callback has no code")
    asker = services.principals.get(principal)
    role = asker.role_on(f"connections/{name}") if asker is not None else None
    if role not in ("owner", "contributor"):
        raise InvalidState(
            f"{principal!r}, who asked for this consent, may no longer change connection "
            f"{name!r}")
    connector = services.connectors.get(record.connector_id).connector
    connection_secrets = services.connections.secrets(name)
    plan = oauth_plan(connector, "oauth2", record.parameters, connection_secrets,
                      services.settings.oauth)
    tokens = client.exchange_code(plan, services.egress, services.settings.oauth.redirect_url,
                                  code, verifier)
    save_tokens(services.vault, name, tokens)
    services.connections.set_status(name, CONNECTED, "")
    # The tokens were given for where this connection's calls go now.
    services.connections.update_fields(
        name, secrets_origins=bound_origins(connector, record.parameters))
    token_keeper(services).forget(name)
    return name, principal


def _drop_expired(services: Services, conn: sa.Connection, now: float) -> None:
    expired = [r.state_hash for r in conn.execute(
        sa.select(oauth_states.c.state_hash).where(oauth_states.c.expires_at < now))]
    for digest in expired:
        services.vault.delete_owner(conn, STATE_OWNER, digest)
    if expired:
        conn.execute(oauth_states.delete().where(oauth_states.c.state_hash.in_(expired)))
