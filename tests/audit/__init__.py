"""The audit trail: its guarantees and the admin pages that read it."""
