"""The kata's own tests: the lesson machinery, and the reference app in depth."""
