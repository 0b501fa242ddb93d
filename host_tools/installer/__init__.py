"""Installer tools a technician runs on a laptop: flash a card, provision it, update a
gateway. Each module has `register(subparsers)` for its `gwctl` command."""
