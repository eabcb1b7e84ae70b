"""The jobs that tie the layers together: queueing, sending, reconciling (and, later, the
scheduled sync and the HTTP API)."""
