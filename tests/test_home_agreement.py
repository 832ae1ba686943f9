"""The App Home's AI agreement section: exact text for given figures, bounded, honest when empty."""

from __future__ import annotations

from blocks.home import agreement_section
from bot.team.home import AgreementView, CriterionAgreement, RootCauseChange
from tests.slack_conformance import view_problems


def agreement(**kw) -> AgreementView:
    figures = {
        "days": 30,
        "decided": 4,
        "approved": 2,
        "edited": 1,
        "rejected": 1,
        "approved_share": 0.5,
        "points_suggested": 3,
        "points_removed": 1,
        "root_causes_changed": 3,
        "changes": [
            RootCauseChange("policy", "product", 2),
            RootCauseChange("documentation", "agent_behavior", 1),
        ],
        "changes_total": 2,
        "criteria": [
            CriterionAgreement("Empathy", 4, 2, 0.5, 0.667),
            CriterionAgreement("Tone <&>", 3, 2, 0.667, None),
        ],
        "criteria_total": 2,
        "mean_difference": 0.4,
    }
    return AgreementView(**{**figures, **kw})


def texts(blocks: list[dict]) -> list[str]:
    out = []
    for block in blocks:
        if block["type"] in ("header", "section"):
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out.extend(e["text"] for e in block["elements"])
    return out


def test_the_section_shows_the_figures_of_the_decided_drafts():
    blocks = agreement_section(agreement())
    assert [b["type"] for b in blocks] == ["divider", "header", "section", "section", "context"]
    table = texts(blocks)[2].replace("&lt;&amp;&gt;", "<&>").splitlines()[1:-1]
    assert len({len(line) for line in table}) == 1  # fixed width, once unescaped
    assert texts(blocks) == [
        "AI agreement (last 30 days)",
        "*4 drafts* decided · *50%* approved unchanged (2 approved, 1 edited, 1 rejected)\n"
        "*1* of 3 points suggested in edited drafts removed\n"
        "*3 root causes* changed · Policy → Product (2) · Documentation gap → Agent behaviour (1)",
        "```\n"
        "Criterion                Decided Unchanged Mean |diff|\n"
        "Empathy                        4       50%        0.67\n"
        "Tone &lt;&amp;&gt;                       3       67%           –\n"
        "Overall                        4       50%        0.40\n"
        "```",
        "QA drafts a lead approved, edited or rejected in the last 30 days; approved unchanged "
        "means the lead kept the draft as the AI wrote it; mean |diff| is the mean difference "
        "between the suggested and the final score (a rejected draft has none).",
    ]
    assert view_problems({"type": "home", "blocks": blocks}) == []


def test_nothing_decided_yet_says_so():
    empty = agreement(
        decided=0, approved=0, edited=0, rejected=0, approved_share=None, points_suggested=0,
        points_removed=0, root_causes_changed=0, changes=[], changes_total=0, criteria=[],
        criteria_total=0,
    )  # fmt: skip
    blocks = agreement_section(empty)
    assert texts(blocks) == [
        "AI agreement (last 30 days)",
        "No QA drafts were decided in the last 30 days, so there is no agreement to show yet.",
    ]


def test_capped_lists_count_what_was_left_out_and_stay_within_limits():
    long = "<&>`" * 150
    view = agreement(
        changes=[RootCauseChange("policy", "product", 5)] * 3,
        changes_total=7,
        criteria=[CriterionAgreement(f"{long} {i}", 9999, 1, 0.111, 9.5) for i in range(8)],
        criteria_total=30,
    )
    blocks = agreement_section(view)
    summary, criteria = texts(blocks)[1:3]
    assert summary.endswith("Policy → Product (5) · 4 more")
    lines = criteria.splitlines()
    assert len(lines) == 1 + 1 + 8 + 1 + 1 + 1  # fences, header, 8 criteria, overall, more
    assert lines[2] == "&lt;&amp;&gt;'" * 5 + "&lt;&amp;&gt;…    9999       11%        9.50"
    assert lines[-1] == "_22 more criteria in `debrief metrics`_"
    assert len(blocks) <= 5 and all(len(t) <= 3000 for t in texts(blocks))
    assert view_problems({"type": "home", "blocks": blocks}) == []


def test_a_criterion_name_with_control_characters_stays_on_its_row():
    view = agreement(
        criteria_total=1,
        criteria=[CriterionAgreement("Tone\x00\x07\nand\r\x1b[31m  care", 2, 1, 0.5, 1.0)],
    )
    table = texts(agreement_section(view))[2].splitlines()
    assert table[2] == "Tone and [31m care             2       50%        1.00"
    assert len(table) == 5  # fences, header, the criterion, overall
