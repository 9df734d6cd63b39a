"""The desk agent: opens the configured scanner and reader through the drivers and forwards every scan and
tag read to the service, through a local outbox, so neither an outage nor a restart loses or doubles one.

It holds no domain rule: the service decides what a scan means.
"""
