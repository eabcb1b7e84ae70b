"""Adapters: SIS exports and API payloads in, canonical students and registrations out."""
