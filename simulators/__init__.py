"""Simulated hardware for the demo and the tests: the real device paths (pseudo-terminals, pcscd
with the vpcd virtual reader) driven by software devices that can misbehave on request."""
