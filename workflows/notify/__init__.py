"""Notifications: in the app, and by mail through the outbox."""
