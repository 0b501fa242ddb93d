"""deskgate firmware: the gateway service, its pure cores and its hardware backends."""

__version__ = "0.1.0"
