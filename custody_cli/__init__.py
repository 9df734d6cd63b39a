"""The `custody` command: the one package that wires the others together."""
