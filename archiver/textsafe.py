"""Untrusted text made safe for one line of output: no line breaks, no workflow commands.

Upstream text (model keys, URLs, headers, excerpts of bodies) reaches stdout, stderr, the
commit message and the GitHub job summary. On a GitHub runner a line that starts with ``::``
(or the older ``##[``), after optional whitespace, is a workflow command (``::add-mask::``,
``::stop-commands::``, ``::error::``). So upstream text may never start a line and may never
end one: ``one_line`` shows every character that some reader takes for a line break or a
terminal control as an escape (``\\n``, ``\\x85``, ``\\u2028``), and escapes the first
character of a leading command prefix (``\\x3a:add-mask::x``). It leaves backslashes alone,
so applying it twice changes nothing. ``markdown_text`` does the same, then backslash-escapes
what Markdown would read as markup (tables, links, HTML, emphasis, code).
"""

from __future__ import annotations

import re

COMMAND_PREFIXES = ("::", "##[")
# C0 and C1 controls (U+0085 NEL among them), DEL, the Unicode line and paragraph
# separators, and the bidi controls that reorder what a reader sees (Trojan Source).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Every ASCII punctuation mark CommonMark lets a backslash escape that could start markup;
# ':' included, so a URL is not turned into a link.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>()#+!|~&:])")


def one_line(text: str) -> str:
    """Return untrusted text as one inert line: controls and line breaks escaped, no command."""
    safe = _UNSAFE.sub(lambda match: _escape(match.group()), text)
    body = safe.lstrip()
    if body.startswith(COMMAND_PREFIXES):
        indent = len(safe) - len(body)
        safe = safe[:indent] + _escape(body[0]) + body[1:]
    return safe


def markdown_text(text: str) -> str:
    """Return untrusted text as one line of Markdown that renders as that text, markup-free."""
    return _MARKDOWN.sub(r"\\\1", one_line(text))


def _escape(char: str) -> str:
    """Return a character as a visible escape sequence."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
