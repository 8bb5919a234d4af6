"""Every failure of the Anthropic SDK as a :class:`~persona.core.errors.FrontierError` whose
message says what to do next and never contains the API key."""

from __future__ import annotations

import anthropic

from persona.core.errors import FrontierAuthError, FrontierError, FrontierRateLimited
from persona.hybrid.keys import KEYS_URL, hide_key


def _detail(exc: anthropic.APIStatusError, key: str) -> str:
    parts = [hide_key(exc.api_message, key)] if exc.api_message else []
    if exc.request_id:
        parts.append(f"request id {exc.request_id}")
    return f": {', '.join(parts)}" if parts else ""


def frontier_error(
    exc: anthropic.AnthropicError,
    model: str,
    retries: int,
    *,
    key: str,
    timeout: float,
    base_url: str,
    custom_base_url: bool,
) -> FrontierError:
    """The error to show for the SDK's ``exc`` on a call to ``model`` after ``retries``
    retries: what went wrong and what to do, never the API ``key``."""
    retried = f" after {retries} retries" if retries else ""
    if isinstance(exc, anthropic.APITimeoutError):
        return FrontierError(
            f"Claude did not answer within {timeout:g} s{retried}. Try again later, "
            "or refine fewer personas at once; your drafts are kept."
        )
    if isinstance(exc, anthropic.APIConnectionError):
        where = (
            f"the gateway at {base_url} (set by ANTHROPIC_BASE_URL): "
            "check that it is running and the address is right"
            if custom_base_url
            else f"{base_url}: check your internet connection"
        )
        return FrontierError(f"Cannot reach Claude at {where}. Your drafts are kept.")
    if not isinstance(exc, anthropic.APIStatusError):
        return FrontierError(f"The Claude request failed: {hide_key(str(exc), key)}")
    detail = _detail(exc, key)
    status = exc.status_code
    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return FrontierAuthError(
            f"Claude rejected the API key (HTTP {status}{detail}). Check it at {KEYS_URL} "
            "and paste it again on the Hybrid page or in ANTHROPIC_API_KEY."
        )
    if isinstance(exc, anthropic.RateLimitError):
        return FrontierRateLimited(
            f"Claude is rate limiting this API key (HTTP 429){retried}. Wait a minute and "
            "try again, or refine fewer personas at once."
        )
    if isinstance(exc, anthropic.OverloadedError):
        return FrontierRateLimited(
            f"Claude is overloaded (HTTP 529){retried}. Try again in a few minutes or pick "
            "another model."
        )
    if isinstance(exc, anthropic.NotFoundError):
        what = f"the model '{model}'" if model else "this endpoint"
        return FrontierError(
            f"Claude does not know {what} (HTTP 404{detail}). Load the models from Anthropic "
            "on the Hybrid page (or pass another --frontier-model) and pick one of them."
        )
    if isinstance(exc, anthropic.BadRequestError):
        return FrontierError(f"Claude rejected the request (HTTP 400{detail}).")
    if isinstance(exc, anthropic.PaymentRequiredError):
        return FrontierError(
            f"Your Anthropic account cannot pay for this call (HTTP 402{detail}). "
            "Add credits at https://console.anthropic.com/settings/billing."
        )
    if status >= 500:
        return FrontierError(
            f"Claude had a server error (HTTP {status}{detail}){retried}. Try again later; "
            "your drafts are kept."
        )
    return FrontierError(f"Claude answered with an error (HTTP {status}{detail}).")
