"""The physical state button: key edges in, press gestures out, gestures to ACD requests.

`classifier` (pure, injected clock) turns raw key levels into SHORT/LONG gestures with
debouncing; `rules` (pure) maps a gesture and the agent's state to a request for the ACD core;
`evdev_source` reads a Linux input device (gpio-keys); `fake` injects edges in tests and on the
simulated board.
"""
