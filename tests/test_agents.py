"""Finding an agent by what a lead typed (SPEC §5) and managing agents."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput, OutOfScope, UnknownAgent
from bot.people.agents import (
    AmbiguousAgent,
    deactivate_agent,
    list_agents,
    resolve_agent,
    search_in_scope,
    upsert_agent,
)
from tests import factories as f


@pytest.fixture()
def team(session):
    f.member(session, "ULEAD", "owner")
    for name in ["Sarah Connor", "Sarah Lee", "Sam Smith", "Becky Jones", "Dan"]:
        f.agent(session, name, lead="ULEAD")
    f.agent(session, "Martha Kent", slack_user="UMARTHA")
    f.member(session, "UBECKY", "member", agent="Becky Jones")
    session.flush()
    return f.viewer(session, "ULEAD")


def names(session, viewer, query):
    return resolve_agent(session=session, viewer=viewer, query=query).name


def test_exact_full_name_wins_over_first_name_and_prefix(session, team):
    assert names(session, team, "sarah lee") == "Sarah Lee"
    assert names(session, team, "  SARAH   CONNOR ") == "Sarah Connor"


def test_first_name_tier_with_two_sarahs_is_ambiguous(session, team):
    with pytest.raises(AmbiguousAgent) as caught:
        names(session, team, "Sarah")
    assert sorted(caught.value.candidates) == ["Sarah Connor", "Sarah Lee"]


def test_prefix_tier_decides_only_when_earlier_tiers_are_empty(session, team):
    assert names(session, team, "bec") == "Becky Jones"
    with pytest.raises(AmbiguousAgent):
        names(session, team, "sa")
    assert names(session, team, "dan") == "Dan"


def test_unknown_name_suggests_close_names(session, team):
    with pytest.raises(UnknownAgent) as caught:
        names(session, team, "Bekcy")
    assert caught.value.suggestions == ["Becky Jones"]


def test_mention_resolves_the_agents_slack_user(session, team):
    assert names(session, team, "<@UMARTHA|martha>") == "Martha Kent"
    assert names(session, team, "<@UMARTHA>") == "Martha Kent"
    with pytest.raises(UnknownAgent):
        names(session, team, "<@UNOBODY>")


def test_member_reaches_only_their_own_record_and_learns_no_names(session, team):
    becky = f.viewer(session, "UBECKY")
    assert names(session, becky, "becky") == "Becky Jones"
    for query in ["Sarah", "Sam Smith", "Bekcy", "<@UMARTHA>", "nobody"]:
        with pytest.raises(OutOfScope) as caught:
            names(session, becky, query)
        assert "only see your own" in str(caught.value)
        assert "Sarah" not in str(caught.value) and "Sam" not in str(caught.value)


def test_deactivated_agents_are_not_matched_or_listed_but_kept(session, team):
    deactivate_agent(session=session, actor="test", name="dan")
    with pytest.raises(UnknownAgent):
        names(session, team, "Dan")
    assert "Dan" not in [a.name for a in list_agents(session=session)]
    assert "Dan" in [a.name for a in list_agents(session=session, include_inactive=True)]


def test_add_updates_the_agent_with_the_same_name(session, team):
    agent, created = upsert_agent(
        session=session, actor="test", name="dan", email="dan@example.com"
    )
    assert not created and agent.name == "Dan" and agent.email == "dan@example.com"


def test_lead_must_be_owner_or_admin(session, team):
    with pytest.raises(InvalidInput, match="owner or admin"):
        upsert_agent(session=session, actor="test", name="New Person", lead="UBECKY")
    with pytest.raises(InvalidInput, match="not an email"):
        upsert_agent(session=session, actor="test", name="New Person", email="nope")


def test_the_picker_search_matches_by_tier_then_by_substring_within_scope(session, team):
    def search(viewer, query):
        return [c.name for c in search_in_scope(session=session, viewer=viewer, query=query)]

    assert search(team, "sarah") == ["Sarah Connor", "Sarah Lee"]
    assert search(team, "  sam ") == ["Sam Smith"]
    assert search(team, "ones") == ["Becky Jones"]  # no name starts with it: contains it
    assert search(team, "zzz") == []
    assert len(search(team, "")) == 6  # everyone active, when nothing was typed
    becky = f.viewer(session, "UBECKY")
    assert search(becky, "") == ["Becky Jones"] and search(becky, "sarah") == []
