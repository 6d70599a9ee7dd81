"""Value receipts (issue 10): signals, value metrics with safe formulas, value receipts and
their public and embedded views (docs/values.md)."""
