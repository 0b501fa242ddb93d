"""First boot and field set-up on the gateway: provisioning files, the USB gadget."""
