"""Public search over credit subjects (信用主体): by name fragment or by code."""
