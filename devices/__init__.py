"""Hardware drivers: barcode scanners on serial ports, RFID/NFC readers over PC/SC.

Nothing here knows the custody domain: drivers deliver codes, tags and typed device errors, and the
station or the CLI decides what they mean.
"""
