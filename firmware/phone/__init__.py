"""The phone side: baresip as a supervised child, driven over ctrl_tcp, turned into ACD events.

`netstring`, `protocol` and `baresip_config` are pure; `ctrl` (the asyncio ctrl_tcp client),
`supervisor` (the child process) and `line` (the adapter the service plugs in) do the I/O;
`fake` is the phone line of the simulated board. See docs/phone.md.
"""
