"""Extensions that Rasa loads by module path (endpoints.yml)."""
