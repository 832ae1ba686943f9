"""The fake's message, file, conversation, user and auth methods."""

from __future__ import annotations

import copy
import time
from typing import Any

from tests.fake_slack.state import JSON, SlackError, _State
from tests.slack_conformance import message_problems

_CONTENT = ("text", "blocks", "attachments", "metadata")  # what message_problems checks


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true")


def _message_surface(method: str, args: JSON) -> str:
    """A name for what a message is, for HEADROOM: its metadata's event type, else the first
    action or block id in it, else its text's first words."""
    meta = args.get("metadata")
    if isinstance(meta, dict) and meta.get("event_type"):
        return f"{method} {meta['event_type']}"
    for block in args.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        elements = [block.get("accessory"), *(block.get("elements") or [])]
        for element in elements:
            if isinstance(element, dict) and element.get("action_id"):
                return f"{method} {element['action_id'].split('.')[0]}"
    words = " ".join(str(args.get("text") or "").split()[:3])
    return f"{method} “{words[:24]}…”"


class _Messages(_State):
    """``chat.*``, ``files.*``, ``conversations.*``, response URLs, ``users.info``,
    ``apps.connections.open`` and ``auth.test``."""

    def _dm_for(self, user_id: str) -> str:
        self._user(user_id)
        return f"D{user_id[1:]}"  # stable per user

    def _channel(self, args: JSON) -> str:
        channel = str(args.get("channel") or "")
        if not channel:
            raise SlackError("channel_not_found")
        return self._dm_for(channel) if channel[0] in "UW" else channel  # user id: their DM

    def _content(self, args: JSON) -> JSON:
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            raise SlackError("no_text")
        content = {k: v for k, v in args.items() if k in _CONTENT}
        surface = _message_surface(self._method, args)
        if self.strict and (problems := message_problems(content, surface=surface)):
            blocky = any(p.startswith("/blocks") for p in problems)
            self._refuse(
                self._method, "invalid_blocks" if blocky else "invalid_arguments", problems
            )
        for block in args.get("blocks") or []:
            file_id = (block.get("slack_file") or {}).get("id") if isinstance(block, dict) else None
            if file_id and not self.files.get(file_id, {}).get("completed"):
                raise SlackError("invalid_blocks", f"[ERROR] unknown or unfinished file {file_id}")
        meta = args.get("metadata", {"event_type": "", "event_payload": {}})
        if not isinstance(meta, dict) or not isinstance(meta.get("event_payload"), dict):
            raise SlackError("invalid_metadata_format")
        keys = ("text", "blocks", "attachments", "metadata", "thread_ts")
        return {k: copy.deepcopy(args[k]) for k in keys if k in args}

    def receive_upload(self, file_id: str, data: bytes) -> bool:
        """Bytes posted to an upload URL; False when no upload URL was handed out for it."""
        with self._cond:
            entry = self.files.get(file_id)
            if entry is None:
                return False
            entry["content"] = data
            return True

    def _api_files_getUploadURLExternal(self, args: JSON) -> JSON:
        self._require(args, "filename", "length")
        file_id = self._new_id("F")
        self.files[file_id] = {"id": file_id, "name": args["filename"], "length": int(args["length"]),
                               "content": None, "completed": False}  # fmt: skip
        return {
            "upload_url": self.url.removesuffix("/api/") + f"/upload/{file_id}",
            "file_id": file_id,
        }

    def _api_files_completeUploadExternal(self, args: JSON) -> JSON:
        self._require(args, "files")
        done = []
        for item in args["files"]:
            entry = self.files.get(item.get("id", ""))
            if (
                entry is None
                or entry["content"] is None
                or len(entry["content"]) != entry["length"]
            ):
                raise SlackError("invalid_arguments", f"file {item.get('id')} was not uploaded")
            entry.update(completed=True, title=item.get("title") or entry["name"])
            done.append({k: v for k, v in entry.items() if k != "content"})
        if args.get("channel_id"):
            self.messages.setdefault(args["channel_id"], []).append(
                {
                    "type": "message",
                    "ts": self._ts(),
                    "files": done,
                    "text": args.get("initial_comment", ""),
                }
            )
        return {"files": done}

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"

    def _api_chat_postMessage(self, args: JSON) -> JSON:
        channel, content = self._channel(args), self._content(args)
        message: JSON = {
            "type": "message", "ts": self._ts(), "user": self.bot_user_id, "bot_id": self.bot_id,
            "app_id": self.app_id, "team": self.team_id, "text": "", **content,
        }  # fmt: skip
        self.messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _api_chat_postEphemeral(self, args: JSON) -> JSON:
        self._require(args, "user")
        self._channel(args)
        self._content(args)
        return {"message_ts": self._ts()}

    def _api_chat_update(self, args: JSON) -> JSON:
        self._require(args, "ts")
        channel, content = self._channel(args), self._content(args)
        found = [m for m in self.messages.get(channel, []) if m["ts"] == args["ts"]]
        if not found:
            raise SlackError("message_not_found")
        found[0].update(content, edited={"user": self.bot_user_id, "ts": self._ts()})
        message = copy.deepcopy(found[0])
        return {"channel": channel, "ts": args["ts"], "text": message["text"], "message": message}

    def _api_conversations_open(self, args: JSON) -> JSON:
        self._require(args, "users")
        users = [u.strip() for u in str(args["users"]).split(",") if u.strip()]
        if len(users) != 1:
            raise SlackError("invalid_arguments", "this fake only opens 1:1 DMs")
        return {"channel": {"id": self._dm_for(users[0])}}

    def _api_conversations_history(self, args: JSON) -> JSON:
        channel = self._channel(args)
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
        inclusive, limit = _truthy(args.get("inclusive")), int(args.get("limit") or 100)
        with_meta = _truthy(args.get("include_all_metadata"))
        found = [
            {k: v for k, v in m.items() if with_meta or k != "metadata"}
            for m in reversed(self.messages.get(channel, []))
            if (oldest <= float(m["ts"]) <= latest if inclusive else oldest < float(m["ts"]) < latest)
        ]  # fmt: skip
        return {"messages": copy.deepcopy(found[:limit]), "has_more": len(found) > limit}

    def _api_response_url(self, args: JSON) -> JSON:
        if not _truthy(args.get("delete_original")):
            self._content(args)
        return {}

    # ------------------------------------------------------------------ users / auth
    def _api_users_info(self, args: JSON) -> JSON:
        self._require(args, "user")
        user = copy.deepcopy(self._user(args["user"]))
        if _truthy(args.get("include_locale")):
            user.setdefault("locale", "en-US")
        return {"user": user}

    def _api_apps_connections_open(self, args: JSON) -> JSON:
        """Socket Mode's WebSocket URL: ``socket_url`` (set it to a FakeSocketMode's ``url``)."""
        if not self.socket_url:
            raise SlackError("invalid_auth")
        return {"url": self.socket_url}

    def _api_auth_test(self, args: JSON) -> JSON:
        return {
            "url": "https://fake-team.slack.com/", "team": "Fake Team", "user": "debrief",
            "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }  # fmt: skip
