"""Runtime cases Portway does not pass yet, each with whose part is missing.

The runner marks these ``xfail`` (not strict: a case that starts passing shows as XPASS,
and then leaves this table). Every other runnable case must pass. The status board
(kept outside the repository) has the exact differences. Empty: every case that does not
need the Logic Apps host passes.
"""

from __future__ import annotations

KNOWN_GAPS: dict[str, str] = {}
