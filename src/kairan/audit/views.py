"""Audit log views."""
