"""The deterministic router: intents and slots from the phrase tables, no LLM needed."""
