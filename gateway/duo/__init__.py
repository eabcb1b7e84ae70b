"""Transport to DUO (DOMAIN.md 3.1, 3.4): SOAP 1.1 envelopes with WS-Addressing over mutual TLS,
the error taxonomy of ``gateway.errors``, the sender loop over the outbox and reconciliation."""
