"""Generation: planning, prompts, structured generation with repair, distinctness, evidence."""
