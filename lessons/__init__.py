"""The kata's lessons, and the `python -m lessons` tool that drives them."""
