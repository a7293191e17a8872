"""The last message of a notification cut short stays under Discord's limit.

README (`archiver notify`): messages are cut to what Discord and Slack take, and a
notification cut short ends with the link to the site's change monitor. A line is a change's
summary, which names models as upstream does (no length bound): one longer than the last
message's room that happened to start the last message was cut to a whole message's size,
since which message it started was known only after the cut; the note of what was left
out and the link then took the last message past 2,000 characters, which Discord refuses:
the one message with the link was lost.
"""

from __future__ import annotations

import pytest

from archiver.notify import MAX_MESSAGES, MESSAGE_LIMIT, _chunks

LINK = "Every change: https://someone.github.io/openrouter-catalog-history/changes/index.html"


@pytest.mark.parametrize("long_at", [MAX_MESSAGES - 1, MAX_MESSAGES])
def test_a_long_line_starting_the_last_message_leaves_it_under_the_limit(long_at: int) -> None:
    # One change a message (each too long to share one), then one whose summary is longer
    # than a message (the last message's first line, or one left out), then a few more.
    lines = [f"- model {n}: " + "x" * 1000 for n in range(long_at)]
    lines += ["- " + "Hostile model name " * 200, *(f"- short {n}" for n in range(3))]
    texts = _chunks(lines, LINK)
    assert len(texts) == MAX_MESSAGES
    assert [len(text) for text in texts if len(text) > MESSAGE_LIMIT] == []
    last = texts[-1].splitlines()
    assert last[-1] == LINK
    assert last[-2].startswith("(and ") and "more changes" in last[-2]
