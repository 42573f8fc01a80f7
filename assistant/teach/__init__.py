"""Teaching mode for trainers: explanations, worked examples, exercises and a curriculum."""
