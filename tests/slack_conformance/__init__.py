"""What real Slack accepts: slack_sdk's Block Kit models plus the documented limits they miss.

Every check returns a list of problems, each naming the field (a JSON pointer), the rule and,
for a limit, the figure and the limit, e.g.
``/view/blocks/3/accessory/url: button url is 3120 characters (limit 3000)``. An empty list
means the payload passes. The fake Slack runs these on everything it is sent, and the test
driver on every answer Debrief gives Slack in the HTTP response (view submissions, options).

Two layers:
1. slack_sdk's own model classes parse the payload and ``to_dict()`` it, which runs every
   ``validate_json()`` validator down the tree; a key the models drop on the way (a field Slack
   does not know, or one in the wrong place) is a problem too.
2. A walk of the JSON enforcing the limits of Slack's Block Kit reference that the models do
   not check (unique ids, url/value/option sizes, alt_text, ...), and every limit the issue
   names again, so a model that loosens a check cannot hide a defect.

The parts: ``limits`` (the figures from Slack's reference), ``walk`` (the problems and sizes
found on one payload, and ``HEADROOM``), ``models`` (layer 1), ``blocks`` (layer 2, for blocks
and elements), ``surfaces`` (views, messages, metadata, options and submission answers) and
``arguments`` (the arguments of each Web API call).
"""

from tests.slack_conformance.arguments import argument_problems
from tests.slack_conformance.surfaces import (
    message_problems,
    metadata_problems,
    options_problems,
    submission_problems,
    view_problems,
)
from tests.slack_conformance.walk import HEADROOM, Headroom

__all__ = [
    "HEADROOM",
    "Headroom",
    "argument_problems",
    "message_problems",
    "metadata_problems",
    "options_problems",
    "submission_problems",
    "view_problems",
]
