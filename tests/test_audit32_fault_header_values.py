"""A fault's header values are refused when they hold what a header line cannot carry.

`--fault '/x,location=http://a/<CR><LF>Set-Cookie: s=1'` was sent as given: the replay
server answered with a forged Set-Cookie header (or a whole second response after a blank
line), and a Location beyond Latin-1 stopped the handler mid-answer with a traceback.
Raw bytes a hostile upstream may send (UTF-8 read as Latin-1, C1 controls) still go out:
tests/fault_matrix sends them.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from archiver.capture.replay import Fault, parse_fault
from archiver.cli import main


@pytest.mark.parametrize(
    "spec",
    [
        "/x,location=http://a/\r\nSet-Cookie: s=1",
        "/x,location=http://a/\nX: 1",
        "/x,retry-after=1\r\n\r\nHTTP/1.1 200 OK",
        "/x,retry-after=1\x00",
        "/x,location=https://例え.jp/",
    ],
)
def test_a_header_value_a_line_cannot_carry_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="a line break, a NUL or a character beyond"):
        parse_fault(spec)


def test_the_fault_itself_refuses_it_too() -> None:
    with pytest.raises(ValueError, match="fault location"):
        Fault("/x", location="http://a/\rX-Evil: 1")


def test_a_printable_location_and_retry_after_still_read() -> None:
    fault = parse_fault("/x,location=https://evil.example/y?a=%0D%0A,retry-after=30")
    assert (fault.location, fault.retry_after) == ("https://evil.example/y?a=%0D%0A", "30")


def test_the_command_line_refuses_it_in_one_line() -> None:
    # Refused before the capture is read (this file is none): nothing is served.
    result = CliRunner().invoke(
        main, ["replay", __file__, "--fault", "/x,location=http://a/\r\nSet-Cookie: s=1"]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "a line break, a NUL or a character beyond" in result.output
