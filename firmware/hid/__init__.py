"""USB telephony headsets over HID: descriptor-driven decoding, the hook/mute handshake,
hot-plug and seats. The pure cores (descriptor, controls, report, handshake) import no hardware
library; `hidraw_backend` is the only module that touches hidapi and pyudev."""
