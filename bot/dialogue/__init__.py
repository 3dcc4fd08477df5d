"""Pure functions that turn what the bot understood into replies (the Reply shape of the API)."""
