"""The customer warehouse: its contract, connections, and the sample generator."""
