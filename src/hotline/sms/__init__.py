"""The SMS channel (短信受理): texts from the gateway, the operators' list, replies and the outbox."""
