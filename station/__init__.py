"""The desk agent: opens the configured scanner and reader through the drivers and forwards every scan and
tag read to the service, through a local outbox, so neither an outage nor a restart loses or doubles one.

With ``[tag_jobs]`` it also writes tags on its reader for the desks' pages, which cannot reach the reader
(:mod:`station.tag_jobs`). It holds no domain rule: the service decides what a scan means, and what a
tag written is bound to.
"""
