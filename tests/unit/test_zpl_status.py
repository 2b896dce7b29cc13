"""ZPL status answers -> ok / fault / unknown (and 'still printing'); examples in tests/data/zpl
are written as the ZPL II Programming Guide writes them (see the notes at their top)."""

from __future__ import annotations

from pathlib import Path

import pytest

from label_printer.languages.zpl_status import (
    interpret,
    interpret_errors,
    parse_host_status,
    read_frames,
    read_status,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "zpl"
CONTROL = {"<STX>": b"\x02", "<ETX>": b"\x03", "<CR>": b"\r", "<LF>": b"\n"}


def examples(name: str) -> list[tuple[str, str, str, bytes]]:
    """(name, state, words, answer bytes) for each example in a data file."""
    found: list[tuple[str, str, str, bytes]] = []
    for line in (DATA / name).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("== "):
            label, state, words = line[3:].split(" ", 2)
            found.append((label, state, words, b""))
            continue
        raw = line.encode("ascii")
        for mark, byte in CONTROL.items():
            raw = raw.replace(mark.encode(), byte)
        label, state, words, answer = found[-1]
        found[-1] = (label, state, words, answer + raw)
    return found


class Replay:
    """A Transport (our own abstraction) answering each send with the next scripted answer
    (b"" = silence), handed out a few bytes per receive as a socket might."""

    def __init__(self, *answers: bytes, chunk: int = 7):
        self.answers = list(answers)
        self.chunk = chunk
        self.pending: list[bytes] = []
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)
        answer = self.answers.pop(0) if self.answers else b""
        self.pending += [answer[i:i + self.chunk] for i in range(0, len(answer), self.chunk)]

    def receive(self, size: int) -> bytes | None:
        return self.pending.pop(0) if self.pending else None

    def local_status(self) -> None:
        return None

    def close(self) -> None:
        pass


@pytest.mark.parametrize("name, state, words, answer", examples("host_status.txt"),
                         ids=lambda v: v if isinstance(v, str) and "\x02" not in v else "")
def test_host_status_answers_are_read_into_three_states_or_busy(name, state, words, answer):
    printer = Replay(answer)
    printer.send(b"~HS")
    frames = read_frames(printer, 3)
    host = parse_host_status(frames)
    if state == "unknown":
        assert host is None
        return
    assert host is not None, name
    status = interpret(host)
    if state == "busy":
        assert status is None  # the label is still in the printer: not printed yet
        return
    assert status is not None and status.state == state and words in status.detail, status


@pytest.mark.parametrize("name, state, words, answer", examples("error_status.txt"),
                         ids=lambda v: v if isinstance(v, str) and "\x02" not in v else "")
def test_error_status_answers_name_the_fault(name, state, words, answer):
    printer = Replay(answer)
    printer.send(b"~HQES")
    [frame] = read_frames(printer, 1)
    status = interpret_errors(frame)
    assert status.state == state and words in status.detail, (name, status)


def answers(name: str) -> dict[str, bytes]:
    return {label: answer for label, _, _, answer in examples(name)}


def test_a_label_counts_only_once_the_printer_holds_nothing_of_it():
    hs = answers("host_status.txt")
    printer = Replay(hs["printing"], hs["last_label_in_batch"], hs["ready"])
    status = read_status(printer, print_wait=5, poll=0.001)
    assert status.ok and printer.sent == [b"~HS"] * 3


def test_a_label_that_never_leaves_the_printer_is_unknown_after_the_wait():
    hs = answers("host_status.txt")
    printer = Replay(*[hs["printing"]] * 1000)
    status = read_status(printer, print_wait=0.05, poll=0.01)
    assert status.state == "unknown" and "still printing" in status.detail


def test_silence_to_host_status_asks_error_status_and_names_the_fault():
    # Newer firmware does not answer ~HS while out of media (the guide's note on ~HS).
    printer = Replay(b"", answers("error_status.txt")["media_out"])  # ~HS: nothing at all
    status = read_status(printer, print_wait=1, poll=0.01)
    assert printer.sent == [b"~HS", b"~HQES"]
    assert status.state == "fault" and "paper out" in status.detail


def test_a_late_host_status_answer_is_not_read_as_the_error_status():
    hs, es = answers("host_status.txt"), answers("error_status.txt")
    printer = Replay(hs["ready"] + es["head_open"])  # the ~HS answer came after we gave up
    printer.send(b"~HQES")
    [frame] = read_frames(printer, 1, wanted=b"ERRORS:")
    assert interpret_errors(frame).detail.startswith("print head open")


def test_total_silence_is_unknown_never_ok():
    printer = Replay()
    status = read_status(printer, print_wait=1, poll=0.01)
    assert status.state == "unknown" and "did not answer" in status.detail
    assert printer.sent == [b"~HS", b"~HQES"]


def test_endless_noise_is_read_for_a_bounded_number_of_bytes():
    printer = Replay(b"\x00" * 100_000, chunk=512)
    printer.send(b"~HS")
    assert read_frames(printer, 3) == []
    assert len(printer.pending) > 150  # it stopped after about MAX_REPLY bytes


def test_abandon_waits_for_the_printer_to_answer_after_the_cancel():
    # The printer takes ~ commands in order: its ~HS answer means ~JA has been done, so
    # paper loaded at once after the job ends cannot print the cancelled label (a CI failure).
    from label_printer.languages.zpl import Zpl

    printer = Replay(answers("host_status.txt")["paper_out_holding_a_label"])
    Zpl().abandon(printer)
    assert printer.sent == [b"~JA~HS"]
    assert printer.pending == []  # the whole answer was read before abandon returned
