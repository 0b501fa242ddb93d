"""The management console: protocol codec (pure), sessions, serial and socket servers."""
