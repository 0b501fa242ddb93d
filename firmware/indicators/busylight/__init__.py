"""USB busylights over hidraw: a table of supported models, their report encoders, the hidraw
transport and the indicator that keeps a light showing a pattern (with the Kuando keep-alive)."""
