"""List entries (名单): proposed, notified with an objection window, listed, exited."""
