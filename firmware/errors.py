"""Errors shared by every command: one type a user can act on, with an exit status."""

from __future__ import annotations


class CommandError(Exception):
    """A failure the user can fix (bad file, missing device); printed without a traceback.

    `status` is the process exit status: 1 for a command that failed, 2 for bad usage or input
    the command cannot work with at all.
    """

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status
