"""Your Flask app grows in this package. Lesson 01 starts it: read lessons/01/README.md."""
