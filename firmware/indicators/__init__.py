"""Indicators: the agent's state shown on the gateway's LEDs and on USB busylights.

`patterns` maps an `AgentView` to a `Pattern` (pure data); the backends (`ledclass`, `gpio`,
`busylight`, `fake`) show a pattern; `driver` applies one pattern to every indicator of a board
and keeps going when a device vanishes.
"""
