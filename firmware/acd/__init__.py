"""The onboard ACD core: pure, replayable automatic call distribution."""
