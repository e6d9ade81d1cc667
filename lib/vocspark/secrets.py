"""Redaction of secrets in text: the one function every log line, error message, manifest value and config check
uses (bottom import layer: anything may use it).

Covered, in any case and in JDBC/ODBC URLs or free text: ``password=``, ``Password=``, ``PWD=``, ``pwd=``,
``passwd=`` (and ``password: x`` / JSON ``"password": "x"``), separated by ``;``, ``&``, ``?``, spaces or
commas; user-info in a URL (``jdbc:postgresql://user:secret@host/db``); and any known secret value passed in.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

MASK = "***"
# key [quote] (= or :) [quote] value  -- the value runs to the next separator of URLs, ODBC strings or prose
_PAIR = re.compile(r"""(?ix)
    (?<![a-z0-9_])([a-z0-9_.-]*password|passwd|pwd)  # the key (`db_password` too; not `pwdHash`)
    (["']?\s*[=:]\s*)                       # = or :, optionally quoted key (JSON)
    (?:(["'])(?:(?!\3).)*\3                 # a quoted value
      |\{[^}]*\}                            # an ODBC braced value: PWD={a;b}
      |[^\s;&,"')]+)                        # or a bare value up to ; & , space quote paren
""")
# scheme://user:secret@host  -- greedy to the last @ before the path, so a secret holding @ is covered
_USERINFO = re.compile(r"(?i)(://[^/\s:@;?&]*):([^/\s]*)@")


def redact(text: Any, secrets: Iterable[str | None] = ()) -> str:
    """``text`` (made a string) with every known secret and every password pair or URL user-info secret replaced
    by ``***``."""
    out = str(text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        out = out.replace(secret, MASK)
    out = _PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", out)
    return _USERINFO.sub(rf"\1:{MASK}@", out)


def has_password(text: str) -> bool:
    """True when ``text`` (e.g. a JDBC URL) holds a password in any form :func:`redact` knows."""
    return redact(text) != str(text)


def redact_values(value: Any, secrets: Iterable[str | None] = ()) -> Any:
    """``value`` with every string inside (dict values, list items, recursively) redacted; other types kept."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_values(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_values(v, secrets) for v in value]
    return value
