"""Interagency data-exchange hub: ingest, routing, store, API and CLI."""
