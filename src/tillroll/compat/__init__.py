"""Drop-in compatible facades (DESIGN §5): each translates one system's shapes and auth to the
native services under `/compat/<name>`, and holds no business rules of its own."""
