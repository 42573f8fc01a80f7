"""Understanding questions: numbers, time expressions, entities, intents."""
