"""PyTorch modules used by the chapters: small, readable, one family per module."""
