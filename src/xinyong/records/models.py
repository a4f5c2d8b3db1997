"""Tables of this feature."""
