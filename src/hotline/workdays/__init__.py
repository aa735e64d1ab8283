"""The official arrangement of holidays for years the calendar package does not know yet."""
