"""Receipt documents: one view model, rendered as HTML and PDF; signed links; e-mail."""
