"""The blacklist (黑名单): callers who abuse the line, proposed from history, confirmed by a
supervisor, with expiry and appeal. `service.standing` is what intake, the screen pop and routing ask."""
