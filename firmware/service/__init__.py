"""The gateway service: the one place that wires I/O (see docs/service.md)."""
