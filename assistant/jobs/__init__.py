"""The jobs people come for, each one plan of existing tools written as one answer: who to follow up, a visit
briefing for one customer, how we did in a period. Registered as capabilities in ``assistant.jobs.tool``."""
