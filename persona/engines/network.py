"""What went wrong with a network connection, in a few words for a message."""

from __future__ import annotations

KNOWN_REASONS = (
    "Connection refused",
    "Name or service not known",
    "nodename nor servname",
    "Temporary failure in name resolution",
    "No route to host",
    "Network is unreachable",
    "certificate verify failed",
    "timed out",
)


def connection_reason(exc: BaseException) -> str:
    """The innermost known reason a connection failed (``connection refused``...), else the
    innermost error's own text, shortened."""
    chain = [exc]
    while chain[-1].__cause__ is not None or chain[-1].__context__ is not None:
        nxt = chain[-1].__cause__ or chain[-1].__context__
        if nxt is None or nxt in chain or len(chain) > 10:
            break
        chain.append(nxt)
    for error in reversed(chain):
        text = str(error).lower()
        for known in KNOWN_REASONS:
            if known.lower() in text:
                return known.lower()
    innermost = chain[-1]
    return str(innermost)[:200] or type(innermost).__name__
