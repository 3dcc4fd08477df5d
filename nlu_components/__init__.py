"""Custom Rasa NLU components (run inside Rasa's Python 3.10 venv)."""
