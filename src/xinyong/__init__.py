"""Xinyong: a public credit information platform (公共信用信息平台)."""

__version__ = "0.1.0"
