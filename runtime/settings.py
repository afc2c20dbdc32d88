"""The ``[runtime]`` settings section (documented, key by key, in config/portway.toml)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway import ConfigError


@dataclass(frozen=True)
class RuntimeSettings:
    #: Run the workflow runtime in this process (its routes are served either way).
    enabled: bool = True
    #: Keep run history this many days (Logic Apps' default is 90).
    retention_days: int = 90
    #: How long a Stateful run may last from its start, in days (Logic Apps'
    #: ``Runtime.Backend.FlowRunTimeout``, 90 days); past it the run ends ``TimedOut``,
    #: even one asleep on a timer. A run keeps the value in force when it started.
    #: Keep it at most ``retention_days``.
    run_duration_days: float = 90.0
    #: Iterations of a ``Foreach`` that run at once unless the definition says otherwise.
    foreach_concurrency: int = 20
    #: How long a process's claim on a run lasts without renewal, in seconds.
    lease_seconds: float = 30.0
    #: How often an idle worker looks for runs to claim or resume, in seconds.
    poll_seconds: float = 0.5
    #: How often the trigger scheduler looks for due Recurrence and Sliding Window
    #: triggers, in seconds (the finest schedule it keeps).
    trigger_seconds: float = 1.0
    #: How long a Request trigger's caller waits for a synchronous ``Response``, in seconds
    #: (Logic Apps Standard's inbound request limit: 225), before it gets ``202 Accepted``.
    response_timeout_seconds: float = 225.0
    #: The address callers reach this deployment at, used in callback URLs
    #: (``https://flows.example``); empty: the address of the request asking for the URL,
    #: and for webhook subscriptions (made by no request) the address the server listens on.
    public_url: str = ""
    #: The longest a webhook action waits before it looks for its callback itself (a
    #: callback wakes it at once, even while its run is busy in another branch: this is
    #: the safety net), in seconds.
    webhook_recheck_seconds: float = 30.0
    #: The largest file a file connector (FTP, SFTP, file system) reads or writes, in
    #: bytes; a bigger one fails the action (``FileTooLarge``). Logic Apps' built-in FTP
    #: allows 200 MB; a file's content is held in memory and in the run record.
    file_max_bytes: int = 50 * 1024 * 1024
    #: How long one FTP or SFTP operation (connect, sign in, transfer) may take, seconds.
    file_timeout_seconds: float = 60.0
    #: The most entries a file connector reads from one folder listing (a trigger's poll
    #: included); past it the listing fails rather than silently missing files.
    file_listing_max: int = 10_000
    #: Folders the File System connector may be rooted in: a connection's ``rootFolder``
    #: must be one of them or lie inside one. Empty: the connector refuses every call.
    filesystem_roots: tuple[str, ...] = ()
    #: Folders the SQL built-in connector may open SQLite files in (relative ones from the
    #: server's working directory; a file's real path, links resolved, must lie inside
    #: one). Empty: SQLite connection strings are refused. Portway's own store never opens.
    sql_sqlite_roots: tuple[str, ...] = ()
    #: The SQL built-in connector: most rows one operation returns (more is an error,
    #: ``SqlResultTooLarge``; page with ``LIMIT``/``$top``).
    sql_max_rows: int = 10_000
    #: The SQL built-in connector: most bytes (as JSON) of one operation's rows.
    sql_max_result_bytes: int = 16_000_000
    #: The SQL built-in connector: how long one statement may run, in seconds.
    sql_timeout_seconds: float = 30.0
    #: The SQL built-in connector on PostgreSQL: a pooled connection this old is replaced
    #: and the new one vetted, so rights its role gained after the vetting are seen.
    sql_revet_seconds: float = 300.0
    #: The SQL built-in connector's triggers: most rows one poll fires (the rest wait for
    #: the next poll, in order).
    sql_trigger_batch: int = 100
    #: Logic Apps' ``accessControl.triggers.allowedCallerIpAddresses``: the addresses or
    #: CIDR ranges (``10.0.0.0/8``, ``2001:db8::/32``) that may call trigger URLs; a call
    #: from elsewhere is 403 and starts nothing. Empty: any caller.
    trigger_allowed_callers: tuple[str, ...] = ()
    #: Proxies in front of Portway (addresses or CIDR ranges) whose ``X-Forwarded-For``
    #: names the caller; from any other peer the header is ignored. Empty: trust none.
    trusted_proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.sql_revet_seconds > 0:
            raise ConfigError("runtime.sql_revet_seconds must be more than 0, not "
                              f"{self.sql_revet_seconds}")
        if not self.run_duration_days > 0:
            raise ConfigError("runtime.run_duration_days must be more than 0, not "
                              f"{self.run_duration_days}")
