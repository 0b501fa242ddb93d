"""Firmware updates on the gateway: signed bundles, releases side by side, rollback."""
