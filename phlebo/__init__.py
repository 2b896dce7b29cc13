"""The `phlebo` command and the demo wiring: the only place that joins every part together."""
