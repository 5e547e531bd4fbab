"""Completion notifications: an event log, webhooks and Server-Sent Events."""
