"""The fake's ``views.*`` methods: modals (opened, pushed, updated) and home tabs."""

from __future__ import annotations

import copy
import time
import uuid

from tests.fake_slack.state import JSON, SlackError, _State
from tests.slack_conformance import view_problems


def _err(pointer: str, message: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


class _Views(_State):
    """``views.open``, ``views.push``, ``views.update`` and ``views.publish``."""

    def _view_arg(self, args: JSON, kind: str | None) -> JSON:
        self._require(args, "view")
        view = args["view"]
        named = view.get("callback_id") or view.get("type") if isinstance(view, dict) else "?"
        if self.strict and (problems := view_problems(view, surface=f"{self._method} {named}")):
            self._refuse(self._method, "invalid_arguments", problems)
        if kind and args["view"]["type"] != kind:
            raise SlackError("invalid_arguments", _err("/view/type", f"must be {kind}"))
        return dict(args["view"])

    def _exchange_trigger(self, args: JSON) -> str | None:
        trigger = args.get("trigger_id") or args.get("interactivity_pointer")
        if trigger not in self._triggers:
            raise SlackError("invalid_trigger_id")
        issued, self._triggers[trigger] = self._triggers[trigger], None
        if issued is None:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - issued[0] > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        return issued[1]

    def _store_view(self, view: JSON, view_id: str, root: str, previous: str | None) -> JSON:
        old = self.views.get(view_id, {})
        external_id = view.get("external_id") or old.get("external_id") or ""
        if self._external.get(external_id, view_id) != view_id:
            raise SlackError("duplicate_external_id")
        self.views[view_id] = stored = {
            "private_metadata": "", "callback_id": "", "state": {"values": {}},
            "clear_on_close": False, "notify_on_close": False, **view,
            "id": view_id, "team_id": self.team_id, "external_id": external_id,
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}", "root_view_id": root,
            "previous_view_id": old.get("previous_view_id", previous),
            "app_id": self.app_id, "bot_id": self.bot_id,
        }  # fmt: skip
        if external_id:
            self._external[external_id] = view_id
        return {"view": copy.deepcopy(stored)}

    def _api_views_open(self, args: JSON) -> JSON:
        view = self._view_arg(args, "modal")
        self._exchange_trigger(args)
        view_id = self._new_id("V")
        response = self._store_view(view, view_id, view_id, None)
        self._stacks[view_id] = [view_id]
        return response

    def _api_views_push(self, args: JSON) -> JSON:
        view = self._view_arg(args, "modal")
        source = self._exchange_trigger(args)
        # a trigger from inside a modal pushes onto that modal, otherwise onto the newest one
        root = self.views.get(source, {}).get("root_view_id") if source else None
        root = root or next(reversed(self._stacks), None)
        if root not in self._stacks:
            raise SlackError("not_found", "no open modal to push onto")
        stack = self._stacks[root]
        if len(stack) >= 3:
            raise SlackError("push_limit_reached")
        view_id = self._new_id("V")
        response = self._store_view(view, view_id, root, stack[-1])
        stack.append(view_id)
        return response

    def _api_views_update(self, args: JSON) -> JSON:
        view = self._view_arg(args, None)
        if not args.get("view_id") and not args.get("external_id"):
            raise SlackError("invalid_arguments", "missing required field: view_id or external_id")
        view_id = args.get("view_id") or self._external.get(args["external_id"], "")
        current = self.views.get(view_id)
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        return self._store_view(view, view_id, current["root_view_id"], None)

    def _api_views_publish(self, args: JSON) -> JSON:
        self._require(args, "user_id")
        view = self._view_arg(args, "home")
        self._user(args["user_id"])
        view_id = f"VH{args['user_id'][1:]}"  # one home view per user
        current = self.views.get(view_id)
        if current and args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        return self._store_view(view, view_id, view_id, None)

    # ---------------------------------------------------------------------- messages
