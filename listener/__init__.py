"""Sends queued SMS bubbles through a GSM modem: the long-running service next to the modem."""
