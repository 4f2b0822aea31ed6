"""Renderers: autofuse IR + plan -> kernel source, one module per target. Never imports torch."""
