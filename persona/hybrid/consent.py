"""Consent as a contract: what the user agreed to send, to which model, for at most how much.

A :class:`Consent` holds a fingerprint of each exact request (system prompt and message, as
redacted), the model and the budget cap. Anything that changes one of them makes a new
consent, which the user has to give again; :func:`changes` says why in words.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from persona.core.errors import InputError


def fingerprint(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8), hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Consent:
    """What a tick on the consent box covers."""

    model: str
    cap_usd: float | None
    payloads: tuple[tuple[str, str], ...]
    """(persona name, fingerprint of the exact request) for each persona to be sent."""

    @property
    def fingerprint(self) -> str:
        parts = [self.model, repr(self.cap_usd), *(f"{n}\n{d}" for n, d in self.payloads)]
        return fingerprint("\n\n".join(parts))


class ConsentError(InputError):
    """What would be sent is not what the user agreed to; nothing was sent."""


def changes(given: Consent, now: Consent) -> list[str]:
    """Why ``given`` does not cover ``now``, in words (empty when it does)."""
    reasons = []
    if given.model != now.model:
        reasons.append(f"the model changed from {given.model} to {now.model}")
    if given.cap_usd != now.cap_usd:
        reasons.append(f"the budget cap changed from {_usd(given.cap_usd)} to {_usd(now.cap_usd)}")
    before, after = dict(given.payloads), dict(now.payloads)
    added = [name for name in after if name not in before]
    dropped = [name for name in before if name not in after]
    edited = [name for name in after if name in before and before[name] != after[name]]
    if len(given.payloads) != len(now.payloads):
        reasons.append(
            f"{len(now.payloads)} persona(s) would now be sent instead of {len(given.payloads)}"
        )
    if added:
        reasons.append("added: " + ", ".join(added))
    if dropped:
        reasons.append("no longer sent: " + ", ".join(dropped))
    if edited:
        reasons.append("what is sent changed for " + ", ".join(edited))
    if not reasons and given.payloads != now.payloads:
        reasons.append("what is sent changed")
    return reasons


def require(given: Consent | None, now: Consent) -> None:
    """Raise :class:`ConsentError` unless ``given`` covers exactly ``now``."""
    if given is None:
        raise ConsentError("Nothing was sent: agree to the preview first.")
    reasons = changes(given, now)
    if reasons:
        raise ConsentError(
            "Nothing was sent: what would be sent is not what you agreed to ("
            + "; ".join(reasons)
            + "). Review the preview and agree again."
        )


def _usd(value: float | None) -> str:
    return "no cap" if value is None else f"${value:.2f}"
