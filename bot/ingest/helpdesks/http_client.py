"""Shared HTTP for connectors: timeouts, retries with backoff, and Retry-After on 429."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
)

JSON = dict[str, Any]
Sleep = Callable[[float], None]
Params = Mapping[str, str | int]

# the name its log lines had before bot/ingest/
log = logging.getLogger("bot.helpdesks.http_client")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: retries after 5xx/connection errors, and waits on 429."""

    max_retries: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_rate_limit_waits: int = 5
    max_retry_after: float = 120.0
    timeout: float = 30.0

    def backoff_for(self, retry: int) -> float:
        """The wait before retry number `retry` (1-based), doubling up to the cap."""
        return float(min(self.max_backoff, self.backoff * 2 ** (retry - 1)))


def retry_after_seconds(
    headers: httpx.Headers, now: float, *, rate_limit_reset: bool = True
) -> float | None:
    """The server's requested wait: Retry-After (seconds or date), else the rate-limit headers:
    X-RateLimit-Retry-After (seconds, Help Scout) or X-RateLimit-Reset (epoch seconds)."""
    value = headers.get("Retry-After", "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            pass
    wait = headers.get("X-RateLimit-Retry-After", "").strip() if rate_limit_reset else ""
    if wait.isdigit():
        return float(wait)
    reset = headers.get("X-RateLimit-Reset", "").strip() if rate_limit_reset else ""
    if reset.isdigit() and int(reset) > 1_000_000_000:
        return max(0.0, int(reset) - now)
    return None


def _error_detail(response: httpx.Response) -> str:
    """A short reason from a vendor's error body, or ''."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or errors[0].get("code") or "")[:200]
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("title") or "")[:200]
    detail = body.get("description") or error or body.get("message") or ""
    return str(detail)[:200]


class HelpdeskHttp:
    """A JSON client for one vendor's API with the retry rules every connector shares."""

    def __init__(
        self,
        *,
        vendor: str,
        base_url: str,
        auth_hint: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.auth_hint = auth_hint
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"Accept": "application/json", **(headers or {})},
            auth=auth,
            timeout=httpx.Timeout(self.policy.timeout, connect=min(10.0, self.policy.timeout)),
            transport=transport,
            follow_redirects=False,
        )

    def get(self, path: str, params: Params | None = None) -> JSON:
        """GET a path (or a same-API absolute URL) and return its JSON object."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: JSON) -> JSON:
        """POST a JSON body to a path and return the JSON object answered."""
        return self.request("POST", path, json=body)

    def close(self) -> None:
        """Close the underlying connections."""
        self._client.close()

    def follow(
        self, path: str, params: Params | None, next_link: Callable[[JSON], str | None]
    ) -> Iterator[JSON]:
        """Each page of a list paged by links: `path` first, then the link `next_link` finds
        in each page (see `relative`), until a page names none or one already followed."""
        data = self.get(path, params)
        seen: set[str] = set()
        while True:
            yield data
            link = next_link(data)
            if link is None or link in seen:
                return
            seen.add(link)
            data = self.get(self.relative(link))

    def relative(self, url: str) -> str:
        """A pagination link to follow: as-is on our API's origin, else its path on our base URL.

        Credentials are only ever sent to the configured base URL's host.
        """
        link, base = urlsplit(url), urlsplit(self.base_url)
        if not link.scheme or (link.scheme, link.netloc) == (base.scheme, base.netloc):
            return url
        return link.path + (f"?{link.query}" if link.query else "")

    def request(
        self, method: str, path: str, *, params: Params | None = None, json: JSON | None = None
    ) -> JSON:
        """Send one request, retrying 5xx/connection errors and waiting out 429s."""
        where = f"{method} {urlsplit(path).path}"
        retries = waits = 0
        while True:
            try:
                response = self._client.request(method, path, params=params, json=json)
            except httpx.TransportError as exc:
                retries += 1
                reason = f"{type(exc).__name__} on {where}"
                if retries > self.policy.max_retries:
                    raise self._unavailable(reason, retries) from None
                self._wait(self.policy.backoff_for(retries), reason)
                continue
            status = response.status_code
            if status == 429:
                waits += 1
                if waits > self.policy.max_rate_limit_waits:
                    raise self._unavailable(f"still rate-limited (429) on {where}", waits)
                wait = self._rate_limit_wait(response, waits)
                self._wait(min(wait, self.policy.max_retry_after), f"429 on {where}")
                continue
            if status >= 500:
                retries += 1
                if retries > self.policy.max_retries:
                    raise self._unavailable(f"HTTP {status} on {where}", retries)
                self._wait(self._server_wait(response, retries), f"HTTP {status} on {where}")
                continue
            return self._json(response, where)

    def _rate_limit_wait(self, response: httpx.Response, waits: int) -> float:
        """After a 429: Retry-After (or X-RateLimit-Reset), else the backoff. A vendor whose
        429s say how long to wait in their own way overrides this (it may also raise)."""
        wait = retry_after_seconds(response.headers, self._clock())
        return self.policy.backoff_for(waits) if wait is None else wait

    def _server_wait(self, response: httpx.Response, retries: int) -> float:
        """After a 5xx: the server's Retry-After when it sent one (capped), else the backoff."""
        wait = retry_after_seconds(response.headers, self._clock(), rate_limit_reset=False)
        if wait is not None:
            return min(wait, self.policy.max_retry_after)
        return self.policy.backoff_for(retries)

    def _wait(self, seconds: float, reason: str) -> None:
        log.info("%s: %s; retrying in %.1fs", self.vendor, reason, seconds)
        self._sleep(seconds)

    def _unavailable(self, reason: str, tries: int) -> HelpdeskUnavailable:
        return HelpdeskUnavailable(f"{self.vendor} is unavailable: {reason} ({tries} tries)")

    def _json(self, response: httpx.Response, where: str) -> JSON:
        status = response.status_code
        if status in (401, 403):
            raise HelpdeskAuthError(self.auth_hint)
        if status == 404:
            raise HelpdeskNotFound(f"{self.vendor} has nothing at {where} (404)")
        if status >= 300:
            detail = _error_detail(response)
            raise HelpdeskError(
                f"{self.vendor} answered HTTP {status} to {where}"
                + (f": {detail}" if detail else "")
            )
        try:
            data = response.json()
        except ValueError:
            raise HelpdeskError(
                f"{self.vendor} answered {where} with something other than JSON: check its base URL"
            ) from None
        if not isinstance(data, dict):
            raise HelpdeskError(f"{self.vendor} answered {where} with unexpected JSON")
        return data
