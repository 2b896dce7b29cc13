"""Virtual label printer for tests, benchmarks and the demo (never imported by the product)."""

from hardware_sim.backend import register, sim_printer_for
from hardware_sim.printer import Faults, VirtualPrinter
from hardware_sim.server import SimPrinterServer

__all__ = ["Faults", "SimPrinterServer", "VirtualPrinter", "register", "sim_printer_for"]
