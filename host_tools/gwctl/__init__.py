"""gwctl: the technician's host tool for deskgate gateways (console script `gwctl`)."""
