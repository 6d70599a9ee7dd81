"""Background jobs: rows written in the caller's transaction, claimed and run by workers."""
