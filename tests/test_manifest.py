"""manifest.yml is a valid Slack app manifest that gives Debrief what it needs."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

# jsonschema ships no type hints, and types-jsonschema is not a dev dependency.
from jsonschema import Draft7Validator  # type: ignore[import-untyped,unused-ignore]
from jsonschema.protocols import Validator  # type: ignore[import-untyped,unused-ignore]
from jsonschema.validators import validator_for  # type: ignore[import-untyped,unused-ignore]

from blocks.ids import CallbackId

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
SCHEMA = ROOT / "tests" / "schemas" / "manifest.schema.1.0.0.json"
SHARED_SCHEMA = ROOT.parent / "shared" / "schemas" / "manifest.schema.1.0.0.json"
URL = "https://debrief.example.com/slack/events"
BOT_SCOPES = {"commands", "chat:write", "im:write", "im:history", "users:read", "files:write"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    if not SCHEMA.is_file():
        pytest.fail(f"Slack's manifest schema is missing: expected it at {SCHEMA}")
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return loaded


def test_the_schema_copy_matches_the_shared_one():
    if not SHARED_SCHEMA.is_file():
        pytest.skip("no ../shared beside this checkout to compare with")
    assert SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes()


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Validator:
    cls = validator_for(schema, default=Draft7Validator)  # the file declares draft-07
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _errors(validator: Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def test_schema_refs_are_all_local(schema: dict[str, Any]) -> None:
    # Validation must never reach for the network: every $ref points inside the file.
    refs = list(_refs(schema))
    assert refs
    assert all(ref.startswith("#/") for ref in refs), [r for r in refs if not r.startswith("#")]


def test_manifest_is_valid(validator: Validator, manifest: dict[str, Any]) -> None:
    assert _errors(validator, manifest) == []


def test_coach_command(manifest: dict[str, Any]) -> None:
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    coach = commands["/coach"]
    assert coach["should_escape"] is True
    assert coach["url"] == URL
    assert coach["description"] == "Open an agent's coaching record"
    assert coach["usage_hint"] == "[name or @user]"


def test_coach_on_this_shortcut(manifest: dict[str, Any]) -> None:
    [shortcut] = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["name"] == "Coach on this"
    assert shortcut["callback_id"] == CallbackId.COACH_SHORTCUT
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]  # shortcuts need it
    assert manifest["settings"]["interactivity"]["is_enabled"] is True  # they arrive there
    text = MANIFEST.read_text(encoding="utf-8")
    assert '# "Coach on this"' in text and "CallbackId.COACH_SHORTCUT" in text


def test_features_and_settings(manifest: dict[str, Any]) -> None:
    features, settings = manifest["features"], manifest["settings"]
    assert manifest["display_information"]["name"] == "Debrief"
    assert features["bot_user"] == {"display_name": "Debrief", "always_online": True}
    assert features["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert settings["event_subscriptions"]["request_url"] == URL
    # the options load URL: without it an external_select never loads in HTTP mode
    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": URL,
        "message_menu_options_url": URL,
    }
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_bot_scopes(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert BOT_SCOPES - set(scopes) == set()
    assert len(scopes) == len(set(scopes))


def test_background_color_is_a_hex_colour(schema: dict[str, Any], manifest: dict[str, Any]) -> None:
    # The schema writes this pattern as "regex", which JSON Schema ignores, so check it here.
    rule = schema["definitions"]["app-manifests.v1.display_information.schema"]
    pattern = rule["properties"]["background_color"]["regex"]
    assert re.fullmatch(pattern, manifest["display_information"]["background_color"])


def test_header_comment_explains_socket_mode_and_urls() -> None:
    lines = MANIFEST.read_text(encoding="utf-8").splitlines()
    header = " ".join(line for line in lines if line.startswith("#"))
    assert lines[0].startswith("#")
    assert "settings.socket_mode_enabled to true" in header
    assert "debrief serve" in header


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split(".")

    def change(manifest: dict[str, Any]) -> None:
        node: Any = manifest
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split(".")

    def change(manifest: dict[str, Any]) -> None:
        node: Any = manifest
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]

    return change


BROKEN = {
    "command without description": _drop("features.slash_commands.0.description"),
    "unknown top-level key": _set("permissions", {"bot": ["commands"]}),
    "misspelt settings key": _set("settings.socket_mode", True),
    "app without a name": _drop("display_information.name"),
    "command without its slash": _set("features.slash_commands.0.command", "coach"),
    "request url that is not a url": _set("settings.event_subscriptions.request_url", "debrief"),
    "interactivity without is_enabled": _drop("settings.interactivity.is_enabled"),
    "options load url that is not a url": _set(
        "settings.interactivity.message_menu_options_url", "/slack/events"
    ),
    "shortcut of an unknown type": _set("features.shortcuts.0.type", "action"),
    "shortcut without a callback_id": _drop("features.shortcuts.0.callback_id"),
    "shortcut name over 24 characters": _set(
        "features.shortcuts.0.name", "Coach on this message now"
    ),
    "boolean written as a string": _set("features.app_home.home_tab_enabled", "yes"),
    "bot event listed twice": _set(
        "settings.event_subscriptions.bot_events", ["app_home_opened", "app_home_opened"]
    ),
}


@pytest.mark.parametrize("change", list(BROKEN.values()), ids=list(BROKEN))
def test_broken_manifest_fails_validation(
    validator: Validator, manifest: dict[str, Any], change: Callable[[dict[str, Any]], None]
) -> None:
    broken = copy.deepcopy(manifest)
    change(broken)
    assert broken != manifest
    assert _errors(validator, broken) != []
