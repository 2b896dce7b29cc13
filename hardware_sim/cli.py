"""`phlebo sim-printer`: run the virtual label printer until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence

from hardware_sim.printer import Faults, VirtualPrinter
from hardware_sim.server import SimPrinterServer


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="sim-printer", description=__doc__)
    parser.add_argument("--port", type=int, default=9100, help="print port (0 = any free)")
    parser.add_argument("--language", choices=("escpos", "zpl"), default="escpos",
                        help="the printer language it speaks (zpl: a Zebra-style printer)")
    parser.add_argument("--out", required=True, help="folder for 0001.png, 0001.json, ...")
    parser.add_argument("--paper-out-after", type=int, metavar="N",
                        help="run out of paper after N labels")
    parser.add_argument("--offline", action="store_true", help="start offline (ZPL: paused)")
    parser.add_argument("--head-open", action="store_true", help="start with the head open")
    parser.add_argument("--thermal-transfer", action="store_true",
                        help="ZPL: a thermal transfer model (it has a ribbon to run out)")
    parser.add_argument("--ribbon-out", action="store_true",
                        help="ZPL: start out of ribbon (implies --thermal-transfer)")
    parser.add_argument("--hs-silent-on-error", action="store_true",
                        help="ZPL: answer ~HS with silence while out of paper or ribbon or "
                             "with the head open, as newer Zebra firmware does")
    parser.add_argument("--drop-after", type=int, metavar="N",
                        help="cut the connection after N labels (once)")
    parser.add_argument("--slow", type=float, default=0.0, metavar="SECONDS",
                        help="time spent printing each label")
    parser.add_argument("--control-port", type=int, metavar="P",
                        help="line-based control port for fault injection")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    faults = Faults(paper_out_after=args.paper_out_after, paper_out=args.paper_out_after == 0,
                    offline=args.offline, drop_after=args.drop_after, slow=args.slow,
                    head_open=args.head_open, ribbon_out=args.ribbon_out)
    printer = VirtualPrinter(args.out, faults=faults, language=args.language,
                             thermal_transfer=args.thermal_transfer or args.ribbon_out,
                             hs_silent_on_error=args.hs_silent_on_error)
    server = SimPrinterServer(printer, port=args.port, control_port=args.control_port)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    server.start()
    print(f"sim-printer listening on {server.uri} writing to {args.out}", flush=True)
    if server.control_port is not None:
        print(f"control port: 127.0.0.1:{server.control_port}", flush=True)
    try:
        done.wait()
    finally:
        server.stop()
    return 0
