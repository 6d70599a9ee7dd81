"""Events: the transactional outbox every domain writes its state changes to."""
