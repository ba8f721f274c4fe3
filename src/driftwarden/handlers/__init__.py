"""Thin Lambda entry points (schedule, worker, stack_events, api)."""
