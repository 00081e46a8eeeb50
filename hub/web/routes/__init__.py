"""One router per group of pages: login and logout here; cases and statistics beside it."""
