"""Data quality (数据质量): league table, monthly notice, trend, code governance (重错码)."""
