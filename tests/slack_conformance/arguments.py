"""The arguments of each Web API call (and response_url post), against Slack's method reference."""

from __future__ import annotations

import re
from typing import Any

from tests.slack_conformance.limits import JSON
from tests.slack_conformance.walk import HEADROOM

# Slack's method reference (docs.slack.dev/reference/methods/<method>, its Arguments section;
# `token` travels in the Authorization header): required arguments, then the other known ones.
METHODS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    name: (frozenset(required.split()), frozenset(optional.split()))
    for name, required, optional in [
        ("views.open", "view", "trigger_id interactivity_pointer"),
        ("views.push", "view", "trigger_id interactivity_pointer"),
        ("views.update", "view", "view_id external_id hash"),
        ("views.publish", "user_id view", "hash"),
        ("chat.postMessage", "channel",
         "as_user attachments blocks icon_emoji icon_url link_names markdown_text metadata "
         "mrkdwn parse reply_broadcast text thread_ts unfurl_links unfurl_media username"),
        ("chat.update", "channel ts",
         "as_user attachments blocks markdown_text metadata link_names parse text "
         "reply_broadcast file_ids"),
        ("chat.postEphemeral", "channel user",
         "as_user attachments blocks icon_emoji icon_url link_names markdown_text parse text "
         "thread_ts username"),
        ("conversations.open", "", "channel return_im users prevent_creation"),
        ("conversations.history", "channel",
         "cursor include_all_metadata inclusive latest limit oldest"),
        ("users.info", "user", "include_locale"),
        ("auth.test", "", ""),
        ("files.getUploadURLExternal", "length filename", "snippet_type alt_txt"),
        ("files.completeUploadExternal", "files",
         "channel_id thread_ts channels initial_comment blocks"),
        ("apps.connections.open", "", ""),
        # a response_url takes a message payload (Slack's "Handling user interaction" guide)
        ("response_url", "",
         "text blocks attachments response_type replace_original delete_original thread_ts "
         "mrkdwn unfurl_links unfurl_media metadata"),
    ]
}  # fmt: skip
# "One of these arguments is required" on the method's page
ONE_OF: dict[str, tuple[str, ...]] = {
    "views.open": ("trigger_id", "interactivity_pointer"),
    "views.push": ("trigger_id", "interactivity_pointer"),
    "views.update": ("view_id", "external_id"),
    "chat.postMessage": ("text", "blocks", "attachments", "markdown_text"),
    "chat.postEphemeral": ("text", "blocks", "attachments", "markdown_text"),
    "conversations.open": ("channel", "users"),
}
# slack_sdk adds the workspace's team_id to every call of a client Bolt builds per request (for
# org-wide installs); Slack takes it on every method
SDK_ADDED = frozenset({"team_id"})
HISTORY_LIMIT = 999
ALT_TXT = 1000
CONVERSATION_IDS = re.compile(r"^[CDG][A-Z0-9]+$")


def _whole(value: Any) -> int | None:
    """A whole number sent as JSON or as a form string; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d+", value):
        return int(value)
    return None


def _boolean(value: Any) -> bool:
    return value in (True, False, 0, 1, "true", "false", "0", "1")


def argument_problems(method: str, args: JSON) -> list[str]:
    """The arguments of one Web API call (or response_url post) against Slack's reference."""
    if method not in METHODS:
        return [f"{method}: not a method Debrief is known to call (add it from Slack's reference)"]
    HEADROOM.call(method)
    required, optional = METHODS[method]
    problems = [f"{method}: missing required argument {name}" for name in sorted(required)
                if args.get(name) in (None, "")]  # fmt: skip
    known = required | optional | SDK_ADDED
    problems += [f"{method}: {name} is not an argument of {method} in Slack's method reference"
                 for name in sorted(set(args) - known)]  # fmt: skip
    one_of = ONE_OF.get(method)
    if one_of and not any(args.get(name) not in (None, "") for name in one_of):
        problems.append(f"{method}: one of {', '.join(one_of)} is required")
    channel = str(args.get("channel") or "")
    if method in ("chat.update", "conversations.history") and not CONVERSATION_IDS.match(channel):
        problems.append(f"{method}: channel must be a conversation id (C…, D…, G…), "
                        f"not {channel!r}")  # fmt: skip
    if method == "conversations.history" and "limit" in args:
        limit = _whole(args["limit"])
        if limit is None or not 1 <= limit <= HISTORY_LIMIT:
            problems.append(f"{method}: limit must be 1–{HISTORY_LIMIT}, not {args['limit']!r}")
    if method == "files.getUploadURLExternal":
        length = _whole(args.get("length"))
        if length is None or length < 1:
            problems.append(f"{method}: length must be a whole number ≥ 1")
        if len(str(args.get("alt_txt") or "")) > ALT_TXT:
            problems.append(f"{method}: alt_txt is over {ALT_TXT} characters")
    if method == "files.completeUploadExternal":
        files = args.get("files")
        if (
            not isinstance(files, list)
            or not files
            or not all(
                isinstance(f, dict) and isinstance(f.get("id"), str) and set(f) <= {"id", "title"}
                for f in files
            )
        ):
            problems.append(f"{method}: files must be a JSON array of {{id, title?}}")
    if method == "conversations.open" and args.get("users"):
        users = [u for u in str(args["users"]).split(",") if u.strip()]
        if not 1 <= len(users) <= 8:
            problems.append(f"{method}: users must name 1–8 users")
    if method == "response_url" and args.get("response_type") not in (None, "ephemeral",
                                                                      "in_channel"):  # fmt: skip
        problems.append(f"{method}: response_type is ephemeral or in_channel")
    for name in ("include_all_metadata", "inclusive", "include_locale", "replace_original",
                 "delete_original", "unfurl_links", "unfurl_media", "mrkdwn"):  # fmt: skip
        if name in args and not _boolean(args[name]):
            problems.append(f"{method}: {name} must be a boolean, not {args[name]!r}")
    return problems
