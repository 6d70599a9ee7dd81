"""B2B invoices, payments allocated across them, and the payment receipts they create.

One package, not three: recording a payment locks its invoices, moves their open balances
and writes the payment, its receipt and one receipt line per invoice in one transaction,
and every later change (status, deletion) touches the same four tables together. Split
into invoices/payments packages, each rule would become a cross-service hop inside that
one transaction, for no boundary anyone else uses.
"""
