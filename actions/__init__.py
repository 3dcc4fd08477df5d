"""Rasa custom actions (rasa-sdk, Python 3.11 venv): thin wrappers around bot.dialogue."""
