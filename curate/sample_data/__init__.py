"""The demo sample dataset (unit conversions with planted defects) and its generator; see README.md here."""
