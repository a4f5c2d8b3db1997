"""Screening for joint rewards and punishments (联合奖惩): precomputed measures per
subject, screening calls, feedback."""
