"""The simulated board's scripted world: callers, agents and their day."""
