"""Untrusted text made safe for a terminal, a log line, a mail or a chat message.

Text from data (ids, a server's error body, a CSV header, a program's stderr) can hold escape sequences
(OSC 52 clipboard writes, screen clears), line separators that forge extra lines, and bidirectional
overrides that reorder what follows them on screen. One function decides what is unsafe so every place
that shows such text (dashboard, report tables, stderr, the headless log, alert sinks) agrees.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and every bidirectional
# embedding, override, isolate and mark (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object) -> str:
    """``text`` as one inert line: every unsafe character becomes a visible ``\\xNN``/``\\uNNNN`` escape,
    so it is seen but never takes effect."""
    return _UNSAFE.sub(_escape, str(text))


def clean_lines(text: object) -> str:
    """As :func:`clean`, but keeps plain line breaks (``\\n``): for multi-line messages such as a mail body
    or a traceback written to stderr, where lines are wanted and only their content is untrusted."""
    return "\n".join(clean(line) for line in str(text).split("\n"))


def clean_toml(text: str) -> str:
    """TOML text made inert for a terminal while it stays the same TOML: TOML allows these characters
    only inside strings, where ``\\uXXXX`` means the same character, so each becomes that escape; line
    breaks are kept."""
    return "\n".join(_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line) for line in text.split("\n"))
